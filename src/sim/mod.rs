//! The embedded GWS v2 simulator: REST routes, the Bayeux endpoint, the
//! routing engine, GMS-style injection and faults.
//!
//! Start it with [`Simulator::start`] on a runtime you own, or with
//! [`spawn_on_own_runtime`] for a dedicated one (what `agentload run` does).

pub mod auth;
pub mod config;
pub mod engine;
pub mod inject;
pub mod interaction;
pub mod notifications;
pub mod reply;
pub mod rest;
pub mod routing;
pub mod server;

pub use config::SimulatorConfig;
pub use server::{
    RunningSim, SimHandle, SimStats, Simulator, spawn_on_own_runtime, spawn_on_own_runtime_with,
};
