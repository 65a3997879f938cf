//! The client side: one Bayeux session per simulated agent.
//!
//! [`BayeuxClient`] handshakes, subscribes, publishes and runs the
//! `/meta/connect` loop; events arriving on any reply go, in order, to the
//! [`Delivery`] channel returned by [`BayeuxClient::new`]. Every message
//! sent and received passes the client's [`Extension`]s (CometD's
//! acknowledgement extension built in). Metrics stay out of this layer: an
//! [`Observer`] is told about every exchange.

mod config;
mod connect_loop;
mod deliveries;
mod error;
mod ext;
mod observer;
mod reconnect;
mod session;

pub use config::ClientConfig;
pub use deliveries::{Deliveries, Delivery};
pub use error::ClientError;
pub use ext::Extension;
pub use observer::{ExchangeKind, ExchangeOutcome, NoopObserver, Observer};
pub use session::BayeuxClient;
