//! `agentload merge`: the shards of one run back into the one-process run,
//! exactly. Each shard's `histograms.hlog` is read back into its interval
//! snapshots ([`folder`]), the shards are checked to be one run
//! ([`agreement`]), intervals of the same index are added up ([`intervals`]),
//! what only the union of the shards knows is settled from their `seqs.log`
//! ([`sets`]: lost interactions, offers made on two shards), and the merged
//! snapshots go through the path a run's own take: `report::live::LiveFiles`
//! (so the merged `histograms.hlog` is a standard interval log) and an
//! `IntervalAccumulator`, then every other output. The gates and the
//! baseline are judged once, on the merged results ([`judge`]).

pub mod agreement;
pub mod folder;
pub mod intervals;
pub mod judge;
pub mod rows;
pub mod sets;

use std::path::PathBuf;
use std::time::Duration;

use hdrhistogram::Histogram;

use self::agreement::Member;
use self::folder::{Loaded, ShardFolder};
use self::judge::Judging;
use self::sets::Settlement;
use crate::error::{Error, Outcome};
use crate::metrics::histogram::new_histogram;
use crate::metrics::{Counter, IntervalSnapshot, Measure};
use crate::report::compare::{self, Percent};
use crate::report::gate::Gate;
use crate::report::live::LiveFiles;
use crate::report::{self, IntervalAccumulator, RunInfo, RunResults, Verdict};
use crate::units::format;

/// What to merge and how to judge it.
#[derive(Debug, Clone)]
pub struct MergeRequest {
    /// The shards' output folders, in any order.
    pub shards: Vec<PathBuf>,
    /// Where the merged outputs go (created when missing).
    pub out: PathBuf,
    /// How many shards make the run (the N of `--shard I/N`).
    pub expect_shards: u32,
    /// Merge what there is when a shard is missing or failed; the result
    /// then says partial and never passes.
    pub allow_partial: bool,
    /// Gates judged on the merged run besides the profile's own.
    pub gates: Vec<Gate>,
    /// A previous run's folder or `summary.json` to compare against.
    pub baseline: Option<PathBuf>,
    /// Largest relative slowdown against the baseline that still passes.
    pub max_regression: Percent,
    /// Print only the final summary.
    pub quiet: bool,
}

/// What a merge came to.
#[derive(Debug)]
pub struct MergeOutcome {
    /// The merged run's results, verdict included.
    pub results: RunResults,
    /// How the command exits (0 passed, 1 failed).
    pub outcome: Outcome,
}

/// Merges the shard folders of `request` into `request.out`, prints the
/// run's summary and returns its outcome. A disagreement between shards is
/// an input error (exit 2); a missing or failed shard without
/// `--allow-partial`, or a merged run that did nothing, a run error (exit 3).
pub fn merge(request: &MergeRequest) -> Result<MergeOutcome, Error> {
    refuse_out_inside_a_shard(request)?;
    let baseline = match &request.baseline {
        Some(path) => Some((compare::load(path)?, path.display().to_string())),
        None => None,
    };
    let (mut shards, unreadable) = split(request.shards.iter().map(|d| folder::load(d)).collect());
    let members: Vec<Member<'_>> = shards
        .iter()
        .map(|s| Member {
            dir: &s.dir,
            manifest: &s.manifest,
        })
        .collect();
    let missing = agreement::check(&members, request.expect_shards)?;
    let problems = problems(&shards, &unreadable, &missing, request.expect_shards);
    if !problems.is_empty() && !request.allow_partial {
        return Err(Error::run(format!(
            "cannot merge: {}; rerun the shard(s) named, or pass --allow-partial to merge the others (the result then never passes)",
            problems.join("; ")
        )));
    }
    if shards.is_empty() {
        return Err(Error::run(format!(
            "cannot merge: no shard folder could be read ({})",
            problems.join("; ")
        )));
    }
    shards.sort_by_key(|s| s.manifest.index);
    for s in shards.iter_mut().filter(|s| s.failure().is_some()) {
        s.cut_to_last_interval();
    }
    let shards: Vec<&ShardFolder> = shards.iter().collect();
    let profile_gates = profile_gates(&shards)?;
    let gates = judge::union(profile_gates, &request.gates);
    let judging = Judging {
        baseline,
        options: compare::CompareOptions {
            max_regression: request.max_regression,
            ..compare::CompareOptions::default()
        },
    };
    let mut results = merged_results(request, &shards, &gates)?;
    let lost = results.counter(Counter::InteractionsLost);
    results.notes.extend(judge::missing_note(&missing, lost));
    judge::judge(&mut results, &gates, judging, &shards, &problems);
    conclude(request, results)
}

