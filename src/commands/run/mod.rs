//! `agentload run PROFILE`: validate everything first, start the embedded
//! simulator when no target is given, run the engine on its own runtime,
//! then write every output, judge the gates and print the summary.

mod conclude;
mod processes;
mod sharding;
mod target;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use self::conclude::{conclude, write_starting_summary};
use self::target::{ResolvedTarget, TargetChoice};
use crate::cli::{RunArgs, SimulatorProcess};
use crate::engine::nodes::Nodes;
use crate::engine::outputs::LiveOutputs;
use crate::engine::plan::Plan;
use crate::engine::run::{Execution, Launch, ShardLaunch, execute};
use crate::engine::signals::StopSignals;
use crate::engine::watch::{AbortGate, Watch};
use crate::error::{Error, Outcome};
use crate::http::{HttpClient, TlsOptions};
use crate::metrics::Metrics;
use crate::metrics::health::{PROBE_TICK, spawn_scheduler_probe};
use crate::profile::{Overrides, Profile, Scenario};
use crate::progress::{Announcer, Mode, Progress};
use crate::report::gate::Gate;
use crate::report::{self, RunInfo, RunResults, compare, gate};
use crate::shard::identity::RunIdentity;
use crate::shard::seqs::SeqLogWriter;
use crate::shard::{SeqRecorder, ShardSpec, start};

/// Runs `agentload run`: prepare (every input checked), start the target,
/// execute the plan on the generator's runtime, conclude (outputs, gates,
/// exit code).
pub fn run(args: &RunArgs) -> Result<Outcome, Error> {
    let prepared = prepare(args)?;
    if prepared.processes > 1 {
        let count = prepared.processes;
        return processes::run(args, prepared, count);
    }
    // A shard without --start-at fixes its start now, so shard.json names it exactly.
    let start_at =
        (prepared.identity.start_at).or_else(|| prepared.identity.shard.map(|_| SystemTime::now()));
    let started_ms = start_at.map_or_else(unix_ms_now, |at| start::unix_us(at) / 1000);
    let stamp = folder_stamp(started_ms);
    let out_dir = output_folder(args.out.as_deref(), &prepared.profile, &stamp)?;
    let target = prepared.target.start(
        &prepared.profile.simulator,
        (prepared.plan.peak(), prepared.profile.agents.first),
        !args.quiet,
    )?;
    let http = http_client(&prepared.profile)?;
    let signals = StopSignals::default();
    let live = open_outputs(
        args, &prepared, &target, started_ms, &stamp, &out_dir, &signals,
    )?;
    write_starting_summary(&prepared, &live.info, &out_dir)?;
    if let Some(shard) = &live.shard {
        let id = (shard.spec, live.info.id.as_str(), prepared.seed);
        let at = start_at.unwrap_or_else(SystemTime::now);
        sharding::write_manifest(&out_dir, &prepared.profile, id, at, &prepared.plan)?;
    }
    let mut setup = run_setup(&prepared, &target, http, &live.info.id, signals.clone());
    setup.start_at = start_at;
    setup.shard = live.shard.clone();
    let record = execute_on_own_runtime(&prepared, setup, live.outputs, live.announcer)?;
    let sim_stats = target.stop();
    conclude(
        prepared,
        live.info,
        record,
        signals.cause(),
        sim_stats,
        &out_dir,
    )
}

/// Everything the input decides, checked before anything starts.
struct Prepared {
    /// The profile with the command-line flags applied.
    profile: Profile,
    /// What actually runs, for the report (see [`profile_as_run`]).
    profile_text: Option<String>,
    gates: Vec<Gate>,
    /// The gates with `abort_on_fail`, judged during the run too.
    aborting: Vec<AbortGate>,
    /// A previous run's results and how reports name it.
    baseline: Option<(RunResults, String)>,
    compare_options: compare::CompareOptions,
    seed: u64,
    /// This process's part of the plan (all of it unless a shard).
    plan: Plan,
    target: TargetChoice,
    /// `--shard`, `--run-id`, `--start-at`, checked.
    identity: RunIdentity,
    /// What a shard's summary says it left to the merge.
    shard_notes: Vec<String>,
    /// Generator processes on this machine (`--processes`, resolved): 1, or
    /// that many shards merged by this process.
    processes: u32,
}

