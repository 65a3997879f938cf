//! Shared HTTP plumbing: one pooled client per process ([`HttpClient`]), a
//! small per-agent [`HttpSession`] (cookie jar + caller headers), and a lean
//! dedicated connection per agent for its held long-poll ([`LongPollConnection`]).
//!
//! Every simulated agent shares the pool but owns its session, because real
//! servers bind Bayeux sessions to cookies (`BAYEUX_BROWSER`, `JSESSIONID`).

mod client;
mod error;
mod long_poll;
mod session;
mod source;
mod tls;

pub use client::{DEFAULT_MAX_BODY, HttpClient, HttpResponse, POOL_MAX_IDLE_PER_HOST};
pub use error::HttpError;
pub use long_poll::LongPollConnection;
pub use session::HttpSession;
pub use source::{MAX_SOURCE_ADDRESSES, SourceAddresses};
pub use tls::{TlsOptions, check_ca_file};
