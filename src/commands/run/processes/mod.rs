//! `agentload run PROFILE --processes N`: one machine, several generator
//! processes, on the shard and merge path of distributed runs. The parent
//! picks the run id, seed and start time, starts the target, spawns N
//! `run --shard I/N` children (see [`children`]), forwards Ctrl-C and
//! SIGTERM to them, shows one live view over all of them ([`live`], fed by
//! following their interval logs, [`tail`]), and merges their folders
//! (kept in `OUT/shards/`) into the usual outputs in `OUT`, judged once.

mod children;
mod live;
mod tail;

use std::process::ExitStatus;
use std::time::{Duration, SystemTime};

use self::children::{ShardFlags, ShardProcess};
use self::live::LiveMerge;
use self::tail::HlogTail;
use super::{Prepared, folder_stamp, output_folder};
use crate::cli::RunArgs;
use crate::engine::outputs::NO_HISTOGRAMS;
use crate::engine::plan::Plan;
use crate::engine::signals::{Stop, StopSignals};
use crate::error::{Error, Outcome};
use crate::progress::{Mode, Progress};
use crate::report::{IntervalSummary, gate, hlog};
use crate::shard::merge::{self, MergeRequest};
use crate::shard::{ShardSpec, start};
use crate::sim::node::sum_stats;

/// How far ahead of now the shards are told to start: long enough for every
/// child to start up and wait, on a busy machine too.
const START_LEAD: Duration = Duration::from_secs(3);
/// How often the parent looks at its children and their logs.
const TICK: Duration = Duration::from_millis(250);

/// Runs the plan of `prepared` as `count` shard processes and merges them.
pub(super) fn run(args: &RunArgs, prepared: Prepared, count: u32) -> Result<Outcome, Error> {
    let profile = &prepared.profile;
    let start_at = SystemTime::now() + START_LEAD;
    let stamp = folder_stamp(start::unix_us(start_at) / 1000);
    let out_dir = output_folder(args.out.as_deref(), profile, &stamp)?;
    let shards_dir = out_dir.join("shards");
    std::fs::create_dir_all(&shards_dir).map_err(|e| {
        Error::run(format!(
            "cannot create {}: {e}; pick another folder with --out",
            shards_dir.display()
        ))
    })?;
    let run_id = format!("{}-{stamp}", profile.name);
    let peak = prepared.plan.peak();
    let target =
        (prepared.target).start(&profile.simulator, (peak, profile.agents.first), false)?;
    if !args.quiet {
        crate::errln!(
            "agentload: {peak} agents in {count} processes against {} for {}; outputs in {}",
            target.describe(),
            crate::units::format_duration(profile.total_duration()),
            out_dir.display()
        );
    }
    let urls = target.urls().join(",");
    let flags = ShardFlags {
        args,
        run_id: &run_id,
        seed: prepared.seed,
        start_at: &start::rfc3339(start_at),
        target: &urls,
    };
    let mut shards = Vec::new();
    for index in 0..count {
        let spec = ShardSpec { index, count };
        let dir = shards_dir.join(format!("shard-{index}"));
        let log = shards_dir.join(format!("shard-{index}.log"));
        shards.push(children::spawn(&flags, spec, dir, log)?);
    }
    let progress = Progress::new(
        Mode::detect(args.quiet),
        prepared.plan.total(),
        peak,
        args.verbose,
    );
    let (statuses, stop) = supervise(&mut shards, progress, &prepared.plan)?;
    // The target outlives the shards: their graceful stop still talks to it.
    let sim_stats = target.stop();
    refuse_shards_that_did_not_run(&shards, &statuses)?;
    let request = MergeRequest {
        shards: shards.iter().map(|s| s.dir.clone()).collect(),
        out: out_dir.clone(),
        expect_shards: count,
        // Whatever happened, what was measured is written; a partial result
        // never passes and is answered below.
        allow_partial: true,
        gates: gate::parse_all(args.gates.iter().map(String::as_str))?,
        baseline: args.baseline.clone(),
        max_regression: args.max_regression,
        quiet: args.quiet,
    };
    let merged = merge::merge(&request)?;
    if !sim_stats.is_empty() {
        crate::outln!("embedded simulator: {}", sum_stats(&sim_stats));
    }
    if let Some(Stop::Signal { exit_code, .. }) = stop {
        return Ok(Outcome::Interrupted(exit_code));
    }
    if merged.results.partial {
        return Err(Error::run(format!(
            "{}; {} holds what the other shards measured, marked partial",
            failed_shards(&shards, &statuses),
            out_dir.display()
        )));
    }
    Ok(merged.outcome)
}

