//! `[report]` and `[[gates]]`: what the outputs show and what must hold.

use serde::{Deserialize, Serialize};

use crate::units::HumanDuration;

/// Output settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReportSettings {
    /// Length of one measurement interval (time series, live view, hlog).
    pub interval: HumanDuration,
    /// Percentiles of the summary tables (console, `summary.md`), each in
    /// `(0, 100]`; `summary.json` and `report.html` always carry the fixed set.
    pub percentiles: Vec<f64>,
}

impl Default for ReportSettings {
    fn default() -> Self {
        ReportSettings {
            interval: HumanDuration(std::time::Duration::from_secs(1)),
            percentiles: vec![50.0, 90.0, 95.0, 99.0, 99.9],
        }
    }
}

/// One pass/fail rule, e.g. `invite_delivery.p99 < 250ms`. Kept as text
/// here; the report module parses and evaluates it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Gate {
    /// The rule.
    pub rule: String,
    /// Stop the run (verdict `aborted`) as soon as the rule fails on the
    /// figures measured so far (k6's `abortOnFail`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub abort_on_fail: bool,
    /// With `abort_on_fail`: the rule is not judged live before this much
    /// of the run has passed (a ramp's first seconds are no verdict).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub abort_after: Option<HumanDuration>,
}

impl Gate {
    /// A plain gate (`--gate RULE`): judged at the end only.
    pub fn plain(rule: impl Into<String>) -> Gate {
        Gate {
            rule: rule.into(),
            abort_on_fail: false,
            abort_after: None,
        }
    }
}
