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

/// What one compared row shows: how the new run stands against the baseline.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RowVerdict {
    /// Worse beyond the allowed bound, and significantly so: fails.
    Regressed,
    /// Better beyond the allowed bound, and significantly so.
    Improved,
    /// Within the allowed bound.
    Unchanged,
    /// Beyond the bound, but within what chance makes of these sample counts.
    Noise,
    /// Too few values in either run for the interval to exist (also what a
    /// row of an older summary without a verdict reads as).
    #[default]
    NotEnoughData,
    /// The runs cannot be compared on this row (a saturated generator).
    NotComparable,
}

impl RowVerdict {
    /// Every verdict, in report order.
    pub const ALL: [RowVerdict; 6] = [
        RowVerdict::Regressed,
        RowVerdict::Improved,
        RowVerdict::Unchanged,
        RowVerdict::Noise,
        RowVerdict::NotEnoughData,
        RowVerdict::NotComparable,
    ];

    /// The verdict as reports write it (`not enough data`).
    pub fn label(self) -> &'static str {
        match self {
            RowVerdict::Regressed => "regressed",
            RowVerdict::Improved => "improved",
            RowVerdict::Unchanged => "unchanged",
            RowVerdict::Noise => "noise",
            RowVerdict::NotEnoughData => "not enough data",
            RowVerdict::NotComparable => "not comparable",
        }
    }
}

/// What a compared value measures, which decides how it is written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RowUnit {
    /// A latency in µs (percentile rows).
    #[default]
    Us,
    /// A proportion, 0 to 1 (error rate, share of interactions lost).
    Fraction,
    /// Events per second (throughput).
    PerSecond,
    /// A plain count.
    Count,
}

impl RowUnit {
    /// A value of this unit as text.
    pub fn text(self, v: f64) -> String {
        match self {
            RowUnit::Us => format::latency_us(v),
            RowUnit::Fraction => format::percent(v),
            RowUnit::PerSecond => format::rate(v),
            RowUnit::Count => format::number(v),
        }
    }
}

/// One statistic compared between a baseline and a new run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComparisonRow {
    /// What is compared (`invite_delivery`, `errors`, `errors.http_503`,
    /// `invites_offered`, `generator`).
    pub metric: String,
    /// Statistic (`p50` ... `p999`, `count`, `rate`, `share`, `per_s`).
    pub stat: String,
    /// Unit of the values and bounds.
    #[serde(default)]
    pub unit: RowUnit,
    /// Baseline value.
    #[serde(alias = "baseline_us")]
    pub baseline: f64,
    /// New value.
    #[serde(alias = "new_us")]
    pub new: f64,
    /// The baseline value's confidence interval `[low, high]`, when it exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_interval: Option<[f64; 2]>,
    /// The new value's confidence interval, when it exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_interval: Option<[f64; 2]>,
    /// Relative change in percent (+ is a higher value); none when the
    /// baseline is 0.
    #[serde(default)]
    pub change_pct: Option<f64>,
    /// How the new run stands.
    #[serde(default)]
    pub verdict: RowVerdict,
    /// Why, when the verdict needs a reason (`generator saturated in the new run`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl ComparisonRow {
    /// Baseline and new value as text, in the row's unit.
    pub fn values(&self) -> (String, String) {
        (self.unit.text(self.baseline), self.unit.text(self.new))
    }

    /// The change as text: `+2.9%`, or `-` when the baseline is 0.
    pub fn change(&self) -> String {
        self.change_pct
            .map_or_else(|| "-".to_string(), format::change_percent)
    }

    /// Both intervals as text (`[2.1 ms, 3.4 ms] -> [2.0 ms, 3.9 ms]`), or
    /// `None` when neither exists.
    pub fn intervals(&self) -> Option<String> {
        if self.baseline_interval.is_none() && self.new_interval.is_none() {
            return None;
        }
        let text = |i: Option<[f64; 2]>| match i {
            Some([low, high]) => format!("[{}, {}]", self.unit.text(low), self.unit.text(high)),
            None => "[-]".to_string(),
        };
        Some(format!(
            "{} -> {}",
            text(self.baseline_interval),
            text(self.new_interval)
        ))
    }

    /// The `metric.stat` name the row goes by.
    pub fn name(&self) -> String {
        format!("{}.{}", self.metric, self.stat)
    }

    /// True when this row fails the comparison.
    pub fn regressed(&self) -> bool {
        self.verdict == RowVerdict::Regressed
    }
}

/// A run compared with a baseline run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaselineComparison {
    /// What the baseline was (its path or run id).
    pub baseline: String,
    /// Largest allowed relative change, percent.
    pub max_regression_pct: f64,
    /// Latency changes smaller than this (µs) never count as a regression.
    pub floor_us: u64,
    /// Confidence of every interval (0.99).
    #[serde(default)]
    pub confidence: f64,
    /// Every compared statistic.
    pub rows: Vec<ComparisonRow>,
    /// True when no row regressed.
    pub passed: bool,
}

impl BaselineComparison {
    /// How many rows have each verdict, in [`RowVerdict::ALL`] order,
    /// verdicts no row has left out: `[(regressed, 1), (unchanged, 40)]`.
    pub fn tally(&self) -> Vec<(RowVerdict, usize)> {
        RowVerdict::ALL
            .iter()
            .map(|&v| (v, self.rows.iter().filter(|r| r.verdict == v).count()))
            .filter(|&(_, n)| n > 0)
            .collect()
    }

    /// [`BaselineComparison::tally`] as text: `1 regressed, 40 unchanged`.
    pub fn tally_text(&self) -> String {
        let parts: Vec<String> = self
            .tally()
            .iter()
            .map(|(v, n)| format!("{n} {}", v.label()))
            .collect();
        if parts.is_empty() {
            "nothing compared".to_string()
        } else {
            parts.join(", ")
        }
    }
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
