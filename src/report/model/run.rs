//! The run itself: its identity ([`RunInfo`]) and everything it measured
//! and decided ([`RunResults`]), with the generator's health over it.

use std::collections::BTreeMap;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use crate::metrics::{Counter, Gauge, Measure};

use super::interval::IntervalSummary;
use super::percentiles::Percentiles;
use super::shards::ShardRow;
use super::verdict::{BaselineComparison, Drift, GateResult, Verdict, judged_reason};

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
    /// Most agents connected (a live Bayeux session) at once: what `agents`
    /// came to. 0 when none logged in.
    #[serde(default)]
    pub agents_connected_peak: u32,
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
            agents_connected_peak: 0,
            interval_ms,
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }
}

/// Formats ms since the epoch as RFC 3339 UTC with milliseconds.
pub fn format_utc_ms(unix_ms: u64) -> String {
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_millis(unix_ms);
    humantime::format_rfc3339_millis(t).to_string()
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

/// Confidence intervals `[low, high]` in µs of percentiles, by measurement
/// name then stat name.
pub type PercentileBounds = BTreeMap<String, BTreeMap<String, [u64; 2]>>;

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
    /// Confidence intervals (µs) of the whole-run percentiles, by
    /// measurement name then stat name (`p50` ... `p999`), for those with
    /// enough values: what `compare` judges noise by (see
    /// [`crate::report::compare::stats`]).
    pub percentile_bounds: PercentileBounds,
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
    /// True only when [`RunResults::verdict`] is [`Verdict::Passed`].
    pub passed: bool,
    /// What the run came to.
    pub verdict: Verdict,
    /// Why, in one line people read (`gate errors.total == 0 failed`).
    pub reason: String,
    /// The shards of a run merged by `agentload merge`, by index; empty for
    /// a run of one process.
    pub shards: Vec<ShardRow>,
    /// True when the merge went ahead without every shard
    /// (`--allow-partial`): the figures miss what the absent shards did.
    pub partial: bool,
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
        self.percentiles(m)
            .stored()
            .into_iter()
            .find(|(at, _)| (at - q).abs() < 1e-9)
            .map(|(_, us)| us)
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
        let ops = self.requests();
        let errors = self.error_total();
        if ops + errors == 0 {
            0.0
        } else {
            errors as f64 / (ops + errors) as f64
        }
    }

    /// Requests that got an answer: the values of [`REQUEST_MEASURES`].
    pub fn requests(&self) -> u64 {
        REQUEST_MEASURES
            .iter()
            .map(|&m| self.percentiles(m).count)
            .sum()
    }

    /// Run length in seconds (never zero).
    pub fn seconds(&self) -> f64 {
        self.run.duration_ms.max(1) as f64 / 1000.0
    }

    /// Sets the verdicts of the gates and the baseline, and from them the
    /// run's [`Verdict`] (passed or failed); a verdict that stopped the run
    /// (aborted, interrupted, not run) stays.
    pub fn set_verdicts(&mut self, gates: Vec<GateResult>, baseline: Option<BaselineComparison>) {
        let held = gates.iter().all(|g| g.passed) && baseline.as_ref().is_none_or(|b| b.passed);
        if !self.verdict.stopped_the_run() {
            let verdict = if held {
                Verdict::Passed
            } else {
                Verdict::Failed
            };
            self.conclude(verdict, judged_reason(&gates, baseline.as_ref()));
        }
        self.gates = gates;
        self.baseline = baseline;
    }

    /// Sets the run's verdict and its reason; `passed` follows.
    pub fn conclude(&mut self, verdict: Verdict, reason: impl Into<String>) {
        self.verdict = verdict;
        self.reason = reason.into();
        self.passed = verdict == Verdict::Passed;
    }

    /// Most agents connected at once, from the run's facts or its intervals.
    pub fn agents_connected_peak(&self) -> u32 {
        let seen = self
            .intervals
            .iter()
            .map(|i| i.gauge(Gauge::AgentsConnected).max(0) as u32)
            .max()
            .unwrap_or(0);
        seen.max(self.run.agents_connected_peak)
    }

    /// The agents started and those that came: `200 agents, 0
    /// connected at peak` (so a run nobody logged in to never reads as 200).
    pub fn agents_text(&self) -> String {
        format!(
            "{} agents, {} connected at peak",
            crate::units::format::count(u64::from(self.run.agents)),
            crate::units::format::count(u64::from(self.agents_connected_peak()))
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn a_run_stopped_early_keeps_its_verdict_whatever_the_gates() {
        let mut r = RunResults::example();
        r.set_verdicts(Vec::new(), None);
        assert_eq!(r.verdict, Verdict::Passed);
        assert!(r.passed);
        r.conclude(Verdict::Interrupted, "interrupted by SIGINT");
        r.set_verdicts(Vec::new(), None);
        assert_eq!(r.verdict, Verdict::Interrupted);
        assert!(!r.passed);
        assert_eq!(r.reason, "interrupted by SIGINT");
        r.conclude(Verdict::Failed, "every agent died");
        r.set_verdicts(Vec::new(), None);
        assert_eq!(r.verdict, Verdict::Passed, "failed is judged again");
    }
}
