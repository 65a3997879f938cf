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
        let deadline = on_hold_tick(store.epoch, Instant::now() + hold_for);
        hold(store, &session, generation, deadline).await;
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

/// The grid held connects end on. Connects due within one tick of each other
/// are answered in one timer wakeup, and their clients read the replies in
/// one poll, rather than each costing both sides a wakeup of its own (at
/// 2,000 cycles a second, about one per half millisecond). Rounding to the
/// nearest tick, not up, keeps the cycle as long as asked: a client that
/// reconnects just after a tick is answered on the tick `hold_for` later,
/// not one tick more, so a 2 s cycle stays 2 s. A hold is at most half a
/// tick off, which a long-poll of seconds does not notice.
const HOLD_TICK: Duration = Duration::from_millis(10);

/// `deadline` rounded to the nearest [`HOLD_TICK`] after `epoch`.
fn on_hold_tick(epoch: Instant, deadline: Instant) -> Instant {
    let tick = HOLD_TICK.as_nanos();
    let since = deadline.saturating_duration_since(epoch).as_nanos();
    let rounded = (since + tick / 2) / tick * tick;
    // Past u64 nanoseconds (584 years) the unrounded deadline is as good.
    match u64::try_from(rounded) {
        Ok(n) => epoch + Duration::from_nanos(n),
        Err(_) => deadline,
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_round_to_the_nearest_hold_tick() {
        let epoch = Instant::now();
        let at = |ms: u64| epoch + Duration::from_millis(ms);
        let at_us = |us: u64| epoch + Duration::from_micros(us);
        assert_eq!(on_hold_tick(epoch, at(0)), at(0));
        assert_eq!(on_hold_tick(epoch, at(10)), at(10));
        assert_eq!(on_hold_tick(epoch, at_us(14_999)), at(10));
        assert_eq!(on_hold_tick(epoch, at_us(15_000)), at(20));
        assert_eq!(on_hold_tick(epoch, at(2_003)), at(2_000));
        assert_eq!(on_hold_tick(epoch, at(2_007)), at(2_010));
    }

    #[test]
    fn a_client_reconnecting_just_after_a_tick_keeps_its_cycle() {
        let epoch = Instant::now();
        let hold_for = Duration::from_secs(2);
        // Answered on the tick at 1 s, reconnected 0.3 ms later.
        let reconnect = epoch + Duration::from_micros(1_000_300);
        let deadline = on_hold_tick(epoch, reconnect + hold_for);
        assert_eq!(deadline, epoch + Duration::from_secs(3));
    }

    #[test]
    fn a_deadline_before_the_epoch_ends_at_the_epoch() {
        let epoch = Instant::now() + Duration::from_secs(1);
        assert_eq!(on_hold_tick(epoch, Instant::now()), epoch);
    }
}
