//! One simulated agent: its decisions as a state machine ([`machine`]) over
//! the GWS REST calls and the Bayeux client, run by a thin task ([`task`]).

mod actions;
pub mod effect;
pub mod ledger;
mod login;
pub mod machine;
pub mod marker;
pub mod notice;
pub mod observer;
mod retry;
pub mod settings;
pub mod sink;
pub mod task;

pub use ledger::OfferLedger;
pub use observer::MetricsObserver;
pub use settings::{AgentSettings, SharedSettings};
pub use sink::{Sink, Tap};
pub use task::{AgentDeps, AgentExit, TOPICS, run_agent, run_tapped_agent};
