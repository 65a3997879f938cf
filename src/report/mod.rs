//! Every output of a run, each a pure function from [`RunResults`] to bytes
//! (one file per format), plus gates, drift and baseline comparison.

pub mod drift;
pub mod fixtures;
pub mod html;
pub mod junit;
pub mod markdown;
pub mod model;
pub mod svg;

pub use model::{
    BaselineComparison, ComparisonRow, Drift, FailedWindow, GateResult, GeneratorSummary,
    IntervalSummary, Percentiles, RunAccumulator, RunInfo, RunResults,
};
