//! `agentload run PROFILE`: validate everything first, start the embedded
//! simulator when no target is given, run the engine on its own runtime,
//! then write every output, judge the gates and print the summary.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::cli::{RunArgs, SimulatorProcess};
use crate::engine::outputs::RunOutputs;
use crate::engine::plan::Plan;
use crate::engine::run::{RunSetup, execute};
use crate::engine::signals::StopSignals;
use crate::error::{Error, Outcome};
use crate::http::{HttpClient, TlsOptions};
use crate::metrics::health::{PROBE_TICK, spawn_scheduler_probe};
use crate::metrics::{Measure, Metrics};
use crate::nofile;
use crate::profile::{Overrides, Profile};
use crate::progress::{Mode, Progress};
use crate::report::{self, RunInfo, compare, gate};
use crate::sim::{RunningSim, SimProcess, SimStats, spawn_on_own_runtime};

/// Runs `agentload run`.
pub fn run(args: &RunArgs) -> Result<Outcome, Error> {
    // Everything that can be wrong with the input is found before anything starts.
    let mut profile = Profile::load(&args.profile)?;
    profile.apply_overrides(&Overrides::from(args))?;
    let gates = gate::parse_all(profile.gates.iter().map(|g| g.rule.as_str()))?;
    let baseline = match &args.baseline {
        Some(path) => Some((compare::load(path)?, path.display().to_string())),
        None => None,
    };
    let compare_options = compare::CompareOptions {
        max_regression_pct: compare::parse_percent(&args.max_regression)?,
        ..compare::CompareOptions::default()
    };
    let seed = profile.seed_or_new();
    // What actually ran: flags applied and the seed filled in, so the report's
    // profile repeats this run exactly.
    let profile_text = toml::to_string(&profile.redacted()).ok().map(|text| {
        format!(
            "# {} as run: command-line flags applied, seed {seed}.\n{text}",
            args.profile.display()
        )
    });
    let plan = Plan::from_profile(&profile);
    let placement = match &profile.target.url {
        Some(_) => {
            nofile::ensure(plan.peak(), false)?;
            None
        }
        None => Some(place_simulator(args.simulator_process, plan.peak())?),
    };

    let started_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    let stamp = folder_stamp(started_ms);
    let out_dir: PathBuf = args
        .out
        .clone()
        .unwrap_or_else(|| profile.default_out_dir(&stamp));
    std::fs::create_dir_all(&out_dir).map_err(|e| {
        Error::run(format!(
            "cannot create the output folder {}: {e}; pick another with --out",
            out_dir.display()
        ))
    })?;
    report::clear_outputs(&out_dir)?;

    let sim = match placement {
        None => None,
        Some(Placement::Thread) => Some(EmbeddedSim::Thread(spawn_on_own_runtime(
            profile.simulator.clone(),
            SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        )?)),
        Some(Placement::Child) => {
            let child = SimProcess::spawn(&profile.simulator)?;
            if !args.quiet {
                crate::errln!(
                    "agentload: the embedded simulator runs in its own process (pid {}): {} agents need about {} open files with both ends of every connection in one process",
                    child.id(),
                    plan.peak(),
                    nofile::descriptors_needed(plan.peak(), true)
                );
            }
            Some(EmbeddedSim::Child(child))
        }
    };
    let target = match (&sim, &profile.target.url) {
        (Some(sim), _) => sim.url().to_string(),
        (None, Some(url)) => url.trim_end_matches('/').to_string(),
        (None, None) => unreachable!("a run without a URL always starts the simulator"),
    };
    let injector = profile
        .target
        .injector_url
        .clone()
        .unwrap_or_else(|| target.clone());
    let tls = TlsOptions {
        insecure: profile.target.tls.insecure,
        ca_file: profile.target.tls.ca_file.clone(),
    };
    let http = HttpClient::new(&tls)
        .map(|c| c.with_max_body(profile.target.max_body()))
        .map_err(|e| Error::input(format!("TLS settings of [target.tls]: {e}")))?;

    let run_id = format!("{}-{stamp}", profile.name);
    let interval = profile.report.interval.0.max(Duration::from_millis(100));
    let info = RunInfo::new(
        &run_id,
        &profile.name,
        describe_target(&target, sim.is_some()),
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
    let outputs = RunOutputs::create(&out_dir, &info, &gates, plan, progress)?;
    if !args.quiet {
        crate::errln!(
            "agentload: {} agents against {} for {}; outputs in {}",
            info.agents,
            info.target,
            crate::units::format_duration(profile.total_duration()),
            out_dir.display()
        );
    }

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("agentload")
        .build()
        .map_err(|e| Error::run(format!("cannot start the load generator's runtime: {e}")))?;
    let record = runtime.block_on(async {
        let signals = StopSignals::default();
        signals.listen_announcing(announcer);
        let metrics = Metrics::new();
        let probe = spawn_scheduler_probe(&metrics, PROBE_TICK);
        let setup = RunSetup {
            target: target.clone(),
            injector,
            run_id: run_id.clone(),
            seed,
            http,
            signals,
        };
        let record = execute(&profile, setup, metrics, outputs).await;
        probe.abort();
        record
    });
    // Agents' leftover tasks (aborted HTTP exchanges) must not hold the exit.
    runtime.shutdown_timeout(Duration::from_secs(1));
    let sim_stats = match sim.map(EmbeddedSim::stop) {
        Some(Ok(stats)) => Some(stats),
        Some(Err(e)) => {
            // The run's own figures are complete; only the cross-check is missing.
            crate::errln!("warning: {e}");
            None
        }
        None => None,
    };

    let mut info = info;
    info.duration_ms = record.elapsed.as_millis() as u64;
    info.agents = record.agents;
    let mut results = record.sink.finish().finish(info);
    results.profile_toml = profile_text;
    if record.interrupted {
        results.notes.push(
            "The run was interrupted before its plan ended; figures cover the part that ran."
                .into(),
        );
    }
    let gate_results = gate::evaluate_all(&gates, &results);
    let comparison =
        baseline.map(|(base, label)| compare::compare(&base, &results, &label, &compare_options));
    results.set_verdicts(gate_results, comparison);
    // The summary is printed even when an output file could not be written.
    let written = report::write_final(&out_dir, &results);

    crate::out!("{}", report::console::summary(&results));
    if let Some(stats) = sim_stats {
        crate::outln!("embedded simulator: {stats}");
    }
    written?;
    crate::outln!("outputs written to {}", out_dir.display());
    if results.run.agents > 0 && results.percentiles(Measure::Handshake).count == 0 {
        let mut kinds: Vec<(&String, &u64)> = results.errors.iter().collect();
        kinds.sort_by(|a, b| b.1.cmp(a.1));
        let top: Vec<String> = kinds
            .iter()
            .take(3)
            .map(|(k, n)| format!("{k} x{n}"))
            .collect();
        return Err(Error::run(format!(
            "no agent could log in to {} ({}); check the target URL, the agents' username and password, \
             and for https the TLS options (--insecure, --ca-file); what was measured is in {}",
            results.run.target,
            if top.is_empty() {
                "no error recorded".to_string()
            } else {
                top.join(", ")
            },
            out_dir.display()
        )));
    }
    Ok(if results.passed {
        Outcome::Passed
    } else {
        Outcome::GateFailed
    })
}

/// Where the embedded simulator runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Placement {
    Thread,
    Child,
}

