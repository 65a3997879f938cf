//! The sharded session map, delivery and the sweeper.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Instant;

use bytes::Bytes;
use serde::Serialize;
use serde_json::value::RawValue;
use tokio_util::sync::CancellationToken;

use super::policy::SecurityPolicy;
use super::session::Session;
use super::{CloseReason, ServerConfig, ServerStats, SessionListener};
use crate::bayeux::channel::is_meta;

const SHARDS: usize = 64;

type Shard = Mutex<HashMap<Arc<str>, Arc<Session>>>;

pub(crate) struct Store {
    pub(crate) config: ServerConfig,
    pub(crate) listener: Arc<dyn SessionListener>,
    pub(crate) policy: Arc<dyn SecurityPolicy>,
    shards: Box<[Shard]>,
    hasher: RandomState,
    sessions: AtomicUsize,
    /// Live sessions per principal, kept only under a per-principal cap.
    owned: Mutex<HashMap<Arc<str>, usize>>,
    pub(crate) held: AtomicUsize,
    pub(crate) denied: Denials,
    pub(crate) shutdown: CancellationToken,
    /// Where the held connects' tick grid starts (`hold.rs`).
    pub(crate) epoch: Instant,
}

/// Requests refused, by kind (for [`ServerStats`]).
#[derive(Default)]
pub(crate) struct Denials {
    pub(crate) handshakes: AtomicU64,
    pub(crate) subscriptions: AtomicU64,
    pub(crate) publishes: AtomicU64,
}

/// Why a handshake found no room for one more session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Full {
    /// The server holds `max_sessions` already.
    Server(usize),
    /// The principal holds `max_sessions_per_principal` already.
    Principal(usize),
}

impl Drop for Store {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

#[derive(Serialize)]
struct EventOut<'a> {
    channel: &'a str,
    data: &'a RawValue,
}

/// Serializes an event once; every subscriber's queue shares the bytes.
pub(crate) fn encode_event(channel: &str, data: &RawValue) -> Bytes {
    let mut out = Vec::with_capacity(channel.len() + data.get().len() + 24);
    // Writing a &str and a RawValue into a Vec cannot fail.
    if serde_json::to_writer(&mut out, &EventOut { channel, data }).is_err() {
        unreachable!("serializing a string and raw JSON into memory cannot fail");
    }
    Bytes::from(out)
}

impl Store {
    pub(crate) fn new(
        config: ServerConfig,
        listener: Arc<dyn SessionListener>,
        policy: Arc<dyn SecurityPolicy>,
    ) -> Self {
        Self {
            config,
            listener,
            policy,
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            hasher: RandomState::new(),
            sessions: AtomicUsize::new(0),
            owned: Mutex::new(HashMap::new()),
            held: AtomicUsize::new(0),
            denied: Denials::default(),
            shutdown: CancellationToken::new(),
            epoch: Instant::now(),
        }
    }

    fn shard(&self, id: &str) -> MutexGuard<'_, HashMap<Arc<str>, Arc<Session>>> {
        let i = (self.hasher.hash_one(id) as usize) % SHARDS;
        self.shards[i].lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn get(&self, id: &str) -> Option<Arc<Session>> {
        self.shard(id).get(id).cloned()
    }

    /// A new session of `principal`, unless a session cap is reached.
    pub(crate) fn open(&self, principal: Option<Arc<str>>) -> Result<Arc<Session>, Full> {
        self.reserve(principal.as_ref())?;
        loop {
            let id: Arc<str> = Arc::from(random_token().as_str());
            let mut shard = self.shard(&id);
            if shard.contains_key(&id) {
                continue;
            }
            let session = Arc::new(Session::new(id.clone(), principal));
            shard.insert(id, session.clone());
            drop(shard);
            self.listener
                .opened(&session.id, session.principal.as_ref());
            return Ok(session);
        }
    }

    fn counts_per_principal(&self) -> bool {
        self.config.max_sessions_per_principal != usize::MAX
    }

