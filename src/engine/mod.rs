//! The run: the plan of agents over time, interaction arrivals, and the
//! process limits a run needs.

pub mod arrivals;
pub mod injector;
pub mod nodes;
pub mod outputs;
pub mod plan;
mod pubsub;
mod roster;
pub mod run;
pub mod schedule;
pub mod signals;
pub mod watch;
