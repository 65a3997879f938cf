//! Client timing and extensions.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::Uri;
use serde_json::Value;

use super::Extension;

/// Where the Bayeux endpoint is, how patient the client is and which
/// extensions it runs.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// The Bayeux endpoint, e.g. `http://host:8090/api/v2/notifications`.
    pub url: Uri,
    /// Added to the server's `advice.timeout` to bound a held connect (a
    /// server such as Faye never answers a superseded connect).
    pub connect_allowance: Duration,
    /// Timeout of every exchange but `/meta/connect`.
    pub request_timeout: Duration,
    /// `ext` object sent with the handshake (authentication extensions).
    pub handshake_ext: Option<Value>,
    /// Added to the wait after each consecutive transport failure.
    pub backoff_step: Duration,
    /// Longest wait between retries.
    pub max_backoff: Duration,
    /// CometD's acknowledged-messages extension: asked for at handshake and,
    /// when the server agrees, every connect acknowledges the last batch
    /// received, so the server does not deliver it again. Each client keeps
    /// its own acknowledgement state.
    pub ack: bool,
    /// Extensions that see every message sent and received (after the
    /// acknowledgement extension going out, before it coming in). Shared
    /// by every client made from this configuration.
    pub extensions: Vec<Arc<dyn Extension>>,
    /// The local address the held connect's connection is bound to (one
    /// of the run's source addresses); `None`: the system's choice.
    pub source_address: Option<IpAddr>,
}

impl ClientConfig {
    /// Defaults of the official CometD JavaScript client: 10 s allowance,
    /// 30 s requests, +1 s backoff per failure up to 60 s; no extensions.
    pub fn new(url: Uri) -> Self {
        Self {
            url,
            connect_allowance: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            handshake_ext: None,
            backoff_step: Duration::from_secs(1),
            max_backoff: Duration::from_secs(60),
            ack: false,
            extensions: Vec::new(),
            source_address: None,
        }
    }
}
