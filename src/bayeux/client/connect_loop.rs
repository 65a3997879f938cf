//! The `/meta/connect` loop: handshake when needed, one connect outstanding,
//! then what `reconnect.rs` decides from the reply (connect again, handshake
//! again, back off, or stop).

use std::ops::ControlFlow::{self, Break, Continue};
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use super::reconnect::{
    Attempts, Next, backoff, connect_hold, connect_message, connect_wait, exchange_outcome,
    patience, read_reply,
};
use super::{BayeuxClient, ClientError, ExchangeKind};
use crate::http::LongPollConnection;

/// How the loop ends: asked to stop, or after a disconnect (`Ok`), told
/// by the server never to reconnect (`Err(ReconnectNone)`), or disconnected
/// by the server (`Err(Disconnected)`).
type End = Result<(), ClientError>;

/// How a handshake step went, when the loop goes on.
enum Handshook {
    /// Handshaken and re-subscribed: connect now.
    Yes,
    /// Failed and backed off: look again at what the session needs.
    BackedOff,
}

impl BayeuxClient {
    /// Keeps exactly one `/meta/connect` outstanding until `stop` is
    /// cancelled (`Ok`), the server advises `none` (`Err(ReconnectNone)`,
    /// or `Ok` after [`BayeuxClient::disconnect`]) or the server disconnects
    /// the client (`Err(Disconnected)`; the client is then not handshaken). Handshakes first if
    /// needed; re-handshakes and re-subscribes on `reconnect: handshake`, on
    /// unknown-client errors, and when no connect succeeded for
    /// `timeout + interval + maxInterval`, then sends [`super::Delivery::Rehandshaked`].
    /// Transport failures back off `backoff_step` more per failure, up to `max_backoff`.
    pub async fn run_connect_loop(&self, stop: &CancellationToken) -> Result<(), ClientError> {
        let inner = &self.inner;
        // Connects never queue behind REST calls in the pool, and an idle
        // agent's held connect costs a socket, not a pooled connection.
        let mut connection = inner
            .http
            .long_poll(&inner.config.url)?
            .bound_to(inner.config.source_address);
        let mut attempts = Attempts::new(Instant::now());
        loop {
            if stop.is_cancelled() {
                return Ok(());
            }
            let has_client_id = inner.lock().client_id.is_some();
            if attempts.must_handshake(has_client_id) {
                match Box::pin(self.handshake_step(stop, &mut attempts)).await {
                    Continue(Handshook::Yes) => {}
                    Continue(Handshook::BackedOff) => continue,
                    Break(end) => return end,
                }
            }
            // Both steps boxed: this future lives as long as the agent, and
            // inline it would be twice the size of the held connect's state
            // (rustc keeps the awaited step and its arguments apart), about
            // 1 KiB per agent for the cost of one allocation per cycle.
            let next = match Box::pin(self.connect_once(&mut connection, stop, &mut attempts)).await
            {
                Continue(next) => next,
                Break(end) => return end,
            };
            if let Break(end) = self.follow(next, stop, &mut attempts).await {
                return end;
            }
        }
    }

    /// Handshakes and re-subscribes, reporting a re-handshake once it
    /// succeeded; after a failure, backs off.
    async fn handshake_step(
        &self,
        stop: &CancellationToken,
        attempts: &mut Attempts,
    ) -> ControlFlow<End, Handshook> {
        let inner = &self.inner;
        if inner.lock().disconnecting {
            return Break(Ok(()));
        }
        let done = tokio::select! {
            _ = stop.cancelled() => return Break(Ok(())),
            r = self.handshake_and_resubscribe() => r,
        };
        match done {
            Ok(()) => {
                if let Some(reason) = attempts.handshook(Instant::now()) {
                    inner.observer.rehandshake(reason);
                    inner.deliver_rehandshaked();
                }
                Continue(Handshook::Yes)
            }
            Err(ClientError::ReconnectNone) => Break(Err(ClientError::ReconnectNone)),
            Err(_) => {
                let failures = attempts.handshake_failed();
                self.back_off(stop, failures).await?;
                Continue(Handshook::BackedOff)
            }
        }
    }

    /// Sends one connect after the advised interval and tells the observer
    /// how it went; returns what the reply calls for.
    async fn connect_once(
        &self,
        connection: &mut LongPollConnection,
        stop: &CancellationToken,
        attempts: &mut Attempts,
    ) -> ControlFlow<End, Next> {
        let inner = &self.inner;
        let (advice, first, client_id) = {
            let st = inner.lock();
            (st.advice.clone(), st.first_connect, st.client_id.clone())
        };
        let Some(client_id) = client_id else {
            // disconnect() ran concurrently.
            return Break(Ok(()));
        };
        let Some(wait) = connect_wait(&advice, first) else {
            return Break(Err(ClientError::ReconnectNone));
        };
        if !sleep_or_stop(stop, wait).await {
            return Break(Ok(()));
        }
        // Boxed and handed over: a Message is 336 bytes, and the exchange
        // drops it once encoded rather than keeping it through the hold.
        let m = Box::new(connect_message(&client_id, inner.next_id(), first));
        let hold = connect_hold(&advice, first);
        let start = Instant::now();
        if let Some(t) = attempts.last_reply {
            inner
                .observer
                .connect_gap(start.saturating_duration_since(t));
        }
        inner.observer.connect_sent();
        let result = tokio::select! {
            _ = stop.cancelled() => {
                inner.observer.connect_cancelled();
                return Break(Ok(()));
            }
            r = inner.exchange_held(
                connection,
                m,
                hold + inner.config.connect_allowance,
            ) => r,
        };
        attempts.last_reply = Some(Instant::now());
        let (next, observed) = read_reply(result);
        let elapsed = start.elapsed();
        inner.observer.exchange(
            ExchangeKind::Connect,
            elapsed,
            exchange_outcome(&observed, hold, elapsed),
        );
        Continue(next)
    }

    /// Carries out what a connect reply called for.
    async fn follow(
        &self,
        next: Next,
        stop: &CancellationToken,
        attempts: &mut Attempts,
    ) -> ControlFlow<End> {
        let inner = &self.inner;
        match next {
            Next::Connect => {
                attempts.connected(Instant::now());
                inner.lock().first_connect = false;
            }
            Next::Handshake(reason) => attempts.rehandshake_for(reason),
            Next::Stop => {
                return Break(if inner.lock().disconnecting {
                    Ok(())
                } else {
                    Err(ClientError::ReconnectNone)
                });
            }
            Next::Kicked => {
                let mut st = inner.lock();
                // The server forgot the session: nothing may use its clientId.
                st.client_id = None;
                return Break(if st.disconnecting {
                    Ok(())
                } else {
                    Err(ClientError::Disconnected)
                });
            }
            Next::Fail => {
                let patience = patience(&inner.lock().advice);
                let failures = attempts.connect_failed(Instant::now(), patience);
                Box::pin(self.back_off(stop, failures)).await?;
            }
        }
        Continue(())
    }

    /// Waits out the backoff of `failures` consecutive failures.
    async fn back_off(&self, stop: &CancellationToken, failures: u32) -> ControlFlow<End> {
        if sleep_or_stop(stop, backoff(&self.inner.config, failures)).await {
            Continue(())
        } else {
            Break(Ok(()))
        }
    }

    async fn handshake_and_resubscribe(&self) -> Result<(), ClientError> {
        self.handshake().await?;
        self.resubscribe_all().await
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