    /// Counts one more session in all and for `principal`, or says which cap is reached.
    fn reserve(&self, principal: Option<&Arc<str>>) -> Result<(), Full> {
        let max = self.config.max_sessions;
        self.sessions
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                (n < max).then_some(n + 1)
            })
            .map_err(|_| Full::Server(max))?;
        let (Some(principal), true) = (principal, self.counts_per_principal()) else {
            return Ok(());
        };
        let cap = self.config.max_sessions_per_principal;
        let mut owned = self.owned.lock().unwrap_or_else(|p| p.into_inner());
        let n = owned.get(principal).copied().unwrap_or(0);
        if n >= cap {
            drop(owned);
            self.sessions.fetch_sub(1, Ordering::Relaxed);
            return Err(Full::Principal(cap));
        }
        owned.insert(principal.clone(), n + 1);
        Ok(())
    }

    /// Gives back what [`Store::reserve`] counted.
    fn unreserve(&self, principal: Option<&Arc<str>>) {
        self.sessions.fetch_sub(1, Ordering::Relaxed);
        let (Some(principal), true) = (principal, self.counts_per_principal()) else {
            return;
        };
        let mut owned = self.owned.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = owned.get_mut(principal) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                owned.remove(principal);
            }
        }
    }

    /// Removes a session, wakes its held connect, tells the listener.
    pub(crate) fn close(&self, id: &str, reason: CloseReason) -> bool {
        let Some(session) = self.shard(id).remove(id) else {
            return false;
        };
        self.finish_close(&session, reason);
        true
    }

    fn finish_close(&self, session: &Session, reason: CloseReason) {
        {
            let mut st = session.lock();
            st.closed = Some(reason);
            st.queue.clear();
        }
        session.notify.notify_waiters();
        self.unreserve(session.principal.as_ref());
        self.listener
            .closed(&session.id, session.principal.as_ref(), reason);
    }

    pub(crate) fn deliver(&self, id: &str, channel: &str, data: &RawValue) -> bool {
        if is_meta(channel) {
            return false;
        }
        let Some(session) = self.get(id) else {
            return false;
        };
        let queued = {
            let mut st = session.lock();
            if st.closed.is_some()
                || st.queue.len() >= self.config.max_queue
                || !st.subscribed_to(channel)
            {
                false
            } else {
                st.queue.push_back(encode_event(channel, data));
                true
            }
        };
        if queued {
            session.notify.notify_waiters();
        }
        queued
    }

    pub(crate) fn publish(&self, channel: &str, data: &RawValue) -> usize {
        if is_meta(channel) {
            return 0;
        }
        let event = encode_event(channel, data);
        let mut count = 0;
        let mut woken = Vec::new();
        for shard in self.shards.iter() {
            let shard = shard.lock().unwrap_or_else(|p| p.into_inner());
            for session in shard.values() {
                let mut st = session.lock();
                if st.closed.is_none()
                    && st.queue.len() < self.config.max_queue
                    && st.subscribed_to(channel)
                {
                    st.queue.push_back(event.clone());
                    count += 1;
                    woken.push(session.clone());
                }
            }
        }
        for s in woken {
            s.notify.notify_waiters();
        }
        count
    }

    pub(crate) fn stats(&self) -> ServerStats {
        let denied = |c: &AtomicU64| c.load(Ordering::Relaxed);
        ServerStats {
            sessions: self.sessions.load(Ordering::Relaxed),
            held_connects: self.held.load(Ordering::Relaxed),
            denied_handshakes: denied(&self.denied.handshakes),
            denied_subscriptions: denied(&self.denied.subscriptions),
            denied_publishes: denied(&self.denied.publishes),
        }
    }

    /// Drops sessions with no held connect and no activity for `max_interval`.
    fn sweep(&self) {
        let now = Instant::now();
        let max = self.config.max_interval;
        let mut expired = Vec::new();
        for shard in self.shards.iter() {
            let mut shard = shard.lock().unwrap_or_else(|p| p.into_inner());
            shard.retain(|_, s| {
                let st = s.lock();
                let keep = st.holding > 0 || now.saturating_duration_since(st.last_active) <= max;
                if !keep {
                    expired.push(s.clone());
                }
                keep
            });
        }
        for s in expired {
            self.finish_close(&s, CloseReason::Expired);
        }
    }
}

pub(crate) fn spawn_sweeper(store: &Arc<Store>) {
    let weak: Weak<Store> = Arc::downgrade(store);
    let stop = store.shutdown.clone();
    let every = store.config.sweep_every;
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tick.tick() => {}
            }
            match weak.upgrade() {
                Some(store) => store.sweep(),
                None => return,
            }
        }
    });
}

/// 128 random bits, hex: unguessable client ids and browser cookies.
pub(crate) fn random_token() -> String {
    format!("{:032x}", rand::random::<u128>())
}