/// Picks where the simulator runs and checks the open-file limit for it: a
/// thread when both ends of every connection fit this process, else (with
/// `auto`) a child process, which has a limit of its own.
fn place_simulator(choice: SimulatorProcess, peak: u32) -> Result<Placement, Error> {
    let placement = match choice {
        SimulatorProcess::Thread => Placement::Thread,
        SimulatorProcess::Child => Placement::Child,
        SimulatorProcess::Auto if nofile::fits(nofile::descriptors_needed(peak, true)) => {
            Placement::Thread
        }
        SimulatorProcess::Auto => Placement::Child,
    };
    match placement {
        Placement::Thread => nofile::ensure(peak, true)?,
        Placement::Child => nofile::ensure_for(nofile::descriptors_apart(peak), peak)?,
    };
    Ok(placement)
}

/// The embedded simulator of a run, wherever it runs.
enum EmbeddedSim {
    Thread(RunningSim),
    Child(SimProcess),
}

impl EmbeddedSim {
    fn url(&self) -> &str {
        match self {
            EmbeddedSim::Thread(sim) => sim.url(),
            EmbeddedSim::Child(sim) => sim.url(),
        }
    }

    /// Stops it and returns its final counts.
    fn stop(self) -> Result<SimStats, Error> {
        match self {
            EmbeddedSim::Thread(sim) => Ok(sim.stop()),
            EmbeddedSim::Child(sim) => sim.stop(),
        }
    }
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

fn describe_target(url: &str, embedded: bool) -> String {
    if embedded {
        format!("embedded simulator at {url}")
    } else {
        crate::profile::url_without_userinfo(url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_stamps_sort_and_have_no_separators() {
        let stamp = folder_stamp(1_795_962_600_123);
        assert_eq!(stamp.len(), 16, "{stamp}");
        assert!(stamp.ends_with('Z') && stamp.contains('T'), "{stamp}");
        assert!(!stamp.contains(':') && !stamp.contains('-'), "{stamp}");
        assert!(folder_stamp(1_795_962_600_123) < folder_stamp(1_795_962_700_000));
    }
}
