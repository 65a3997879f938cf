//! agentload's side of a Goose attack: what `test_start` starts (the run's
//! metrics, collector, live files and injector) and what `test_stop` ends
//! (injection settled, lost interactions counted, every output written).
//! The agents in between belong to Goose's users (`scenario.rs`).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::tap::AgentTap;
use crate::agent::{AgentExit, OfferLedger};
use crate::engine::nodes::{AgentRoutes, Nodes};
use crate::engine::outputs::LiveOutputs;
use crate::engine::plan::Plan;
use crate::engine::run::{CollectorTask, Injection, Launch, Origin, Schedules, agent_deps};
use crate::engine::signals::StopSignals;
use crate::engine::watch::Watch;
use crate::error::Error;
use crate::http::HttpClient;
use crate::metrics::health::{PROBE_TICK, spawn_scheduler_probe};
use crate::metrics::{ErrorKind, Metrics};
use crate::profile::Profile;
use crate::progress::{Mode, Progress};
use crate::report::gate::{self, Gate};
use crate::report::{self, RunInfo, RunResults};

/// What the adapter was built with, fixed before the attack starts.
pub(crate) struct Plans {
    pub(crate) profile: Profile,
    pub(crate) target: String,
    pub(crate) injector: String,
    pub(crate) out_dir: PathBuf,
    pub(crate) http: HttpClient,
    pub(crate) gates: Vec<Gate>,
    pub(crate) seed: u64,
}

/// What agentload measured in a Goose attack, and where its outputs are.
pub struct AgentReport {
    /// The folder holding summary.json, histograms.hlog, report.html, ...
    pub out_dir: PathBuf,
    /// The run's results as `agentload run` would have them (counters such
    /// as `interactions_lost`, every histogram, the profile's gates judged).
    pub results: RunResults,
    /// Latencies agentload recorded that no Goose user was left to hand to
    /// Goose (recorded after their agent's user stopped): 0 when Goose's
    /// agent rows count exactly what agentload's histograms count.
    pub not_in_goose: u64,
}

/// One agent started by a Goose user.
struct RunningAgent {
    stop: CancellationToken,
    task: JoinHandle<AgentExit>,
}

/// The parts of agentload's run that live from `test_start` to `test_stop`.
struct Started {
    origin: Origin,
    info: RunInfo,
    metrics: Arc<Metrics>,
    probe: JoinHandle<()>,
    collector: CollectorTask<LiveOutputs>,
    injection: Injection,
    ledger: Arc<OfferLedger>,
    deps: AgentRoutes,
}

/// agentload's run inside one Goose attack, shared by the hooks and every
/// agent user.
pub(crate) struct AgentRun {
    pub(crate) plans: Plans,
    started: Mutex<Option<Started>>,
    agents: Mutex<HashMap<u32, RunningAgent>>,
    /// Every agent's tap, so what is still in one at the end is counted.
    taps: Mutex<Vec<Arc<AgentTap>>>,
    next_index: std::sync::atomic::AtomicU32,
    peak: std::sync::atomic::AtomicU32,
    report: Mutex<Option<Result<AgentReport, Error>>>,
}

/// How long stopping one agent may take beyond its graceful logout.
const STOP_SLACK: Duration = Duration::from_secs(10);

impl AgentRun {
    pub(crate) fn new(plans: Plans) -> AgentRun {
        AgentRun {
            plans,
            started: Mutex::new(None),
            agents: Mutex::new(HashMap::new()),
            taps: Mutex::new(Vec::new()),
            next_index: Default::default(),
            peak: Default::default(),
            report: Mutex::new(None),
        }
    }

    /// Starts the run's shared parts (Goose's `test_start`). A failure is
    /// kept for [`AgentRun::take_report`]; agents then refuse to start.
    pub(crate) fn start(&self) {
        match self.start_parts() {
            Ok(started) => *lock(&self.started) = Some(started),
            Err(e) => *lock(&self.report) = Some(Err(e)),
        }
    }

    fn start_parts(&self) -> Result<Started, Error> {
        let plans = &self.plans;
        let profile = &plans.profile;
        std::fs::create_dir_all(&plans.out_dir).map_err(|e| {
            Error::run(format!(
                "cannot create agentload's output folder {}: {e}; pick another with GooseAgents::out",
                plans.out_dir.display()
            ))
        })?;
        report::clear_outputs(&plans.out_dir)?;
        let origin = Origin::now();
        let started_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        let interval = profile.report.interval.0.max(Duration::from_millis(100));
        let plan = Plan::from_profile(profile);
        let info = RunInfo::new(
            format!("{}-goose-{started_ms}", profile.name),
            &profile.name,
            format!("{} (from a Goose attack)", plans.target),
            started_ms,
            0,
            profile.agents.count,
            interval.as_millis() as u64,
        );
        let progress = Progress::new(Mode::Quiet, plan.total(), plan.peak(), false);
        // Goose owns the users and the stop: nothing is decided live here.
        let live = (Watch::idle(), StopSignals::default());
        let outputs =
            LiveOutputs::create(&plans.out_dir, &info, &plans.gates, plan, progress, live)?;
        let metrics = Metrics::new();
        let probe = spawn_scheduler_probe(&metrics, PROBE_TICK);
        let collector = CollectorTask::start(metrics.clone(), interval, outputs);
        let launch = Launch {
            nodes: Nodes::single(plans.target.clone(), plans.injector.clone()),
            run_id: info.id.clone(),
            seed: plans.seed,
            http: plans.http.clone(),
            // Goose owns SIGINT: agentload listens for no signal here.
            signals: StopSignals::default(),
            start_at: None,
            shard: None,
        };
        let schedules = Schedules::of(profile, plans.seed);
        let ledger = Arc::new(OfferLedger::new(schedules.planned));
        let deps =
            agent_deps(profile, &launch, &metrics, origin, ledger.clone()).ok_or_else(|| {
                Error::input(format!(
                    "[target] notifications_path {:?} does not make a URL with {}",
                    profile.target.notifications_path, plans.target
                ))
            })?;
        let injection = Injection::start(profile, &launch, origin, &metrics, schedules);
        Ok(Started {
            origin,
            info,
            metrics,
            probe,
            collector,
            injection,
            ledger,
            deps,
        })
    }

