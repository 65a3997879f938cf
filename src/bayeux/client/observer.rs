//! The hook through which metrics see the protocol.

use std::time::Duration;

use crate::metrics::Cause;

/// Which exchange was timed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExchangeKind {
    /// `/meta/handshake`.
    Handshake,
    /// `/meta/subscribe`.
    Subscribe,
    /// `/meta/unsubscribe`.
    Unsubscribe,
    /// A publish to an application channel.
    Publish,
    /// `/meta/connect`.
    Connect,
    /// `/meta/disconnect`.
    Disconnect,
}

/// How an exchange ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExchangeOutcome {
    /// Successful, with this many events on the reply (> 0).
    Delivered(usize),
    /// Successful, no events.
    Empty,
    /// A connect the server held for (at least half) the timeout it advised,
    /// then answered without events: the long-poll idling as designed.
    Held,
    /// Failed, and why ([`super::ClientError::kind`]).
    Failed(Cause),
}

/// Told about every exchange, connect gap and re-handshake. Called inline
/// on the agent's task: keep it cheap (record into a histogram, count).
pub trait Observer: Send + Sync {
    /// One request/reply exchange finished after `elapsed`.
    fn exchange(&self, kind: ExchangeKind, elapsed: Duration, outcome: ExchangeOutcome);
    /// Time from a connect reply to the next connect sent.
    fn connect_gap(&self, gap: Duration);
    /// The client handshook again by itself (`advice_handshake`,
    /// `unknown_client`, `connect_failures`).
    fn rehandshake(&self, reason: &'static str);
    /// A `/meta/connect` was sent; its `exchange` (or [`Observer::connect_cancelled`])
    /// follows. Lets an observer count connects in flight.
    fn connect_sent(&self) {}
    /// A connect in flight was dropped because the loop was asked to stop.
    fn connect_cancelled(&self) {}
}

/// An observer that ignores everything.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoopObserver;

impl Observer for NoopObserver {
    fn exchange(&self, _: ExchangeKind, _: Duration, _: ExchangeOutcome) {}
    fn connect_gap(&self, _: Duration) {}
    fn rehandshake(&self, _: &'static str) {}
}