/// Loads and checks the profile, the flags, the gates and the baseline, and
/// decides the target (open-file limit included).
fn prepare(args: &RunArgs) -> Result<Prepared, Error> {
    let mut profile = Profile::load(&args.profile)?;
    profile.apply_overrides(&overrides(args))?;
    let identity = sharding::identity_of(args, &profile)?;
    let mut gates = gate::parse_all(profile.gates.iter().map(|g| g.rule.as_str()))?;
    let mut aborting = aborting_gates(&profile, &gates);
    let mut shard_notes = Vec::new();
    if let Some(spec) = identity.shard {
        // A shard judges nothing: the merge judges the whole run once.
        let run_id = identity.run_id.as_deref().unwrap_or_default();
        shard_notes = sharding::notes(spec, run_id, gates.len(), args.baseline.is_some());
        (gates, aborting) = (Vec::new(), Vec::new());
    }
    let baseline = match args.baseline.as_ref().filter(|_| identity.shard.is_none()) {
        Some(path) => Some((compare::load(path)?, path.display().to_string())),
        None => None,
    };
    let compare_options = compare::CompareOptions {
        max_regression: args.max_regression,
        ..compare::CompareOptions::default()
    };
    if profile.scenario == Scenario::Bayeux && profile.target.is_embedded() {
        return Err(Error::input(
            "scenario = \"bayeux\" needs the Bayeux server's endpoint: pass --target URL \
             (the full URL, e.g. http://127.0.0.1:8080/cometd) or set target.url",
        ));
    }
    let seed = profile.seed_or_new();
    let profile_text = profile_as_run(&profile, &args.profile, seed);
    let spec = identity.shard.unwrap_or(ShardSpec::WHOLE);
    let plan = Plan::from_profile(&profile).for_shard(spec);
    let processes = sharding::processes(args, &profile, &identity, plan.peak())?;
    let target = if processes > 1 {
        // The parent's shards are the run's generator processes; the
        // simulator runs apart from them.
        target::preflight(&profile, SimulatorProcess::Child, processes)?;
        TargetChoice::for_processes(&profile, plan.peak())?
    } else {
        // Each shard is one generator process of the run's `spec.count`.
        target::preflight(&profile, args.simulator_process, spec.count)?;
        TargetChoice::decide(&profile, args.simulator_process, plan.peak())?
    };
    Ok(Prepared {
        profile,
        profile_text,
        gates,
        aborting,
        baseline,
        compare_options,
        seed,
        plan,
        target,
        identity,
        shard_notes,
        processes,
    })
}

/// The parsed gates whose profile entry says `abort_on_fail`, with their grace.
fn aborting_gates(profile: &Profile, gates: &[Gate]) -> Vec<AbortGate> {
    profile
        .gates
        .iter()
        .zip(gates)
        .filter(|(entry, _)| entry.abort_on_fail)
        .map(|(entry, gate)| AbortGate {
            gate: gate.clone(),
            after: entry.abort_after.map_or(Duration::ZERO, |d| d.0),
        })
        .collect()
}

/// The flags of `agentload run` that override profile values.
fn overrides(args: &RunArgs) -> Overrides {
    Overrides {
        agents: args.agents,
        duration: args.duration,
        seed: args.seed,
        target: args.target.clone(),
        source_addresses: args.source_addresses.clone(),
        simulator_nodes: args.simulator_nodes,
        insecure: args.insecure,
        ca_file: args.ca_file.clone(),
        gates: args.gates.clone(),
        password_env: args.password_env.clone(),
        password_file: args.password_file.clone(),
        threads: args.threads,
    }
}

/// What actually runs: flags applied and the seed filled in, so the report's
/// profile repeats this run exactly.
fn profile_as_run(profile: &Profile, path: &Path, seed: u64) -> Option<String> {
    toml::to_string(&profile.redacted()).ok().map(|text| {
        format!(
            "# {} as run: command-line flags applied, seed {seed}.\n{text}",
            path.display()
        )
    })
}