    /// Starts the next agent of the pool, handing its latencies to `tap`;
    /// its index, or why it cannot start.
    pub(crate) fn start_agent(&self, tap: Arc<AgentTap>) -> Result<u32, String> {
        let Some(routes) = lock(&self.started).as_ref().map(|s| s.deps.clone()) else {
            return Err(self.why_not_started());
        };
        let index = self
            .next_index
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let deps = routes.for_agent(index);
        let pool = deps.run.agents.count;
        if index >= pool {
            return Err(format!(
                "Goose started agent user {} but the profile's pool has {pool} agents ([agents] count): \
                 raise count or give the agents scenario fewer users",
                index + 1
            ));
        }
        let stop = CancellationToken::new();
        let task = tokio::spawn(crate::agent::run_tapped_agent(
            index,
            deps,
            stop.clone(),
            Some(tap.clone()),
        ));
        lock(&self.taps).push(tap);
        let mut agents = lock(&self.agents);
        agents.insert(index, RunningAgent { stop, task });
        self.peak
            .fetch_max(agents.len() as u32, std::sync::atomic::Ordering::Relaxed);
        Ok(index)
    }

    fn why_not_started(&self) -> String {
        match lock(&self.report).as_ref() {
            Some(Err(e)) => format!("agentload's run did not start: {e}"),
            _ => "agentload's run is not running: register the adapter's test_start and test_stop \
                  (GooseAgents::register does)"
                .to_string(),
        }
    }

    /// Stops agent `index` gracefully and waits for it, at most its logout
    /// grace plus a slack, then aborts it (Goose waits for its users with no
    /// timeout, so the bound is agentload's).
    pub(crate) async fn stop_agent(&self, index: u32) {
        let Some(agent) = lock(&self.agents).remove(&index) else {
            return;
        };
        let metrics = lock(&self.started).as_ref().map(|s| s.metrics.clone());
        agent.stop.cancel();
        let bound = crate::engine::run::STOP_GRACE + STOP_SLACK;
        let mut task = agent.task;
        let exit = tokio::time::timeout(bound, &mut task).await;
        let kind = match exit {
            Ok(Ok(AgentExit::Failed(_))) => Some(ErrorKind::AgentFailed),
            Ok(_) => None,
            Err(_) => {
                task.abort();
                Some(ErrorKind::AgentStopTimeout)
            }
        };
        if let (Some(kind), Some(metrics)) = (kind, metrics) {
            metrics.error(kind);
        }
    }

    /// Ends the run (Goose's `test_stop`, after every user has stopped):
    /// agents still running stopped, injection stopped and settled, lost
    /// interactions counted, every output written.
    pub(crate) async fn finish(&self) {
        let left: Vec<u32> = lock(&self.agents).keys().copied().collect();
        for index in left {
            self.stop_agent(index).await;
        }
        let Some(started) = lock(&self.started).take() else {
            return;
        };
        let report = self.conclude(started).await;
        *lock(&self.report) = Some(report);
    }

    async fn conclude(&self, mut started: Started) -> Result<AgentReport, Error> {
        started.injection.stop().await;
        started
            .injection
            .settle_lost(&started.ledger, &started.metrics)
            .await;
        started.probe.abort();
        let peak = self.peak.load(std::sync::atomic::Ordering::Relaxed);
        let record = started.collector.finish(started.origin, false, peak).await;
        let mut info = started.info;
        info.duration_ms = record.elapsed.as_millis() as u64;
        info.agents = record.agents;
        let mut results = record.sink.finish().finish(info);
        results.profile_toml = toml::to_string(&self.plans.profile.redacted()).ok();
        results.notes.push(
            "Run inside a Goose attack: Goose's users started and stopped the agents; \
             interactions followed the profile's stages."
                .into(),
        );
        let gate_results = gate::evaluate_all(&self.plans.gates, &results);
        results.set_verdicts(gate_results, None);
        report::write_final(&self.plans.out_dir, &results)?;
        let not_in_goose = lock(&self.taps).iter().map(|t| t.not_given()).sum();
        Ok(AgentReport {
            out_dir: self.plans.out_dir.clone(),
            results,
            not_in_goose,
        })
    }

    /// The report of the finished run (once).
    pub(crate) fn take_report(&self) -> Option<Result<AgentReport, Error>> {
        lock(&self.report).take()
    }
}

/// The lock's data even when a holder panicked: every holder here only
/// moves values in or out, so the data stays whole.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
