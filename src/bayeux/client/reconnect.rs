//! What the connect loop does after each reply or failure: the server's
//! advice (interval, timeout, `reconnect`), the backoff after failures and
//! when to handshake again. Plain functions of the reply, the advice and
//! the loop's memory ([`Attempts`]); `connect_loop.rs` carries them out.

use std::time::{Duration, Instant};

use super::session::{Exchanged, advised, find_reply, needs_handshake};
use super::{ClientConfig, ClientError, ExchangeKind, ExchangeOutcome};
use crate::bayeux::message::{Advice, Message, Reconnect};

/// What to do after one connect exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Next {
    /// Connect again (after the advised interval).
    Connect,
    /// Handshake again first, for this reason (an observer's re-handshake reason).
    Handshake(&'static str),
    /// Back off, then connect again.
    Fail,
    /// The server advised `reconnect: none`.
    Stop,
    /// The server ended the session itself: a `/meta/disconnect` reply came
    /// with the connect's (CometD's server-side `session.disconnect()`).
    Kicked,
}

/// Advised timeout when the server gives none (CometD's default).
const DEFAULT_TIMEOUT_MS: i64 = 30_000;
/// Advised maxInterval when the server gives none (CometD's default).
const DEFAULT_MAX_INTERVAL_MS: i64 = 10_000;

/// What the loop remembers between exchanges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Attempts {
    /// Consecutive failures (handshakes or connects) since the last success.
    failures: u32,
    /// The last successful handshake or connect.
    last_ok: Instant,
    /// When the last connect reply arrived, where the next connect gap
    /// starts; none right after a handshake.
    pub(super) last_reply: Option<Instant>,
    /// A re-handshake is due, and why (reported once it succeeded).
    rehandshake: Option<&'static str>,
}

impl Attempts {
    /// A loop that starts at `now`, before any handshake.
    pub(super) fn new(now: Instant) -> Attempts {
        Attempts {
            failures: 0,
            last_ok: now,
            last_reply: None,
            rehandshake: None,
        }
    }

    /// Whether the next step is a handshake rather than a connect.
    pub(super) fn must_handshake(&self, has_client_id: bool) -> bool {
        !has_client_id || self.rehandshake.is_some()
    }

    /// A handshake and its re-subscription succeeded at `now`; returns the
    /// reason when it was a re-handshake.
    pub(super) fn handshook(&mut self, now: Instant) -> Option<&'static str> {
        self.failures = 0;
        self.last_ok = now;
        self.last_reply = None;
        self.rehandshake.take()
    }

    /// A handshake failed: a pending re-handshake stays pending. Returns the
    /// consecutive failures, for [`backoff`].
    pub(super) fn handshake_failed(&mut self) -> u32 {
        self.failures += 1;
        self.failures
    }

    /// A connect succeeded at `now`.
    pub(super) fn connected(&mut self, now: Instant) {
        self.failures = 0;
        self.last_ok = now;
    }

    /// The server asked for a handshake, for `reason`.
    pub(super) fn rehandshake_for(&mut self, reason: &'static str) {
        self.rehandshake = Some(reason);
    }

    /// A connect failed at `now`: when nothing succeeded for longer than
    /// `patience`, the session is presumed gone and a re-handshake is due.
    /// Returns the consecutive failures, for [`backoff`].
    pub(super) fn connect_failed(&mut self, now: Instant, patience: Duration) -> u32 {
        self.failures += 1;
        if now.saturating_duration_since(self.last_ok) > patience {
            self.rehandshake = Some("connect_failures");
        }
        self.failures
    }
}

/// The wait after `failures` consecutive failures: `backoff_step` more per
/// failure, up to `max_backoff`.
pub(super) fn backoff(config: &ClientConfig, failures: u32) -> Duration {
    config
        .backoff_step
        .saturating_mul(failures)
        .min(config.max_backoff)
}

/// The pause before the next connect: the advised interval, none right
/// after a handshake; `None` when a negative interval says never again.
pub(super) fn connect_wait(advice: &Advice, first: bool) -> Option<Duration> {
    match advice.interval {
        Some(i) if i < 0 => None,
        Some(i) if !first => Some(Duration::from_millis(i as u64)),
        _ => Some(Duration::ZERO),
    }
}

/// How long the server may hold the next connect: not at all for the first
/// after a handshake (it asks `timeout: 0`), else the advised timeout.
pub(super) fn connect_hold(advice: &Advice, first: bool) -> Duration {
    if first {
        Duration::ZERO
    } else {
        millis(advice.timeout, DEFAULT_TIMEOUT_MS)
    }
}

