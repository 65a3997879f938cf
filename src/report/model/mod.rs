//! The results of one run, as every report writer sees them. Writers are
//! pure functions from [`RunResults`] to bytes.
//!
//! The engine builds a [`RunResults`] by feeding every interval to a
//! [`IntervalAccumulator`]; `agentload report` rebuilds one from `summary.json`
//! and `histograms.hlog`. One file per kind of thing:
//! - [`run`]: the run's identity ([`RunInfo`]) and everything it measured
//!   and decided ([`RunResults`], [`GeneratorSummary`]);
//! - [`percentiles`]: the summary of one measurement's histogram;
//! - [`interval`]: one interval, summarised;
//! - [`verdict`]: what was decided about the run: gates, the baseline
//!   comparison, drift;
//! - [`accumulator`]: building the results interval by interval;
//! - [`accounting`]: how the interaction counters read (lost, foreign);
//! - [`shards`]: the shards a merged run was made of.

pub mod accounting;
pub mod accumulator;
pub mod interval;
pub mod percentiles;
pub mod run;
pub mod shards;
pub mod verdict;

pub use accumulator::IntervalAccumulator;
pub use interval::{IntervalSummary, decode_histogram, encode_histogram};
pub use percentiles::{Percentiles, percentile_label};
pub use run::{
    GeneratorSummary, PercentileBounds, REQUEST_MEASURES, RunInfo, RunResults, format_utc_ms,
};
pub use shards::ShardRow;
pub use verdict::{
    BaselineComparison, ComparisonRow, Drift, FailedWindow, GateResult, RowUnit, RowVerdict,
    Verdict, judged_reason,
};
