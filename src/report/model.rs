//! The results of one run, as every report writer sees them. Writers are
//! pure functions from [`RunResults`] to bytes.
//!
//! The engine builds a [`RunResults`] by feeding every interval to a
//! [`RunAccumulator`]; `agentload report` rebuilds one from `summary.json`
//! and `histograms.hlog`.

use std::collections::BTreeMap;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use crate::metrics::histogram::new_histogram_set;
use crate::metrics::{Counter, Gauge, GeneratorHealth, IntervalSnapshot, Measure};

/// Facts about the run itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunInfo {
    /// Unique id of the run (also stamped into injected interactions).
    pub id: String,
    /// The profile's `name`.
    pub profile: String,
    /// The target's base URL (the embedded simulator's when none was given).
    pub target: String,
    /// Start, RFC 3339 UTC with milliseconds (`2026-11-24T14:00:00.000Z`).
    pub started_at: String,
    /// Start, milliseconds since the Unix epoch.
    pub start_unix_ms: u64,
    /// How long the run lasted, in milliseconds.
    pub duration_ms: u64,
    /// Peak number of agents the profile asked for.
    pub agents: u32,
    /// Length of one interval, in milliseconds.
    pub interval_ms: u64,
    /// `agentload` version that produced the run.
    pub tool_version: String,
}

impl RunInfo {
    /// Run info with the start given in ms since the epoch; `started_at` is derived.
    pub fn new(
        id: impl Into<String>,
        profile: impl Into<String>,
        target: impl Into<String>,
        start_unix_ms: u64,
        duration_ms: u64,
        agents: u32,
        interval_ms: u64,
    ) -> RunInfo {
        RunInfo {
            id: id.into(),
            profile: profile.into(),
            target: target.into(),
            started_at: format_utc_ms(start_unix_ms),
            start_unix_ms,
            duration_ms,
            agents,
            interval_ms,
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }
}

/// `p50`, `p99.9`: a percentile's column label.
pub fn percentile_label(q: f64) -> String {
    format!("p{q}")
}

/// Formats ms since the epoch as RFC 3339 UTC with milliseconds.
pub fn format_utc_ms(unix_ms: u64) -> String {
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_millis(unix_ms);
    humantime::format_rfc3339_millis(t).to_string()
}

/// The percentile summary of one measurement, in microseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Percentiles {
    /// Number of values recorded.
    pub count: u64,
    /// Smallest value.
    pub min_us: u64,
    /// Arithmetic mean, rounded to 0.1 µs.
    pub mean_us: f64,
    /// Median.
    pub p50_us: u64,
    /// 90th percentile.
    pub p90_us: u64,
    /// 95th percentile.
    pub p95_us: u64,
    /// 99th percentile.
    pub p99_us: u64,
    /// 99.9th percentile.
    pub p999_us: u64,
    /// Largest value (HdrHistogram precision).
    pub max_us: u64,
}

impl Percentiles {
    /// Summarises a histogram; all zeros when it is empty.
    pub fn of(h: &Histogram<u64>) -> Percentiles {
        if h.is_empty() {
            return Percentiles::default();
        }
        Percentiles {
            count: h.len(),
            min_us: h.min(),
            mean_us: (h.mean() * 10.0).round() / 10.0,
            p50_us: h.value_at_quantile(0.50),
            p90_us: h.value_at_quantile(0.90),
            p95_us: h.value_at_quantile(0.95),
            p99_us: h.value_at_quantile(0.99),
            p999_us: h.value_at_quantile(0.999),
            max_us: h.max(),
        }
    }

    /// A statistic by its name in gates and compare (`p50`, `p90`, `p95`,
    /// `p99`, `p999`, `min`, `max`, `mean`, `count`).
    pub fn stat(&self, name: &str) -> Option<f64> {
        Some(match name {
            "count" => self.count as f64,
            "min" => self.min_us as f64,
            "mean" => self.mean_us,
            "p50" => self.p50_us as f64,
            "p90" => self.p90_us as f64,
            "p95" => self.p95_us as f64,
            "p99" => self.p99_us as f64,
            "p999" => self.p999_us as f64,
            "max" => self.max_us as f64,
            _ => return None,
        })
    }

