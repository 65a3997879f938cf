//! Measurements: per-thread HdrHistogram recorders, counters, gauges, and the
//! per-interval snapshots they are merged into.

pub mod names;

pub use names::{Counter, Measure};
