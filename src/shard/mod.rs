//! Runs past one process: a shard is one of N processes that together make
//! one run. Every shard builds the same global plan and arrival schedule from
//! the same profile and seed; shard I launches the agents whose pool index
//! % N == I and creates the arrivals whose global sequence number % N == I,
//! so the union of the shards is exactly the one-process run.
//!
//! A shard writes its usual run folder plus [`manifest`] (`shard.json`, who
//! it is) and [`seqs`] (`seqs.log`, which interactions it created and which
//! its agents were first offered, per interval), from which `agentload
//! merge` settles what no single shard can: lost interactions.

pub mod clock;
pub mod identity;
pub mod manifest;
pub mod merge;
pub mod record;
pub mod seqs;
pub mod spec;
pub mod start;

pub use manifest::{ClockState, ShardManifest};
pub use record::SeqRecorder;
pub use seqs::{SeqInterval, SeqLog};
pub use spec::ShardSpec;

#[cfg(test)]
mod tests;
