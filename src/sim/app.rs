//! The simulator's application: the state every request handler shares,
//! `/sim/stats`, and its routes with their middleware.

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::middleware;
use axum::response::Response;
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

use super::auth::{Sessions, Users};
use super::config::SimulatorConfig;
use super::middleware::{gws_auth, pauses, rest_faults};
use super::notifications::{AgentSessions, AgentTopics};
use super::routing::{Counts, InjectionLimits, RoutingRules};
use super::switchboard::Switchboard;
use super::{inject, notifications, reply, rest};
use crate::bayeux::server::{BayeuxServer, ServerConfig};
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
    /// The routing switchboard.
    pub switchboard: Arc<Switchboard>,
    /// The Bayeux server behind `/api/v2/notifications`.
    pub bayeux: BayeuxServer,
    /// Largest request body.
    pub max_body_bytes: usize,
    pub(super) started: Instant,
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
    /// Handshakes refused for a session cap (`max_sessions`, `max_sessions_per_user`).
    #[serde(default)]
    pub denied_handshakes: u64,
    /// Subscriptions refused: clients subscribe to their agent topics only.
    #[serde(default)]
    pub denied_subscriptions: u64,
    /// Publishes refused: the agent topics are the server's to publish on.
    #[serde(default)]
    pub denied_publishes: u64,
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
        let switchboard = Switchboard::new(
            config.users,
            rules,
            InjectionLimits {
                max_user_data_bytes: config.max_user_data_bytes,
                max_queued: config.max_queued_interactions,
            },
            config.invite_timeout.0,
            config.faults.delivery_latency,
        );
        let listener = Arc::new(AgentSessions {
            switchboard: Arc::downgrade(&switchboard),
            users: users.clone(),
        });
        let bayeux = BayeuxServer::with_policy(
            ServerConfig {
                timeout: config.connect_timeout.0,
                max_interval: config.max_interval.0,
                max_body_bytes: MAX_BODY_BYTES,
                max_sessions: config.max_sessions,
                max_sessions_per_principal: config.max_sessions_per_user,
                ..ServerConfig::default()
            },
            listener,
            Arc::new(AgentTopics),
        );
        switchboard.set_notifier(Arc::new(bayeux.clone()));
        Arc::new(App {
            config,
            users,
            sessions: Sessions::default(),
            switchboard,
            bayeux,
            max_body_bytes: MAX_BODY_BYTES,
            started: Instant::now(),
        })
    }

    /// A snapshot of the counts.
    pub fn stats(&self) -> SimStats {
        let b = self.bayeux.stats();
        SimStats {
            counts: self.switchboard.counts(),
            held_connects: b.held_connects as u64,
            bayeux_sessions: b.sessions as u64,
            http_sessions: self.sessions.len() as u64,
            undelivered: self.switchboard.undelivered(),
            denied_handshakes: b.denied_handshakes,
            denied_subscriptions: b.denied_subscriptions,
            denied_publishes: b.denied_publishes,
        }
    }
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
        .route("/api/v2/diagnostics/version", get(rest::version));
    // Faults are set for the simulator's life; a layer that had none to
    // inject would still cost every request a boxed future and a cloned
    // service.
    let rest = if app.config.faults.on_rest() {
        rest.layer(middleware::from_fn_with_state(app.clone(), rest_faults))
    } else {
        rest
    };
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
    let routes = gws
        .merge(gms)
        .route("/sim/stats", get(stats))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES));
    let routes = if app.config.faults.pauses() {
        routes.layer(middleware::from_fn_with_state(app.clone(), pauses))
    } else {
        routes
    };
    routes.with_state(app)
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
