//! The `/meta/connect` loop: advice, backoff, re-handshake.

use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use super::session::{advised, find_reply, needs_handshake};
use super::{BayeuxClient, ClientError, ExchangeKind, ExchangeOutcome};
use crate::bayeux::message::{Advice, Message, Reconnect};

/// What to do after one connect exchange.
enum Next {
    Connect,
    Handshake(&'static str),
    Fail,
    Stop,
}

impl BayeuxClient {
    /// Keeps exactly one `/meta/connect` outstanding until `stop` is
    /// cancelled (`Ok`) or the server advises `none` (`Err(ReconnectNone)`,
    /// or `Ok` after [`BayeuxClient::disconnect`]). Handshakes first if
    /// needed; re-handshakes and re-subscribes on `reconnect: handshake`, on
    /// unknown-client errors, and when no connect succeeded for
    /// `timeout + interval + maxInterval`, then sends [`super::Delivery::Rehandshaked`].
    /// Transport failures back off `backoff_step` more per failure, up to `max_backoff`.
    pub async fn run_connect_loop(&self, stop: &CancellationToken) -> Result<(), ClientError> {
        let inner = &self.inner;
        // Connects never queue behind REST calls in the pool, and an idle
        // agent's held connect costs a socket, not a pooled connection.
        let mut connection = inner.http.long_poll(&inner.config.url)?;
        let mut failures: u32 = 0;
        let mut last_ok = Instant::now();
        let mut last_reply: Option<Instant> = None;
        let mut rehandshake: Option<&'static str> = None;
        loop {
            if stop.is_cancelled() {
                return Ok(());
            }
            let has_id = inner.lock().client_id.is_some();
            if !has_id || rehandshake.is_some() {
                if inner.lock().disconnecting {
                    return Ok(());
                }
                let done = tokio::select! {
                    _ = stop.cancelled() => return Ok(()),
                    r = self.handshake_and_resubscribe() => r,
                };
                match done {
                    Ok(()) => {
                        if let Some(reason) = rehandshake.take() {
                            inner.observer.rehandshake(reason);
                            inner.deliver_rehandshaked();
                        }
                        failures = 0;
                        last_ok = Instant::now();
                        last_reply = None;
                    }
                    Err(ClientError::ReconnectNone) => return Err(ClientError::ReconnectNone),
                    Err(_) => {
                        // A pending re-handshake stays pending (and is reported once it succeeds).
                        failures += 1;
                        if !sleep_or_stop(stop, self.backoff(failures)).await {
                            return Ok(());
                        }
                        continue;
                    }
                }
            }
            let (advice, first, client_id) = {
                let st = inner.lock();
                (st.advice.clone(), st.first_connect, st.client_id.clone())
            };
            let Some(client_id) = client_id else {
                // disconnect() ran concurrently.
                return Ok(());
            };
            let wait = match advice.interval {
                Some(i) if i < 0 => return Err(ClientError::ReconnectNone),
                Some(i) if !first => Duration::from_millis(i as u64),
                _ => Duration::ZERO,
            };
            if !sleep_or_stop(stop, wait).await {
                return Ok(());
            }
            let mut m = Message::new("/meta/connect");
            m.client_id = Some(client_id.to_string());
            m.id = Some(inner.next_id());
            m.connection_type = Some("long-polling".into());
            let hold = if first {
                m.advice = Some(Advice {
                    timeout: Some(0),
                    ..Advice::default()
                });
                Duration::ZERO
            } else {
                Duration::from_millis(advice.timeout.unwrap_or(30_000).max(0) as u64)
            };
            let start = Instant::now();
            if let Some(t) = last_reply {
                inner
                    .observer
                    .connect_gap(start.saturating_duration_since(t));
            }
            inner.observer.connect_sent();
            let result = tokio::select! {
                _ = stop.cancelled() => {
                    inner.observer.connect_cancelled();
                    return Ok(());
                }
                r = inner.exchange_held(
                    &mut connection,
                    std::slice::from_ref(&m),
                    hold + inner.config.connect_allowance,
                ) => r,
            };
            last_reply = Some(Instant::now());
            let (next, observed) = match result {
                Ok(ex) => {
                    let events = ex.events;
                    match find_reply(ex.replies, "/meta/connect", ExchangeKind::Connect) {
                        Ok(reply) => {
                            let next = self.judge(&reply);
                            let observed = match (&next, reply.successful) {
                                (Next::Connect | Next::Stop, Some(true)) => Ok(events),
                                _ if needs_handshake(&reply) => Err(ClientError::UnknownClient(
                                    reply.error.clone().unwrap_or_default(),
                                )),
                                _ => Err(ClientError::Refused {
                                    kind: ExchangeKind::Connect,
                                    error: reply
                                        .error
                                        .clone()
                                        .unwrap_or_else(|| "(no error given)".into()),
                                }),
                            };
                            (next, observed)
                        }
                        Err(e) => (Next::Fail, Err(e)),
                    }
                }
                Err(e) => (Next::Fail, Err(e)),
            };
            let elapsed = start.elapsed();
            let outcome = match observed {
                // Judged by the server's own advice, so it holds against any server.
                Ok(0) if !hold.is_zero() && elapsed >= hold / 2 => ExchangeOutcome::Held,
                Ok(0) => ExchangeOutcome::Empty,
                Ok(n) => ExchangeOutcome::Delivered(n),
                Err(e) => ExchangeOutcome::Failed(e.kind()),
            };
            inner
                .observer
                .exchange(ExchangeKind::Connect, elapsed, outcome);
            match next {
                Next::Connect => {
                    failures = 0;
                    last_ok = Instant::now();
                    inner.lock().first_connect = false;
                }
                Next::Handshake(reason) => rehandshake = Some(reason),
                Next::Stop => {
                    return if inner.lock().disconnecting {
                        Ok(())
                    } else {
                        Err(ClientError::ReconnectNone)
                    };
                }
                Next::Fail => {
                    failures += 1;
                    let advice = inner.lock().advice.clone();
                    let ms = |v: Option<i64>, d: i64| {
                        Duration::from_millis(v.unwrap_or(d).max(0) as u64)
                    };
                    let patience = ms(advice.timeout, 30_000)
                        + ms(advice.interval, 0)
                        + ms(advice.max_interval, 10_000);
                    if last_ok.elapsed() > patience {
                        rehandshake = Some("connect_failures");
                    }
                    if !sleep_or_stop(stop, self.backoff(failures)).await {
                        return Ok(());
                    }
                }
            }
        }
    }

    /// Decides from the connect reply's own advice, then from its error.
    fn judge(&self, reply: &Message) -> Next {
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

    async fn handshake_and_resubscribe(&self) -> Result<(), ClientError> {
        self.handshake().await?;
        self.resubscribe_all().await
    }

    fn backoff(&self, failures: u32) -> Duration {
        let c = &self.inner.config;
        c.backoff_step.saturating_mul(failures).min(c.max_backoff)
    }
}

/// Sleeps; `false` when `stop` was cancelled first.
async fn sleep_or_stop(stop: &CancellationToken, wait: Duration) -> bool {
    if wait.is_zero() {
        return !stop.is_cancelled();
    }
    tokio::select! {
        _ = stop.cancelled() => false,
        _ = tokio::time::sleep(wait) => true,
    }
}
