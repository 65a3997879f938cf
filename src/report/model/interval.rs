//! One interval, summarised: percentiles, counters, errors, gauges and the
//! generator's health, plus the encoded histograms windowed gates merge.

use std::collections::BTreeMap;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use crate::metrics::{Counter, Gauge, GeneratorHealth, IntervalSnapshot, Measure};

use super::percentiles::Percentiles;
use super::run::REQUEST_MEASURES;

/// One interval, summarised (no full histograms, so long runs stay small).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntervalSummary {
    /// 0, 1, 2, ...
    pub index: u64,
    /// Start of the interval, ms after the run's start.
    pub start_offset_ms: u64,
    /// Start of the interval, ms since the Unix epoch.
    pub start_unix_ms: u64,
    /// Length of the interval in ms.
    pub length_ms: u64,
    /// Percentiles per measurement, indexed by [`Measure::index`].
    pub measures: Vec<Percentiles>,
    /// Counter increments in this interval, indexed by [`Counter::index`].
    pub counters: Vec<u64>,
    /// Errors in this interval by kind.
    pub errors: BTreeMap<String, u64>,
    /// Gauges at the end of the interval, indexed by [`Gauge::index`].
    pub gauges: Vec<i64>,
    /// The generator's health in this interval.
    pub health: GeneratorHealth,
    /// The interval's histograms, V2-encoded (not compressed), indexed by
    /// [`Measure::index`]; empty bytes for an empty histogram. Kept so
    /// windowed gates can merge intervals exactly; a few hundred bytes each.
    #[serde(skip)]
    pub encoded: Vec<Vec<u8>>,
}

impl IntervalSummary {
    /// Summarises a snapshot (and keeps its histograms in encoded form).
    pub fn of(s: &IntervalSnapshot) -> IntervalSummary {
        IntervalSummary::keeping(s, &[true; Measure::ALL.len()])
    }

    /// Summarises a snapshot, keeping encoded histograms only for the
    /// measurements whose flag (by [`Measure::index`]) is set.
    pub fn keeping(s: &IntervalSnapshot, keep: &[bool; Measure::ALL.len()]) -> IntervalSummary {
        IntervalSummary {
            index: s.index,
            start_offset_ms: s.start_offset.as_millis() as u64,
            start_unix_ms: s.start_unix_ms,
            length_ms: s.length.as_millis() as u64,
            measures: s.histograms.iter().map(Percentiles::of).collect(),
            counters: s.counters.to_vec(),
            errors: s.errors.clone(),
            gauges: s.gauges.to_vec(),
            health: s.health,
            encoded: s
                .histograms
                .iter()
                .zip(keep)
                .map(|(h, &k)| if k { encode_histogram(h) } else { Vec::new() })
                .collect(),
        }
    }

    /// Percentiles of one measurement in this interval.
    pub fn measure(&self, m: Measure) -> Percentiles {
        self.measures.get(m.index()).copied().unwrap_or_default()
    }

    /// A counter's increment in this interval.
    pub fn counter(&self, c: Counter) -> u64 {
        self.counters.get(c.index()).copied().unwrap_or(0)
    }

    /// A gauge at the end of this interval.
    pub fn gauge(&self, g: Gauge) -> i64 {
        self.gauges.get(g.index()).copied().unwrap_or(0)
    }

    /// Errors of every kind in this interval.
    pub fn error_total(&self) -> u64 {
        self.errors.values().sum()
    }

    /// Interval length in seconds (never zero, so rates stay finite).
    pub fn seconds(&self) -> f64 {
        (self.length_ms.max(1)) as f64 / 1000.0
    }

    /// A counter's rate per second in this interval.
    pub fn rate(&self, c: Counter) -> f64 {
        self.counter(c) as f64 / self.seconds()
    }

    /// Decodes one measurement's histogram of this interval; an empty one
    /// when it was not kept.
    pub fn histogram(&self, m: Measure) -> Histogram<u64> {
        self.encoded
            .get(m.index())
            .and_then(|bytes| decode_histogram(bytes))
            .unwrap_or_else(crate::metrics::histogram::new_histogram)
    }

    /// Requests in this interval (see [`REQUEST_MEASURES`]).
    pub fn requests(&self) -> u64 {
        REQUEST_MEASURES
            .iter()
            .map(|&m| self.measure(m).count)
            .sum()
    }
}

/// V2-encodes a histogram (empty bytes for an empty histogram).
pub fn encode_histogram(h: &Histogram<u64>) -> Vec<u8> {
    let mut out = Vec::new();
    if !h.is_empty() {
        // Serialising into a Vec cannot fail for a valid histogram.
        use hdrhistogram::serialization::Serializer as _;
        let _ = hdrhistogram::serialization::V2Serializer::new().serialize(h, &mut out);
    }
    out
}

/// Decodes [`encode_histogram`]'s bytes into a histogram of the standard shape.
pub fn decode_histogram(bytes: &[u8]) -> Option<Histogram<u64>> {
    if bytes.is_empty() {
        return None;
    }
    let h: Histogram<u64> = hdrhistogram::serialization::Deserializer::new()
        .deserialize(&mut &bytes[..])
        .ok()?;
    let mut standard = crate::metrics::histogram::new_histogram();
    standard.add(&h).ok()?;
    Some(standard)
}
