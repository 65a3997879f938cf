//! Gates: pass/fail rules over a run's results, from the profile's
//! `[[gates]]` and the command line's `--gate`.
//!
//! A rule is `SUBJECT [drift] OP VALUE[UNIT] [WINDOW]`:
//! - `invite_delivery.p99 < 250ms`: a measurement's statistic (`p50`, `p90`,
//!   `p95`, `p99`, `p999`, `min`, `max`, `mean` with a duration unit; `count`
//!   bare; `rate` in `/s`);
//! - `interactions_lost == 0`, `invites_offered.rate > 10/s`: a counter's
//!   total or rate per second;
//! - `errors.rate < 0.1%` (errors per operation), `errors.rate < 2/s`,
//!   `errors == 0`, `errors.http_503 < 10`: errors, all or of one kind;
//! - `invite_delivery.p99 drift < 20%/h`: the Theil-Sen trend over the run;
//! - a window: `over 1m` (every sliding one-minute window must pass) or
//!   `each interval`.

mod eval;
mod parse;

use serde::{Deserialize, Serialize};

pub use eval::{evaluate, evaluate_all};
pub use parse::{Gate, GateParseError, format_micros};

/// A gate as written in a profile: `[[gates]]` tables with a `rule` (and an
/// optional description), or plain strings in `gates = ["..."]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum GateSpec {
    /// `"invite_delivery.p99 < 250ms"`.
    Rule(String),
    /// `{ rule = "invite_delivery.p99 < 250ms", description = "..." }`.
    Table(GateTable),
}

/// The table form of a profile gate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GateTable {
    /// The rule, e.g. `invite_delivery.p99 < 250ms over 1m`.
    pub rule: String,
    /// Why the gate exists (shown in reports).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl GateSpec {
    /// The rule text.
    pub fn rule(&self) -> &str {
        match self {
            GateSpec::Rule(rule) => rule,
            GateSpec::Table(t) => &t.rule,
        }
    }

    /// Parses the rule (use it to validate a profile before the run starts).
    pub fn parse(&self) -> Result<Gate, GateParseError> {
        Gate::parse(self.rule())
    }
}

/// Parses every rule, failing on the first malformed one with an input
/// error (exit code 2) that names it.
pub fn parse_all<'a>(
    rules: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<Gate>, crate::error::Error> {
    rules
        .into_iter()
        .map(|r| Gate::parse(r).map_err(|e| crate::error::Error::input(e.to_string())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Profile {
        gates: Vec<GateSpec>,
    }

    #[test]
    fn profile_gates_as_tables_or_strings() {
        let p: Profile = toml::from_str(
            r#"
            [[gates]]
            rule = "invite_delivery.p99 < 250ms"
            description = "agents see invites fast"
            [[gates]]
            rule = "interactions_lost == 0"
            "#,
        )
        .unwrap();
        assert_eq!(p.gates.len(), 2);
        assert_eq!(p.gates[0].rule(), "invite_delivery.p99 < 250ms");
        assert!(p.gates[1].parse().is_ok());
        let p: Profile = toml::from_str(r#"gates = ["errors.rate < 0.1%"]"#).unwrap();
        assert!(p.gates[0].parse().is_ok());
        assert!(toml::from_str::<Profile>("[[gates]]\nrul = \"x\"\n").is_err());
    }
}
