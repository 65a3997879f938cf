//! [`BayeuxClient`]: one Bayeux session and its request/reply exchanges.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bytes::Bytes;
use hyper::Method;
use serde_json::value::RawValue;

use super::deliveries::{Deliveries, Delivery, Sender, mailbox};
use super::ext::Extensions;
use super::{ClientConfig, ClientError, ExchangeKind, ExchangeOutcome, Observer};
use crate::bayeux::message::{Advice, Message, Reconnect, Subscription, decode_messages};
use crate::http::{HttpClient, HttpError, HttpResponse, HttpSession, LongPollConnection};

/// One Bayeux session over long-polling. Cheap to clone (shared state);
/// subscribe and publish may run while a connect is held.
#[derive(Clone)]
pub struct BayeuxClient {
    pub(super) inner: Arc<Inner>,
}

impl std::fmt::Debug for BayeuxClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BayeuxClient")
            .field("url", &self.inner.config.url)
            .field("client_id", &self.client_id())
            .finish()
    }
}

pub(super) struct Inner {
    pub(super) http: HttpClient,
    pub(super) session: Arc<HttpSession>,
    /// Shared by every client made from the same configuration.
    pub(super) config: Arc<ClientConfig>,
    pub(super) observer: Arc<dyn Observer>,
    extensions: Extensions,
    tx: Sender,
    state: Mutex<State>,
    next_id: AtomicU64,
    /// Serializes handshakes (the loop and the agent may both ask).
    handshake_lock: tokio::sync::Mutex<()>,
}

#[derive(Default)]
pub(super) struct State {
    pub(super) client_id: Option<Arc<str>>,
    pub(super) advice: Advice,
    pub(super) subscriptions: Vec<String>,
    /// The next connect is the first after a handshake (asks `timeout: 0`).
    pub(super) first_connect: bool,
    /// `disconnect()` was called: `reconnect: none` is then expected.
    pub(super) disconnecting: bool,
}

/// The replies of one exchange, events already delivered.
pub(super) struct Exchanged {
    pub(super) replies: Vec<Message>,
    pub(super) events: usize,
}

impl BayeuxClient {
    /// A client that has not handshaken yet, and the receiver of its events.
    /// `config` may be shared (an `Arc`) by many clients: each agent holds
    /// one client for life.
    pub fn new(
        http: HttpClient,
        session: Arc<HttpSession>,
        config: impl Into<Arc<ClientConfig>>,
        observer: Arc<dyn Observer>,
    ) -> (BayeuxClient, Deliveries) {
        let config = config.into();
        let (tx, rx) = mailbox();
        let inner = Inner {
            http,
            session,
            extensions: Extensions::new(&config),
            config,
            observer,
            tx,
            state: Mutex::new(State::default()),
            next_id: AtomicU64::new(1),
            handshake_lock: tokio::sync::Mutex::new(()),
        };
        (
            BayeuxClient {
                inner: Arc::new(inner),
            },
            rx,
        )
    }

    /// The current clientId, once handshaken.
    pub fn client_id(&self) -> Option<String> {
        self.inner.lock().client_id.as_deref().map(str::to_owned)
    }

    /// The advice in force (newest fields win).
    pub fn advice(&self) -> Advice {
        self.inner.lock().advice.clone()
    }

    /// Handshakes (a new clientId). Does not re-subscribe; the connect loop
    /// does that when it handshakes by itself.
    pub async fn handshake(&self) -> Result<(), ClientError> {
        let _one = self.inner.handshake_lock.lock().await;
        let mut m = Message::new("/meta/handshake");
        m.id = Some(self.inner.next_id());
        m.version = Some("1.0".into());
        m.minimum_version = Some("1.0".into());
        m.supported_connection_types = Some(vec!["long-polling".into()]);
        m.ext = self.inner.config.handshake_ext.clone();
        let start = Instant::now();
        let result = self
            .inner
            .exchange(&mut [m], self.inner.config.request_timeout)
            .await;
        let result = result.and_then(|ex| {
            let reply = find_reply(ex.replies, "/meta/handshake", ExchangeKind::Handshake)?;
            match (&reply.client_id, reply.successful) {
                (Some(id), Some(true)) => {
                    let mut st = self.inner.lock();
                    st.client_id = Some(Arc::from(id.as_str()));
                    st.first_connect = true;
                    st.disconnecting = false;
                    if reply.advice.as_ref().and_then(|a| a.reconnect).is_none() {
                        st.advice.reconnect = Some(Reconnect::Retry);
                    }
                    Ok(())
                }
                _ if advised(&reply) == Some(Reconnect::None) => Err(ClientError::ReconnectNone),
                _ => Err(refused(ExchangeKind::Handshake, &reply)),
            }
        });
        self.inner
            .observe(ExchangeKind::Handshake, start, &result, 0);
        result
    }

