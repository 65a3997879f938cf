//! Where an agent's measurements meet the run's [`Metrics`]: the one place,
//! so another consumer of the same latencies (the Goose adapter) taps them
//! here instead of the protocol or the agent flow being written twice.

use std::sync::Arc;
use std::time::Duration;

use super::effect::Measurement;
use crate::metrics::{Measure, Metrics};
use crate::shard::SeqRecorder;

/// A second consumer of one agent's latencies, besides the run's
/// [`Metrics`]. Called on the agent's hot path (every connect cycle), so an
/// implementation only hands the value over (a push under an uncontended
/// lock, a channel send) and does its work elsewhere.
pub trait Tap: Send + Sync + 'static {
    /// One latency of `measure`, just recorded into the run's metrics.
    fn measured(&self, measure: Measure, latency: Duration);
}

/// Takes the measurements of one agent (its state machine, its actions, its
/// log-in, its Bayeux exchanges) into the run's metrics, and its latencies to
/// a [`Tap`] too when it has one.
#[derive(Clone)]
pub struct Sink {
    metrics: Arc<Metrics>,
    tap: Option<Arc<dyn Tap>>,
    /// A shard's record of first offers.
    seqs: Option<Arc<SeqRecorder>>,
}

impl Sink {
    /// Measurements go into `metrics`.
    pub fn new(metrics: Arc<Metrics>) -> Sink {
        Sink {
            metrics,
            tap: None,
            seqs: None,
        }
    }

    /// Measurements go into `metrics`, and every latency also to `tap`.
    pub fn tapped(metrics: Arc<Metrics>, tap: Arc<dyn Tap>) -> Sink {
        Sink {
            metrics,
            tap: Some(tap),
            seqs: None,
        }
    }

    /// First offers also go to a shard's `seqs` when there is one.
    pub fn recording(mut self, seqs: Option<Arc<SeqRecorder>>) -> Sink {
        self.seqs = seqs;
        self
    }

    /// Takes one measurement.
    pub fn apply(&self, measurement: Measurement) {
        let metrics = &self.metrics;
        match measurement {
            Measurement::Record(measure, latency) => {
                metrics.record(measure, latency);
                if let Some(tap) = &self.tap {
                    tap.measured(measure, latency);
                }
            }
            Measurement::Count(counter, n) => metrics.count(counter, n),
            Measurement::Gauge(gauge, delta) => metrics.add_gauge(gauge, delta),
            Measurement::Error(kind) => metrics.error(kind),
            Measurement::FirstOffer { seq, delivery_us } => {
                if let Some(seqs) = &self.seqs {
                    seqs.offered(seq, delivery_us);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::metrics::Counter;

    #[derive(Default)]
    struct Kept(Mutex<Vec<(Measure, Duration)>>);

    impl Tap for Kept {
        fn measured(&self, measure: Measure, latency: Duration) {
            self.0.lock().unwrap().push((measure, latency));
        }
    }

    #[test]
    fn a_tapped_sink_records_as_before_and_hands_every_latency_to_its_tap() {
        let metrics = Metrics::new();
        let tap = Arc::new(Kept::default());
        let sink = Sink::tapped(metrics.clone(), tap.clone());
        sink.apply(Measurement::Record(
            Measure::InviteDelivery,
            Duration::from_millis(3),
        ));
        sink.apply(Measurement::Count(Counter::InvitesOffered, 1));
        let snapshot = metrics.take_interval();
        assert_eq!(snapshot.histogram(Measure::InviteDelivery).len(), 1);
        assert_eq!(snapshot.counter(Counter::InvitesOffered), 1);
        // Counts are not latencies: only the recorded latency reaches the tap.
        let kept = tap.0.lock().unwrap();
        assert_eq!(*kept, [(Measure::InviteDelivery, Duration::from_millis(3))]);
    }
}
