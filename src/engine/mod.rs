//! The run: the plan of agents over time, interaction arrivals, and the
//! process limits a run needs.

pub mod arrivals;
pub mod nofile;
pub mod plan;
