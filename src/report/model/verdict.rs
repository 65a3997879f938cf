//! What was decided about a run: every gate's verdict, the comparison with
//! a baseline, and the drift of its key series.

use serde::{Deserialize, Serialize};

use crate::units::format;

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
    /// What was measured, as [`crate::units::format`] writes it (`312 ms`,
    /// `0.0500%`, `12.5/s`); for a windowed rule, the worst window's value.
    pub observed: String,
    /// The rule's bound as the rule writes it (`< 250ms`).
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
    /// lacks) are plain numbers, every other row a latency.
    pub fn values(&self) -> (String, String) {
        let text = if self.stat == "count" {
            format::number
        } else {
            format::latency_us
        };
        (text(self.baseline_us), text(self.new_us))
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

/// What a run came to, the first thing every output says (`summary.json`'s
/// top-level `verdict`). Only [`Verdict::Passed`] passes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The plan ran to its end, it did work, and every gate and the baseline
    /// comparison held.
    #[default]
    Passed,
    /// The plan ran, but a gate or the baseline comparison failed, or every
    /// agent died.
    Failed,
    /// A gate with `abort_on_fail` failed during the run, which was stopped.
    Aborted,
    /// A signal (SIGINT, SIGTERM) stopped the run before its plan ended, or
    /// the process ended without concluding (a rebuilt killed run).
    Interrupted,
    /// The run could not get going (no agent logged in, no work done): exit 3.
    NotRun,
    /// The run is still going: only in the `summary.json` written at its start.
    Running,
}

impl Verdict {
    /// The schema name (`not_run`).
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Passed => "passed",
            Verdict::Failed => "failed",
            Verdict::Aborted => "aborted",
            Verdict::Interrupted => "interrupted",
            Verdict::NotRun => "not_run",
            Verdict::Running => "running",
        }
    }

    /// The headline people read (`NOT RUN`).
    pub fn headline(self) -> &'static str {
        match self {
            Verdict::Passed => "PASSED",
            Verdict::Failed => "FAILED",
            Verdict::Aborted => "ABORTED",
            Verdict::Interrupted => "INTERRUPTED",
            Verdict::NotRun => "NOT RUN",
            Verdict::Running => "RUNNING",
        }
    }

    /// True for the verdicts that say the run itself did not complete its
    /// plan (junit.xml gives them a failing `run` test case).
    pub fn stopped_the_run(self) -> bool {
        matches!(
            self,
            Verdict::Aborted | Verdict::Interrupted | Verdict::NotRun | Verdict::Running
        )
    }
}

/// Why the gates and the baseline decided as they did, in one line.
pub fn judged_reason(gates: &[GateResult], baseline: Option<&BaselineComparison>) -> String {
    let failed: Vec<&str> = gates
        .iter()
        .filter(|g| !g.passed)
        .map(|g| g.rule.as_str())
        .collect();
    let slower = baseline.is_some_and(|b| !b.passed);
    match (failed.as_slice(), slower) {
        ([], false) if gates.is_empty() && baseline.is_none() => {
            "the plan ran to its end; no gate was set".to_string()
        }
        ([], false) => "the plan ran to its end and every gate held".to_string(),
        ([], true) => "slower than the baseline".to_string(),
        (rules, slower) => format!(
            "{} {} failed{}",
            if rules.len() == 1 { "gate" } else { "gates" },
            rules.join(", "),
            if slower {
                "; slower than the baseline"
            } else {
                ""
            }
        ),
    }
}
