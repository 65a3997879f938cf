//! The REST calls an agent makes (GWS v2, 8.5.0/8.5.1 model), as the Genesys
//! sample clients make them: Basic auth and cookies on every request (through
//! the agent's [`HttpSession`]), the CSRF token once the server offered one.

use std::time::Duration;

use bytes::Bytes;
use hyper::{Method, Uri};

use super::operation::{OperationName, OperationRequest};
use super::paths;
use super::status::{StatusCode, decode_status};
use crate::http::{HttpClient, HttpError, HttpSession};
use crate::metrics::Cause;

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
    /// The server answered 2xx but with a GWS `statusCode` other than 0 or 7.
    #[error("{what} refused with statusCode {} ({})", .code.0, .code.meaning())]
    Refused {
        /// The operation, e.g. `Accept`.
        what: &'static str,
        /// The GWS statusCode (2 invalid state, 6 not found, ...).
        code: StatusCode,
    },
    /// The server answered 2xx with a body that is not what the operation
    /// answers (no `statusCode`, or not JSON at all).
    #[error("{what}: the reply is not a GWS status: {reason}")]
    BadReply {
        /// The operation, e.g. `Accept`.
        what: &'static str,
        /// What was wrong with it.
        reason: String,
    },
}

impl CallError {
    /// Why, as the cause of an error kind (`http_503`, `gws_status_2`, `timeout`...).
    pub fn kind(&self) -> Cause {
        match self {
            CallError::Http(e) => e.kind(),
            CallError::Status { status, .. } => Cause::HttpStatus(*status),
            CallError::Refused { code, .. } => Cause::GwsStatus(code.0),
            CallError::BadReply { .. } => Cause::BadReply,
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
            me: format!("{base}{}", paths::ME),
            channels: format!("{base}{}/", paths::CHANNELS),
            interactions: format!("{base}{}", paths::interaction("")),
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

const JSON: &str = "application/json";

/// Whether `body` is one JSON object, checked without building it.
fn json_object(body: &[u8]) -> Result<(), String> {
    let starts_as_object = body
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'{');
    if !starts_as_object {
        return Err(format!("expected a JSON object, got {}", preview(body)));
    }
    serde_json::from_slice::<serde::de::IgnoredAny>(body)
        .map(|_| ())
        .map_err(|e| format!("not JSON ({e})"))
}

/// The start of a body, for an error message.
fn preview(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(40)]);
    format!("{:?}{}", text, if body.len() > 40 { "..." } else { "" })
}

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
    /// later POST (REST and CometD) carries it. A 2xx reply that is not a JSON
    /// object (a login page, a proxy's error page) is not a login.
    pub async fn get_me(&self, session: &HttpSession) -> Result<(), CallError> {
        let url = format!("{}?subresources=*", self.endpoints.me);
        let resp = self
            .send(session, Method::GET, &url, Bytes::new(), "GetMe")
            .await?;
        if let Err(reason) = json_object(&resp.body) {
            return Err(CallError::BadReply {
                what: "GetMe",
                reason,
            });
        }
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
        let body = OperationRequest {
            channels: Some(channels.iter().map(|c| (*c).into()).collect()),
            place: place.map(Into::into),
            ..OperationRequest::new(OperationName::StartContactCenterSession)
        };
        self.post_op(session, &self.endpoints.me, &body).await
    }

    /// `EndContactCenterSession`.
    pub async fn end_session(&self, session: &HttpSession) -> Result<(), CallError> {
        let body = OperationRequest::new(OperationName::EndContactCenterSession);
        self.post_op(session, &self.endpoints.me, &body).await
    }

    /// `Ready` or `NotReady` on one channel (`email`, `chat`).
    pub async fn set_ready(
        &self,
        session: &HttpSession,
        channel: &str,
        ready: bool,
    ) -> Result<(), CallError> {
        let url = format!("{}{}", self.endpoints.channels, channel);
        let op = if ready {
            OperationName::Ready
        } else {
            OperationName::NotReady
        };
        self.post_op(session, &url, &OperationRequest::new(op))
            .await
    }

    /// An operation without parameters on one interaction: `Accept`,
    /// `Reject`, `StopProcessing`, `Complete`, ...
    pub async fn interaction(
        &self,
        session: &HttpSession,
        id: &str,
        op: OperationName,
    ) -> Result<(), CallError> {
        let url = format!("{}{}", self.endpoints.interactions, id);
        self.post_op(session, &url, &OperationRequest::new(op))
            .await
    }

    /// `SendMessage`: a chat message from the agent to the customer.
    pub async fn send_message(
        &self,
        session: &HttpSession,
        id: &str,
        text: &str,
    ) -> Result<(), CallError> {
        let url = format!("{}{}", self.endpoints.interactions, id);
        let body = OperationRequest {
            text: Some(text.into()),
            ..OperationRequest::new(OperationName::SendMessage)
        };
        self.post_op(session, &url, &body).await
    }

    async fn post_op(
        &self,
        session: &HttpSession,
        url: &str,
        body: &OperationRequest<'_>,
    ) -> Result<(), CallError> {
        let what = body.operation().map_or("operation", OperationName::as_str);
        let resp = self
            .send(
                session,
                Method::POST,
                url,
                Bytes::from(body.to_bytes()),
                what,
            )
            .await?;
        let code = decode_status(&resp.body).map_err(|e| CallError::BadReply {
            what,
            reason: e.to_string(),
        })?;
        if code.is_success() {
            Ok(())
        } else {
            Err(CallError::Refused { what, code })
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
