//! [`Seen`]: a Bayeux client observer that remembers what the interop tests check.

use std::sync::Mutex;
use std::time::Duration;

use agentload::bayeux::{ExchangeKind, ExchangeOutcome, Observer};

/// Remembers every connect's outcome and every re-handshake's reason.
#[derive(Default)]
pub struct Seen {
    /// The outcome of each `/meta/connect`, in order.
    pub connects: Mutex<Vec<ExchangeOutcome>>,
    /// The reason of each re-handshake, in order.
    pub rehandshakes: Mutex<Vec<&'static str>>,
}

impl Seen {
    /// The connect outcomes so far.
    pub fn connects(&self) -> Vec<ExchangeOutcome> {
        self.connects.lock().unwrap().clone()
    }
}

impl Observer for Seen {
    fn exchange(&self, kind: ExchangeKind, _: Duration, outcome: ExchangeOutcome) {
        if kind == ExchangeKind::Connect {
            self.connects.lock().unwrap().push(outcome);
        }
    }
    fn connect_gap(&self, _: Duration) {}
    fn rehandshake(&self, reason: &'static str) {
        self.rehandshakes.lock().unwrap().push(reason);
    }
}
