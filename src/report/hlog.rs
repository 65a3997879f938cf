//! `histograms.hlog`: a standard HdrHistogram interval log (V2 deflate
//! encoding, `#[StartTime]`, `#[BaseTime]`, one `Tag=` per measurement),
//! readable by HdrHistogram's own tools in any language.
//!
//! It is written incrementally: [`header`] once, then [`interval_chunk`]
//! per interval, appended and flushed by the engine, so a killed run keeps
//! every completed interval. Before each interval's histograms a comment
//! line (`#agentload-interval {json}`) carries that interval's counters,
//! errors, gauges and generator health; HdrHistogram readers skip comments,
//! and `agentload report` uses them to rebuild every other output.

use std::collections::BTreeMap;
use std::time::{Duration, UNIX_EPOCH};

use hdrhistogram::Histogram;
use hdrhistogram::serialization::interval_log::{
    IntervalLogIterator, IntervalLogWriterBuilder, LogEntry, LogIteratorError, Tag,
};
use hdrhistogram::serialization::{Deserializer, V2DeflateSerializer};
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::metrics::histogram::{HIGHEST_US, new_histogram};
use crate::metrics::{Counter, Gauge, GeneratorHealth, IntervalSnapshot, Measure};
use crate::units::format;

use super::export::Export;
use super::model::{IntervalSummary, Percentiles, RunInfo, RunResults, encode_histogram};

/// The file's name in a run folder.
pub const FILE_NAME: &str = "histograms.hlog";
/// Prefix of the per-interval metadata comment line.
pub const META_PREFIX: &str = "#agentload-interval ";
/// The column legend HdrHistogram's Java writer puts after the headers.
const LEGEND: &str =
    "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"\n";

/// What the metadata comment of one interval holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct IntervalMeta {
    index: u64,
    start_offset_ms: u64,
    start_unix_ms: u64,
    length_ms: u64,
    counters: BTreeMap<String, u64>,
    #[serde(default)]
    errors: BTreeMap<String, u64>,
    gauges: BTreeMap<String, i64>,
    health: GeneratorHealth,
}

impl IntervalMeta {
    fn of(i: &IntervalSummary) -> IntervalMeta {
        IntervalMeta {
            index: i.index,
            start_offset_ms: i.start_offset_ms,
            start_unix_ms: i.start_unix_ms,
            length_ms: i.length_ms,
            counters: Counter::ALL
                .iter()
                .map(|&c| (c.name().to_string(), i.counter(c)))
                .collect(),
            errors: i.errors.clone(),
            gauges: Gauge::ALL
                .iter()
                .map(|&g| (g.name().to_string(), i.gauge(g)))
                .collect(),
            health: i.health,
        }
    }
}

fn hlog_error(e: impl std::fmt::Display) -> Error {
    Error::run(format!("cannot encode {FILE_NAME}: {e}"))
}

/// The log's header: comments, `#[StartTime]`, `#[BaseTime]` (both the run's
/// start; interval timestamps are seconds after it) and the column legend.
pub fn header(run: &RunInfo) -> Result<Vec<u8>, Error> {
    let start = UNIX_EPOCH + Duration::from_millis(run.start_unix_ms);
    let mut out = Vec::new();
    let mut serializer = V2DeflateSerializer::new();
    IntervalLogWriterBuilder::new()
        .add_comment("[Histogram log format version 1.3]")
        .add_comment(&format!(
            "agentload {} run {} (profile {}), values in microseconds, one tag per measurement",
            run.tool_version, run.id, run.profile
        ))
        .with_start_time(start)
        .with_base_time(start)
        .begin_log_with(&mut out, &mut serializer)
        .map_err(hlog_error)?;
    out.extend_from_slice(LEGEND.as_bytes());
    Ok(out)
}

/// One interval's lines (its metadata comment, then one histogram line per
/// measurement that recorded something), to append to the log.
pub fn interval_chunk(snapshot: &IntervalSnapshot) -> Result<Vec<u8>, Error> {
    // Only the metadata is needed from the summary: skip encoding histograms.
    let summary = IntervalSummary::keeping(snapshot, &[false; Measure::ALL.len()]);
    let histograms: Vec<(Measure, &Histogram<u64>)> = Measure::ALL
        .iter()
        .map(|&m| (m, snapshot.histogram(m)))
        .collect();
    chunk(&summary, &histograms)
}

