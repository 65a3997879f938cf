//! Every output of a run, each a pure function from [`RunResults`] to bytes
//! (one file per format, behind the [`Export`] trait), plus gates, drift and
//! baseline comparison.

pub mod csv;
pub mod drift;
pub mod export;
pub mod fixtures;
pub mod gate;
pub mod hlog;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod model;
pub mod svg;
pub mod timeseries;

pub use export::Export;
pub use model::{
    BaselineComparison, ComparisonRow, Drift, FailedWindow, GateResult, GeneratorSummary,
    IntervalSummary, Percentiles, RunAccumulator, RunInfo, RunResults,
};