/// Creates the output folder (`--out`, else one named after the profile and
/// `stamp`) and clears an earlier run's outputs from it.
fn output_folder(out: Option<&Path>, profile: &Profile, stamp: &str) -> Result<PathBuf, Error> {
    let out_dir = out.map_or_else(|| profile.default_out_dir(stamp), Path::to_path_buf);
    std::fs::create_dir_all(&out_dir).map_err(|e| {
        Error::run(format!(
            "cannot create the output folder {}: {e}; pick another with --out",
            out_dir.display()
        ))
    })?;
    report::clear_outputs(&out_dir)?;
    Ok(out_dir)
}

/// The shared HTTP pool with the profile's TLS options.
fn http_client(profile: &Profile) -> Result<HttpClient, Error> {
    let tls = TlsOptions {
        insecure: profile.target.tls.insecure,
        ca_file: profile.target.tls.ca_file.clone(),
    };
    HttpClient::new(&tls)
        .map(|c| c.with_max_body(profile.target.max_body()))
        .map_err(|e| Error::input(format!("TLS settings of [target.tls]: {e}")))
}

/// The run's identity and its live outputs, open before the first agent starts.
struct Live {
    info: RunInfo,
    outputs: LiveOutputs,
    /// Prints above the live view (interrupt notices).
    announcer: Announcer,
    /// A shard's part and its sequence sets.
    shard: Option<ShardLaunch>,
}

/// Names the run, starts its interval files and live view, and says what
/// is about to run.
fn open_outputs(
    args: &RunArgs,
    prepared: &Prepared,
    target: &ResolvedTarget,
    started_ms: u64,
    stamp: &str,
    out_dir: &Path,
    signals: &StopSignals,
) -> Result<Live, Error> {
    let (profile, plan) = (&prepared.profile, &prepared.plan);
    let interval = sharding::interval(profile);
    let id =
        (prepared.identity.run_id.clone()).unwrap_or_else(|| format!("{}-{stamp}", profile.name));
    let info = RunInfo::new(
        id,
        &profile.name,
        target.describe(),
        started_ms,
        0,
        plan.peak(),
        interval.as_millis() as u64,
    );
    let progress = Progress::new(
        Mode::detect(args.quiet),
        plan.total(),
        plan.peak(),
        args.verbose,
    );
    let announcer = progress.announcer();
    let watch = Watch::new(
        plan,
        &profile.ramp,
        profile.scenario,
        prepared.aborting.clone(),
    );
    let mut outputs = LiveOutputs::create(
        out_dir,
        &info,
        &prepared.gates,
        plan.clone(),
        progress,
        (watch, signals.clone()),
    )?;
    let shard = match prepared.identity.shard {
        Some(spec) => {
            let seqs: Arc<SeqRecorder> = sharding::recorder();
            outputs = outputs.with_seqs(seqs.clone(), SeqLogWriter::create(out_dir)?);
            Some(ShardLaunch { spec, seqs })
        }
        None => None,
    };
    if !args.quiet {
        crate::errln!(
            "agentload: {} agents against {} for {}; outputs in {}",
            info.agents,
            info.target,
            crate::units::format_duration(profile.total_duration()),
            out_dir.display()
        );
    }
    Ok(Live {
        info,
        outputs,
        announcer,
        shard,
    })
}

/// What the engine needs besides the profile.
fn run_setup(
    prepared: &Prepared,
    target: &ResolvedTarget,
    http: HttpClient,
    run_id: &str,
    signals: StopSignals,
) -> Launch {
    let mut nodes = Nodes::of(
        target.urls(),
        prepared.profile.target.injector_url.as_deref(),
    );
    nodes
        .source_addresses
        .clone_from(&prepared.profile.target.source_addresses);
    Launch {
        nodes,
        run_id: run_id.to_string(),
        seed: prepared.seed,
        http,
        signals,
        start_at: None,
        shard: None,
    }
}

