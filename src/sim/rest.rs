//! The GWS v2 agent REST API (8.5.0/8.5.1 model).

use std::sync::Arc;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::Response;
use serde_json::json;

use super::app::App;
use super::auth::Caller;
use super::reply;
use crate::gws::notification::{NOT_READY_STATE_ID, READY_STATE_ID};
use crate::gws::{MediaChannel, OperationName, OperationRequest, StatusCode};
use crate::sim::interaction::Phase;

/// The version `GET /api/v2/diagnostics/version` reports: an 8.5.0 build,
/// the model whose notifications the simulator reproduces.
pub const VERSION: &str = "8.5.000.62";

fn parse_op(body: &[u8]) -> Result<(OperationRequest<'_>, OperationName), Box<Response>> {
    let req: OperationRequest = serde_json::from_slice(body).map_err(|e| {
        Box::new(reply::status(
            StatusCode::MISSING_PARAMETER,
            &format!("the body must be a JSON object with an operationName: {e}"),
        ))
    })?;
    let op = req.operation().ok_or_else(|| {
        Box::new(reply::status(
            StatusCode::MISSING_PARAMETER,
            &format!("unknown operationName {:?}", req.operation_name),
        ))
    })?;
    Ok((req, op))
}

fn unsupported(op: OperationName, path: &str) -> Response {
    reply::status(
        StatusCode::INVALID_STATE,
        &format!("operation {op} is not valid on {path}"),
    )
}

/// `GET /api/v2/me`.
pub async fn me(State(app): State<Arc<App>>, Extension(caller): Extension<Caller>) -> Response {
    let name = app
        .users
        .name(caller.agent)
        .map(|n| n.to_string())
        .unwrap_or_default();
    let logged_in = app
        .switchboard
        .read(|r| r.agent_view(caller.agent))
        .is_some_and(|v| v.0);
    reply::ok_with(json!({
        "user": {
            "id": format!("{:032X}", caller.agent + 1),
            "userName": name,
            "firstName": "Agent",
            "lastName": (caller.agent + 1).to_string(),
            "roles": ["ROLE_AGENT"],
            "enabled": true,
            "changePasswordOnFirstLogin": false,
            "contactCenterSession": logged_in,
        }
    }))
}

/// `GET /api/v2/diagnostics/version`.
pub async fn version() -> Response {
    reply::ok_with(json!({ "version": VERSION }))
}

/// `POST /api/v2/me`: session start and end.
pub async fn me_operation(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Response {
    let (req, op) = match parse_op(&body) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    match op {
        OperationName::StartContactCenterSession => {
            let mut unknown = Vec::new();
            for ch in req.channels.iter().flatten() {
                if ch.parse::<MediaChannel>().is_err() {
                    unknown.push(ch.to_string());
                }
            }
            if let Err(r) = app.switchboard.with(|r, _| r.start_session(caller.agent)) {
                return reply::refusal(r);
            }
            if unknown.is_empty() {
                reply::ok()
            } else {
                reply::status(
                    StatusCode::PARTIAL_SUCCESS,
                    &format!("unknown channels {unknown:?} ignored; known: email, chat, voice"),
                )
            }
        }
        OperationName::EndContactCenterSession => {
            app.switchboard
                .with(|r, fx| r.end_session(caller.agent, fx));
            app.sessions.end(&caller.session_id);
            reply::ok()
        }
        other => unsupported(other, "/api/v2/me"),
    }
}

/// `POST /api/v2/me/channels/{channel}`: Ready / NotReady.
pub async fn channel_operation(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Path(channel): Path<String>,
    body: Bytes,
) -> Response {
    let Ok(channel) = channel.parse::<MediaChannel>() else {
        return reply::status(
            StatusCode::NOT_FOUND,
            &format!("unknown channel {channel:?}: expected email, chat or voice"),
        );
    };
    let (_, op) = match parse_op(&body) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    let ready = match op {
        OperationName::Ready => true,
        OperationName::NotReady => false,
        other => return unsupported(other, "a channel"),
    };
    match app
        .switchboard
        .with(|r, fx| r.set_ready(caller.agent, channel, ready, fx))
    {
        Ok(()) => reply::ok(),
        Err(r) => reply::refusal(r),
    }
}

/// `GET /api/v2/me/channels`.
pub async fn channels(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
) -> Response {
    let view = app.switchboard.read(|r| r.agent_view(caller.agent));
    let channels: Vec<_> = match view {
        Some((true, ready)) => ready
            .iter()
            .map(|(ch, ready)| {
                let (id, state) = if *ready {
                    (READY_STATE_ID, "Ready")
                } else {
                    (NOT_READY_STATE_ID, "NotReady")
                };
                json!({"channel": ch, "dndState": "Off",
                       "userState": {"id": id, "displayName": state, "state": state}})
            })
            .collect(),
        _ => Vec::new(),
    };
    reply::ok_with(json!({ "channels": channels }))
}

/// `GET /api/v2/me/interactions`: what the agent holds (for recovery after a re-handshake).
pub async fn interactions(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
) -> Response {
    let list = app.switchboard.read(|r| {
        r.holding(caller.agent)
            .iter()
            .filter_map(|id| r.interaction(id))
            .map(|i| {
                let state = match i.phase {
                    Phase::Offered { .. } => "Invited",
                    Phase::InProgress { .. } => "Accepted",
                    Phase::Queued => "Queued",
                };
                json!({"id": &*i.id, "state": state, "channel": i.channel, "interactionType": "Inbound"})
            })
            .collect::<Vec<_>>()
    });
    reply::ok_with(json!({ "interactions": list }))
}

/// `POST /api/v2/me/interactions/{id}`.
pub async fn interaction_operation(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let (req, op) = match parse_op(&body) {
        Ok(v) => v,
        Err(r) => return *r,
    };
    let agent = caller.agent;
    let result = match op {
        OperationName::Accept => {
            let nickname = req.nickname.as_deref();
            app.switchboard
                .with(|r, fx| r.accept(agent, &id, nickname, fx))
        }
        OperationName::Reject => app.switchboard.with(|r, fx| r.reject(agent, &id, fx)),
        OperationName::StopProcessing | OperationName::Complete => {
            app.switchboard.with(|r, fx| r.finish(agent, &id, fx))
        }
        OperationName::PlaceInQueue => {
            let queue = req.queue_name.as_deref();
            app.switchboard
                .with(|r, fx| r.place_in_queue(agent, &id, queue, fx))
        }
        OperationName::SendMessage => {
            let Some(text) = req.text.as_deref() else {
                return reply::status(StatusCode::MISSING_PARAMETER, "SendMessage needs \"text\"");
            };
            app.switchboard
                .with(|r, fx| r.agent_message(agent, &id, text, fx))
        }
        other => return unsupported(other, "an interaction"),
    };
    match result {
        Ok(()) => reply::ok(),
        Err(r) => reply::refusal(r),
    }
}
