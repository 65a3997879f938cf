//! Client timing.

use std::time::Duration;

use hyper::Uri;
use serde_json::Value;

/// Where the Bayeux endpoint is and how patient the client is.
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
}

impl ClientConfig {
    /// Defaults of the official CometD JavaScript client: 10 s allowance,
    /// 30 s requests, +1 s backoff per failure up to 60 s.
    pub fn new(url: Uri) -> Self {
        Self {
            url,
            connect_allowance: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            handshake_ext: None,
            backoff_step: Duration::from_secs(1),
            max_backoff: Duration::from_secs(60),
        }
    }
}