/// [`interval_chunk`] for an interval already summarised (its histograms are
/// decoded from [`IntervalSummary::encoded`]).
pub fn summary_chunk(summary: &IntervalSummary) -> Result<Vec<u8>, Error> {
    let decoded: Vec<(Measure, Histogram<u64>)> = Measure::ALL
        .iter()
        .map(|&m| (m, summary.histogram(m)))
        .collect();
    let histograms: Vec<(Measure, &Histogram<u64>)> =
        decoded.iter().map(|(m, h)| (*m, h)).collect();
    chunk(summary, &histograms)
}

fn chunk(
    summary: &IntervalSummary,
    histograms: &[(Measure, &Histogram<u64>)],
) -> Result<Vec<u8>, Error> {
    let meta = serde_json::to_string(&IntervalMeta::of(summary)).map_err(hlog_error)?;
    let mut out = Vec::with_capacity(1024);
    out.extend_from_slice(META_PREFIX.as_bytes());
    out.extend_from_slice(meta.as_bytes());
    out.push(b'\n');
    let start = Duration::from_millis(summary.start_offset_ms);
    let length = Duration::from_millis(summary.length_ms);
    let mut serializer = V2DeflateSerializer::new();
    let mut writer = IntervalLogWriterBuilder::new()
        .begin_log_with(&mut out, &mut serializer)
        .map_err(hlog_error)?;
    for (m, h) in histograms {
        if h.is_empty() {
            continue;
        }
        // Written in the standard shape whatever range an interval's
        // histogram grew to: readers that add every interval into the first
        // one (HdrHistogram's Python `add` does not resize) need one shape.
        let standard;
        let h = if h.high() < HIGHEST_US {
            standard = standard_copy(h);
            &standard
        } else {
            *h
        };
        writer
            .write_histogram(h, start, length, Tag::new(m.name()))
            .map_err(hlog_error)?;
    }
    Ok(out)
}

/// `h` in a histogram of the standard bounds.
fn standard_copy(h: &Histogram<u64>) -> Histogram<u64> {
    let mut standard = new_histogram();
    if standard.add(h).is_err() {
        for v in h.iter_recorded() {
            standard.saturating_record_n(v.value_iterated_to(), v.count_at_value());
        }
    }
    standard
}

/// Writes the whole `histograms.hlog` at once.
pub struct HistogramLog;

impl Export for HistogramLog {
    fn file_name(&self) -> &'static str {
        FILE_NAME
    }

    fn render(&self, results: &RunResults) -> Result<Vec<u8>, Error> {
        let mut out = header(&results.run)?;
        for i in &results.intervals {
            out.extend_from_slice(&summary_chunk(i)?);
        }
        Ok(out)
    }
}

/// What an interval log holds, rebuilt into interval summaries.
#[derive(Debug, Clone)]
pub struct HlogContents {
    /// `#[StartTime]` in ms since the epoch, when present.
    pub start_unix_ms: Option<u64>,
    /// Every interval found, in time order.
    pub intervals: Vec<IntervalSummary>,
    /// Whole-log histograms per measurement, indexed by [`Measure::index`].
    pub histograms: Vec<Histogram<u64>>,
    /// What was missing or damaged, for the reader.
    pub notes: Vec<String>,
}

/// One interval of a log as it is read: its metadata comment, when there
/// is one, and its histograms by [`Measure::index`].
#[derive(Default)]
struct Slot {
    length_ms: u64,
    meta: Option<IntervalMeta>,
    histograms: BTreeMap<usize, Histogram<u64>>,
}

/// The intervals of a log by their start, ms after the run's start.
type Slots = BTreeMap<u64, Slot>;

/// Reads an interval log (ours or any HdrHistogram writer's, as long as its
/// tags are measurement names). `origin` names the file in messages.
pub fn read(bytes: &[u8], origin: &str) -> Result<HlogContents, Error> {
    let mut notes = Vec::new();
    let mut slots = read_interval_comments(bytes, origin, &mut notes);
    let start_time = read_histograms(bytes, origin, &mut slots, &mut notes);
    let start_unix_ms = start_time.map(|t| t.as_millis() as u64);
    let (intervals, histograms) = summarise(slots, start_unix_ms, origin, &mut notes);
    Ok(HlogContents {
        start_unix_ms,
        intervals,
        histograms,
        notes,
    })
}

/// What an interval log holds, read back into the snapshots the run took
/// (full histograms per interval), for merging the logs of a run's shards.
#[derive(Debug, Clone)]
pub struct HlogSnapshots {
    /// `#[StartTime]` in ms since the epoch, when present.
    pub start_unix_ms: Option<u64>,
    /// Every interval found, in time order.
    pub snapshots: Vec<IntervalSnapshot>,
    /// What was missing or damaged, for the reader.
    pub notes: Vec<String>,
}

