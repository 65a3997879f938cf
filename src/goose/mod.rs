//! The Goose adapter (feature `goose`): agentload's agents inside a Goose
//! load test, their latencies in Goose's own report and thresholds.
//!
//! agentload's engine does not run on Goose (ARCHITECTURE.md says why); the
//! adapter gives a Goose test the same agents anyway: each user of the
//! [`GooseAgents`] scenario runs one agent (the same code as `agentload run`,
//! as its own tokio task) and hands its latencies to Goose as rows
//! `agent invite_delivery`, `agent connect_cycle`, ...; agentload's injector
//! creates the interactions on the profile's open arrival schedule; and when
//! the attack ends agentload writes its usual outputs (summary.json with the
//! counters Goose cannot show, histograms.hlog, report.html, ...).
//!
//! ```no_run
//! # async fn attack(profile: agentload::profile::Profile) -> Result<(), Box<dyn std::error::Error>> {
//! use goose::prelude::*;
//! let agents = agentload::goose::GooseAgents::new(profile, "http://127.0.0.1:8080", "reports/goose".as_ref())?;
//! agents.register(GooseAttack::initialize()?)?.execute().await?;
//! let report = agents.report()?;
//! println!("agentload's outputs: {}", report.out_dir.display());
//! # Ok(()) }
//! ```

mod run;
mod scenario;
mod tap;

pub use run::AgentReport;
pub use scenario::{GooseAgents, ROW_METHOD, SCENARIO_NAME};
pub use tap::AgentTap;
