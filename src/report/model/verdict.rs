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
