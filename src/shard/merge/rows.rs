//! What the merged outputs say about each shard: its row in `summary.json`'s
//! `shards`, and the warnings a reader must see when the clocks that
//! cross-shard latencies depend on were not to be trusted.

use std::collections::BTreeSet;

use crate::metrics::{Counter, IntervalSnapshot};
use crate::report::ShardRow;
use crate::units::format;

use super::folder::ShardFolder;

/// A host clock's maximum error above which its shard is warned about.
pub const MAX_CLOCK_ERROR_US: u64 = 10_000;

/// The error kind a negative cross-machine latency is counted under.
pub const CLOCK_SKEW: &str = "clock_skew";

/// The row of one shard, from what its folder holds.
pub fn row(shard: &ShardFolder) -> ShardRow {
    let snapshots = &shard.snapshots;
    let total = |c: Counter| snapshots.iter().map(|s| s.counter(c)).sum::<u64>();
    ShardRow {
        index: shard.manifest.index,
        folder: shard.dir.display().to_string(),
        agents: u32::try_from(shard.manifest.agents).unwrap_or(u32::MAX),
        verdict: shard.verdict(),
        intervals: snapshots.len() as u64,
        injected: total(Counter::InteractionsInjected),
        offered: total(Counter::InvitesOffered),
        errors: snapshots.iter().map(IntervalSnapshot::error_total).sum(),
        doubtful_intervals: snapshots.iter().filter(|s| s.health.is_doubtful()).count() as u64,
        scheduler_lag_max_us: snapshots
            .iter()
            .map(|s| s.health.scheduler_lag_max_us)
            .max()
            .unwrap_or(0),
        clock_synchronised: shard.manifest.clock.synchronised,
        clock_max_error_us: shard.manifest.clock.max_error_us,
    }
}

/// Warnings about clocks: shards on more than one host whose clock was not
/// synchronised or whose maximum error exceeded [`MAX_CLOCK_ERROR_US`]
/// (shards sharing one host share its clock, so their latencies need no
/// agreement between clocks), and `clock_skew` errors counted anywhere.
pub fn clock_warnings(shards: &[&ShardFolder], rows: &[ShardRow], clock_skew: u64) -> Vec<String> {
    let hosts: BTreeSet<&str> = shards.iter().map(|s| s.manifest.host.as_str()).collect();
    let mut warnings = Vec::new();
    if hosts.len() > 1 {
        for (shard, row) in shards.iter().zip(rows) {
            let name = shard.name();
            let host = &shard.manifest.host;
            if row.clock_synchronised == Some(false) {
                warnings.push(format!(
                    "{name}: the clock of host {host} was not synchronised (NTP) when the shard started: \
                     latencies measured from another host's intended time (invite_delivery) may be off by the clocks' difference"
                ));
            }
            if let Some(err) = row.clock_max_error_us.filter(|&e| e > MAX_CLOCK_ERROR_US) {
                warnings.push(format!(
                    "{name}: the clock of host {host} had a maximum error of {} when the shard started (over {}): \
                     cross-host latencies (invite_delivery) may be off by that much",
                    format::latency_us(err as f64),
                    format::latency_us(MAX_CLOCK_ERROR_US as f64)
                ));
            }
        }
    }
    if clock_skew > 0 {
        warnings.push(format!(
            "{} {CLOCK_SKEW} errors: invites received before their intended creation time by the receiving host's clock, \
             so the hosts' clocks disagree; those invites have no invite_delivery sample. Synchronise the hosts' clocks (NTP, chrony).",
            format::count(clock_skew)
        ));
    }
    warnings
}
