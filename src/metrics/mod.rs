//! Measurements: per-thread HdrHistogram recorders, counters, gauges, and the
//! per-interval snapshots they are merged into.
//!
//! The engine creates one [`Metrics`] per run, hands the `Arc` to every
//! agent, and calls [`Metrics::take_interval`] once per interval.

pub mod error_kind;
pub mod health;
pub mod histogram;
pub mod names;
mod paged;
mod recorder;
pub mod snapshot;

pub use error_kind::{Cause, ErrorKind, Step};
pub use health::GeneratorHealth;
pub use names::{Counter, Gauge, Measure};
pub use recorder::Metrics;
pub use snapshot::IntervalSnapshot;