/// Writing the merge into one of its own shards would destroy that shard.
fn refuse_out_inside_a_shard(request: &MergeRequest) -> Result<(), Error> {
    let Ok(out) = request.out.canonicalize() else {
        return Ok(());
    };
    for dir in &request.shards {
        if dir.canonicalize().is_ok_and(|d| d == out) {
            return Err(Error::input(format!(
                "--out {} is one of the shard folders being merged; pick another folder for the merged outputs",
                request.out.display()
            )));
        }
    }
    Ok(())
}

/// The readable shards, and the folders that are not, with why.
fn split(loaded: Vec<Loaded>) -> (Vec<ShardFolder>, Vec<(PathBuf, String)>) {
    let mut shards = Vec::new();
    let mut unreadable = Vec::new();
    for l in loaded {
        match l {
            Loaded::Shard(s) => shards.push(*s),
            Loaded::Unreadable { dir, why } => unreadable.push((dir, why)),
        }
    }
    (shards, unreadable)
}

/// Why the merge is not of the whole run: folders that could not be read,
/// indices no folder holds, shards that never concluded or did not run.
fn problems(
    shards: &[ShardFolder],
    unreadable: &[(PathBuf, String)],
    missing: &[u32],
    expect: u32,
) -> Vec<String> {
    let mut problems: Vec<String> = unreadable
        .iter()
        .map(|(dir, why)| format!("shard folder {} cannot be read: {why}", dir.display()))
        .collect();
    problems.extend(missing.iter().map(|i| {
        format!("shard {i} of {expect} is missing (none of the folders given is shard {i})")
    }));
    let mut failed: Vec<&ShardFolder> = shards.iter().filter(|s| s.failure().is_some()).collect();
    failed.sort_by_key(|s| s.manifest.index);
    problems.extend(
        failed
            .iter()
            .map(|s| format!("{}: {}", s.name(), s.failure().unwrap_or_default())),
    );
    problems
}

/// The profile's gates, from the first shard whose summary keeps its text.
fn profile_gates(shards: &[&ShardFolder]) -> Result<Vec<Gate>, Error> {
    let Some((shard, summary)) = shards
        .iter()
        .find_map(|s| s.summary.as_ref().map(|summary| (s, summary)))
    else {
        return Ok(Vec::new());
    };
    let origin = shard.dir.join(report::json::FILE_NAME);
    judge::profile_gates(
        summary.profile_toml.as_deref(),
        &origin.display().to_string(),
    )
}

/// The merged intervals through the live files and the accumulator, into
/// results (not judged yet) with the shards' rows and every note.
fn merged_results(
    request: &MergeRequest,
    shards: &[&ShardFolder],
    gates: &[Gate],
) -> Result<RunResults, Error> {
    let mut notes: Vec<String> = shards
        .iter()
        .flat_map(|s| s.notes.iter().cloned())
        .collect();
    let (snapshots, settlement) = merged_snapshots(shards, &mut notes);
    let start_unix_ms = shards[0].manifest.start_unix_us / 1000;
    let mut info = run_info(shards, start_unix_ms, &snapshots);
    std::fs::create_dir_all(&request.out).map_err(|e| {
        Error::run(format!(
            "cannot create the output folder {}: {e}; pick another with --out",
            request.out.display()
        ))
    })?;
    report::clear_outputs(&request.out)?;
    let mut live = LiveFiles::create(&request.out, &info)?;
    let mut acc = IntervalAccumulator::for_gates(gates);
    for s in &snapshots {
        live.append(s)?;
        acc.add(s);
    }
    info.duration_ms = info.duration_ms.max(acc.span().0);
    let mut results = acc.finish(info);
    results.run.agents_connected_peak = results.agents_connected_peak();
    results.profile_toml = shards
        .iter()
        .find_map(|s| s.summary.as_ref().and_then(|x| x.profile_toml.clone()));
    results.shards = shards.iter().map(|s| rows::row(s)).collect();
    let clock_skew = results.errors.get(rows::CLOCK_SKEW).copied().unwrap_or(0);
    let warnings = rows::clock_warnings(shards, &results.shards, clock_skew);
    if !request.quiet {
        for w in &warnings {
            crate::errln!("warning: {w}");
        }
    }
    notes.extend(warnings);
    notes.extend(settlement_notes(&settlement));
    results.notes.extend(notes);
    Ok(results)
}