    /// Subscribes to a channel or pattern (`/foo/*`, `/foo/**`). The
    /// subscription is remembered and renewed after every re-handshake,
    /// unless the server refuses it. Racing a re-handshake it may fail with
    /// [`ClientError::UnknownClient`]; the loop's re-subscription covers it
    /// and [`Delivery::Rehandshaked`] follows.
    pub async fn subscribe(&self, subscription: &str) -> Result<(), ClientError> {
        {
            let mut st = self.inner.lock();
            if !st.subscriptions.iter().any(|s| s == subscription) {
                st.subscriptions.push(subscription.to_owned());
            }
        }
        let result = self
            .inner
            .meta_request(ExchangeKind::Subscribe, "/meta/subscribe", subscription)
            .await;
        if let Err(ClientError::Refused { .. }) = result {
            self.inner
                .lock()
                .subscriptions
                .retain(|s| s != subscription);
        }
        result
    }

    /// Unsubscribes and forgets the subscription.
    pub async fn unsubscribe(&self, subscription: &str) -> Result<(), ClientError> {
        self.inner
            .lock()
            .subscriptions
            .retain(|s| s != subscription);
        self.inner
            .meta_request(ExchangeKind::Unsubscribe, "/meta/unsubscribe", subscription)
            .await
    }

    /// Publishes `data` to `channel` and waits for the acknowledgement.
    pub async fn publish(&self, channel: &str, data: &RawValue) -> Result<(), ClientError> {
        let client_id = self.inner.current_id()?;
        let mut m = Message::new(channel);
        m.client_id = Some(client_id.to_string());
        m.id = Some(self.inner.next_id());
        m.data = Some(data.to_owned());
        let start = Instant::now();
        let result = self
            .inner
            .exchange(&mut [m], self.inner.config.request_timeout)
            .await;
        let result = result.and_then(|ex| {
            let events = ex.events;
            let reply = find_reply(ex.replies, channel, ExchangeKind::Publish)?;
            check(ExchangeKind::Publish, &reply).map(|()| events)
        });
        let events = *result.as_ref().unwrap_or(&0);
        let result = result.map(drop);
        self.inner
            .observe(ExchangeKind::Publish, start, &result, events);
        result
    }

    /// Ends the session (`/meta/disconnect`); the connect loop then ends
    /// with `Ok` when the server answers its held connect with `none`.
    pub async fn disconnect(&self) -> Result<(), ClientError> {
        let client_id = {
            let mut st = self.inner.lock();
            st.disconnecting = true;
            st.client_id.take()
        };
        let Some(client_id) = client_id else {
            return Ok(());
        };
        let mut m = Message::new("/meta/disconnect");
        m.client_id = Some(client_id.to_string());
        m.id = Some(self.inner.next_id());
        let start = Instant::now();
        let result = self
            .inner
            .exchange(&mut [m], self.inner.config.request_timeout)
            .await;
        let result = result.and_then(|ex| {
            let reply = find_reply(ex.replies, "/meta/disconnect", ExchangeKind::Disconnect)?;
            check(ExchangeKind::Disconnect, &reply)
        });
        self.inner
            .observe(ExchangeKind::Disconnect, start, &result, 0);
        result
    }

