//! The shards a merged run was made of (`agentload merge`): one row per
//! shard folder, so a reader can tell which shard a doubtful figure came
//! from. Plain data; `shard::merge` fills it in.

use serde::{Deserialize, Serialize};

use super::verdict::Verdict;

/// One shard of a merged run, as `summary.json`'s `shards` lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardRow {
    /// The shard's index, `0..count`.
    pub index: u32,
    /// The shard's output folder, as given to `agentload merge`.
    pub folder: String,
    /// This shard's share of the run's peak agents.
    pub agents: u32,
    /// How the shard's own run ended (`running` when it never concluded).
    pub verdict: Verdict,
    /// Intervals merged from its `histograms.hlog`.
    pub intervals: u64,
    /// Interactions this shard created.
    pub injected: u64,
    /// Invites offered to this shard's agents (every offer).
    pub offered: u64,
    /// Errors of every kind the shard counted.
    pub errors: u64,
    /// Intervals in which this shard's generator was saturated.
    pub doubtful_intervals: u64,
    /// Worst scheduler lag this shard saw, in µs.
    pub scheduler_lag_max_us: u64,
    /// Whether the shard's host clock was synchronised (NTP) at its start;
    /// `None` when it could not be read.
    #[serde(default)]
    pub clock_synchronised: Option<bool>,
    /// The kernel's maximum error of the shard's host clock at its start, µs.
    #[serde(default)]
    pub clock_max_error_us: Option<u64>,
}