    /// The statistic names [`Percentiles::stat`] knows, in report order.
    pub const STATS: [&'static str; 9] = [
        "count", "min", "mean", "p50", "p90", "p95", "p99", "p999", "max",
    ];
}

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

/// The generator's health over the whole run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GeneratorSummary {
    /// Highest resident memory seen at an interval's end.
    pub peak_rss_bytes: u64,
    /// CPU time (user + system) the process used.
    pub cpu_seconds: f64,
    /// Highest CPU use of any interval, percent of all cores.
    pub peak_cpu_percent: f64,
    /// 99th percentile scheduler lag over the run (the worst interval's p99).
    pub scheduler_lag_p99_us: u64,
    /// Worst scheduler lag seen.
    pub scheduler_lag_max_us: u64,
    /// Intervals in which the generator itself was saturated.
    pub doubtful_intervals: u64,
    /// True when [`GeneratorSummary::is_doubtful`] held for the run: its
    /// latencies may include the generator's own delay.
    #[serde(default)]
    pub doubtful: bool,
}

impl GeneratorSummary {
    /// True when the generator was saturated often enough (over 5 % of
    /// intervals) that its latencies must be read with care.
    pub fn is_doubtful(&self, intervals: usize) -> bool {
        self.doubtful_intervals > 0 && self.doubtful_intervals * 20 > intervals as u64
    }
}

/// Where in the run a gate failed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FailedWindow {
    /// Window start, ms after the run's start.
    pub start_offset_ms: u64,
    /// Window end, ms after the run's start.
    pub end_offset_ms: u64,
}

/// The verdict of one gate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GateResult {
    /// The rule as written (`invite_delivery.p99 < 250ms`).
    pub rule: String,
    /// What was measured, in the rule's unit (`312ms`, `0.05%`, `12.5/s`);
    /// for a windowed rule, the worst window's value.
    pub observed: String,
    /// The rule's bound (`< 250ms`).
    pub expected: String,
    /// True when the rule held.
    pub passed: bool,
    /// For windowed rules: the first window where it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<FailedWindow>,
    /// Why the rule could not be judged, when it could not (e.g. no data).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// One statistic compared between a baseline and a new run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComparisonRow {
    /// Measurement name (`invite_delivery`).
    pub metric: String,
    /// Statistic (`p50`, `p95`, `p99`, ...).
    pub stat: String,
    /// Baseline value in µs.
    pub baseline_us: f64,
    /// New value in µs.
    pub new_us: f64,
    /// Relative change in percent (+ is slower); 0 when the baseline is 0.
    pub change_pct: f64,
    /// True when this row is a regression beyond the allowed bound and floor.
    pub regressed: bool,
}

impl ComparisonRow {
    /// Baseline and new value as text: `count` rows (a measurement one run
    /// lacks) are plain numbers, every other row a latency written by `latency`.
    pub fn values(&self, latency: impl Fn(f64) -> String) -> (String, String) {
        if self.stat == "count" {
            (
                format!("{:.0}", self.baseline_us),
                format!("{:.0}", self.new_us),
            )
        } else {
            (latency(self.baseline_us), latency(self.new_us))
        }
    }
}

/// A run compared with a baseline run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaselineComparison {
    /// What the baseline was (its path or run id).
    pub baseline: String,
    /// Largest allowed relative slowdown, percent.
    pub max_regression_pct: f64,
    /// Changes smaller than this (µs) never count as a regression.
    pub floor_us: u64,
    /// Every compared statistic.
    pub rows: Vec<ComparisonRow>,
    /// True when no row regressed.
    pub passed: bool,
}

/// The trend of one per-interval series over the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Drift {
    /// The series (`invite_delivery.p99`, `connect_cycle.p99`, `errors.rate`).
    pub series: String,
    /// Theil-Sen slope relative to the series' median, percent per hour.
    pub pct_per_hour: f64,
    /// The series' median (µs, or errors per second).
    pub median: f64,
    /// Number of intervals the estimate used.
    pub intervals: usize,
}

