//! Where an agent's measurements meet the run's [`Metrics`]: the one place,
//! so another consumer of the same measurements (a Goose adapter) plugs in
//! here.

use std::sync::Arc;

use super::effect::Measurement;
use crate::metrics::Metrics;

/// Takes the measurements of one agent (its state machine, its actions, its
/// log-in) into the run's metrics.
#[derive(Clone)]
pub struct Sink {
    metrics: Arc<Metrics>,
}

impl Sink {
    /// Measurements go into `metrics`.
    pub fn new(metrics: Arc<Metrics>) -> Sink {
        Sink { metrics }
    }

    /// Takes one measurement.
    pub fn apply(&self, measurement: Measurement) {
        let metrics = &self.metrics;
        match measurement {
            Measurement::Record(measure, latency) => metrics.record(measure, latency),
            Measurement::Count(counter, n) => metrics.count(counter, n),
            Measurement::Gauge(gauge, delta) => metrics.add_gauge(gauge, delta),
            Measurement::Error(kind) => metrics.error(kind),
        }
    }
}
