//! What one interval measured: plain data handed from the collector to the
//! live view and the report writers.

use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::Histogram;

use super::health::GeneratorHealth;
use super::{Counter, Gauge, Measure};

/// Everything measured in one interval (1 s by default).
#[derive(Debug, Clone)]
pub struct IntervalSnapshot {
    /// 0 for the first interval of the run, then 1, 2, ...
    pub index: u64,
    /// When the interval began, counted from the run's start.
    pub start_offset: Duration,
    /// When the interval began, milliseconds since the Unix epoch (UTC).
    pub start_unix_ms: u64,
    /// How long the interval lasted (the last one may be shorter).
    pub length: Duration,
    /// One histogram per measurement (µs), indexed by [`Measure::index`].
    pub histograms: Vec<Histogram<u64>>,
    /// How much each counter grew in this interval, indexed by [`Counter::index`].
    pub counters: [u64; Counter::ALL.len()],
    /// Errors in this interval by kind (`timeout`, `http_503`, ...).
    pub errors: BTreeMap<String, u64>,
    /// Gauge values at the end of the interval, indexed by [`Gauge::index`].
    pub gauges: [i64; Gauge::ALL.len()],
    /// The load generator's own health over the interval.
    pub health: GeneratorHealth,
}

impl IntervalSnapshot {
    /// An interval in which nothing was measured.
    pub fn empty(index: u64, start_offset: Duration, start_unix_ms: u64, length: Duration) -> Self {
        IntervalSnapshot {
            index,
            start_offset,
            start_unix_ms,
            length,
            histograms: super::histogram::new_histogram_set(),
            counters: [0; Counter::ALL.len()],
            errors: BTreeMap::new(),
            gauges: [0; Gauge::ALL.len()],
            health: GeneratorHealth::default(),
        }
    }

    /// The histogram of one measurement.
    pub fn histogram(&self, m: Measure) -> &Histogram<u64> {
        &self.histograms[m.index()]
    }

    /// How much a counter grew in this interval.
    pub fn counter(&self, c: Counter) -> u64 {
        self.counters[c.index()]
    }

    /// A gauge's value at the end of the interval.
    pub fn gauge(&self, g: Gauge) -> i64 {
        self.gauges[g.index()]
    }

    /// Errors of every kind in this interval.
    pub fn error_total(&self) -> u64 {
        self.errors.values().sum()
    }
}
