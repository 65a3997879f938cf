//! The Bayeux 1.0 protocol over HTTP long-polling: wire messages, channel
//! patterns, the client session used by every simulated agent, and the
//! server session store used by the embedded simulator.

pub mod channel;
pub mod client;
pub mod message;
pub mod server;

pub use channel::ChannelPattern;
pub use client::{
    BayeuxClient, ClientConfig, ClientError, Deliveries, Delivery, ExchangeKind, ExchangeOutcome,
    NoopObserver, Observer,
};
pub use message::{Advice, ErrorInfo, Message, Reconnect, Subscription, decode_messages};
pub use server::{
    BayeuxServer, CloseReason, NoopListener, Reply, RequestContext, ServerConfig, ServerStats,
    SessionListener,
};