/// The measurements that are one request each, the denominator of the error
/// rate. `connect_held` is a subset of `connect_cycle`, `connect_gap` is no
/// request, and `invite_delivery` is a notification, so they do not count.
pub const REQUEST_MEASURES: [Measure; 8] = [
    Measure::Handshake,
    Measure::Subscribe,
    Measure::SessionStart,
    Measure::Ready,
    Measure::ConnectCycle,
    Measure::Accept,
    Measure::Reject,
    Measure::Complete,
];

impl IntervalSummary {
    /// Requests in this interval (see [`REQUEST_MEASURES`]).
    pub fn requests(&self) -> u64 {
        REQUEST_MEASURES
            .iter()
            .map(|&m| self.measure(m).count)
            .sum()
    }
}

/// Everything one run measured and decided.
#[derive(Debug, Clone)]
pub struct RunResults {
    /// Facts about the run.
    pub run: RunInfo,
    /// Every completed interval, in order.
    pub intervals: Vec<IntervalSummary>,
    /// Whole-run percentiles per measurement, indexed by [`Measure::index`].
    pub measures: Vec<Percentiles>,
    /// Whole-run histograms per measurement (indexed by [`Measure::index`]),
    /// when available (absent when rebuilt from `summary.json` alone).
    pub histograms: Option<Vec<Histogram<u64>>>,
    /// Whole-run counter totals, indexed by [`Counter::index`].
    pub counters: Vec<u64>,
    /// Whole-run errors by kind.
    pub errors: BTreeMap<String, u64>,
    /// The generator's health over the run.
    pub generator: GeneratorSummary,
    /// Trends of the key series over the run.
    pub drift: Vec<Drift>,
    /// Every gate's verdict.
    pub gates: Vec<GateResult>,
    /// The comparison with a baseline, when one was given.
    pub baseline: Option<BaselineComparison>,
    /// Remarks for the reader (generator saturated, pieces missing when rebuilt, ...).
    pub notes: Vec<String>,
    /// The profile the run used, as resolved TOML, when known (shown in
    /// `report.html`; kept in `summary.json` so `agentload report` has it).
    pub profile_toml: Option<String>,
    /// True when every gate and the baseline comparison passed.
    pub passed: bool,
}

impl RunResults {
    /// The percentiles the summary tables show: the profile's `[report]
    /// percentiles` when its text is known and sets them, else `fallback`.
    pub fn shown_percentiles(&self, fallback: &[f64]) -> Vec<f64> {
        let from_profile = || -> Option<Vec<f64>> {
            let doc: toml::Table = self.profile_toml.as_deref()?.parse().ok()?;
            let list = doc.get("report")?.get("percentiles")?.as_array()?;
            list.iter()
                .map(|v| v.as_float().or_else(|| v.as_integer().map(|i| i as f64)))
                .collect()
        };
        from_profile()
            .filter(|l| !l.is_empty())
            .unwrap_or_else(|| fallback.to_vec())
    }

    /// The `q`th percentile (0 < q <= 100) of a measurement over the run:
    /// from its histogram when kept, else from the stored statistics (p50,
    /// p90, p95, p99, p99.9, max); `None` when neither has it.
    pub fn percentile_us(&self, m: Measure, q: f64) -> Option<u64> {
        if let Some(h) = self.histogram(m) {
            return Some(h.value_at_quantile(q / 100.0));
        }
        let p = self.percentiles(m);
        let stored = [
            (50.0, p.p50_us),
            (90.0, p.p90_us),
            (95.0, p.p95_us),
            (99.0, p.p99_us),
            (99.9, p.p999_us),
            (100.0, p.max_us),
        ];
        stored
            .iter()
            .find(|(at, _)| (at - q).abs() < 1e-9)
            .map(|&(_, us)| us)
    }

