//! agentload: load and soak testing for CometD/Bayeux long-polling push
//! services, first of all the Genesys Web Services (GWS) v2 agent API.
//!
//! The crate is layered; dependencies point downwards only:
//! `commands -> engine -> agent -> gws -> bayeux -> http`, `engine -> metrics`,
//! `report` reads metrics snapshots, `sim` uses `bayeux` (server side) and
//! `gws` (message shapes). See `ARCHITECTURE.md` in the design folder.

#![warn(missing_docs)]

pub mod agent;
pub mod bayeux;
pub mod cli;
pub mod commands;
pub mod engine;
pub mod error;
#[cfg(feature = "goose")]
pub mod goose;
pub mod gws;
pub mod http;
pub mod metrics;
pub mod nofile;
pub mod preflight;
pub mod profile;
pub mod progress;
pub mod pubsub;
pub mod report;
pub mod shard;
pub mod sim;
pub mod stdio;
pub mod units;