/// Runs the engine on a runtime of its own (interrupts and the scheduler
/// probe included) and shuts that runtime down. With a start time it first
/// waits for it (a Ctrl-C meanwhile ends the run as interrupted, nothing
/// done); a `--start-at` found more than one interval past is refused.
fn execute_on_own_runtime(
    prepared: &Prepared,
    setup: Launch,
    outputs: LiveOutputs,
    announcer: Announcer,
) -> Result<Execution<LiveOutputs>, Error> {
    let profile = &prepared.profile;
    let threads = profile.run.worker_threads();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .thread_name("agentload")
        .build()
        .map_err(|e| Error::run(format!("cannot start the load generator's runtime: {e}")))?;
    let record = runtime.block_on(async {
        setup.signals.listen_announcing(announcer);
        if let Some(at) = setup.start_at
            && start::wait_until(at, &setup.signals.graceful).await
            && let Some(given) = prepared.identity.start_at
        {
            start::check_not_late(given, sharding::interval(profile), SystemTime::now())?;
        }
        // Made after the wait: intervals count from the start, not from the wait.
        let metrics = Metrics::new();
        metrics.set_cpu_capacity(cpu_capacity(threads, &prepared.target));
        let probe = spawn_scheduler_probe(&metrics, PROBE_TICK);
        let record = execute(profile, setup, metrics, outputs).await;
        probe.abort();
        Ok::<_, Error>(record)
    });
    // Agents' leftover tasks (aborted HTTP exchanges) must not hold the exit.
    runtime.shutdown_timeout(Duration::from_secs(1));
    record
}

/// The cores this process can keep busy: its worker threads, and the
/// embedded simulator's when it runs in this process, at most the machine's.
/// A saturated one-thread generator must read as saturated on any machine.
fn cpu_capacity(threads: usize, target: &TargetChoice) -> usize {
    let simulator = match target {
        TargetChoice::Embedded(target::Placement::Thread) => crate::sim::default_worker_threads(),
        _ => 0,
    };
    (threads + simulator).clamp(1, crate::metrics::health::cores())
}

fn unix_ms_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// `20261124T143000Z` from ms since the epoch: sortable and safe in folder names.
fn folder_stamp(unix_ms: u64) -> String {
    let rfc = report::model::format_utc_ms(unix_ms);
    rfc.chars()
        .take(19)
        .filter(|c| c.is_ascii_digit() || *c == 'T')
        .collect::<String>()
        + "Z"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_capacity_counts_workers_and_an_embedded_simulator_within_the_cores() {
        let cores = crate::metrics::health::cores();
        let remote = TargetChoice::Remote(vec!["http://127.0.0.1:1".into()]);
        assert_eq!(cpu_capacity(1, &remote), 1);
        assert_eq!(cpu_capacity(10_000, &remote), cores);
        let embedded = TargetChoice::Embedded(target::Placement::Thread);
        let with_sim = (1 + crate::sim::default_worker_threads()).min(cores);
        assert_eq!(cpu_capacity(1, &embedded), with_sim);
        let child = TargetChoice::Embedded(target::Placement::Child);
        assert_eq!(cpu_capacity(1, &child), 1);
    }

    #[test]
    fn every_overriding_flag_reaches_the_overrides() {
        use clap::Parser;
        let cli = crate::cli::Cli::try_parse_from([
            "agentload",
            "run",
            "p.toml",
            "--agents",
            "7",
            "--duration",
            "90s",
            "--seed",
            "42",
            "--target",
            "https://gws:8443",
            "--insecure",
            "--ca-file",
            "ca.pem",
            "--gate",
            "errors.total == 0",
            "--gate",
            "accept.p99 < 1s",
            "--password-env",
            "AGENT_PW",
        ])
        .unwrap();
        let crate::cli::Command::Run(args) = cli.command else {
            panic!("not run: {:?}", cli.command);
        };
        let expected = Overrides {
            agents: Some(7),
            duration: Some(crate::units::HumanDuration(Duration::from_secs(90))),
            seed: Some(42),
            target: Some("https://gws:8443".into()),
            source_addresses: None,
            simulator_nodes: None,
            insecure: true,
            ca_file: Some(PathBuf::from("ca.pem")),
            gates: vec!["errors.total == 0".into(), "accept.p99 < 1s".into()],
            password_env: Some("AGENT_PW".into()),
            password_file: None,
            threads: None,
        };
        assert_eq!(overrides(&args), expected);
    }

    #[test]
    fn folder_stamps_sort_and_have_no_separators() {
        let stamp = folder_stamp(1_795_962_600_123);
        assert_eq!(stamp.len(), 16, "{stamp}");
        assert!(stamp.ends_with('Z') && stamp.contains('T'), "{stamp}");
        assert!(!stamp.contains(':') && !stamp.contains('-'), "{stamp}");
        assert!(folder_stamp(1_795_962_600_123) < folder_stamp(1_795_962_700_000));
    }
}
