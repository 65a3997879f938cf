//! The REST calls an agent makes (GWS v2, 8.5.0/8.5.1 model), as the Genesys
//! sample clients make them: Basic auth and cookies on every request (through
//! the agent's [`HttpSession`]), the CSRF token once the server offered one.

use std::time::Duration;

use bytes::Bytes;
use hyper::{Method, Uri};
use serde::Deserialize;

use crate::http::{HttpClient, HttpError, HttpSession};

/// Why a GWS call did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// The request did not get an HTTP answer (timeout, refused, reset...).
    #[error("{0}")]
    Http(#[from] HttpError),
    /// The server answered with an HTTP error status.
    #[error("HTTP {status} from {what}")]
    Status {
        /// The operation, e.g. `Accept`.
        what: &'static str,
        /// The HTTP status code.
        status: u16,
    },
    /// The server answered 2xx but with a non-zero GWS `statusCode`.
    #[error("{what} refused with statusCode {code}")]
    Refused {
        /// The operation, e.g. `Accept`.
        what: &'static str,
        /// The GWS statusCode (2 invalid state, 6 not found, ...).
        code: i64,
    },
}

impl CallError {
    /// A short stable name for error counting (`http_503`, `status_2`, `timeout`...).
    pub fn kind(&self) -> String {
        match self {
            CallError::Http(e) => e.kind().to_string(),
            CallError::Status { status, .. } => format!("http_{status}"),
            CallError::Refused { code, .. } => format!("gws_status_{code}"),
        }
    }
}

/// Where the agent's REST calls go.
#[derive(Debug, Clone)]
pub struct GwsEndpoints {
    /// `{base}/api/v2/me`
    pub me: String,
    /// `{base}/api/v2/me/channels/`
    pub channels: String,
    /// `{base}/api/v2/me/interactions/`
    pub interactions: String,
}

impl GwsEndpoints {
    /// Builds the paths under a base URL such as `http://127.0.0.1:8080` or
    /// `https://gws.example.com/gws` (no trailing slash needed).
    pub fn new(base: &str) -> Self {
        let base = base.trim_end_matches('/');
        GwsEndpoints {
            me: format!("{base}/api/v2/me"),
            channels: format!("{base}/api/v2/me/channels/"),
            interactions: format!("{base}/api/v2/me/interactions/"),
        }
    }
}

/// The agent's view of the GWS REST API: one shared HTTP pool, this agent's session.
#[derive(Clone)]
pub struct GwsCalls {
    http: HttpClient,
    endpoints: std::sync::Arc<GwsEndpoints>,
    timeout: Duration,
}

#[derive(Deserialize)]
struct StatusOnly {
    #[serde(rename = "statusCode", default)]
    status_code: i64,
}

const JSON: &str = "application/json";

impl GwsCalls {
    /// Calls through `http` to the endpoints; each call gives up after `timeout`.
    pub fn new(
        http: HttpClient,
        endpoints: std::sync::Arc<GwsEndpoints>,
        timeout: Duration,
    ) -> Self {
        GwsCalls {
            http,
            endpoints,
            timeout,
        }
    }

    /// `GET /api/v2/me?subresources=*`: opens the HTTP session and, when the
    /// server protects against CSRF, installs the token on the session so every
    /// later POST (REST and CometD) carries it.
    pub async fn get_me(&self, session: &HttpSession) -> Result<(), CallError> {
        let url = format!("{}?subresources=*", self.endpoints.me);
        let resp = self
            .send(session, Method::GET, &url, Bytes::new(), "GetMe")
            .await?;
        let name = resp
            .headers
            .get("x-csrf-header")
            .and_then(|v| hyper::header::HeaderName::from_bytes(v.as_bytes()).ok());
        if let (Some(name), Some(token)) = (name, resp.headers.get("x-csrf-token")) {
            session.set_header(name, token.clone());
        }
        Ok(())
    }

