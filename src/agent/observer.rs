//! Turns the Bayeux client's exchange reports into measurements, so the
//! protocol layer stays free of metrics.

use std::sync::Arc;
use std::time::Duration;

use super::effect::Measurement;
use super::sink::Sink;
use crate::bayeux::{ExchangeKind, ExchangeOutcome, Observer};
use crate::metrics::{Counter, ErrorKind, Gauge, Measure, Metrics};

/// Records handshake, subscribe, publish and connect timings of every
/// Bayeux client of a run (agents, subscribers, publishers; one agent's alone
/// when its sink is tapped), through the clients' [`Sink`].
pub struct MetricsObserver {
    sink: Sink,
}

impl MetricsObserver {
    /// Records into `metrics`.
    pub fn new(metrics: Arc<Metrics>) -> Self {
        MetricsObserver {
            sink: Sink::new(metrics),
        }
    }

    /// Records through `sink` (one agent's, with its tap).
    pub fn through(sink: Sink) -> Self {
        MetricsObserver { sink }
    }

    fn record(&self, measure: Measure, latency: Duration) {
        self.sink.apply(Measurement::Record(measure, latency));
    }
}

impl Observer for MetricsObserver {
    fn exchange(&self, kind: ExchangeKind, elapsed: Duration, outcome: ExchangeOutcome) {
        if let ExchangeOutcome::Failed(why) = outcome {
            self.sink
                .apply(Measurement::Error(ErrorKind::Exchange(why)));
        }
        let measure = match kind {
            ExchangeKind::Handshake => Measure::Handshake,
            ExchangeKind::Subscribe => Measure::Subscribe,
            ExchangeKind::Publish => Measure::Publish,
            ExchangeKind::Connect => {
                self.sink
                    .apply(Measurement::Gauge(Gauge::ConnectsInFlight, -1));
                if outcome == ExchangeOutcome::Held {
                    self.record(Measure::ConnectHeld, elapsed);
                }
                Measure::ConnectCycle
            }
            _ => return,
        };
        if !matches!(outcome, ExchangeOutcome::Failed(_)) || kind == ExchangeKind::Connect {
            self.record(measure, elapsed);
        }
    }

    fn connect_gap(&self, gap: Duration) {
        self.record(Measure::ConnectGap, gap);
    }

    fn connect_sent(&self) {
        self.sink
            .apply(Measurement::Gauge(Gauge::ConnectsInFlight, 1));
    }

    fn connect_cancelled(&self) {
        self.sink
            .apply(Measurement::Gauge(Gauge::ConnectsInFlight, -1));
    }

    fn rehandshake(&self, _reason: &'static str) {
        // The failure that caused it was already counted by `exchange`.
        self.sink
            .apply(Measurement::Count(Counter::Rehandshakes, 1));
    }
}
