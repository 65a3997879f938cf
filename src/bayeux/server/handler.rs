//! Request handling: decoding, one reply per message, batches.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use bytes::Bytes;
use hyper::StatusCode;
use hyper::header::HeaderValue;

use super::session::Session;
use super::store::{Full, Store, random_token};
use super::{BROWSER_COOKIE, CloseReason, Reply, RequestContext, hold};
use crate::bayeux::channel::{is_meta, is_service};
use crate::bayeux::message::{Advice, Message, Reconnect, decode_messages};
use crate::bayeux::{ChannelPattern, Subscription};

pub(crate) async fn handle(store: &Store, ctx: RequestContext, body: Bytes) -> Reply {
    let set_cookie = if ctx.browser.is_none() {
        HeaderValue::from_str(&format!(
            "{BROWSER_COOKIE}={}; Path=/; HttpOnly",
            random_token()
        ))
        .ok()
    } else {
        None
    };
    if body.len() > store.config.max_body_bytes {
        return plain(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Bayeux request body too large",
            set_cookie,
        );
    }
    let mut messages = match decode_messages(&body) {
        Ok(m) if !m.is_empty() => m,
        Ok(_) => {
            return plain(
                StatusCode::BAD_REQUEST,
                "empty Bayeux message array",
                set_cookie,
            );
        }
        Err(e) => {
            return plain(
                StatusCode::BAD_REQUEST,
                &format!("not a Bayeux JSON message array: {e}"),
                set_cookie,
            );
        }
    };
    // A session belongs to the principal who opened it (as on GWS): another
    // user's credentials cannot connect, subscribe or publish with its id.
    let foreign = messages.iter().any(|m| {
        m.client_id
            .as_deref()
            .and_then(|id| store.get(id))
            .is_some_and(|s| s.principal != ctx.principal)
    });
    if foreign {
        return plain(
            StatusCode::FORBIDDEN,
            "this clientId belongs to another user: handshake with your own credentials",
            set_cookie,
        );
    }
    if messages.len() == 1
        && messages[0].channel == "/meta/connect"
        && let Some(m) = messages.pop()
    {
        return hold::connect(store, m, set_cookie).await;
    }
    let mut out = Vec::with_capacity(256);
    out.push(b'[');
    let mut drain: Option<Arc<Session>> = None;
    for (i, m) in messages.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let reply = process(store, &ctx, m, &mut drain);
        push_json(&mut out, &reply);
    }
    // Events ride on any reply to a known session (as CometD does).
    if let Some(session) = drain {
        let mut st = session.lock();
        if st.closed.is_none() {
            st.last_active = Instant::now();
            st.drain_into(&mut out);
        }
    }
    out.push(b']');
    json_reply(out, set_cookie)
}

fn process(
    store: &Store,
    ctx: &RequestContext,
    m: &Message,
    drain: &mut Option<Arc<Session>>,
) -> Message {
    if m.channel == "/meta/handshake" {
        return handshake(store, ctx, m);
    }
    let Some(session) = m.client_id.as_deref().and_then(|id| store.get(id)) else {
        return unknown_client(m);
    };
    if drain.is_none() {
        *drain = Some(session.clone());
    }
    match m.channel.as_str() {
        "/meta/connect" => hold::immediate_connect(store, &session, m),
        "/meta/subscribe" => subscribe(store, &session, m, true),
        "/meta/unsubscribe" => subscribe(store, &session, m, false),
        "/meta/disconnect" => {
            store.close(&session.id, CloseReason::Disconnected);
            reply_to(m, &session, true)
        }
        c if is_meta(c) => error_reply(m, Some(&session), format!("400:{c}:Unknown meta channel")),
        _ => publish(store, &session, m),
    }
}

fn handshake(store: &Store, ctx: &RequestContext, m: &Message) -> Message {
    let mut reply = Message::new("/meta/handshake");
    reply.id = m.id.clone();
    reply.version = Some("1.0".into());
    reply.supported_connection_types = Some(vec!["long-polling".into()]);
    if let Some(types) = &m.supported_connection_types
        && !types.iter().any(|t| t == "long-polling")
    {
        reply.successful = Some(false);
        reply.error = Some("301:long-polling:Connection types not supported".into());
        return reply;
    }
    let session = match store.open(ctx.principal.clone()) {
        Ok(session) => session,
        Err(full) => {
            store.denied.handshakes.fetch_add(1, Ordering::Relaxed);
            let who = ctx.principal.as_deref().unwrap_or("this client");
            reply.successful = Some(false);
            reply.error = Some(match full {
                Full::Server(max) => format!(
                    "403::the server holds {max} sessions, the most it keeps: handshake again once some have expired"
                ),
                Full::Principal(max) => format!(
                    "403::{who} holds {max} sessions, the most one user may keep: disconnect the ones it no longer uses, or handshake again once they have expired"
                ),
            });
            // Sessions expire after maxInterval without a connect: by then
            // there may be room again.
            reply.advice = Some(Advice {
                reconnect: Some(Reconnect::Handshake),
                interval: Some(store.config.max_interval.as_millis() as i64),
                ..Advice::default()
            });
            return reply;
        }
    };
    reply.client_id = Some(session.id.to_string());
    reply.successful = Some(true);
    reply.advice = Some(full_advice(store));
    reply
}

