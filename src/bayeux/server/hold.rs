//! `/meta/connect`: held long-polls, early return, superseded connects.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use hyper::header::HeaderValue;

use super::handler::{full_advice, json_reply, push_json, reply_to, unknown_client};
use super::session::Session;
use super::store::Store;
use super::{CloseReason, Reply};
use crate::bayeux::message::{Advice, Message, Reconnect};

/// A lone connect: held until an event is queued, a newer connect arrives,
/// the session closes, or the hold time passes.
pub(crate) async fn connect(store: &Store, m: Message, set_cookie: Option<HeaderValue>) -> Reply {
    let Some(session) = m.client_id.as_deref().and_then(|id| store.get(id)) else {
        let mut out = vec![b'['];
        push_json(&mut out, &unknown_client(&m));
        out.push(b']');
        return json_reply(out, set_cookie);
    };
    let hold_for = match m.advice.as_ref().and_then(|a| a.timeout) {
        Some(t) if t <= 0 => Duration::ZERO,
        Some(t) => store.config.timeout.min(Duration::from_millis(t as u64)),
        None => store.config.timeout,
    };
    let (generation, first, immediate) = {
        let mut st = session.lock();
        st.connect_gen += 1;
        let first = !st.connected_once;
        st.connected_once = true;
        let immediate = first || hold_for.is_zero() || !st.queue.is_empty() || st.closed.is_some();
        (st.connect_gen, first, immediate)
    };
    // Answers an older connect still held for this client.
    session.notify.notify_waiters();
    if !immediate {
        hold(store, &session, generation, Instant::now() + hold_for).await;
    }
    // From here to the return there is no await: drained events always leave.
    let mut out = Vec::with_capacity(256);
    out.push(b'[');
    let mut st = session.lock();
    match st.closed {
        Some(CloseReason::Disconnected) => {
            let mut reply = reply_to(&m, &session, true);
            reply.advice = Some(Advice {
                reconnect: Some(Reconnect::None),
                ..Advice::default()
            });
            push_json(&mut out, &reply);
        }
        Some(_) => push_json(&mut out, &unknown_client(&m)),
        None => {
            let mut reply = reply_to(&m, &session, true);
            if first {
                reply.advice = Some(full_advice(store));
            }
            push_json(&mut out, &reply);
            if st.connect_gen == generation {
                st.drain_into(&mut out);
            }
            st.last_active = Instant::now();
        }
    }
    drop(st);
    out.push(b']');
    json_reply(out, set_cookie)
}

/// A connect sharing its request with other messages: answered at once.
pub(crate) fn immediate_connect(store: &Store, session: &Session, m: &Message) -> Message {
    let first = {
        let mut st = session.lock();
        st.connect_gen += 1;
        let first = !st.connected_once;
        st.connected_once = true;
        first
    };
    session.notify.notify_waiters();
    let mut reply = reply_to(m, session, true);
    if first {
        reply.advice = Some(full_advice(store));
    }
    reply
}

async fn hold(store: &Store, session: &Session, generation: u64, deadline: Instant) {
    let _guard = HoldGuard::new(store, session);
    let sleep = tokio::time::sleep_until(deadline.into());
    tokio::pin!(sleep);
    loop {
        let notified = session.notify.notified();
        tokio::pin!(notified);
        // Registered before the check, so a wake between check and await is kept.
        notified.as_mut().enable();
        {
            let st = session.lock();
            if st.closed.is_some() || st.connect_gen != generation || !st.queue.is_empty() {
                return;
            }
        }
        tokio::select! {
            _ = &mut notified => {}
            _ = &mut sleep => return,
        }
    }
}

/// Counts a held connect; keeps the session from expiring while held, and
/// restarts its expiry clock when the hold ends (also when the future is dropped).
struct HoldGuard<'a> {
    store: &'a Store,
    session: &'a Session,
}

impl<'a> HoldGuard<'a> {
    fn new(store: &'a Store, session: &'a Session) -> Self {
        session.lock().holding += 1;
        store.held.fetch_add(1, Ordering::Relaxed);
        Self { store, session }
    }
}

impl Drop for HoldGuard<'_> {
    fn drop(&mut self) {
        let mut st = self.session.lock();
        st.holding = st.holding.saturating_sub(1);
        st.last_active = Instant::now();
        drop(st);
        self.store.held.fetch_sub(1, Ordering::Relaxed);
    }
}
