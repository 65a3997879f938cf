//! What `agentload run --shard I/N` does besides a run: checks its identity,
//! sets the gates aside for the merge, writes `shard.json` when it starts and
//! `seqs.log` as it goes.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::cli::RunArgs;
use crate::engine::plan::Plan;
use crate::engine::schedule::Schedule;
use crate::error::Error;
use crate::nofile;
use crate::profile::{Processes, Profile, Scenario};
use crate::shard::identity::{self, IdentityFlags, RunIdentity};
use crate::shard::manifest::{self, SCHEMA, ShardManifest};
use crate::shard::{ShardSpec, clock, record, start};

/// The run's identity flags, checked against the profile (overrides applied).
pub(super) fn identity_of(args: &RunArgs, profile: &Profile) -> Result<RunIdentity, Error> {
    let identity = identity::resolve(IdentityFlags {
        shard: args.shard,
        run_id: args.run_id.as_deref(),
        seed: args.seed,
        start_at: args.start_at.as_deref(),
        // `url` or the nodes of `urls`: either way not the embedded simulator.
        has_target: !profile.target.is_embedded(),
    })?;
    if let Some(spec) = identity.shard {
        if profile.scenario == Scenario::Bayeux {
            return Err(Error::input(format!(
                "--shard {spec}: the pub/sub scenario (scenario = \"bayeux\") runs in one process only; \
                 leave --shard out"
            )));
        }
        let bound = Schedule::of(profile, args.seed.unwrap_or(0)).upper_bound;
        if !record::fits(bound) {
            return Err(Error::input(format!(
                "--shard {spec}: the profile's arrival rates plan up to {bound} interactions, more than \
                 a shard's seqs.log can number ({}); lower [traffic] rates or shorten the stages",
                u32::MAX
            )));
        }
    }
    if let Some(at) = identity.start_at {
        start::check_not_late(at, interval(profile), SystemTime::now())?;
    }
    Ok(identity)
}

/// How many generator processes the run uses on this machine: `--processes`,
/// else the profile's `[run] processes`, else 1; `auto` sized from the
/// open-file hard limit and the `peak` agents. A shard is one process.
pub(super) fn processes(
    args: &RunArgs,
    profile: &Profile,
    identity: &RunIdentity,
    peak: u32,
) -> Result<u32, Error> {
    let Some(choice) = args.processes.or(profile.run.processes) else {
        return Ok(1);
    };
    if identity.shard.is_some() {
        // A shard of a `--processes` run reads the same profile.
        return Ok(1);
    }
    if profile.scenario == Scenario::Bayeux {
        return match choice {
            Processes::Count(n) if n > 1 => Err(Error::input(format!(
                "--processes {n}: the pub/sub scenario (scenario = \"bayeux\") runs in one process only; \
                 leave --processes out (or set [run] processes = 1)"
            ))),
            _ => Ok(1),
        };
    }
    let limit = nofile::current()
        .map_err(|e| Error::run(format!("cannot read the open-file limit: {e}")))?;
    Ok(choice.resolve(peak, nofile::agents_per_process(limit.hard)))
}

/// The report interval a run uses.
pub(super) fn interval(profile: &Profile) -> Duration {
    profile.report.interval.0.max(Duration::from_millis(100))
}

/// What a shard's summary says about what it left to the merge; the gates
/// and baseline it was given are set aside (judged once, by the merge).
pub(super) fn notes(spec: ShardSpec, run_id: &str, gates: usize, baseline: bool) -> Vec<String> {
    let mut notes = vec![format!(
        "Shard {spec} of run {run_id}: interactions_lost, interactions_not_created and \
         interactions_never_offered are settled by agentload merge (0 here), which also judges the run."
    )];
    if gates > 0 || baseline {
        notes.push(format!(
            "{gates} gate(s){} not judged by this shard: pass them to agentload merge.",
            if baseline { " and the baseline" } else { "" }
        ));
    }
    notes
}

/// Writes `out_dir/shard.json` as the shard starts.
pub(super) fn write_manifest(
    out_dir: &Path,
    profile: &Profile,
    (spec, run_id, seed): (ShardSpec, &str, u64),
    start_at: SystemTime,
    plan: &Plan,
) -> Result<(), Error> {
    ShardManifest {
        schema: SCHEMA.to_string(),
        index: spec.index,
        count: spec.count,
        run_id: run_id.to_string(),
        seed,
        profile_sha256: manifest::profile_sha256(profile),
        start_at: start::rfc3339(start_at),
        start_unix_us: start::unix_us(start_at),
        interval_ms: interval(profile).as_millis() as u64,
        agents: u64::from(plan.peak()),
        clock: clock::read(),
        host: manifest::host_name(),
        pid: std::process::id(),
        version: env!("CARGO_PKG_VERSION").to_string(),
    }
    .write(out_dir)
}

/// A shard's recorder for its `seqs.log`.
pub(super) fn recorder() -> Arc<record::SeqRecorder> {
    Arc::new(record::SeqRecorder::new())
}
