//! Assembling and running the simulator: the axum app, its middleware
//! (authentication, sessions, CSRF, faults), `/sim/stats`, and the handles
//! to start and stop it in-process or on its own runtime.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::header::{HeaderValue, SET_COOKIE};
use axum::http::{HeaderName, Method};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;

use super::auth::{Caller, Sessions, Users, cookie};
use super::config::SimulatorConfig;
use super::engine::Engine;
use super::notifications::AgentSessions;
use super::routing::{Counts, RoutingRules};
use super::{inject, notifications, reply, rest};
use crate::bayeux::server::{BayeuxServer, ServerConfig};
use crate::error::Error;
use crate::gws::StatusCode;

/// Largest REST or Bayeux request body accepted.
const MAX_BODY_BYTES: usize = 256 * 1024;

/// Everything a request handler needs.
pub struct App {
    /// The settings it runs with.
    pub config: SimulatorConfig,
    /// The user directory.
    pub users: Arc<Users>,
    /// Live HTTP sessions.
    pub sessions: Sessions,
    /// The routing engine.
    pub engine: Arc<Engine>,
    /// The Bayeux server behind `/api/v2/notifications`.
    pub bayeux: BayeuxServer,
    /// Largest request body.
    pub max_body_bytes: usize,
    started: Instant,
}

/// What `GET /sim/stats` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimStats {
    /// Routing counts (injected, offered, ... queued, offering, in_progress, agents).
    #[serde(flatten)]
    pub counts: Counts,
    /// `/meta/connect` requests held right now.
    pub held_connects: u64,
    /// Live Bayeux sessions.
    pub bayeux_sessions: u64,
    /// Live HTTP sessions (`JSESSIONID`).
    pub http_sessions: u64,
    /// Notifications no subscribed session of their agent could take
    /// (the offer then times out and is offered again).
    pub undelivered: u64,
}

/// One line for people and for greps: routing counts, then gauges.
impl std::fmt::Display for SimStats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let c = &self.counts;
        write!(
            f,
            "injected {} offered {} accepted {} rejected {} revoked {} completed {} requeued {} | queued {} offering {} in_progress {} | agents logged in {} ready {} | held connects {} bayeux sessions {}",
            c.injected,
            c.offered,
            c.accepted,
            c.rejected,
            c.revoked,
            c.completed,
            c.requeued,
            c.queued,
            c.offering,
            c.in_progress,
            c.agents_logged_in,
            c.agents_ready,
            self.held_connects,
            self.bayeux_sessions
        )
    }
}

impl App {
    /// A new app; must run inside a tokio runtime.
    pub fn new(config: SimulatorConfig) -> Arc<App> {
        let users = Arc::new(Users::new(config.users, config.password.clone()));
        let rules = RoutingRules {
            capacity: [config.capacity.email, config.capacity.chat],
            routing_delay: config.routing_delay,
        };
        let engine = Engine::new(
            config.users,
            rules,
            config.invite_timeout.0,
            config.faults.delivery_latency,
        );
        let listener = Arc::new(AgentSessions {
            engine: Arc::downgrade(&engine),
            users: users.clone(),
        });
        let bayeux = BayeuxServer::new(
            ServerConfig {
                timeout: config.connect_timeout.0,
                max_interval: config.max_interval.0,
                max_body_bytes: MAX_BODY_BYTES,
                ..ServerConfig::default()
            },
            listener,
        );
        engine.set_notifier(Arc::new(bayeux.clone()));
        Arc::new(App {
            config,
            users,
            sessions: Sessions::default(),
            engine,
            bayeux,
            max_body_bytes: MAX_BODY_BYTES,
            started: Instant::now(),
        })
    }

    /// A snapshot of the counts.
    pub fn stats(&self) -> SimStats {
        let b = self.bayeux.stats();
        SimStats {
            counts: self.engine.counts(),
            held_connects: b.held_connects as u64,
            bayeux_sessions: b.sessions as u64,
            http_sessions: self.sessions.len() as u64,
            undelivered: self.engine.undelivered(),
        }
    }

