//! GMS-style endpoints that create work, as a load generator would on a real
//! deployment: `POST /genesys/2/email/{service}`, `POST /genesys/2/chat/{service}`
//! and the chat customer's `send`, `refresh`, `disconnect`.

use std::sync::Arc;

use axum::Form;
use axum::extract::{Path, State};
use axum::response::Response;
use serde_json::json;

use super::app::App;
use super::chat::ChatSession;
use super::interaction::{Content, EmailContent};
use super::reply;
use super::routing::InjectionRefused;
use crate::gws::{MediaChannel, StatusCode};

/// A form body: repeated keys allowed, order kept.
type Fields = Vec<(String, String)>;

fn field<'f>(fields: &'f Fields, name: &str) -> Option<&'f str> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

/// The `userData[key]=value` entries, in order, keys without the brackets.
fn user_data(fields: &Fields) -> Fields {
    fields
        .iter()
        .filter_map(|(k, v)| {
            let key = k.strip_prefix("userData[")?.strip_suffix(']')?;
            Some((key.to_string(), v.clone()))
        })
        .collect()
}

/// `POST /genesys/2/email/{service}`.
pub async fn email(
    State(app): State<Arc<App>>,
    Path(_service): Path<String>,
    Form(fields): Form<Fields>,
) -> Response {
    let Some(from) = field(&fields, "fromAddress") else {
        return reply::status(StatusCode::MISSING_PARAMETER, "fromAddress is required");
    };
    let mailbox = field(&fields, "mailbox").unwrap_or("support");
    let content = Content::Email(EmailContent {
        from_address: from.to_string(),
        to_address: format!("{mailbox}@agentload.sim"),
        subject: field(&fields, "subject").unwrap_or("").to_string(),
        text: field(&fields, "text").unwrap_or("").to_string(),
    });
    let ud = user_data(&fields);
    match app
        .switchboard
        .with(|r, fx| r.try_inject(MediaChannel::Email, content, &ud, fx))
    {
        Ok(id) => reply::ok_with(json!({ "interactionId": &*id })),
        Err(refused) => refusal(refused),
    }
}

/// `POST /genesys/2/chat/{service}`: a customer starts a chat.
pub async fn chat(
    State(app): State<Arc<App>>,
    Path(_service): Path<String>,
    Form(fields): Form<Fields>,
) -> Response {
    let nickname = match (
        field(&fields, "nickname"),
        field(&fields, "firstName"),
        field(&fields, "lastName"),
    ) {
        (Some(n), _, _) => n.to_string(),
        (None, Some(f), Some(l)) => format!("{f} {l}"),
        _ => {
            return reply::status(
                StatusCode::MISSING_PARAMETER,
                "nickname (or firstName and lastName) is required",
            );
        }
    };
    let session = ChatSession::opened_by(nickname);
    let (customer_user_id, secure_key, alias) = (
        session.customer_user_id.clone(),
        session.secure_key.clone(),
        session.alias.clone(),
    );
    let mut ud = user_data(&fields);
    if let Some(subject) = field(&fields, "subject")
        && !ud.iter().any(|(k, _)| k == "Subject")
    {
        ud.push(("Subject".to_string(), subject.to_string()));
    }
    let id = match app
        .switchboard
        .with(|r, fx| r.try_inject(MediaChannel::Chat, Content::Chat(session), &ud, fx))
    {
        Ok(id) => id,
        Err(refused) => return refusal(refused),
    };
    reply::ok_with(json!({
        "interactionId": &*id, "chatId": &*id, "userId": customer_user_id,
        "secureKey": secure_key, "alias": alias, "chatEnded": false,
    }))
}

/// The reply to an injection over a cap: 413 for a `userData` too large,
/// 503 while the queues are full (retrying later can succeed).
fn refusal(refused: InjectionRefused) -> Response {
    let (http, status, message) = match refused {
        InjectionRefused::UserDataTooLarge { bytes, max } => (
            axum::http::StatusCode::PAYLOAD_TOO_LARGE,
            StatusCode::MISSING_PARAMETER,
            format!(
                "userData has {bytes} bytes, more than the {max} the simulator takes (simulator.max_user_data_bytes): send less, or raise it"
            ),
        ),
        InjectionRefused::QueueFull { max } => (
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            StatusCode::INTERNAL_ERROR,
            format!(
                "{max} interactions wait in the queues, the most the simulator keeps (simulator.max_queued_interactions): retry once agents have taken some, or raise it"
            ),
        ),
    };
    let mut resp = reply::status(status, &message);
    *resp.status_mut() = http;
    resp
}

