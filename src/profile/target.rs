//! `[target]`: where the agents connect and how they speak to it.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::http::SourceAddresses;

/// The system under test. Without `url` the run starts the embedded simulator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Target {
    /// Base URL of the GWS deployment (`http://` or `https://`); `None` = the embedded simulator.
    pub url: Option<String>,
    /// Base URLs of the deployment's nodes, instead of `url`: agent `n` uses
    /// node `n % K` for everything, interaction `k` is created on node `k % K`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub urls: Vec<String>,
    /// Local addresses the agents' long-polls are bound to, each node's
    /// agents taking them in turn (agent `n` of `K` nodes: `(n / K) % count`): a range (`"127.0.0.2-127.0.0.20"`) or a comma list.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_addresses: Option<SourceAddresses>,
    /// Prefix before `/api/v2/...` (e.g. `/gws` behind a reverse proxy); empty by default.
    pub base_path: String,
    /// Path of the CometD endpoint, below `base_path`.
    pub notifications_path: String,
    /// TLS options for `https://` targets.
    pub tls: Tls,
    /// Whether agents send the GWS CSRF token.
    pub csrf: Csrf,
    /// Which GWS notification model the target speaks.
    pub message_model: MessageModel,
    /// Base URL of the GMS-style injection API (`/genesys/2/email|chat/{service}`)
    /// when it is not on the GWS host; `None` = same as `url`.
    pub injector_url: Option<String>,
    /// The GMS service name interactions are created on.
    pub injector_service: String,
    /// Largest response body accepted from the target, in MiB: a reply over
    /// it is a `body_too_large` error and its connection is dropped, so a
    /// misbehaving server cannot make the generator run out of memory.
    pub max_body_mib: u32,
}

impl Default for Target {
    fn default() -> Self {
        Target {
            url: None,
            urls: Vec::new(),
            source_addresses: None,
            base_path: String::new(),
            notifications_path: "/api/v2/notifications".to_string(),
            tls: Tls::default(),
            csrf: Csrf::Auto,
            message_model: MessageModel::V851,
            injector_url: None,
            injector_service: "agentload".to_string(),
            max_body_mib: DEFAULT_MAX_BODY_MIB,
        }
    }
}

/// Default of `target.max_body_mib`: a GWS reply is kilobytes, so this is
/// generous, yet a few agents at the cap stay within a few hundred MiB.
pub const DEFAULT_MAX_BODY_MIB: u32 = 16;

impl Target {
    /// True when the run uses the embedded simulator (no `url`, no `urls`).
    pub fn is_embedded(&self) -> bool {
        self.url.is_none() && self.urls.is_empty()
    }

    /// The target's base URLs without a trailing `/`: `url`, or every node
    /// of `urls`; empty for the embedded simulator.
    pub fn base_urls(&self) -> Vec<String> {
        self.url
            .iter()
            .chain(&self.urls)
            .map(|u| u.trim_end_matches('/').to_string())
            .collect()
    }

    /// `max_body_mib` in bytes, for [`crate::http::HttpClient::with_max_body`].
    pub fn max_body(&self) -> usize {
        usize::try_from(u64::from(self.max_body_mib) << 20).unwrap_or(usize::MAX)
    }
}

/// TLS settings.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Tls {
    /// Accept any certificate (self-signed test servers only).
    pub insecure: bool,
    /// PEM file of extra CA certificates; a relative path is resolved against the profile's folder.
    pub ca_file: Option<PathBuf>,
}

/// Whether agents send GWS CSRF tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Csrf {
    /// Use a token when the server offers one (`X-CSRF-HEADER`/`X-CSRF-TOKEN` on `/api/v2/me`).
    #[default]
    Auto,
    /// Require a token: a server that offers none is an error.
    On,
    /// Never send one.
    Off,
}

/// The GWS message model the target speaks: the gws module's own type, so a
/// profile's `"8.5.0"`/`"8.5.1"` means exactly what the client code does with it.
pub use crate::gws::MessageModel;

impl std::fmt::Display for Csrf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Csrf::Auto => "auto",
            Csrf::On => "on",
            Csrf::Off => "off",
        })
    }
}
