//! Shared HTTP plumbing: one pooled client per process ([`HttpClient`]) and a
//! small per-agent [`HttpSession`] (cookie jar + caller headers).
//!
//! Every simulated agent shares the pool but owns its session, because real
//! servers bind Bayeux sessions to cookies (`BAYEUX_BROWSER`, `JSESSIONID`).

mod client;
mod error;
mod session;
mod tls;

pub use client::{HttpClient, HttpResponse, POOL_MAX_IDLE_PER_HOST};
pub use error::HttpError;
pub use session::HttpSession;
pub use tls::TlsOptions;