    /// Whole-run percentiles of one measurement.
    pub fn percentiles(&self, m: Measure) -> Percentiles {
        self.measures.get(m.index()).copied().unwrap_or_default()
    }

    /// Whole-run histogram of one measurement, when available.
    pub fn histogram(&self, m: Measure) -> Option<&Histogram<u64>> {
        self.histograms.as_ref().and_then(|h| h.get(m.index()))
    }

    /// A counter's total.
    pub fn counter(&self, c: Counter) -> u64 {
        self.counters.get(c.index()).copied().unwrap_or(0)
    }

    /// Errors of every kind.
    pub fn error_total(&self) -> u64 {
        self.errors.values().sum()
    }

    /// Errors per operation: errors / (requests + errors), as a fraction
    /// (0.001 = 0.1 %); requests are the values of [`REQUEST_MEASURES`].
    pub fn error_ratio(&self) -> f64 {
        let ops: u64 = REQUEST_MEASURES
            .iter()
            .map(|&m| self.percentiles(m).count)
            .sum();
        let errors = self.error_total();
        if ops + errors == 0 {
            0.0
        } else {
            errors as f64 / (ops + errors) as f64
        }
    }

    /// Run length in seconds (never zero).
    pub fn seconds(&self) -> f64 {
        self.run.duration_ms.max(1) as f64 / 1000.0
    }

    /// Sets the verdicts and recomputes [`RunResults::passed`].
    pub fn set_verdicts(&mut self, gates: Vec<GateResult>, baseline: Option<BaselineComparison>) {
        self.passed = gates.iter().all(|g| g.passed) && baseline.as_ref().is_none_or(|b| b.passed);
        self.gates = gates;
        self.baseline = baseline;
    }
}

/// Builds [`RunResults`] from the interval snapshots as they arrive, so the
/// engine never keeps full histograms per interval.
pub struct RunAccumulator {
    keep: [bool; Measure::ALL.len()],
    intervals: Vec<IntervalSummary>,
    histograms: Vec<Histogram<u64>>,
    counters: Vec<u64>,
    errors: BTreeMap<String, u64>,
    generator: GeneratorSummary,
}

impl Default for RunAccumulator {
    fn default() -> Self {
        RunAccumulator::new()
    }
}

impl RunAccumulator {
    /// An empty accumulator that keeps every interval's histograms (encoded,
    /// a few hundred bytes to a few KB per interval): fine for short runs and
    /// tests. Long runs should use [`RunAccumulator::for_gates`].
    pub fn new() -> RunAccumulator {
        RunAccumulator::keeping([true; Measure::ALL.len()])
    }

    /// An empty accumulator that keeps per-interval histograms only for the
    /// measurements windowed gates need, so a long soak's memory grows by
    /// about 1 KB per interval (percentiles, counters, gauges).
    pub fn for_gates(gates: &[crate::report::gate::Gate]) -> RunAccumulator {
        let mut keep = [false; Measure::ALL.len()];
        for m in gates.iter().filter_map(|g| g.windowed_measure()) {
            keep[m.index()] = true;
        }
        RunAccumulator::keeping(keep)
    }

    fn keeping(keep: [bool; Measure::ALL.len()]) -> RunAccumulator {
        RunAccumulator {
            keep,
            intervals: Vec::new(),
            histograms: new_histogram_set(),
            counters: vec![0; Counter::ALL.len()],
            errors: BTreeMap::new(),
            generator: GeneratorSummary::default(),
        }
    }

    /// Adds one interval.
    pub fn add(&mut self, s: &IntervalSnapshot) {
        for (into, from) in self.histograms.iter_mut().zip(&s.histograms) {
            if !from.is_empty() {
                // Standard shape everywhere; a mismatch would be a bug upstream.
                let _ = into.add(from);
            }
        }
        self.add_summary(IntervalSummary::keeping(s, &self.keep));
    }