    /// Re-sends every remembered subscription, one batch.
    pub(super) async fn resubscribe_all(&self) -> Result<(), ClientError> {
        let (client_id, subs) = {
            let st = self.inner.lock();
            (st.client_id.clone(), st.subscriptions.clone())
        };
        let Some(client_id) = client_id else {
            return Err(ClientError::NotHandshaken);
        };
        if subs.is_empty() {
            return Ok(());
        }
        let mut messages: Vec<Message> = subs
            .iter()
            .map(|s| {
                let mut m = Message::new("/meta/subscribe");
                m.client_id = Some(client_id.to_string());
                m.id = Some(self.inner.next_id());
                m.subscription = Some(Subscription::One(s.clone()));
                m
            })
            .collect();
        let ids: Vec<Option<String>> = messages.iter().map(|m| m.id.clone()).collect();
        let start = Instant::now();
        let result = self
            .inner
            .exchange(&mut messages, self.inner.config.request_timeout)
            .await;
        let result = result.and_then(|ex| {
            let subs: Vec<&Message> = ex
                .replies
                .iter()
                .filter(|r| r.channel == "/meta/subscribe")
                .collect();
            for (i, id) in ids.iter().enumerate() {
                // Match by echoed id; servers that echo none answer in order.
                let reply = subs
                    .iter()
                    .find(|r| r.id.is_some() && r.id == *id)
                    .or_else(|| subs.get(i).filter(|r| r.id.is_none()))
                    .ok_or(ClientError::NoReply(ExchangeKind::Subscribe))?;
                check(ExchangeKind::Subscribe, reply)?;
            }
            Ok(())
        });
        self.inner
            .observe(ExchangeKind::Subscribe, start, &result, 0);
        result
    }
}

impl Inner {
    pub(super) fn lock(&self) -> MutexGuard<'_, State> {
        // Plain data; a panic elsewhere leaves it usable.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(super) fn next_id(&self) -> String {
        self.next_id.fetch_add(1, Ordering::Relaxed).to_string()
    }

    pub(super) fn current_id(&self) -> Result<Arc<str>, ClientError> {
        self.lock()
            .client_id
            .clone()
            .ok_or(ClientError::NotHandshaken)
    }

    async fn meta_request(
        &self,
        kind: ExchangeKind,
        channel: &'static str,
        subscription: &str,
    ) -> Result<(), ClientError> {
        let start = Instant::now();
        // A request before any handshake is observed too, so every failed
        // exchange reaches the observer (which counts it) exactly once.
        let result = match self.current_id() {
            Ok(client_id) => {
                let mut m = Message::new(channel);
                m.client_id = Some(client_id.to_string());
                m.id = Some(self.next_id());
                m.subscription = Some(Subscription::One(subscription.to_owned()));
                let result = self.exchange(&mut [m], self.config.request_timeout).await;
                result.and_then(|ex| {
                    let reply = find_reply(ex.replies, channel, kind)?;
                    check(kind, &reply)
                })
            }
            Err(e) => Err(e),
        };
        self.observe(kind, start, &result, 0);
        result
    }

    pub(super) fn observe<T>(
        &self,
        kind: ExchangeKind,
        start: Instant,
        result: &Result<T, ClientError>,
        events: usize,
    ) {
        let outcome = match result {
            Ok(_) if events > 0 => ExchangeOutcome::Delivered(events),
            Ok(_) => ExchangeOutcome::Empty,
            Err(e) => ExchangeOutcome::Failed(e.kind()),
        };
        self.observer.exchange(kind, start.elapsed(), outcome);
    }

    /// Passes `messages` through the extensions, POSTs them through the
    /// pool, decodes the answer (each message through the extensions),
    /// applies advice, delivers events in order, and returns the remaining replies.
    pub(super) async fn exchange(
        &self,
        messages: &mut [Message],
        timeout: Duration,
    ) -> Result<Exchanged, ClientError> {
        self.extensions.outgoing(messages);
        let body = encode(messages)?;
        let resp = self
            .http
            .request(
                &self.session,
                Method::POST,
                &self.config.url,
                Some(JSON),
                Bytes::from(body),
                timeout,
            )
            .await?;
        self.take_reply(resp)
    }

    /// [`Inner::exchange`] over the agent's own long-poll connection.
    pub(super) async fn exchange_held(
        &self,
        connection: &mut LongPollConnection,
        mut message: Box<Message>,
        timeout: Duration,
    ) -> Result<Exchanged, ClientError> {
        self.extensions
            .outgoing(std::slice::from_mut(&mut *message));
        let body = encode(std::slice::from_ref(&*message))?;
        // Sent as bytes: the message itself need not live through the hold.
        drop(message);
        let resp = connection.post(&self.session, JSON, &body, timeout).await?;
        self.take_reply(resp)
    }

    fn take_reply(&self, resp: HttpResponse) -> Result<Exchanged, ClientError> {
        let decoded = decode_messages(&resp.body);
        let messages = match decoded {
            Ok(m) => m,
            // A non-2xx answer that is not Bayeux is an HTTP failure.
            Err(_) if !resp.status.is_success() => {
                return Err(HttpError::Status(resp.status).into());
            }
            Err(e) => return Err(ClientError::BadReply(e.to_string())),
        };
        if !resp.status.is_success() && messages.is_empty() {
            return Err(HttpError::Status(resp.status).into());
        }
        let received_at = Instant::now();
        let mut replies = Vec::with_capacity(1);
        let mut events = 0;
        for mut m in messages {
            self.extensions.incoming(&mut m);
            if m.is_event() {
                if let Some(data) = m.data {
                    events += 1;
                    // The agent may have gone; events then have nowhere to go.
                    self.tx.send(Delivery::Message {
                        channel: m.channel,
                        data,
                        received_at,
                    });
                }
                continue;
            }
            if let Some(advice) = &m.advice {
                self.lock().advice.update(advice);
            }
            replies.push(m);
        }
        Ok(Exchanged { replies, events })
    }

    pub(super) fn deliver_rehandshaked(&self) {
        self.tx.send(Delivery::Rehandshaked);
    }
}

