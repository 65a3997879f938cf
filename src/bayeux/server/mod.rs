//! The server side: a sharded Bayeux session store with held long-polls,
//! used by the embedded GWS simulator. What clients may subscribe to and
//! publish on is the host application's [`SecurityPolicy`]; how many
//! sessions it keeps, in all and per principal, is in [`ServerConfig`].
//!
//! Events are serialized once (`{"channel":..,"data":..}`) and queued as
//! bytes on each subscriber's session; a reply is a concatenation. They are
//! queued first and drained only into a reply that is being returned, with no
//! await between draining and returning, so dropping a held connect's future
//! (client gone) never loses an event.

mod config;
mod handler;
mod hold;
mod policy;
mod router;
mod session;
mod store;

use std::sync::Arc;

use bytes::Bytes;
use hyper::StatusCode;
use hyper::header::HeaderValue;
use serde_json::value::RawValue;

pub use config::ServerConfig;
pub use policy::{OpenPolicy, SecurityPolicy};
pub use router::browser_cookie;

use store::Store;

/// Name of the cookie binding requests to a browser (CometD 3.1+).
pub const BROWSER_COOKIE: &str = "BAYEUX_BROWSER";

/// What the host application knows about one HTTP request.
#[derive(Debug, Clone, Default)]
pub struct RequestContext {
    /// The authenticated user resolved by the host app; stored on the
    /// session at handshake.
    pub principal: Option<Arc<str>>,
    /// The `BAYEUX_BROWSER` cookie of the request, if any.
    pub browser: Option<String>,
}

/// The HTTP answer to one Bayeux request.
#[derive(Debug, Clone)]
pub struct Reply {
    /// 200 for every Bayeux-level answer (errors included); 4xx for bodies
    /// that are not Bayeux at all.
    pub status: StatusCode,
    /// JSON array of reply messages and events (or a plain-text 4xx reason).
    pub body: Bytes,
    /// A `Set-Cookie` value issuing `BAYEUX_BROWSER` when the request had none.
    pub set_cookie: Option<HeaderValue>,
}

/// Why a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseReason {
    /// The client sent `/meta/disconnect`.
    Disconnected,
    /// No connect for longer than `max_interval` after the last reply.
    Expired,
    /// Dropped by [`BayeuxServer::forget`] (fault injection).
    Forgotten,
}

/// Told when sessions open and close (binds Bayeux sessions to agents).
/// Called synchronously from request handling and the sweeper: keep it quick.
pub trait SessionListener: Send + Sync {
    /// A handshake created `client_id`.
    fn opened(&self, client_id: &str, principal: Option<&Arc<str>>);
    /// `client_id` is gone, and its queued events with it.
    fn closed(&self, client_id: &str, principal: Option<&Arc<str>>, reason: CloseReason);
}

/// A listener that ignores everything.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoopListener;

impl SessionListener for NoopListener {
    fn opened(&self, _: &str, _: Option<&Arc<str>>) {}
    fn closed(&self, _: &str, _: Option<&Arc<str>>, _: CloseReason) {}
}

/// A snapshot of the store's size and of the requests it refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerStats {
    /// Live sessions.
    pub sessions: usize,
    /// `/meta/connect` requests currently held.
    pub held_connects: usize,
    /// Handshakes refused because a session cap was reached.
    pub denied_handshakes: u64,
    /// Subscribe requests the [`SecurityPolicy`] refused.
    pub denied_subscriptions: u64,
    /// Publishes the [`SecurityPolicy`] refused.
    pub denied_publishes: u64,
}

/// A Bayeux server: session store, held connects and the sweeper.
/// Cheap to clone; the sweeper stops when the last handle drops or on
/// [`BayeuxServer::shutdown`].
#[derive(Clone)]
pub struct BayeuxServer {
    store: Arc<Store>,
}

impl std::fmt::Debug for BayeuxServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BayeuxServer")
            .field("stats", &self.stats())
            .finish()
    }
}

impl BayeuxServer {
    /// Creates the store and spawns its sweeper on the current tokio runtime;
    /// clients may do whatever the protocol allows ([`OpenPolicy`]).
    ///
    /// # Panics
    /// When called outside a tokio runtime.
    pub fn new(config: ServerConfig, listener: Arc<dyn SessionListener>) -> Self {
        Self::with_policy(config, listener, Arc::new(OpenPolicy))
    }

    /// [`BayeuxServer::new`] where `policy` decides what clients may
    /// subscribe to and publish on.
    ///
    /// # Panics
    /// When called outside a tokio runtime.
    pub fn with_policy(
        config: ServerConfig,
        listener: Arc<dyn SessionListener>,
        policy: Arc<dyn SecurityPolicy>,
    ) -> Self {
        let store = Arc::new(Store::new(config, listener, policy));
        store::spawn_sweeper(&store);
        Self { store }
    }

    /// Handles one HTTP request body (a JSON array of messages or a single
    /// message). A lone `/meta/connect` may be held up to the timeout.
    pub async fn handle(&self, ctx: RequestContext, body: Bytes) -> Reply {
        handler::handle(&self.store, ctx, body).await
    }

    /// An axum router serving Bayeux on POST at "/" and any path below.
    /// No authentication; reads `BAYEUX_BROWSER`, issues it when missing.
    pub fn router(&self) -> axum::Router {
        router::router(self.clone())
    }

    /// Queues an event for one client if it subscribed to a pattern matching
    /// `channel`. `false` if unknown, not subscribed, or its queue is full.
    pub fn deliver(&self, client_id: &str, channel: &str, data: &RawValue) -> bool {
        self.store.deliver(client_id, channel, data)
    }

    /// Queues an event for every subscriber of `channel`; returns how many.
    pub fn publish(&self, channel: &str, data: &RawValue) -> usize {
        self.store.publish(channel, data)
    }

    /// Drops a session as if it expired (its next request gets
    /// `402::Unknown client`); `false` if unknown.
    pub fn forget(&self, client_id: &str) -> bool {
        self.store.close(client_id, CloseReason::Forgotten)
    }

    /// The principal stored at handshake.
    pub fn principal_of(&self, client_id: &str) -> Option<Arc<str>> {
        self.store.get(client_id).and_then(|s| s.principal.clone())
    }

    /// Current number of sessions and held connects.
    pub fn stats(&self) -> ServerStats {
        self.store.stats()
    }

    /// Stops the sweeper now (sessions stay until the store is dropped).
    pub fn shutdown(&self) {
        self.store.shutdown.cancel();
    }
}