    /// Adds an interval already summarised (used when rebuilding from files).
    pub fn add_summary(&mut self, summary: IntervalSummary) {
        for (total, n) in self.counters.iter_mut().zip(&summary.counters) {
            *total += n;
        }
        for (kind, n) in &summary.errors {
            *self.errors.entry(kind.clone()).or_insert(0) += n;
        }
        let h = &summary.health;
        let g = &mut self.generator;
        g.peak_rss_bytes = g.peak_rss_bytes.max(h.rss_bytes);
        g.cpu_seconds = g.cpu_seconds.max(h.cpu_seconds);
        g.peak_cpu_percent = g.peak_cpu_percent.max(h.cpu_percent);
        g.scheduler_lag_p99_us = g.scheduler_lag_p99_us.max(h.scheduler_lag_p99_us);
        g.scheduler_lag_max_us = g.scheduler_lag_max_us.max(h.scheduler_lag_max_us);
        g.doubtful_intervals += u64::from(h.is_doubtful());
        self.intervals.push(summary);
    }

    /// Merges a whole-run histogram piece (used when rebuilding from an hlog).
    pub fn add_histogram(&mut self, m: Measure, h: &Histogram<u64>) {
        let _ = self.histograms[m.index()].add(h);
    }

    /// `(run length ms, first interval's length ms, first interval's start
    /// ms since the epoch)` of the intervals added so far.
    pub fn span(&self) -> (u64, u64, Option<u64>) {
        let end = self
            .intervals
            .iter()
            .map(|i| i.start_offset_ms + i.length_ms)
            .max()
            .unwrap_or(0);
        let first = self.intervals.first();
        (
            end,
            first.map_or(1000, |i| i.length_ms),
            first.map(|i| i.start_unix_ms.saturating_sub(i.start_offset_ms)),
        )
    }

    /// The results, without verdicts yet (`passed` is true until gates are set
    /// with [`RunResults::set_verdicts`]). Drift is computed here.
    pub fn finish(mut self, run: RunInfo) -> RunResults {
        let mut notes = Vec::new();
        self.generator.doubtful = self.generator.is_doubtful(self.intervals.len());
        if self.generator.doubtful {
            notes.push(format!(
                "The load generator was saturated in {} of {} intervals (scheduler lag p99 up to {} µs, CPU up to {:.0} %): latencies may include the generator's own delay.",
                self.generator.doubtful_intervals,
                self.intervals.len(),
                self.generator.scheduler_lag_p99_us,
                self.generator.peak_cpu_percent
            ));
        }
        let drift = super::drift::run_drift(&self.intervals);
        RunResults {
            run,
            measures: self.histograms.iter().map(Percentiles::of).collect(),
            histograms: Some(self.histograms),
            intervals: self.intervals,
            counters: self.counters,
            errors: self.errors,
            generator: self.generator,
            drift,
            gates: Vec::new(),
            baseline: None,
            notes,
            profile_toml: None,
            passed: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures::{example_run_info, example_snapshots};

    #[test]
    fn a_saturated_generator_is_said_prominently() {
        let mut acc = RunAccumulator::new();
        for (n, mut s) in example_snapshots().into_iter().enumerate() {
            if n % 2 == 0 {
                s.health.scheduler_lag_p99_us = 120_000;
            }
            acc.add(&s);
        }
        let r = acc.finish(example_run_info());
        assert!(r.generator.doubtful);
        assert_eq!(r.generator.doubtful_intervals, 6);
        assert!(
            r.notes[0].contains("saturated in 6 of 12 intervals"),
            "{:?}",
            r.notes
        );

        let calm = RunResults::example();
        assert!(!calm.generator.doubtful && calm.notes.is_empty());
    }

    #[test]
    fn verdicts_decide_passed() {
        let mut r = RunResults::example();
        let ok = GateResult {
            rule: "x == 0".into(),
            observed: "0".into(),
            expected: "== 0".into(),
            passed: true,
            window: None,
            note: None,
        };
        r.set_verdicts(vec![ok.clone()], None);
        assert!(r.passed);
        let mut bad = ok;
        bad.passed = false;
        r.set_verdicts(vec![bad], None);
        assert!(!r.passed);
    }
}
