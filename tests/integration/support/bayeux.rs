//! What the Bayeux tests share: an observer that records what the client
//! saw, and raw JSON for the server's messages.

use std::sync::Mutex;
use std::time::Duration;

use agentload::bayeux::{ExchangeKind, ExchangeOutcome, Observer};
use serde_json::value::RawValue;

/// Every exchange and re-handshake a [`agentload::bayeux::BayeuxClient`] reported.
#[derive(Default)]
pub struct Seen {
    /// Each exchange: its kind, how long it took, how it ended.
    pub exchanges: Mutex<Vec<(ExchangeKind, Duration, ExchangeOutcome)>>,
    /// The reason of each re-handshake.
    pub rehandshakes: Mutex<Vec<&'static str>>,
}

impl Observer for Seen {
    fn exchange(&self, kind: ExchangeKind, elapsed: Duration, outcome: ExchangeOutcome) {
        self.exchanges
            .lock()
            .unwrap()
            .push((kind, elapsed, outcome));
    }
    fn connect_gap(&self, _: Duration) {}
    fn rehandshake(&self, reason: &'static str) {
        self.rehandshakes.lock().unwrap().push(reason);
    }
}

impl Seen {
    /// How each `/meta/connect` ended, in order.
    pub fn connects(&self) -> Vec<ExchangeOutcome> {
        let ex = self.exchanges.lock().unwrap();
        ex.iter()
            .filter(|e| e.0 == ExchangeKind::Connect)
            .map(|e| e.2)
            .collect()
    }
}

/// `json` as a raw JSON value, which must be valid.
pub fn raw(json: &str) -> Box<RawValue> {
    RawValue::from_string(json.to_owned()).unwrap()
}
