//! The axum endpoint: POST at "/" and any path below.

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use hyper::StatusCode;
use hyper::header::{CONTENT_TYPE, COOKIE, HeaderMap, HeaderValue, SET_COOKIE};

use super::{BROWSER_COOKIE, BayeuxServer, Reply, RequestContext};

pub(crate) fn router(server: BayeuxServer) -> Router {
    Router::new()
        .route("/", post(endpoint))
        .route("/{*rest}", post(endpoint))
        .with_state(server)
}

async fn endpoint(State(server): State<BayeuxServer>, headers: HeaderMap, body: Body) -> Response {
    let limit = server.store.config.max_body_bytes;
    let Ok(body) = axum::body::to_bytes(body, limit).await else {
        return (
            StatusCode::PAYLOAD_TOO_LARGE,
            "Bayeux request body too large or unreadable",
        )
            .into_response();
    };
    let ctx = RequestContext {
        principal: None,
        browser: browser_cookie(&headers),
    };
    server.handle(ctx, body).await.into_response()
}

impl IntoResponse for Reply {
    /// The HTTP response carrying the reply (JSON, or the plain-text reason
    /// of a 4xx), with the `BAYEUX_BROWSER` cookie when one was issued.
    fn into_response(self) -> Response {
        let mut resp = Response::new(Body::from(self.body));
        *resp.status_mut() = self.status;
        let content_type = if self.status.is_success() {
            "application/json;charset=UTF-8"
        } else {
            "text/plain;charset=UTF-8"
        };
        resp.headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        if let Some(cookie) = self.set_cookie {
            resp.headers_mut().append(SET_COOKIE, cookie);
        }
        resp
    }
}

/// The `BAYEUX_BROWSER` value among the request's cookies.
pub fn browser_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|line| line.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == BROWSER_COOKIE)
        .map(|(_, value)| value.to_owned())
}
