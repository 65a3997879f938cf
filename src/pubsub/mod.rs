//! The publish/subscribe scenario (`scenario = "bayeux"`) against any Bayeux
//! server: subscribers in rooms, whose number follows the stages, and
//! publishers publishing on an open-model schedule; every message carries
//! the run id, a sequence number and its intended publish time
//! ([`payload`]), and the [`ledger`] matches each delivery to the room
//! members expected to receive it.
//!
//! The decisions are plain data and functions ([`payload`], [`rooms`],
//! [`ledger`]); [`subscriber`] and [`publisher`] are the thin tokio shells
//! around the shared Bayeux client, and their measurements go through the
//! agents' sink.

pub mod ledger;
pub mod payload;
pub mod publisher;
pub mod rooms;
pub mod subscriber;

use std::sync::Arc;
use std::time::Instant;

use hyper::header::{HeaderName, HeaderValue};
use tokio_util::sync::CancellationToken;

use crate::agent::Sink;
use crate::agent::effect::Measurement;
use crate::bayeux::{BayeuxClient, ClientConfig, Deliveries, Observer};
use crate::http::{HttpClient, HttpSession};
use crate::profile::BayeuxSettings;

pub use ledger::{Ledger, Receipt};
pub use rooms::Membership;

/// What every subscriber and publisher of a run shares.
pub struct PubSubDeps {
    /// The run's one HTTP connection pool.
    pub http: HttpClient,
    /// The Bayeux endpoint, handshake `ext`, ack, shared by every client.
    pub bayeux: Arc<ClientConfig>,
    /// `[bayeux] headers`, parsed, on every request.
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// Rooms, publishers, messages.
    pub settings: BayeuxSettings,
    /// Stamped into every message; other runs' messages are ignored.
    pub run_id: String,
    /// The run's start and its seed (room assignment).
    pub start: Instant,
    /// The run's start, microseconds since the epoch (stamped into messages).
    pub start_unix_us: u64,
    /// Seed of every random choice.
    pub seed: u64,
    /// Where measurements go.
    pub sink: Sink,
    /// Bayeux exchange timings go here.
    pub observer: Arc<dyn Observer>,
    /// Who is in each room.
    pub membership: Membership,
    /// Every message's expected and actual deliveries.
    pub ledger: Ledger,
    /// Cancelled once nothing more is published or in flight: stopping
    /// subscribers then leave without waiting for late deliveries.
    pub quiet: CancellationToken,
}

impl PubSubDeps {
    /// The settings' headers, checked by the profile's validation (a header
    /// that still does not parse is left out).
    pub fn parse_headers(settings: &BayeuxSettings) -> Vec<(HeaderName, HeaderValue)> {
        settings
            .headers
            .iter()
            .filter_map(|(name, value)| {
                Some((
                    HeaderName::from_bytes(name.as_bytes()).ok()?,
                    HeaderValue::from_str(value).ok()?,
                ))
            })
            .collect()
    }

    /// A new Bayeux client with its own cookies and the run's headers.
    pub fn client(&self) -> (BayeuxClient, Deliveries) {
        let session = Arc::new(HttpSession::new());
        for (name, value) in &self.headers {
            session.set_header(name.clone(), value.clone());
        }
        BayeuxClient::new(
            self.http.clone(),
            session,
            self.bayeux.clone(),
            self.observer.clone(),
        )
    }

    /// Takes one measurement into the run's metrics.
    pub fn measured(&self, measurement: Measurement) {
        self.sink.apply(measurement);
    }
}
