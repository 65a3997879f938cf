//! The embedded GWS v2 simulator: REST routes, the Bayeux endpoint, the
//! routing engine, GMS-style injection and faults.

pub mod config;
pub mod engine;
pub mod interaction;
pub mod routing;

pub use config::SimulatorConfig;
