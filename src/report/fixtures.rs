//! Deterministic fake results for writers' tests (here and in other
//! modules). Built by recording fixed values through the real
//! [`Metrics`](crate::metrics::Metrics)-shaped snapshots, so every derived
//! figure is consistent.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::metrics::histogram::new_histogram_set;
use crate::metrics::{Counter, Gauge, GeneratorHealth, IntervalSnapshot, Measure};

use super::gate;
use super::model::{
    BaselineComparison, ComparisonRow, IntervalAccumulator, RowUnit, RowVerdict, RunInfo,
    RunResults,
};

/// Start of the example run: 2026-11-24T14:00:00.000Z.
pub const EXAMPLE_START_UNIX_MS: u64 = 1_795_528_800_000;

/// A small deterministic pseudo-random sequence (no dependency on `rand`'s
/// algorithm choices, so golden files stay stable).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % below.max(1)
    }
}

/// The example run's intervals: 12 one-second intervals in which the
/// `invite_delivery` latency slowly grows, a few errors, agents ramping up.
pub fn example_snapshots() -> Vec<IntervalSnapshot> {
    let mut rng = Lcg(42);
    // Its own sequence, so adding a measurement leaves the others' values alone.
    let mut injector_rng = Lcg(7);
    (0..12u64)
        .map(|i| {
            let mut histograms = new_histogram_set();
            let mut record = |m: Measure, n: u64, base: u64, spread: u64, rng: &mut Lcg| {
                for _ in 0..n {
                    histograms[m.index()].saturating_record(base + rng.next(spread));
                }
            };
            record(
                Measure::InviteDelivery,
                20,
                30_000 + i * 2_000,
                40_000,
                &mut rng,
            );
            record(Measure::ConnectCycle, 50, 900, 30_000, &mut rng);
            record(Measure::ConnectHeld, 5, 30_000_000, 20_000, &mut rng);
            record(Measure::ConnectGap, 50, 50, 400, &mut rng);
            record(Measure::Accept, 15, 4_000, 6_000, &mut rng);
            record(Measure::Reject, 5, 2_000, 3_000, &mut rng);
            record(Measure::Complete, 14, 2_500, 2_000, &mut rng);
            record(Measure::InjectionLag, 20, 20, 300, &mut injector_rng);
            if i < 3 {
                record(Measure::Handshake, 10, 1_500, 1_000, &mut rng);
                record(Measure::Subscribe, 20, 800, 500, &mut rng);
                record(Measure::SessionStart, 10, 3_000, 2_000, &mut rng);
                record(Measure::Ready, 10, 5_000, 4_000, &mut rng);
            }
            let mut counters = [0; Counter::ALL.len()];
            counters[Counter::InteractionsInjected.index()] = 20;
            counters[Counter::InvitesOffered.index()] = 20;
            counters[Counter::InvitesAccepted.index()] = 15;
            counters[Counter::InvitesRejected.index()] = 5;
            counters[Counter::InvitesRevoked.index()] = u64::from(i % 5 == 4);
            counters[Counter::InteractionsCompleted.index()] = 14;
            counters[Counter::Rehandshakes.index()] = u64::from(i == 7);
            let mut errors = BTreeMap::new();
            if i % 4 == 3 {
                errors.insert("http_503".to_string(), 1);
            }
            if i == 7 {
                errors.insert("unknown_client".to_string(), 1);
            }
            let agents = ((i + 1) * 10).min(30) as i64;
            let mut gauges = [0; Gauge::ALL.len()];
            gauges[Gauge::AgentsConnected.index()] = agents;
            gauges[Gauge::AgentsReady.index()] = agents - 2;
            gauges[Gauge::ConnectsInFlight.index()] = agents;
            gauges[Gauge::InteractionsInProgress.index()] = 4;
            IntervalSnapshot {
                index: i,
                start_offset: Duration::from_secs(i),
                start_unix_ms: EXAMPLE_START_UNIX_MS + i * 1000,
                length: Duration::from_secs(1),
                histograms,
                counters,
                errors,
                gauges,
                health: GeneratorHealth {
                    rss_bytes: 40_000_000 + i * 100_000,
                    cpu_seconds: 0.25 * (i + 1) as f64,
                    cpu_percent: 12.5,
                    scheduler_lag_p50_us: 150,
                    scheduler_lag_p99_us: 900 + i * 10,
                    scheduler_lag_max_us: 2_000,
                },
            }
        })
        .collect()
}

/// The example run's facts.
pub fn example_run_info() -> RunInfo {
    let mut info = RunInfo::new(
        "smoke-20261124T140000Z",
        "smoke",
        "http://127.0.0.1:8080",
        EXAMPLE_START_UNIX_MS,
        12_000,
        30,
        1000,
    );
    // Fixed so golden files do not change with the crate version.
    info.tool_version = "0.1.0".to_string();
    info
}

/// The example's profile text.
pub const EXAMPLE_PROFILE: &str =
    "name = \"smoke\"\n\n[agents]\ncount = 30\n\n[[gates]]\nrule = \"interactions_lost == 0\"\n";

/// The example's gates: the first passes, the second fails in a window.
pub const EXAMPLE_GATES: [&str; 2] = [
    "interactions_lost == 0",
    "invite_delivery.p99 < 80ms over 5s",
];

/// Example results with verdicts: one gate passes, one fails (in a window),
/// and a baseline comparison that passes; `passed` is false.
pub fn example() -> RunResults {
    let mut acc = IntervalAccumulator::new();
    for s in example_snapshots() {
        acc.add(&s);
    }
    let mut results = acc.finish(example_run_info());
    let rules = gate::parse_all(EXAMPLE_GATES).unwrap_or_else(|e| panic!("example gates: {e}"));
    let gates = gate::evaluate_all(&rules, &results);
    let baseline = BaselineComparison {
        baseline: "reports/smoke-20261123T140000Z".to_string(),
        max_regression_pct: 10.0,
        floor_us: 1000,
        confidence: 0.99,
        rows: vec![ComparisonRow {
            metric: "invite_delivery".to_string(),
            stat: "p99".to_string(),
            unit: RowUnit::Us,
            baseline: 70_000.0,
            new: 72_000.0,
            baseline_interval: Some([66_000.0, 75_000.0]),
            new_interval: Some([68_000.0, 77_000.0]),
            change_pct: Some(2.9),
            verdict: RowVerdict::Unchanged,
            note: None,
        }],
        passed: true,
    };
    results.set_verdicts(gates, Some(baseline));
    results.profile_toml = Some(EXAMPLE_PROFILE.to_string());
    results
}

impl RunResults {
    /// Deterministic example results for tests; see [`example`].
    #[doc(hidden)]
    pub fn example() -> RunResults {
        example()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_is_consistent_and_deterministic() {
        let r = example();
        assert_eq!(r.intervals.len(), 12);
        assert_eq!(r.percentiles(Measure::InviteDelivery).count, 240);
        assert_eq!(r.counter(Counter::InteractionsInjected), 240);
        assert_eq!(r.errors.get("http_503"), Some(&3));
        assert!(!r.passed);
        assert!(r.gates[0].passed);
        assert!(
            !r.gates[1].passed && r.gates[1].window.is_some(),
            "{:?}",
            r.gates[1]
        );
        assert_eq!(r.generator.peak_rss_bytes, 41_100_000);
        let again = example();
        assert_eq!(r.measures, again.measures);
        assert_eq!(r.intervals, again.intervals);
        // 12 s is too short to tell a drift.
        assert!(r.drift.is_empty());
    }
}