/// `answer(secureKey)` when the customer's request carries one; the chat
/// itself checks that it is the right one.
fn with_secure_key(fields: &Fields, answer: impl FnOnce(&str) -> Response) -> Response {
    match field(fields, "secureKey") {
        Some(key) => answer(key),
        None => reply::status(StatusCode::MISSING_PARAMETER, "secureKey is required"),
    }
}

/// `POST /genesys/2/chat/{service}/{chatId}/send`: a customer message.
pub async fn chat_send(
    State(app): State<Arc<App>>,
    Path((_service, chat_id)): Path<(String, String)>,
    Form(fields): Form<Fields>,
) -> Response {
    with_secure_key(&fields, |key| match field(&fields, "message") {
        Some(text) => customer_event(&app, chat_id, key, Some(text)),
        None => reply::status(StatusCode::MISSING_PARAMETER, "message is required"),
    })
}

/// `POST /genesys/2/chat/{service}/{chatId}/disconnect`: the customer leaves.
pub async fn chat_disconnect(
    State(app): State<Arc<App>>,
    Path((_service, chat_id)): Path<(String, String)>,
    Form(fields): Form<Fields>,
) -> Response {
    with_secure_key(&fields, |key| customer_event(&app, chat_id, key, None))
}

/// A customer's message (`Some`) or departure (`None`) in a chat, answered
/// as GMS does.
fn customer_event(app: &App, chat_id: String, key: &str, text: Option<&str>) -> Response {
    match app
        .switchboard
        .with(|r, fx| r.customer_event(&chat_id, key, text, fx))
    {
        Ok(()) => reply::ok_with(json!({ "chatId": chat_id, "chatEnded": text.is_none() })),
        Err(r) => reply::refusal(r),
    }
}

/// `POST /genesys/2/chat/{service}/{chatId}/refresh`: the transcript from `transcriptPosition`.
pub async fn chat_refresh(
    State(app): State<Arc<App>>,
    Path((_service, chat_id)): Path<(String, String)>,
    Form(fields): Form<Fields>,
) -> Response {
    with_secure_key(&fields, |key| {
        match field(&fields, "transcriptPosition").map(str::parse::<usize>) {
            None => transcript(&app, &chat_id, key, 0),
            Some(Ok(n)) => transcript(&app, &chat_id, key, n.saturating_sub(1)),
            Some(Err(_)) => reply::status(
                StatusCode::MISSING_PARAMETER,
                "transcriptPosition must be a whole number",
            ),
        }
    })
}

/// The customer's view of the transcript from `from` (0-based), as GMS words it.
fn transcript(app: &App, chat_id: &str, key: &str, from: usize) -> Response {
    match app.switchboard.read(|r| r.transcript(chat_id, key, from)) {
        Ok((events, ended, _)) => {
            let next = from + events.len() + 1;
            let messages: Vec<_> = events
                .iter()
                .map(|e| {
                    let kind = match e.message_type.as_str() {
                        "PARTY_JOINED" => "ParticipantJoined",
                        "PARTY_LEFT" => "ParticipantLeft",
                        _ => "Message",
                    };
                    json!({"index": e.event_id, "type": kind, "text": e.message_text,
                           "from": {"nickname": e.nick_name, "participantId": e.user_id}})
                })
                .collect();
            reply::ok_with(
                json!({ "chatId": chat_id, "chatEnded": ended, "nextPosition": next, "messages": messages }),
            )
        }
        Err(r) => reply::refusal(r),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_data_fields_are_extracted_in_order() {
        let f: Fields = vec![
            ("fromAddress".into(), "a@b".into()),
            ("userData[run]".into(), "r1".into()),
            ("userData[t0]".into(), "123".into()),
            ("userData".into(), "bare".into()),
        ];
        assert_eq!(
            user_data(&f),
            vec![
                ("run".to_string(), "r1".to_string()),
                ("t0".to_string(), "123".to_string())
            ]
        );
        assert_eq!(field(&f, "fromAddress"), Some("a@b"));
    }
}