pub(crate) fn full_advice(store: &Store) -> Advice {
    let c = &store.config;
    Advice {
        reconnect: Some(Reconnect::Retry),
        interval: Some(c.interval.as_millis() as i64),
        timeout: Some(c.timeout.as_millis() as i64),
        max_interval: Some(c.max_interval.as_millis() as i64),
        multiple_clients: None,
    }
}

fn subscribe(store: &Store, session: &Session, m: &Message, add: bool) -> Message {
    let Some(sub) = &m.subscription else {
        return error_reply(m, Some(session), "403::subscription missing".into());
    };
    let mut patterns = Vec::with_capacity(sub.as_slice().len());
    for s in sub.as_slice() {
        match ChannelPattern::parse(s) {
            Some(_) if is_meta(s) => {
                return error_reply_sub(m, session, format!("403:{s}:Subscription denied"));
            }
            Some(p) if add && !store.policy.can_subscribe(session.principal.as_ref(), &p) => {
                store.denied.subscriptions.fetch_add(1, Ordering::Relaxed);
                return error_reply_sub(m, session, format!("403:{s}:Subscription denied"));
            }
            Some(p) => patterns.push(p),
            None => return error_reply_sub(m, session, format!("405:{s}:Invalid channel")),
        }
    }
    {
        let mut st = session.lock();
        for p in patterns {
            if add {
                if !st.subscriptions.contains(&p) {
                    st.subscriptions.push(p);
                }
            } else {
                st.subscriptions.retain(|q| *q != p);
            }
        }
    }
    let mut reply = reply_to(m, session, true);
    reply.subscription = Some(sub.clone());
    reply
}

fn publish(store: &Store, session: &Session, m: &Message) -> Message {
    let channel = m.channel.as_str();
    if !matches!(
        ChannelPattern::parse(channel),
        Some(ChannelPattern::Exact(_))
    ) {
        return error_reply(m, Some(session), format!("405:{channel}:Invalid channel"));
    }
    let Some(data) = &m.data else {
        return error_reply(m, Some(session), format!("400:{channel}:data missing"));
    };
    if !store
        .policy
        .can_publish(session.principal.as_ref(), channel)
    {
        store.denied.publishes.fetch_add(1, Ordering::Relaxed);
        return error_reply(m, Some(session), format!("403:{channel}:Publish denied"));
    }
    // /service/** is never broadcast; with no service handler the
    // acknowledgement is the whole answer.
    if !is_service(channel) {
        store.publish(channel, data);
    }
    reply_to(m, session, true)
}

pub(crate) fn reply_to(m: &Message, session: &Session, successful: bool) -> Message {
    let mut reply = Message::new(m.channel.clone());
    reply.id = m.id.clone();
    reply.client_id = Some(session.id.to_string());
    reply.successful = Some(successful);
    reply
}

fn error_reply(m: &Message, session: Option<&Session>, error: String) -> Message {
    let mut reply = Message::new(m.channel.clone());
    reply.id = m.id.clone();
    reply.client_id = session.map(|s| s.id.to_string());
    reply.successful = Some(false);
    reply.error = Some(error);
    reply
}

fn error_reply_sub(m: &Message, session: &Session, error: String) -> Message {
    let mut reply = error_reply(m, Some(session), error);
    reply.subscription = m
        .subscription
        .clone()
        .or(Some(Subscription::Many(Vec::new())));
    reply
}

/// `402::Unknown client` with handshake advice (CometD 2-3 wording).
pub(crate) fn unknown_client(m: &Message) -> Message {
    let mut reply = Message::new(m.channel.clone());
    reply.id = m.id.clone();
    reply.client_id = m.client_id.clone();
    reply.successful = Some(false);
    reply.error = Some("402::Unknown client".into());
    reply.advice = Some(Advice {
        reconnect: Some(Reconnect::Handshake),
        interval: Some(0),
        ..Advice::default()
    });
    reply
}

pub(crate) fn push_json(out: &mut Vec<u8>, m: &Message) {
    if serde_json::to_writer(&mut *out, m).is_err() {
        // Only a non-string map key inside `ext` could fail; answer without it.
        out.extend_from_slice(br#"{"channel":"/meta/unknown","successful":false,"error":"500::reply not serializable"}"#);
    }
}

pub(crate) fn json_reply(body: Vec<u8>, set_cookie: Option<HeaderValue>) -> Reply {
    Reply {
        status: StatusCode::OK,
        body: Bytes::from(body),
        set_cookie,
    }
}

fn plain(status: StatusCode, text: &str, set_cookie: Option<HeaderValue>) -> Reply {
    Reply {
        status,
        body: Bytes::copy_from_slice(text.as_bytes()),
        set_cookie,
    }
}