    /// When a stop-the-world pause is on, how long it still lasts.
    fn pause_left(&self) -> Option<Duration> {
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

/// Builds the simulator's HTTP routes.
pub fn router(app: Arc<App>) -> Router {
    let rest = Router::new()
        .route("/api/v2/me", get(rest::me).post(rest::me_operation))
        .route("/api/v2/me/channels", get(rest::channels))
        .route(
            "/api/v2/me/channels/{channel}",
            post(rest::channel_operation),
        )
        .route("/api/v2/me/interactions", get(rest::interactions))
        .route(
            "/api/v2/me/interactions/{id}",
            post(rest::interaction_operation),
        )
        .route("/api/v2/diagnostics/version", get(rest::version))
        .layer(middleware::from_fn_with_state(app.clone(), rest_faults));
    let bayeux = Router::new()
        .route("/api/v2/notifications", post(notifications::endpoint))
        .route("/api/v2/notifications/", post(notifications::endpoint))
        .route(
            "/api/v2/notifications/{*rest}",
            post(notifications::endpoint),
        );
    let gws = rest
        .merge(bayeux)
        .layer(middleware::from_fn_with_state(app.clone(), gws_auth));
    let gms = Router::new()
        .route("/genesys/2/email/{service}", post(inject::email))
        .route("/genesys/2/chat/{service}", post(inject::chat))
        .route(
            "/genesys/2/chat/{service}/{chat_id}/send",
            post(inject::chat_send),
        )
        .route(
            "/genesys/2/chat/{service}/{chat_id}/refresh",
            post(inject::chat_refresh),
        )
        .route(
            "/genesys/2/chat/{service}/{chat_id}/disconnect",
            post(inject::chat_disconnect),
        );
    gws.merge(gms)
        .route("/sim/stats", get(stats))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn_with_state(app.clone(), pauses))
        .with_state(app)
}

async fn not_found() -> Response {
    reply::status(
        StatusCode::NOT_FOUND,
        "no such resource on this GWS simulator",
    )
}

async fn stats(State(app): State<Arc<App>>) -> Response {
    axum::response::IntoResponse::into_response(axum::Json(app.stats()))
}

const CSRF_TOKEN: &str = "X-CSRF-TOKEN";

/// Basic auth, the `JSESSIONID` session and CSRF for every `/api/v2` request.
async fn gws_auth(State(app): State<Arc<App>>, mut req: Request, next: Next) -> Response {
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
async fn rest_faults(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
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
async fn pauses(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    if let Some(left) = app.pause_left() {
        tokio::time::sleep(left).await;
    }
    next.run(req).await
}

// ---------------------------------------------------------------- running

/// The simulator, started on the current tokio runtime.
pub struct Simulator;

impl Simulator {
    /// Serves `config` on `listener` (already bound) until the handle is shut down.
    pub async fn start(config: SimulatorConfig, listener: TcpListener) -> Result<SimHandle, Error> {
        Simulator::start_with_tls(config, listener, None).await
    }

    /// [`Simulator::start`] serving HTTPS through `tls` when given (see
    /// [`super::tls::acceptor`]), plain HTTP otherwise.
    pub async fn start_with_tls(
        config: SimulatorConfig,
        listener: TcpListener,
        tls: Option<TlsAcceptor>,
    ) -> Result<SimHandle, Error> {
        let addr = listener.local_addr().map_err(|e| {
            Error::run(format!(
                "cannot read the simulator's listening address: {e}"
            ))
        })?;
        let app = App::new(config);
        let stop = CancellationToken::new();
        let routes = router(app.clone());
        let stopped = stop.clone();
        let scheme = if tls.is_some() { "https" } else { "http" };
        let task = tokio::spawn(accept_loop(listener, routes, tls, stopped));
        Ok(SimHandle {
            addr,
            scheme,
            app,
            stop,
            task,
        })
    }
}

/// Accepts connections until `stop`; each is served over HTTP/1.1 (what
/// long-polling clients speak) and dropped at once when `stop` fires, so a
/// held connect never delays shutdown. A plain HTTP/1 connection (no
/// protocol sniffing) keeps the per-agent memory of idle long-polls low.
/// With `tls`, each connection's handshake runs in its own task (bounded by
/// [`TLS_HANDSHAKE_TIMEOUT`]) so a slow or failing client never holds the loop.
async fn accept_loop(
    listener: TcpListener,
    routes: Router,
    tls: Option<TlsAcceptor>,
    stop: CancellationToken,
) {
    loop {
        let accepted = tokio::select! {
            _ = stop.cancelled() => return,
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(_) => {
                // Out of file descriptors or a transient accept error: back off
                // instead of spinning; established connections keep working.
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let service = hyper_util::service::TowerToHyperService::new(routes.clone());
        let stop = stop.clone();
        match &tls {
            None => {
                tokio::spawn(serve_connection(stream, service, stop));
            }
            Some(acceptor) => {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let handshake =
                        tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(stream));
                    let stream = tokio::select! {
                        _ = stop.cancelled() => return,
                        done = handshake => match done {
                            Ok(Ok(stream)) => stream,
                            // A client that does not trust the certificate
                            // aborts here; that is its error to report.
                            _ => return,
                        },
                    };
                    serve_connection(stream, service, stop).await;
                });
            }
        }
    }
}

/// How long a client may take to complete its TLS handshake.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves one connection over HTTP/1.1 until it closes or `stop` fires.
async fn serve_connection<S, Svc>(stream: S, service: Svc, stop: CancellationToken)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    Svc: hyper::service::Service<
            hyper::Request<hyper::body::Incoming>,
            Response = Response,
            Error = std::convert::Infallible,
        > + Send
        + 'static,
    Svc::Future: Send + 'static,
{
    let conn = hyper::server::conn::http1::Builder::new()
        .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
    tokio::select! {
        _ = conn => {}
        _ = stop.cancelled() => {}
    }
}

/// A running simulator on the caller's runtime.
pub struct SimHandle {
    addr: SocketAddr,
    scheme: &'static str,
    app: Arc<App>,
    stop: CancellationToken,
    task: tokio::task::JoinHandle<()>,
}

impl SimHandle {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR` (or `https://ADDR` when serving TLS), the base URL for clients.
    pub fn url(&self) -> String {
        format!("{}://{}", self.scheme, self.addr)
    }

    /// Current counts.
    pub fn stats(&self) -> SimStats {
        self.app.stats()
    }

    /// Stops accepting and closes every connection (held connects included),
    /// waiting at most `grace` for the accept loop, and returns the final counts.
    pub async fn shutdown(self, grace: Duration) -> SimStats {
        self.stop.cancel();
        self.app.bayeux.shutdown();
        let mut task = self.task;
        if tokio::time::timeout(grace, &mut task).await.is_err() {
            task.abort();
        }
        self.app.stats()
    }
}

/// A simulator on its own multi-thread runtime in its own thread
/// (so it shares cores with the load generator but not a scheduler).
pub struct RunningSim {
    url: String,
    addr: SocketAddr,
    app: Arc<App>,
    stop: CancellationToken,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// Starts the simulator on a dedicated runtime bound to `addr` (port 0 picks
/// a free one), with half the machine's cores as workers (at least one): the
/// load generator in the same process keeps the rest.
pub fn spawn_on_own_runtime(
    config: SimulatorConfig,
    addr: SocketAddr,
) -> Result<RunningSim, Error> {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    spawn_on_own_runtime_with(config, addr, (cores / 2).max(1))
}

/// [`spawn_on_own_runtime`] with an explicit number of worker threads.
pub fn spawn_on_own_runtime_with(
    config: SimulatorConfig,
    addr: SocketAddr,
    worker_threads: usize,
) -> Result<RunningSim, Error> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(worker_threads.max(1))
        .thread_name("agentload-sim")
        .enable_all()
        .build()
        .map_err(|e| Error::run(format!("cannot start the simulator's runtime: {e}")))?;
    let listener = runtime.block_on(TcpListener::bind(addr)).map_err(|e| {
        Error::run(format!(
            "cannot listen on {addr}: {e}; pick another address or port"
        ))
    })?;
    let handle = runtime.block_on(Simulator::start(config, listener))?;
    let (url, bound, app, stop) = (
        handle.url(),
        handle.addr(),
        handle.app.clone(),
        handle.stop.clone(),
    );
    let thread = std::thread::Builder::new()
        .name("agentload-sim".to_string())
        .spawn(move || {
            runtime.block_on(async move {
                handle.stop.cancelled().await;
                handle.shutdown(Duration::from_millis(500)).await;
            });
            runtime.shutdown_timeout(Duration::from_millis(200));
        })
        .map_err(|e| Error::run(format!("cannot start the simulator's thread: {e}")))?;
    Ok(RunningSim {
        url,
        addr: bound,
        app,
        stop,
        thread: Some(thread),
    })
}

impl RunningSim {
    /// `http://ADDR`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Current counts.
    pub fn stats(&self) -> SimStats {
        self.app.stats()
    }

    /// Stops it (blocking until its runtime is down) and returns the final counts.
    pub fn stop(mut self) -> SimStats {
        self.stop.cancel();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        self.app.stats()
    }
}

impl Drop for RunningSim {
    fn drop(&mut self) {
        self.stop.cancel();
    }
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
