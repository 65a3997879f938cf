//! `agentload merge --expect-shards N --out DIR SHARD_DIR...`: the shards of
//! one run merged into the run's outputs, its gates and baseline judged once
//! (see [`crate::shard::merge`]).

use crate::cli::MergeArgs;
use crate::error::{Error, Outcome};
use crate::report::gate;
use crate::shard::merge::{self, MergeRequest};

/// Runs `agentload merge`.
pub fn run(args: &MergeArgs) -> Result<Outcome, Error> {
    let request = MergeRequest {
        shards: args.shard_dirs.clone(),
        out: args.out.clone(),
        expect_shards: args.expect_shards,
        allow_partial: args.allow_partial,
        gates: gate::parse_all(args.gates.iter().map(String::as_str))?,
        baseline: args.baseline.clone(),
        max_regression: args.max_regression,
        quiet: args.quiet,
    };
    merge::merge(&request).map(|m| m.outcome)
}