    /// `StartContactCenterSession` with the channels and an optional place.
    pub async fn start_session(
        &self,
        session: &HttpSession,
        channels: &[&str],
        place: Option<&str>,
    ) -> Result<(), CallError> {
        let body = serde_json::json!({
            "operationName": "StartContactCenterSession",
            "channels": channels,
            "place": place,
        });
        let url = self.endpoints.me.clone();
        self.post_op(session, &url, body, "StartContactCenterSession")
            .await
    }

    /// `EndContactCenterSession`.
    pub async fn end_session(&self, session: &HttpSession) -> Result<(), CallError> {
        let url = self.endpoints.me.clone();
        self.post_op(
            session,
            &url,
            serde_json::json!({"operationName": "EndContactCenterSession"}),
            "EndContactCenterSession",
        )
        .await
    }

    /// `Ready` or `NotReady` on one channel (`email`, `chat`).
    pub async fn set_ready(
        &self,
        session: &HttpSession,
        channel: &str,
        ready: bool,
    ) -> Result<(), CallError> {
        let url = format!("{}{}", self.endpoints.channels, channel);
        let (op, what) = if ready {
            ("Ready", "Ready")
        } else {
            ("NotReady", "NotReady")
        };
        self.post_op(
            session,
            &url,
            serde_json::json!({ "operationName": op }),
            what,
        )
        .await
    }

    /// An interaction operation: `Accept`, `Reject`, `StopProcessing`, `Complete`,
    /// or `SendMessage` with `text`.
    pub async fn interaction(
        &self,
        session: &HttpSession,
        id: &str,
        op: InteractionOp<'_>,
    ) -> Result<(), CallError> {
        let url = format!("{}{}", self.endpoints.interactions, id);
        let body = match op {
            InteractionOp::SendMessage(text) => {
                serde_json::json!({"operationName": "SendMessage", "text": text})
            }
            other => serde_json::json!({ "operationName": other.name() }),
        };
        self.post_op(session, &url, body, op.name()).await
    }

    async fn post_op(
        &self,
        session: &HttpSession,
        url: &str,
        body: serde_json::Value,
        what: &'static str,
    ) -> Result<(), CallError> {
        let bytes = Bytes::from(body.to_string());
        let resp = self.send(session, Method::POST, url, bytes, what).await?;
        let status: StatusOnly =
            serde_json::from_slice(&resp.body).unwrap_or(StatusOnly { status_code: 0 });
        match status.status_code {
            0 | 7 => Ok(()),
            code => Err(CallError::Refused { what, code }),
        }
    }

    async fn send(
        &self,
        session: &HttpSession,
        method: Method,
        url: &str,
        body: Bytes,
        what: &'static str,
    ) -> Result<crate::http::HttpResponse, CallError> {
        let uri: Uri = url
            .parse()
            .map_err(|e| CallError::Http(HttpError::InvalidRequest(format!("{url}: {e}"))))?;
        let content_type = if method == Method::POST {
            Some(JSON)
        } else {
            None
        };
        let resp = self
            .http
            .request(session, method, &uri, content_type, body, self.timeout)
            .await?;
        if !resp.status.is_success() {
            return Err(CallError::Status {
                what,
                status: resp.status.as_u16(),
            });
        }
        Ok(resp)
    }
}

/// An operation on one interaction.
#[derive(Debug, Clone, Copy)]
pub enum InteractionOp<'a> {
    /// Take the invite.
    Accept,
    /// Decline the invite; the server offers it to another agent.
    Reject,
    /// Finish (8.5.0 model).
    StopProcessing,
    /// Finish (8.5.1 model).
    Complete,
    /// Send a chat message to the customer.
    SendMessage(&'a str),
}

impl InteractionOp<'_> {
    /// The `operationName`.
    pub fn name(&self) -> &'static str {
        match self {
            InteractionOp::Accept => "Accept",
            InteractionOp::Reject => "Reject",
            InteractionOp::StopProcessing => "StopProcessing",
            InteractionOp::Complete => "Complete",
            InteractionOp::SendMessage(_) => "SendMessage",
        }
    }
}
