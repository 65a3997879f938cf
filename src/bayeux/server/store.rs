//! The sharded session map, delivery and the sweeper.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Instant;

use bytes::Bytes;
use serde::Serialize;
use serde_json::value::RawValue;
use tokio_util::sync::CancellationToken;

use super::session::Session;
use super::{CloseReason, ServerConfig, ServerStats, SessionListener};
use crate::bayeux::channel::is_meta;

const SHARDS: usize = 64;

type Shard = Mutex<HashMap<Arc<str>, Arc<Session>>>;

pub(crate) struct Store {
    pub(crate) config: ServerConfig,
    pub(crate) listener: Arc<dyn SessionListener>,
    shards: Box<[Shard]>,
    hasher: RandomState,
    sessions: AtomicUsize,
    pub(crate) held: AtomicUsize,
    pub(crate) shutdown: CancellationToken,
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
    pub(crate) fn new(config: ServerConfig, listener: Arc<dyn SessionListener>) -> Self {
        Self {
            config,
            listener,
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            hasher: RandomState::new(),
            sessions: AtomicUsize::new(0),
            held: AtomicUsize::new(0),
            shutdown: CancellationToken::new(),
        }
    }

    fn shard(&self, id: &str) -> MutexGuard<'_, HashMap<Arc<str>, Arc<Session>>> {
        let i = (self.hasher.hash_one(id) as usize) % SHARDS;
        self.shards[i].lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn get(&self, id: &str) -> Option<Arc<Session>> {
        self.shard(id).get(id).cloned()
    }

    pub(crate) fn open(&self, principal: Option<Arc<str>>) -> Arc<Session> {
        loop {
            let id: Arc<str> = Arc::from(random_token().as_str());
            let mut shard = self.shard(&id);
            if shard.contains_key(&id) {
                continue;
            }
            let session = Arc::new(Session::new(id.clone(), principal));
            shard.insert(id, session.clone());
            drop(shard);
            self.sessions.fetch_add(1, Ordering::Relaxed);
            self.listener
                .opened(&session.id, session.principal.as_ref());
            return session;
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
        self.sessions.fetch_sub(1, Ordering::Relaxed);
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
        ServerStats {
            sessions: self.sessions.load(Ordering::Relaxed),
            held_connects: self.held.load(Ordering::Relaxed),
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
