//! The middleware around the simulator's routes: authentication, the
//! `JSESSIONID` session and CSRF, REST faults and stop-the-world pauses.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::header::{HeaderValue, SET_COOKIE};
use axum::http::{HeaderName, Method};
use axum::middleware::Next;
use axum::response::Response;

use super::app::App;
use super::auth::{Caller, cookie};
use super::reply;
use crate::gws::StatusCode;

const CSRF_TOKEN: &str = "X-CSRF-TOKEN";

/// Basic auth, the `JSESSIONID` session and CSRF for every `/api/v2` request.
pub(super) async fn gws_auth(
    State(app): State<Arc<App>>,
    mut req: Request,
    next: Next,
) -> Response {
    let Some(agent) = app.users.authenticate(req.headers()) else {
        let mut resp = reply::status(
            StatusCode::NOT_AUTHENTICATED,
            "authentication required: send Authorization: Basic for a user agent1..agentN with the simulator's password",
        );
        resp.headers_mut().insert(
            "WWW-Authenticate",
            HeaderValue::from_static("Basic realm=\"GWS\""),
        );
        return resp;
    };
    if !app.config.node.owns(agent) {
        // A node of a split simulator serves its own agents only: one on the
        // wrong node would never see the interactions routed to it.
        let node = app.config.node;
        return reply::status(
            StatusCode::FORBIDDEN,
            &format!(
                "agent{} belongs to another node: this is node {node} (0-based) of a split simulator, owning the agents whose pool index modulo {} is {}; send each agent to node (index % {})",
                agent + 1,
                node.count,
                node.index,
                node.count
            ),
        );
    }
    let (session_id, session, is_new) = app
        .sessions
        .resolve(agent, cookie(req.headers(), "JSESSIONID"));
    let is_bayeux = req.uri().path().starts_with("/api/v2/notifications");
    let changes = matches!(*req.method(), Method::POST | Method::PUT | Method::DELETE);
    if app.config.csrf && changes && !is_bayeux {
        let sent = req.headers().get(CSRF_TOKEN).and_then(|v| v.to_str().ok());
        if sent != Some(&*session.csrf) {
            let mut resp = reply::status(StatusCode::FORBIDDEN, "Missing or invalid Csrf token");
            set_session_cookie(&mut resp, &session_id, is_new);
            return resp;
        }
    }
    req.extensions_mut().insert(Caller {
        agent,
        session_id: session_id.clone(),
    });
    let is_get = req.method() == Method::GET;
    let mut resp = next.run(req).await;
    set_session_cookie(&mut resp, &session_id, is_new);
    if app.config.csrf && is_get {
        let h = resp.headers_mut();
        h.insert(
            HeaderName::from_static("x-csrf-header"),
            HeaderValue::from_static(CSRF_TOKEN),
        );
        if let Ok(v) = HeaderValue::from_str(&session.csrf) {
            h.insert(HeaderName::from_static("x-csrf-token"), v);
        }
    }
    resp
}

fn set_session_cookie(resp: &mut Response, id: &str, is_new: bool) {
    if !is_new {
        return;
    }
    if let Ok(v) = HeaderValue::from_str(&format!("JSESSIONID={id}; Path=/; HttpOnly")) {
        resp.headers_mut().append(SET_COOKIE, v);
    }
}

/// REST faults: extra latency and HTTP 503s.
pub(super) async fn rest_faults(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let faults = &app.config.faults;
    if !faults.rest_latency.is_zero() {
        let d = faults.rest_latency.sample(&mut rand::rng());
        tokio::time::sleep(d).await;
    }
    if faults.rest_503.roll(&mut rand::rng()) {
        let mut resp = reply::status(
            StatusCode::INTERNAL_ERROR,
            "fault: service unavailable (rest_503)",
        );
        *resp.status_mut() = axum::http::StatusCode::SERVICE_UNAVAILABLE;
        return resp;
    }
    next.run(req).await
}

/// Stop-the-world pauses: nothing is answered while one lasts.
pub(super) async fn pauses(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    if let Some(left) = app.pause_left() {
        tokio::time::sleep(left).await;
    }
    next.run(req).await
}

impl App {
    /// When a stop-the-world pause is on, how long it still lasts.
    pub(super) fn pause_left(&self) -> Option<Duration> {
        let every = self.config.faults.pause_every?.0;
        pause_left_at(
            self.started.elapsed(),
            every,
            self.config.faults.pause_duration.0,
        )
    }
}

/// Pauses start at `every`, `2 * every`, ... and last `length`: at `elapsed`
/// since start, the time left of the current pause, if one is on.
fn pause_left_at(elapsed: Duration, every: Duration, length: Duration) -> Option<Duration> {
    if every.is_zero() || length.is_zero() {
        return None;
    }
    let periods = (elapsed.as_nanos() / every.as_nanos()) as u32;
    if periods == 0 {
        return None;
    }
    let into = elapsed - every * periods;
    (into < length).then(|| length - into)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_follow_the_schedule() {
        let ms = Duration::from_millis;
        assert_eq!(pause_left_at(ms(100), ms(1000), ms(200)), None);
        assert_eq!(pause_left_at(ms(1050), ms(1000), ms(200)), Some(ms(150)));
        assert_eq!(pause_left_at(ms(1250), ms(1000), ms(200)), None);
        assert_eq!(pause_left_at(ms(2199), ms(1000), ms(200)), Some(ms(1)));
        assert_eq!(pause_left_at(ms(5000), Duration::ZERO, ms(200)), None);
    }
}