/// The shards' intervals added up, the duplicate offers' later samples
/// taken out, and the settled counters added to the last interval.
fn merged_snapshots(
    shards: &[&ShardFolder],
    notes: &mut Vec<String>,
) -> (Vec<IntervalSnapshot>, Settlement) {
    let mut snapshots = intervals::merge(shards.iter().map(|s| s.snapshots.as_slice()));
    let settlement = sets::settle(shards.iter().map(|s| &s.seqs));
    let kept = take_out(&mut snapshots, &settlement.later_samples);
    if kept > 0 {
        notes.push(format!(
            "{} later invite_delivery samples of interactions offered on two shards were not found in their interval's histogram and stay counted",
            format::count(kept)
        ));
    }
    if snapshots.is_empty() && settlement.sent > 0 {
        let start = shards[0].manifest.start_unix_us / 1000;
        let length = Duration::from_millis(shards[0].manifest.interval_ms);
        snapshots.push(IntervalSnapshot::empty(0, Duration::ZERO, start, length));
    }
    if let Some(last) = snapshots.last_mut() {
        last.counters[Counter::InteractionsLost.index()] += settlement.lost;
        last.counters[Counter::InteractionsNotCreated.index()] += settlement.not_created;
        last.counters[Counter::InteractionsNeverOffered.index()] += settlement.never_offered;
    }
    (snapshots, settlement)
}

/// Takes each `(interval, µs)` sample out of that interval's
/// `invite_delivery` histogram (or a neighbour's: a sample recorded just as
/// the interval was taken lands in the next one); returns how many were
/// found nowhere.
fn take_out(snapshots: &mut [IntervalSnapshot], samples: &[(u64, u64)]) -> u64 {
    let mut not_found = 0;
    for &(index, us) in samples {
        let mut one: Histogram<u64> = new_histogram();
        one.saturating_record(us);
        let found = [Some(index), index.checked_add(1), index.checked_sub(1)]
            .into_iter()
            .flatten()
            .any(|k| {
                let Ok(pos) = snapshots.binary_search_by_key(&k, |s| s.index) else {
                    return false;
                };
                let h = &mut snapshots[pos].histograms[Measure::InviteDelivery.index()];
                // A value not in the histogram fails before anything changes.
                h.subtract(&one).is_ok()
            });
        not_found += u64::from(!found);
    }
    not_found
}

fn settlement_notes(s: &Settlement) -> Vec<String> {
    let mut notes = Vec::new();
    if s.duplicate_offers > 0 {
        notes.push(format!(
            "{} interactions were first offered on more than one shard (re-offered to another shard's agent): each keeps its earliest invite_delivery sample ({} later samples taken out); invites_offered still counts every offer",
            format::count(s.duplicate_offers),
            format::count(s.later_samples.len() as u64)
        ));
    }
    notes
}

/// The merged run's identity: the shards' run id and start, their agents
/// added up, the longest shard's duration.
fn run_info(
    shards: &[&ShardFolder],
    start_unix_ms: u64,
    snapshots: &[IntervalSnapshot],
) -> RunInfo {
    let first = shards[0];
    let run = shards
        .iter()
        .find_map(|s| s.summary.as_ref().map(|x| &x.run));
    let agents: u64 = shards.iter().map(|s| s.manifest.agents).sum();
    let duration_ms = shards
        .iter()
        .filter_map(|s| s.summary.as_ref().map(|x| x.run.duration_ms))
        .max()
        .unwrap_or(0)
        .max(
            snapshots
                .last()
                .map_or(0, |s| (s.start_offset + s.length).as_millis() as u64),
        );
    RunInfo::new(
        first.manifest.run_id.clone(),
        run.map_or("unknown", |r| r.profile.as_str()),
        run.map_or("unknown", |r| r.target.as_str()),
        start_unix_ms,
        duration_ms,
        u32::try_from(agents).unwrap_or(u32::MAX),
        first.manifest.interval_ms,
    )
}

/// Writes every other output, prints the summary, and turns the verdict
/// into the outcome (a merged run that did nothing is an error, exit 3).
fn conclude(request: &MergeRequest, results: RunResults) -> Result<MergeOutcome, Error> {
    let written = report::write_final(&request.out, &results);
    crate::out!("{}", report::console::summary(&results));
    written?;
    crate::outln!("outputs written to {}", request.out.display());
    let outcome = match results.verdict {
        Verdict::Passed => Outcome::Passed,
        Verdict::NotRun => {
            return Err(Error::run(format!(
                "{}; what was merged is in {}",
                results.reason,
                request.out.display()
            )));
        }
        _ => Outcome::GateFailed,
    };
    Ok(MergeOutcome { results, outcome })
}