/// How long connects may keep failing before the client handshakes again:
/// the advised timeout + interval + maxInterval, the time after which the
/// server has forgotten the client.
pub(super) fn patience(advice: &Advice) -> Duration {
    millis(advice.timeout, DEFAULT_TIMEOUT_MS)
        + millis(advice.interval, 0)
        + millis(advice.max_interval, DEFAULT_MAX_INTERVAL_MS)
}

fn millis(advised: Option<i64>, default: i64) -> Duration {
    Duration::from_millis(advised.unwrap_or(default).max(0) as u64)
}

/// The `/meta/connect` request; the first after a handshake asks the
/// server not to hold it, so the session is confirmed at once.
pub(super) fn connect_message(client_id: &str, id: String, first: bool) -> Message {
    let mut m = Message::new("/meta/connect");
    m.client_id = Some(client_id.to_string());
    m.id = Some(id);
    m.connection_type = Some("long-polling".into());
    if first {
        m.advice = Some(Advice {
            timeout: Some(0),
            ..Advice::default()
        });
    }
    m
}

/// What to do after a connect exchange, and what the observer is told: the
/// number of events, or the error the exchange or its reply stands for.
pub(super) fn read_reply(
    result: Result<Exchanged, ClientError>,
) -> (Next, Result<usize, ClientError>) {
    let exchanged = match result {
        Ok(exchanged) => exchanged,
        Err(e) => return (Next::Fail, Err(e)),
    };
    // Like CometD's own client (`_disconnectResponse`): the session is over,
    // whatever the connect reply beside it says.
    if kicked(&exchanged.replies) {
        return (Next::Kicked, Ok(exchanged.events));
    }
    match find_reply(exchanged.replies, "/meta/connect", ExchangeKind::Connect) {
        Ok(reply) => (judge(&reply), observed(&reply, exchanged.events)),
        Err(e) => (Next::Fail, Err(e)),
    }
}

/// Decides from the connect reply's own advice, then from its error.
fn judge(reply: &Message) -> Next {
    match advised(reply) {
        Some(Reconnect::None) => return Next::Stop,
        Some(Reconnect::Handshake) => {
            return Next::Handshake(if reply.successful == Some(true) {
                "advice_handshake"
            } else {
                "unknown_client"
            });
        }
        _ => {}
    }
    if reply.successful == Some(true) {
        Next::Connect
    } else if needs_handshake(reply) {
        Next::Handshake("unknown_client")
    } else {
        Next::Fail
    }
}

/// Whether the answer to a connect holds a successful `/meta/disconnect`.
fn kicked(replies: &[Message]) -> bool {
    replies
        .iter()
        .any(|r| r.channel == "/meta/disconnect" && r.successful == Some(true))
}

/// A successful reply counts its events, whatever it advises next (a
/// `reconnect: handshake` on a successful reply delivered them all the
/// same); any other reply is the error it means.
fn observed(reply: &Message, events: usize) -> Result<usize, ClientError> {
    match reply.successful {
        Some(true) => Ok(events),
        _ if needs_handshake(reply) => Err(ClientError::UnknownClient(
            reply.error.clone().unwrap_or_default(),
        )),
        _ => Err(ClientError::Refused {
            kind: ExchangeKind::Connect,
            error: reply
                .error
                .clone()
                .unwrap_or_else(|| "(no error given)".into()),
        }),
    }
}