/// Reads an interval log like [`read`], but keeps each interval's histograms
/// whole ([`IntervalSnapshot`]s, as the collector took them) rather than
/// summarised. `origin` names the file in messages.
pub fn read_snapshots(bytes: &[u8], origin: &str) -> Result<HlogSnapshots, Error> {
    let mut notes = Vec::new();
    let mut slots = read_interval_comments(bytes, origin, &mut notes);
    let start_time = read_histograms(bytes, origin, &mut slots, &mut notes);
    let start_unix_ms = start_time.map(|t| t.as_millis() as u64);
    let plain = slots.values().filter(|slot| slot.meta.is_none()).count();
    if plain > 0 {
        notes.push(format!(
            "{origin}: {plain} intervals have histograms only (no agentload comment): their counters, errors, gauges and generator health are taken as 0"
        ));
    }
    let snapshots = slots
        .into_iter()
        .enumerate()
        .map(|(n, (offset_ms, slot))| {
            let mut histograms = crate::metrics::histogram::new_histogram_set();
            for (index, h) in slot.histograms {
                // Into the standard shape: a decoded histogram keeps the
                // range its writer gave it (an interval's own, which may be
                // narrow), and merging shards adds wider ones to it.
                if histograms[index].add(&h).is_err() {
                    histograms[index] = h;
                }
            }
            let meta = slot_meta(
                n as u64,
                offset_ms,
                &slot.meta,
                slot.length_ms,
                start_unix_ms,
            );
            let mut s = IntervalSnapshot::empty(
                meta.index,
                Duration::from_millis(meta.start_offset_ms),
                meta.start_unix_ms,
                Duration::from_millis(meta.length_ms),
            );
            s.histograms = histograms;
            for c in Counter::ALL {
                s.counters[c.index()] = meta.counters.get(c.name()).copied().unwrap_or(0);
            }
            for g in Gauge::ALL {
                s.gauges[g.index()] = meta.gauges.get(g.name()).copied().unwrap_or(0);
            }
            s.errors = meta.errors;
            s.health = meta.health;
            s
        })
        .collect();
    Ok(HlogSnapshots {
        start_unix_ms,
        snapshots,
        notes,
    })
}

/// A slot's metadata, or for a plain HdrHistogram log's interval (no
/// comment) the `n`th interval's with zero counters, gauges and health.
fn slot_meta(
    n: u64,
    offset_ms: u64,
    meta: &Option<IntervalMeta>,
    length_ms: u64,
    start_unix_ms: Option<u64>,
) -> IntervalMeta {
    meta.clone().unwrap_or_else(|| IntervalMeta {
        index: n,
        start_offset_ms: offset_ms,
        start_unix_ms: start_unix_ms.unwrap_or(0) + offset_ms,
        length_ms,
        counters: BTreeMap::new(),
        errors: BTreeMap::new(),
        gauges: BTreeMap::new(),
        health: GeneratorHealth::default(),
    })
}

/// The `#agentload-interval` comments, each opening its interval's slot.
fn read_interval_comments(bytes: &[u8], origin: &str, notes: &mut Vec<String>) -> Slots {
    let mut slots = Slots::new();
    for line in bytes.split(|&b| b == b'\n') {
        let Some(json) = line.strip_prefix(META_PREFIX.as_bytes()) else {
            continue;
        };
        match serde_json::from_slice::<IntervalMeta>(json) {
            Ok(meta) => {
                let slot = slots.entry(meta.start_offset_ms).or_default();
                slot.length_ms = meta.length_ms;
                slot.meta = Some(meta);
            }
            Err(e) => notes.push(format!(
                "{origin}: skipped a damaged interval comment ({e})"
            )),
        }
    }
    slots
}

