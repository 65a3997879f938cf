//! One simulated agent: its behaviour as a state machine over the GWS REST
//! calls and the Bayeux client.

pub mod ledger;
pub mod marker;
pub mod observer;
pub mod settings;
pub mod task;

pub use ledger::OfferLedger;
pub use observer::MetricsObserver;
pub use settings::{RunContext, SharedRun};
pub use task::{AgentDeps, AgentExit, TOPICS, run_agent};
