//! The embedded GWS v2 simulator: REST routes, the Bayeux endpoint, the
//! routing switchboard, GMS-style injection and faults.
//!
//! Start it with [`Simulator::start`] on a runtime you own, or with
//! [`spawn_on_own_runtime`] for a dedicated one (what `agentload run` does).
//!
//! | route | what |
//! |---|---|
//! | `GET /api/v2/me`, `POST /api/v2/me` | user info; `StartContactCenterSession`, `EndContactCenterSession` |
//! | `GET /api/v2/me/channels`, `POST /api/v2/me/channels/{email,chat,voice}` | channel states; `Ready`, `NotReady` |
//! | `GET /api/v2/me/interactions`, `POST /api/v2/me/interactions/{id}` | held interactions; `Accept`, `Reject`, `StopProcessing`, `Complete`, `PlaceInQueue`, `SendMessage` |
//! | `GET /api/v2/diagnostics/version` | an 8.5.0 version string |
//! | `POST /api/v2/notifications[/...]` | Bayeux (topics `/v2/me/interactions`, `/v2/me/channels`) |
//! | `POST /genesys/2/email/{service}`, `POST /genesys/2/chat/{service}[/{id}/send,refresh,disconnect]` | GMS-style injection (form-encoded, `userData[key]=value`) |
//! | `GET /sim/stats` | counts ([`SimStats`]) |
//!
//! Every `/api/v2` request needs HTTP Basic auth (`agent1..agentN`); a
//! `JSESSIONID` session and, with `csrf = true`, a CSRF token (REST only) go
//! with it. A Bayeux client may subscribe only to its agent topics
//! (`/v2/me/...`) and publish only on `/service/**`
//! ([`notifications::AgentTopics`]). Routing rules are in [`routing`]; the
//! JSON shapes in [`crate::gws`].

pub mod app;
pub mod auth;
pub mod chat;
pub mod cluster;
pub mod config;
pub mod inject;
pub mod interaction;
mod middleware;
pub mod node;
pub mod notifications;
pub mod process;
pub mod reply;
pub mod rest;
pub mod routing;
pub mod server;
pub mod switchboard;
mod timeouts;
pub mod tls;

pub use cluster::SimCluster;
pub use config::SimulatorConfig;
pub use node::{NodeCount, NodeSlice};
pub use process::SimChild;
pub use server::{
    SimStats, SimTask, SimThread, Simulator, default_worker_threads, spawn_on_own_runtime,
    spawn_on_own_runtime_with,
};