/// Merges every histogram line into its interval's slot, up to the first
/// unreadable line; returns the log's `#[StartTime]`.
fn read_histograms(
    bytes: &[u8],
    origin: &str,
    slots: &mut Slots,
    notes: &mut Vec<String>,
) -> Option<Duration> {
    let mut start_time = None;
    let mut base_time = None;
    let mut unknown_tags = 0u64;
    let mut deserializer = Deserializer::new();
    for entry in IntervalLogIterator::new(bytes) {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                notes.push(format!(
                    "{origin}: unreadable from byte {} on ({e:?}); kept the intervals before it (a run killed mid-write ends like this)",
                    error_offset(&e)
                ));
                break;
            }
        };
        let ih = match entry {
            LogEntry::StartTime(t) => {
                start_time = Some(t);
                continue;
            }
            LogEntry::BaseTime(t) => {
                base_time = Some(t);
                continue;
            }
            LogEntry::Interval(ih) => ih,
        };
        let Some(m) = ih.tag().and_then(|t| Measure::from_name(t.as_str())) else {
            unknown_tags += 1;
            continue;
        };
        // Timestamps are relative to BaseTime when there is one; offsets
        // are counted from StartTime.
        let absolute = base_time.unwrap_or_default() + ih.start_timestamp();
        let origin_time = start_time.or(base_time).unwrap_or_default();
        let offset_ms = absolute.saturating_sub(origin_time).as_millis() as u64;
        match decode(ih.encoded_histogram(), &mut deserializer) {
            Ok(h) => {
                let slot = slots.entry(offset_ms).or_default();
                if slot.length_ms == 0 {
                    slot.length_ms = ih.duration().as_millis() as u64;
                }
                merge_clamped(
                    slot.histograms
                        .entry(m.index())
                        .or_insert_with(new_histogram),
                    &h,
                );
            }
            Err(e) => notes.push(format!(
                "{origin}: skipped an undecodable {} histogram at {} ({e})",
                m.name(),
                format::duration_ms(offset_ms)
            )),
        }
    }
    if unknown_tags > 0 {
        notes.push(format!(
            "{origin}: ignored {unknown_tags} histograms whose tag is not a measurement name"
        ));
    }
    start_time
}

fn error_offset(e: &LogIteratorError) -> usize {
    match e {
        LogIteratorError::ParseError { offset } => *offset,
    }
}

/// A histogram line's base64 V2 (deflate) payload.
fn decode(encoded: &str, deserializer: &mut Deserializer) -> Result<Histogram<u64>, String> {
    let raw = base64_decode(encoded)?;
    deserializer
        .deserialize::<u64, _>(&mut &raw[..])
        .map_err(|e| format!("{e:?}"))
}

/// Adds `h` to `into`; values beyond the standard range are clamped by
/// re-recording.
fn merge_clamped(into: &mut Histogram<u64>, h: &Histogram<u64>) {
    if into.add(h).is_err() {
        for v in h.iter_recorded() {
            into.saturating_record_n(v.value_iterated_to(), v.count_at_value());
        }
    }
}

/// Every slot as an interval summary, in time order, and the whole-log
/// histograms per measurement.
fn summarise(
    slots: Slots,
    start_unix_ms: Option<u64>,
    origin: &str,
    notes: &mut Vec<String>,
) -> (Vec<IntervalSummary>, Vec<Histogram<u64>>) {
    let mut histograms = crate::metrics::histogram::new_histogram_set();
    let mut without_meta = 0;
    let intervals: Vec<IntervalSummary> = slots
        .into_iter()
        .enumerate()
        .map(|(n, (offset_ms, slot))| {
            for (index, h) in &slot.histograms {
                let _ = histograms[*index].add(h);
            }
            without_meta += usize::from(slot.meta.is_none());
            interval_summary(n as u64, offset_ms, slot, start_unix_ms)
        })
        .collect();
    if without_meta > 0 {
        notes.push(format!(
            "{origin}: {without_meta} intervals have histograms only (no agentload comment): their counters, errors, gauges and generator health are shown as 0"
        ));
    }
    (intervals, histograms)
}

/// One slot as the `n`th interval; a slot without its metadata comment (a
/// plain HdrHistogram log) gets zero counters, gauges and health.
fn interval_summary(
    n: u64,
    offset_ms: u64,
    slot: Slot,
    start_unix_ms: Option<u64>,
) -> IntervalSummary {
    let mut measures = vec![Percentiles::default(); Measure::ALL.len()];
    let mut encoded = vec![Vec::new(); Measure::ALL.len()];
    for (index, h) in &slot.histograms {
        measures[*index] = Percentiles::of(h);
        encoded[*index] = encode_histogram(h);
    }
    let meta = slot_meta(n, offset_ms, &slot.meta, slot.length_ms, start_unix_ms);
    let mut counters = vec![0; Counter::ALL.len()];
    for c in Counter::ALL {
        counters[c.index()] = meta.counters.get(c.name()).copied().unwrap_or(0);
    }
    let mut gauges = vec![0; Gauge::ALL.len()];
    for g in Gauge::ALL {
        gauges[g.index()] = meta.gauges.get(g.name()).copied().unwrap_or(0);
    }
    IntervalSummary {
        index: meta.index,
        start_offset_ms: meta.start_offset_ms,
        start_unix_ms: meta.start_unix_ms,
        length_ms: meta.length_ms,
        measures,
        counters,
        errors: meta.errors,
        gauges,
        health: meta.health,
        encoded,
    }
}

fn base64_decode(text: &str) -> Result<Vec<u8>, String> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests;