/// Waits for every shard, forwarding interrupts and showing the live view.
/// Returns each shard's exit status (in shard order) and the interrupt, if any.
fn supervise(
    shards: &mut [ShardProcess],
    mut progress: Progress,
    plan: &Plan,
) -> Result<(Vec<ExitStatus>, Option<Stop>), Error> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::run(format!("cannot start the parent's runtime: {e}")))?;
    let signals = StopSignals::default();
    let mut tails: Vec<HlogTail> = shards
        .iter()
        .map(|s| HlogTail::new(s.dir.join(hlog::FILE_NAME)))
        .collect();
    let mut live = LiveMerge::new(shards.len());
    let mut statuses: Vec<Option<ExitStatus>> = vec![None; shards.len()];
    runtime.block_on(async {
        signals.listen_announcing(progress.announcer());
        let mut forwarded = (false, false);
        let mut tick = tokio::time::interval(TICK);
        while statuses.iter().any(Option::is_none) {
            tick.tick().await;
            forward(shards, &signals, &mut forwarded);
            for (i, shard) in shards.iter_mut().enumerate() {
                if statuses[i].is_none() {
                    statuses[i] = shard.child.try_wait().ok().flatten();
                }
                let ended = statuses[i].is_some();
                live.add(i, tails[i].poll(ended), ended);
            }
            show(&mut progress, &mut live, plan);
        }
    });
    progress.finish();
    let statuses = statuses.into_iter().flatten().collect();
    Ok((statuses, signals.cause()))
}

/// Passes the user's first interrupt on to every shard (a graceful stop),
/// and the second (stop at once).
fn forward(shards: &[ShardProcess], signals: &StopSignals, forwarded: &mut (bool, bool)) {
    let signal = match signals.cause() {
        Some(Stop::Signal { exit_code: 130, .. }) => libc::SIGINT,
        _ => libc::SIGTERM,
    };
    if signals.graceful.is_cancelled() && !forwarded.0 {
        forwarded.0 = true;
        shards.iter().for_each(|s| s.signal(signal));
    }
    if signals.immediate.is_cancelled() && !forwarded.1 {
        forwarded.1 = true;
        shards.iter().for_each(|s| s.signal(signal));
    }
}

fn show(progress: &mut Progress, live: &mut LiveMerge, plan: &Plan) {
    for snapshot in live.ready() {
        let summary = IntervalSummary::keeping(&snapshot, &NO_HISTOGRAMS);
        let end = Duration::from_millis(summary.start_offset_ms + summary.length_ms);
        progress.update(&summary, plan.target_at(end));
    }
}

/// A shard that refused its input or could not run at all stops the run
/// with its own answer (every shard reads the same input), its log quoted.
fn refuse_shards_that_did_not_run(
    shards: &[ShardProcess],
    statuses: &[ExitStatus],
) -> Result<(), Error> {
    for (shard, status) in shards.iter().zip(statuses) {
        let why = || {
            format!(
                "shard {} ({}):\n{}",
                shard.spec,
                shard.log.display(),
                children::log_tail(&shard.log, 12)
            )
        };
        match status.code() {
            Some(2) => return Err(Error::input(why())),
            Some(3) if !shard.dir.join("summary.json").exists() => {
                return Err(Error::run(why()));
            }
            _ => {}
        }
    }
    Ok(())
}

/// Which shards failed, and how, for the error of a partial result.
fn failed_shards(shards: &[ShardProcess], statuses: &[ExitStatus]) -> String {
    let failed: Vec<String> = shards
        .iter()
        .zip(statuses)
        .filter(|(_, status)| !status.success())
        .map(|(s, status)| format!("shard {} ended {status} (see {})", s.spec, s.log.display()))
        .collect();
    if failed.is_empty() {
        "a shard did not conclude".to_string()
    } else {
        failed.join("; ")
    }
}