const JSON: &str = "application/json;charset=UTF-8";

fn encode(messages: &[Message]) -> Result<Vec<u8>, ClientError> {
    serde_json::to_vec(messages)
        .map_err(|e| ClientError::BadReply(format!("cannot encode request: {e}")))
}

/// The reply on `channel`, preferring one that carries `successful`.
pub(super) fn find_reply(
    replies: Vec<Message>,
    channel: &str,
    kind: ExchangeKind,
) -> Result<Message, ClientError> {
    let mut fallback = None;
    for r in replies {
        if r.channel == channel && r.successful.is_some() {
            return Ok(r);
        }
        if fallback.is_none() && r.successful.is_some() {
            fallback = Some(r);
        }
    }
    // Some servers answer an unknown client on a different channel.
    fallback.ok_or(ClientError::NoReply(kind))
}

/// `Ok` for a successful reply, else the matching error.
pub(super) fn check(kind: ExchangeKind, reply: &Message) -> Result<(), ClientError> {
    if reply.successful == Some(true) {
        return Ok(());
    }
    if needs_handshake(reply) {
        return Err(ClientError::UnknownClient(
            reply.error.clone().unwrap_or_default(),
        ));
    }
    if advised(reply) == Some(Reconnect::None) {
        return Err(ClientError::ReconnectNone);
    }
    Err(refused(kind, reply))
}

pub(super) fn advised(reply: &Message) -> Option<Reconnect> {
    reply.advice.as_ref().and_then(|a| a.reconnect)
}

/// Whether a reply means "handshake again": by advice first; without
/// advice, an unsuccessful reply with an unknown-client error of any
/// server's dialect (`402::...`, `401:id:Unknown client`, `403::Unknown client`).
pub(super) fn needs_handshake(reply: &Message) -> bool {
    match advised(reply) {
        Some(r) => r == Reconnect::Handshake,
        None if reply.successful == Some(false) => {
            reply.error_info().is_some_and(|e| match e.code {
                Some(402) => true,
                Some(401 | 403) => {
                    let m = e.message.to_ascii_lowercase();
                    m.contains("unknown") && (m.contains("client") || m.contains("session"))
                }
                _ => false,
            })
        }
        None => false,
    }
}

fn refused(kind: ExchangeKind, reply: &Message) -> ClientError {
    ClientError::Refused {
        kind,
        error: reply
            .error
            .clone()
            .unwrap_or_else(|| "(no error given)".into()),
    }
}