/// How a connect ended, for the observer: an empty reply after at least
/// half the hold the server advised is a held connect (judged by the
/// server's own advice, so it holds against any server).
pub(super) fn exchange_outcome(
    observed: &Result<usize, ClientError>,
    hold: Duration,
    elapsed: Duration,
) -> ExchangeOutcome {
    match observed {
        Ok(0) if !hold.is_zero() && elapsed >= hold / 2 => ExchangeOutcome::Held,
        Ok(0) => ExchangeOutcome::Empty,
        Ok(n) => ExchangeOutcome::Delivered(*n),
        Err(e) => ExchangeOutcome::Failed(e.kind()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::HttpError;
    use crate::metrics::Cause;

    fn reply(successful: bool, error: Option<&str>, reconnect: Option<Reconnect>) -> Message {
        let mut m = Message::new("/meta/connect");
        m.successful = Some(successful);
        m.error = error.map(str::to_string);
        m.advice = reconnect.map(|r| Advice {
            reconnect: Some(r),
            ..Advice::default()
        });
        m
    }

    fn exchanged(replies: Vec<Message>, events: usize) -> Result<Exchanged, ClientError> {
        Ok(Exchanged { replies, events })
    }

    fn advice(interval: Option<i64>, timeout: Option<i64>, max_interval: Option<i64>) -> Advice {
        Advice {
            interval,
            timeout,
            max_interval,
            ..Advice::default()
        }
    }

    #[test]
    fn a_successful_reply_connects_again_and_counts_its_events() {
        let (next, observed) = read_reply(exchanged(vec![reply(true, None, None)], 3));
        assert_eq!(next, Next::Connect);
        assert_eq!(observed.unwrap(), 3);
        let retry = reply(true, None, Some(Reconnect::Retry));
        assert_eq!(read_reply(exchanged(vec![retry], 0)).0, Next::Connect);
    }

    #[test]
    fn reconnect_none_stops_even_on_a_successful_reply() {
        let (next, observed) =
            read_reply(exchanged(vec![reply(true, None, Some(Reconnect::None))], 1));
        assert_eq!(next, Next::Stop);
        assert_eq!(observed.unwrap(), 1);
        let (next, observed) = read_reply(exchanged(
            vec![reply(false, Some("403::gone"), Some(Reconnect::None))],
            0,
        ));
        assert_eq!(next, Next::Stop);
        assert_eq!(observed.unwrap_err().kind().name(), "connect_refused");
    }

    #[test]
    fn handshake_advice_or_an_unknown_client_asks_for_a_handshake() {
        // A successful reply advising a handshake delivered its events.
        let (next, observed) = read_reply(exchanged(
            vec![reply(true, None, Some(Reconnect::Handshake))],
            2,
        ));
        assert_eq!(next, Next::Handshake("advice_handshake"));
        assert_eq!(observed.unwrap(), 2);
        let refused = reply(
            false,
            Some("402::Unknown client"),
            Some(Reconnect::Handshake),
        );
        assert_eq!(
            read_reply(exchanged(vec![refused], 0)).0,
            Next::Handshake("unknown_client")
        );
        // Without advice, by the error of any server's dialect.
        for error in ["402::Unknown client", "401:abc:Unknown client"] {
            let (next, observed) = read_reply(exchanged(vec![reply(false, Some(error), None)], 0));
            assert_eq!(next, Next::Handshake("unknown_client"), "{error}");
            assert_eq!(
                observed.unwrap_err().kind().name(),
                "unknown_client",
                "{error}"
            );
        }
    }

    #[test]
    fn a_disconnect_reply_beside_the_connect_reply_ends_the_session() {
        let disconnect = || {
            let mut m = Message::new("/meta/disconnect");
            m.successful = Some(true);
            m
        };
        // Whatever the connect reply says, and in either order.
        let (next, observed) =
            read_reply(exchanged(vec![disconnect(), reply(true, None, None)], 1));
        assert_eq!(next, Next::Kicked);
        assert_eq!(observed.unwrap(), 1);
        let unknown = reply(
            false,
            Some("402::session_unknown"),
            Some(Reconnect::Handshake),
        );
        assert_eq!(
            read_reply(exchanged(vec![unknown, disconnect()], 0)).0,
            Next::Kicked
        );
        assert_eq!(read_reply(exchanged(vec![disconnect()], 0)).0, Next::Kicked);
        // A refused disconnect is not the end of the session.
        let mut refused = disconnect();
        refused.successful = Some(false);
        let (next, _) = read_reply(exchanged(vec![refused, reply(true, None, None)], 0));
        assert_eq!(next, Next::Connect);
    }

    #[test]
    fn other_refusals_and_transport_failures_back_off() {
        let (next, observed) = read_reply(exchanged(vec![reply(false, None, None)], 0));
        assert_eq!(next, Next::Fail);
        match observed.unwrap_err() {
            ClientError::Refused { kind, error } => {
                assert_eq!(kind, ExchangeKind::Connect);
                assert_eq!(error, "(no error given)");
            }
            other => panic!("not a refusal: {other:?}"),
        }
        let timeout = HttpError::Timeout(Duration::from_secs(40));
        let (next, observed) = read_reply(Err(timeout.into()));
        assert_eq!(next, Next::Fail);
        assert_eq!(observed.unwrap_err().kind().name(), "timeout");
        // An answer without a reply to the connect.
        let (next, observed) = read_reply(exchanged(Vec::new(), 0));
        assert_eq!(next, Next::Fail);
        assert_eq!(observed.unwrap_err().kind().name(), "no_reply");
    }

    #[test]
    fn an_empty_reply_is_held_after_half_the_advised_hold() {
        let hold = Duration::from_secs(30);
        let at = Duration::from_secs;
        assert_eq!(
            exchange_outcome(&Ok(0), hold, at(15)),
            ExchangeOutcome::Held
        );
        assert_eq!(
            exchange_outcome(&Ok(0), hold, at(14)),
            ExchangeOutcome::Empty
        );
        // The first connect after a handshake is not held at all.
        let zero = Duration::ZERO;
        assert_eq!(
            exchange_outcome(&Ok(0), zero, at(1)),
            ExchangeOutcome::Empty
        );
        assert_eq!(
            exchange_outcome(&Ok(2), hold, at(20)),
            ExchangeOutcome::Delivered(2)
        );
        let failed = Err(ClientError::NoReply(ExchangeKind::Connect));
        assert_eq!(
            exchange_outcome(&failed, hold, at(20)),
            ExchangeOutcome::Failed(Cause::NoReply)
        );
    }

    #[test]
    fn the_advised_interval_waits_except_right_after_a_handshake() {
        let every = advice(Some(500), None, None);
        assert_eq!(
            connect_wait(&every, false),
            Some(Duration::from_millis(500))
        );
        assert_eq!(connect_wait(&every, true), Some(Duration::ZERO));
        assert_eq!(
            connect_wait(&Advice::default(), false),
            Some(Duration::ZERO)
        );
        // A negative interval means never again, first connect or not.
        let never = advice(Some(-1), None, None);
        assert_eq!(connect_wait(&never, false), None);
        assert_eq!(connect_wait(&never, true), None);
    }

    #[test]
    fn the_hold_is_the_advised_timeout_except_for_the_first_connect() {
        assert_eq!(
            connect_hold(&advice(None, Some(20_000), None), false),
            Duration::from_secs(20)
        );
        assert_eq!(
            connect_hold(&Advice::default(), false),
            Duration::from_secs(30)
        );
        assert_eq!(
            connect_hold(&advice(None, Some(-5), None), false),
            Duration::ZERO
        );
        assert_eq!(
            connect_hold(&advice(None, Some(20_000), None), true),
            Duration::ZERO
        );
        let first = connect_message("c1", "7".into(), true);
        assert_eq!(first.advice.and_then(|a| a.timeout), Some(0));
        let next = connect_message("c1", "8".into(), false);
        assert!(next.advice.is_none());
        assert_eq!(
            (next.client_id.as_deref(), next.id.as_deref()),
            (Some("c1"), Some("8"))
        );
        assert_eq!(next.connection_type.as_deref(), Some("long-polling"));
    }

    #[test]
    fn patience_is_what_the_server_waits_before_forgetting_a_client() {
        assert_eq!(patience(&Advice::default()), Duration::from_secs(40));
        assert_eq!(
            patience(&advice(Some(1_000), Some(5_000), Some(2_000))),
            Duration::from_secs(8)
        );
    }

    #[test]
    fn backoff_grows_per_failure_up_to_its_bound() {
        let config = ClientConfig::new("http://127.0.0.1/cometd".parse().unwrap());
        assert_eq!(backoff(&config, 0), Duration::ZERO);
        assert_eq!(backoff(&config, 3), Duration::from_secs(3));
        assert_eq!(backoff(&config, 1_000), Duration::from_secs(60));
        assert_eq!(backoff(&config, u32::MAX), Duration::from_secs(60));
    }

    #[test]
    fn connect_failures_beyond_the_patience_call_for_a_rehandshake() {
        let t0 = Instant::now();
        let patience = Duration::from_secs(40);
        let mut attempts = Attempts::new(t0);
        assert!(attempts.must_handshake(false));
        assert_eq!(attempts.handshook(t0), None);
        assert!(!attempts.must_handshake(true));
        assert_eq!(
            attempts.connect_failed(t0 + Duration::from_secs(10), patience),
            1
        );
        assert_eq!(
            attempts.connect_failed(t0 + Duration::from_secs(40), patience),
            2
        );
        assert!(!attempts.must_handshake(true));
        assert_eq!(
            attempts.connect_failed(t0 + Duration::from_secs(41), patience),
            3
        );
        assert!(attempts.must_handshake(true));
        // A failed re-handshake keeps it pending and counts on.
        assert_eq!(attempts.handshake_failed(), 4);
        assert!(attempts.must_handshake(true));
        let later = t0 + Duration::from_secs(50);
        assert_eq!(attempts.handshook(later), Some("connect_failures"));
        assert!(!attempts.must_handshake(true));
        // The patience counts from the re-handshake, and a success resets it.
        assert_eq!(attempts.connect_failed(later + patience, patience), 1);
        attempts.connected(later + patience);
        assert_eq!(
            attempts.connect_failed(later + patience + patience, patience),
            1
        );
        assert!(!attempts.must_handshake(true));
    }

    #[test]
    fn a_rehandshake_asked_by_the_server_is_reported_once_done() {
        let t0 = Instant::now();
        let mut attempts = Attempts::new(t0);
        attempts.handshook(t0);
        attempts.last_reply = Some(t0);
        attempts.rehandshake_for("advice_handshake");
        assert!(attempts.must_handshake(true));
        assert_eq!(attempts.handshook(t0), Some("advice_handshake"));
        // No connect gap across a handshake.
        assert_eq!(attempts.last_reply, None);
        assert_eq!(attempts.handshook(t0), None);
    }
}
