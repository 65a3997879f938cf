//! Turns the Bayeux client's exchange reports into measurements, so the
//! protocol layer stays free of metrics.

use std::sync::Arc;
use std::time::Duration;

use crate::bayeux::{ExchangeKind, ExchangeOutcome, Observer};
use crate::metrics::{Counter, ErrorKind, Gauge, Measure, Metrics};

/// Records handshake, subscribe, publish and connect timings of every
/// Bayeux client of a run (agents, subscribers, publishers).
pub struct MetricsObserver {
    metrics: Arc<Metrics>,
}

impl MetricsObserver {
    /// Records into `metrics`.
    pub fn new(metrics: Arc<Metrics>) -> Self {
        MetricsObserver { metrics }
    }
}

impl Observer for MetricsObserver {
    fn exchange(&self, kind: ExchangeKind, elapsed: Duration, outcome: ExchangeOutcome) {
        if let ExchangeOutcome::Failed(why) = outcome {
            self.metrics.error(ErrorKind::Exchange(why));
        }
        let measure = match kind {
            ExchangeKind::Handshake => Measure::Handshake,
            ExchangeKind::Subscribe => Measure::Subscribe,
            ExchangeKind::Publish => Measure::Publish,
            ExchangeKind::Connect => {
                self.metrics.add_gauge(Gauge::ConnectsInFlight, -1);
                if outcome == ExchangeOutcome::Held {
                    self.metrics.record(Measure::ConnectHeld, elapsed);
                }
                Measure::ConnectCycle
            }
            _ => return,
        };
        if !matches!(outcome, ExchangeOutcome::Failed(_)) || kind == ExchangeKind::Connect {
            self.metrics.record(measure, elapsed);
        }
    }

    fn connect_gap(&self, gap: Duration) {
        self.metrics.record(Measure::ConnectGap, gap);
    }

    fn connect_sent(&self) {
        self.metrics.add_gauge(Gauge::ConnectsInFlight, 1);
    }

    fn connect_cancelled(&self) {
        self.metrics.add_gauge(Gauge::ConnectsInFlight, -1);
    }

    fn rehandshake(&self, _reason: &'static str) {
        // The failure that caused it was already counted by `exchange`.
        self.metrics.count(Counter::Rehandshakes, 1);
    }
}
