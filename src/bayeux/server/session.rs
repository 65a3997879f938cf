//! One Bayeux session: subscriptions, queued events, held connects.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use bytes::Bytes;
use tokio::sync::Notify;

use super::CloseReason;
use crate::bayeux::ChannelPattern;

pub(crate) struct Session {
    pub(crate) id: Arc<str>,
    pub(crate) principal: Option<Arc<str>>,
    /// Woken when an event is queued, the session closes, or a newer connect
    /// supersedes a held one.
    pub(crate) notify: Notify,
    state: Mutex<SessionState>,
}

pub(crate) struct SessionState {
    pub(crate) queue: VecDeque<Bytes>,
    pub(crate) subscriptions: Vec<ChannelPattern>,
    /// Incremented by every connect; a held connect whose generation is
    /// stale answers at once (the client sent a newer one).
    pub(crate) connect_gen: u64,
    pub(crate) holding: u32,
    pub(crate) connected_once: bool,
    pub(crate) last_active: Instant,
    pub(crate) closed: Option<CloseReason>,
}

impl Session {
    pub(crate) fn new(id: Arc<str>, principal: Option<Arc<str>>) -> Self {
        Self {
            id,
            principal,
            notify: Notify::new(),
            state: Mutex::new(SessionState {
                queue: VecDeque::new(),
                subscriptions: Vec::new(),
                connect_gen: 0,
                holding: 0,
                connected_once: false,
                last_active: Instant::now(),
                closed: None,
            }),
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, SessionState> {
        // Session state stays consistent between statements; a panic elsewhere
        // must not kill the session for everyone.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl SessionState {
    pub(crate) fn subscribed_to(&self, channel: &str) -> bool {
        self.subscriptions.iter().any(|p| p.matches(channel))
    }

    /// Appends `,event` for every queued event and empties the queue.
    pub(crate) fn drain_into(&mut self, out: &mut Vec<u8>) {
        for ev in self.queue.drain(..) {
            out.push(b',');
            out.extend_from_slice(&ev);
        }
    }
}
