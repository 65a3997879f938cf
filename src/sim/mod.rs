//! The embedded GWS v2 simulator: REST routes, the Bayeux endpoint, the
//! routing engine, GMS-style injection and faults.

pub mod config;

pub use config::SimulatorConfig;
