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

pub use eval::{evaluate, evaluate_all};
pub use parse::{Gate, GateParseError};

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
