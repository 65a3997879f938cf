//! The Bayeux endpoint `/api/v2/notifications` (and any path below it):
//! requests authenticated like the REST API, handed to the crate's Bayeux
//! server with the agent as principal; Bayeux sessions bound to agents.

use std::sync::{Arc, Weak};

use axum::Extension;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::app::App;
use super::auth::{Caller, Users};
use super::switchboard::{Notifier, Switchboard};
use crate::bayeux::ChannelPattern;
use crate::bayeux::channel::is_service;
use crate::bayeux::server::{
    BayeuxServer, CloseReason, RequestContext, SecurityPolicy, SessionListener, browser_cookie,
};

impl Notifier for BayeuxServer {
    fn deliver(&self, client_id: &str, topic: &str, data: &RawValue) -> bool {
        BayeuxServer::deliver(self, client_id, topic, data)
    }
}

/// Binds Bayeux sessions to agents: the principal is the agent's user name.
pub struct AgentSessions {
    /// The switchboard (weak: the Bayeux server, which holds this, lives inside the app).
    pub switchboard: Weak<Switchboard>,
    /// The user directory.
    pub users: Arc<Users>,
}

impl SessionListener for AgentSessions {
    fn opened(&self, client_id: &str, principal: Option<&Arc<str>>) {
        let (Some(switchboard), Some(agent)) = (
            self.switchboard.upgrade(),
            principal.and_then(|p| self.users.index_of(p)),
        ) else {
            return;
        };
        switchboard.with(|r, _| r.client_opened(agent, client_id));
    }

    fn closed(&self, client_id: &str, principal: Option<&Arc<str>>, reason: CloseReason) {
        let (Some(switchboard), Some(agent)) = (
            self.switchboard.upgrade(),
            principal.and_then(|p| self.users.index_of(p)),
        ) else {
            return;
        };
        // Expiry means the agent's client is gone: its session ends and its
        // interactions go back to the queue. A disconnect or a forgotten
        // session (fault) only drops the Bayeux session; the agent re-handshakes.
        let expired = reason == CloseReason::Expired;
        switchboard.with(|r, fx| r.client_closed(agent, client_id, expired, fx));
    }
}

/// The channels below which an agent's notifications go (`/v2/me/interactions`, ...).
const AGENT_TOPICS: &str = "/v2/me/";

/// GWS's rules for its Bayeux clients: an agent subscribes to its own
/// topics (`/v2/me/...`, which carry only its own notifications) and
/// publishes nowhere but `/service/**`, which is never broadcast. The topics
/// are the server's to publish on: a client's publish there would reach
/// every other agent's session.
#[derive(Debug, Default, Clone, Copy)]
pub struct AgentTopics;

impl SecurityPolicy for AgentTopics {
    fn can_subscribe(&self, _: Option<&Arc<str>>, subscription: &ChannelPattern) -> bool {
        match subscription {
            ChannelPattern::Exact(channel) => channel.starts_with(AGENT_TOPICS),
            ChannelPattern::OneSegment(prefix) | ChannelPattern::AnySegments(prefix) => {
                prefix.starts_with(AGENT_TOPICS)
            }
        }
    }

    fn can_publish(&self, _: Option<&Arc<str>>, channel: &str) -> bool {
        is_service(channel)
    }
}

#[derive(Deserialize)]
struct Probe<'a> {
    #[serde(borrow, default)]
    channel: Option<std::borrow::Cow<'a, str>>,
    #[serde(rename = "clientId", borrow, default)]
    client_id: Option<std::borrow::Cow<'a, str>>,
}

/// The `(channel, clientId)` of each message of a Bayeux body (for faults).
fn probe(body: &[u8]) -> Vec<(String, String)> {
    let one = |p: Probe| {
        (
            p.channel.unwrap_or_default().into_owned(),
            p.client_id.unwrap_or_default().into_owned(),
        )
    };
    if let Ok(list) = serde_json::from_slice::<Vec<Probe>>(body) {
        return list.into_iter().map(one).collect();
    }
    serde_json::from_slice::<Probe>(body)
        .map(|p| vec![one(p)])
        .unwrap_or_default()
}

/// `POST /api/v2/notifications[/...]`.
pub async fn endpoint(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    request: Request,
) -> Response {
    // The request whole, not a `HeaderMap` extractor, which would clone the
    // headers of every connect.
    let (parts, body) = request.into_parts();
    let limit = app.max_body_bytes;
    let body = match axum::body::to_bytes(body, limit).await {
        Ok(body) => body,
        Err(e) if too_large(&e) => {
            return (
                axum::http::StatusCode::PAYLOAD_TOO_LARGE,
                format!("Bayeux request body larger than {limit} bytes"),
            )
                .into_response();
        }
        // Cut short or too slow (the body deadline).
        Err(e) => {
            return (
                axum::http::StatusCode::BAD_REQUEST,
                format!("cannot read the Bayeux request body: {e}"),
            )
                .into_response();
        }
    };
    let faults = &app.config.faults;
    let principal = app.users.name(caller.agent).cloned();
    // The body is looked into here only when a connect fault may apply; the
    // Bayeux server decodes it anyway (and checks who owns each session).
    let mut is_connect = false;
    if faults.forget_session.get() > 0.0 || faults.reset_connect.get() > 0.0 {
        for (channel, client_id) in probe(&body) {
            if channel == "/meta/connect" {
                is_connect = true;
                if faults.forget_session.roll(&mut rand::rng()) {
                    app.bayeux.forget(&client_id);
                }
            }
        }
    }
    let ctx = RequestContext {
        principal,
        browser: browser_cookie(&parts.headers),
    };
    let reply = app.bayeux.handle(ctx, body).await;
    if is_connect && faults.reset_connect.roll(&mut rand::rng()) {
        // The reply is lost with the connection, as on a real reset; the
        // events it carried were drained, so their offers will time out and
        // be offered again: counted, never silently dropped.
        return Response::new(Body::new(ResetBody));
    }
    reply.into_response()
}

/// Whether reading a body failed on its size limit (not on the connection).
fn too_large(e: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if err.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = err.source();
    }
    false
}

/// A body that fails on its first read: hyper then aborts the connection.
struct ResetBody;

impl hyper::body::Body for ResetBody {
    type Data = Bytes;
    type Error = std::io::Error;
    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, Self::Error>>> {
        std::task::Poll::Ready(Some(Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "fault: reset_connect",
        ))))
    }
}
