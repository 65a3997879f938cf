//! One run, from a validated profile to the measured results: agents ramped
//! per the plan, interactions injected per the arrival schedule, a drain
//! period, a graceful stop, and the per-interval snapshots handed to a sink
//! as they are taken (so a crash loses at most one interval).

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::task::{JoinHandle, JoinSet};
use tokio_util::sync::CancellationToken;

use super::injector::Injector;
use super::nodes::{AgentRoutes, Nodes};
use super::plan::Plan;
use super::roster::Roster;
use super::schedule::Schedule;
use super::signals::{Stop, StopSignals};
use crate::agent::{self, AgentDeps, AgentExit, AgentSettings, MetricsObserver, OfferLedger};
use crate::bayeux::ClientConfig;
use crate::gws::calls::{GwsCalls, GwsEndpoints};
use crate::http::HttpClient;
use crate::metrics::{Counter, ErrorKind, IntervalSnapshot, Metrics};
use crate::profile::{Profile, Scenario};
use crate::shard::{SeqRecorder, ShardSpec};

/// Agents logging out at the same time at the end of a run (see
/// `AgentDeps::stopping_at_once`). Each stopping agent opens pooled REST
/// connections (about 10 KiB each in hyper): 256 at once made the end of a
/// run its memory peak (+13 MiB per 12,500 agents), 64 at once adds 2 MiB
/// and logs 8,000 agents out as fast (docs/measurements/scale-50k.md).
pub const STOPPING_AT_ONCE: usize = 64;

/// How long agents get to finish their work and log out once asked to stop.
pub const STOP_GRACE: Duration = Duration::from_secs(10);

/// Receives every interval snapshot as soon as it is taken. The engine keeps
/// none of them, so memory stays flat however long the run: the sink decides
/// what to keep (summaries, merged totals) and what to write to disk.
pub trait IntervalSink: Send + 'static {
    /// Called once per interval, in order, from the collector task.
    fn interval(&mut self, snapshot: IntervalSnapshot);
}

/// What the engine needs besides the profile.
pub struct Launch {
    /// The GWS deployment's nodes (or the embedded simulator's) and their
    /// injection APIs: one of each for most runs (see [`super::nodes`]).
    pub nodes: Nodes,
    /// The run id stamped into every interaction.
    pub run_id: String,
    /// Seed of every random choice.
    pub seed: u64,
    /// The shared HTTP pool (TLS options already applied).
    pub http: HttpClient,
    /// Interrupt handling.
    pub signals: StopSignals,
    /// The run's start when it was fixed beforehand (`--start-at`), else now.
    pub start_at: Option<SystemTime>,
    /// Which shard of the run this process is, when it is one.
    pub shard: Option<ShardLaunch>,
}

/// What a shard's engine runs differently.
#[derive(Clone)]
pub struct ShardLaunch {
    /// Which agents and arrivals are this process's.
    pub spec: ShardSpec,
    /// Where its created, failed and first-offered sequence numbers go.
    pub seqs: Arc<SeqRecorder>,
}

/// What a finished (or interrupted) run measured.
pub struct Execution<S> {
    /// The sink, holding whatever it kept of the intervals.
    pub sink: S,
    /// When the run started (UTC).
    pub started: SystemTime,
    /// How long it ran.
    pub elapsed: Duration,
    /// True when the user interrupted it.
    pub interrupted: bool,
    /// Highest number of agents started.
    pub agents: u32,
}

/// Longest wait at the end for interaction creations still in flight.
const SETTLE_INJECTIONS: Duration = Duration::from_secs(5);

/// Runs `profile` with `setup`, handing snapshots to `sink` as it goes:
/// ramp the agents per the plan while injecting, drain, stop the agents,
/// settle the injections and count the lost interactions.
pub async fn execute<S: IntervalSink>(
    profile: &Profile,
    setup: Launch,
    metrics: Arc<Metrics>,
    sink: S,
) -> Execution<S> {
    if profile.scenario == Scenario::Bayeux {
        return super::pubsub::execute(profile, setup, metrics, sink).await;
    }
    let origin = setup.start_at.map_or_else(Origin::now, Origin::at);
    let spec = setup.shard.as_ref().map_or(ShardSpec::WHOLE, |s| s.spec);
    let plan = Plan::from_profile(profile).for_shard(spec);
    let interval = profile.report.interval.0.max(Duration::from_millis(100));
    let collector = CollectorTask::start(metrics.clone(), interval, sink);
    let schedules = Schedules::of(profile, setup.seed);
    let ledger = Arc::new(OfferLedger::new(schedules.planned));
    let Some(deps) = agent_deps(profile, &setup, &metrics, origin, ledger.clone()) else {
        metrics.error(ErrorKind::BadNotificationsUrl);
        return collector.finish(origin, true, 0).await;
    };
    let mut injection = Injection::start(profile, &setup, origin, &metrics, schedules);
    let mut roster = Roster::new();
    let failed = |exit: &AgentExit| matches!(exit, AgentExit::Failed(_));
    let interrupted = ramp(
        &plan,
        origin.instant,
        &setup.signals,
        &mut roster,
        |index, token| agent::run_agent(index, deps.for_agent(index), token),
        failed,
        &metrics,
    )
    .await;
    injection.stop().await;
    if !interrupted {
        drain(profile.traffic.drain.0, &setup.signals.graceful).await;
    }
    let peak = roster.peak;
    let bound = STOP_GRACE + Duration::from_secs(10);
    roster
        .stop_all(&setup.signals.immediate, &metrics, bound, failed)
        .await;
    injection.settle_lost(&ledger, &metrics).await;
    collector.finish(origin, interrupted, peak).await
}

/// The run's start, on both clocks: every offset of the plan and of the
/// arrival schedules counts from it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Origin {
    pub(crate) wall: SystemTime,
    pub(crate) instant: Instant,
    pub(crate) unix_us: u64,
}

impl Origin {
    pub(crate) fn now() -> Origin {
        Origin::from_pair(SystemTime::now(), Instant::now())
    }

    /// The origin at wall-clock time `wall` (just past, as after waiting for
    /// `--start-at`): the monotonic instant is worked out from the current
    /// one, so every shard's offsets count from the same wall-clock instant.
    pub(crate) fn at(wall: SystemTime) -> Origin {
        let (now_wall, now) = (SystemTime::now(), Instant::now());
        let instant = match now_wall.duration_since(wall) {
            Ok(behind) => now.checked_sub(behind).unwrap_or(now),
            Err(ahead) => now + ahead.duration(),
        };
        Origin::from_pair(wall, instant)
    }

    fn from_pair(wall: SystemTime, instant: Instant) -> Origin {
        Origin {
            wall,
            instant,
            unix_us: wall
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_micros() as u64)
                .unwrap_or(0),
        }
    }
}

/// The interval collector's task and how to stop it.
pub(crate) struct CollectorTask<S> {
    task: JoinHandle<S>,
    stop: CancellationToken,
}

impl<S: IntervalSink> CollectorTask<S> {
    pub(crate) fn start(metrics: Arc<Metrics>, interval: Duration, sink: S) -> CollectorTask<S> {
        let stop = CancellationToken::new();
        let task = tokio::spawn(collect(metrics, interval, sink, stop.clone()));
        CollectorTask { task, stop }
    }

    /// Takes the last snapshot and returns the run's record with the sink.
    pub(crate) async fn finish(
        self,
        origin: Origin,
        interrupted: bool,
        agents: u32,
    ) -> Execution<S> {
        self.stop.cancel();
        let sink = match self.task.await {
            Ok(sink) => sink,
            // The collector only ends by returning its sink; a panic in a sink is
            // a bug that must not be hidden.
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        };
        Execution {
            sink,
            started: origin.wall,
            elapsed: origin.instant.elapsed(),
            interrupted,
            agents,
        }
    }
}

/// The run's arrival schedule, and how many interactions it plans at most.
pub(crate) struct Schedules {
    schedule: Schedule,
    pub(crate) planned: u64,
}

impl Schedules {
    pub(crate) fn of(profile: &Profile, seed: u64) -> Schedules {
        let schedule = Schedule::of(profile, seed);
        Schedules {
            planned: schedule.upper_bound,
            schedule,
        }
    }
}

/// What every agent of the run shares, per node and source address (see
/// [`AgentRoutes`]); `None` when the profile's notifications path does not
/// make a URL.
pub(crate) fn agent_deps(
    profile: &Profile,
    setup: &Launch,
    metrics: &Arc<Metrics>,
    origin: Origin,
    ledger: Arc<OfferLedger>,
) -> Option<AgentRoutes> {
    let run = Arc::new(AgentSettings {
        run_id: setup.run_id.clone(),
        start: origin.instant,
        start_unix_us: origin.unix_us,
        agents: profile.agents.clone(),
        behaviour: profile.behaviour.clone(),
        model: profile.target.message_model,
        channels: profile.agents.channels.iter().map(|c| c.as_str()).collect(),
        stop_grace: STOP_GRACE,
        seed: setup.seed,
    });
    let observer: Arc<MetricsObserver> = Arc::new(MetricsObserver::new(metrics.clone()));
    let stopping_at_once = Arc::new(tokio::sync::Semaphore::new(STOPPING_AT_ONCE));
    let sources = setup.nodes.source_addresses.as_ref().map_or_else(
        || vec![None],
        |s| s.addresses().iter().copied().map(Some).collect(),
    );
    let seqs = setup.shard.as_ref().map(|s| s.seqs.clone());
    let mut by_route = Vec::with_capacity(setup.nodes.count() * sources.len());
    for target in &setup.nodes.targets {
        // Every agent-side URL is below the target's base path (a reverse
        // proxy's prefix), the CometD endpoint included.
        let base = format!(
            "{}{}",
            target.trim_end_matches('/'),
            profile.target.base_path
        );
        let notifications = format!("{base}{}", profile.target.notifications_path);
        let mut bayeux = ClientConfig::new(notifications.parse().ok()?);
        bayeux.ack = profile.bayeux.ack;
        let gws = GwsCalls::new(
            setup.http.clone(),
            Arc::new(GwsEndpoints::new(&base)),
            Duration::from_secs(30),
        );
        for source in &sources {
            let mut bayeux = bayeux.clone();
            bayeux.source_address = *source;
            by_route.push(Arc::new(AgentDeps {
                seqs: seqs.clone(),
                http: setup.http.clone(),
                gws: gws.clone(),
                bayeux: Arc::new(bayeux),
                metrics: metrics.clone(),
                observer: observer.clone(),
                ledger: ledger.clone(),
                run: run.clone(),
                stopping_at_once: stopping_at_once.clone(),
            }));
        }
    }
    Some(AgentRoutes::new(by_route, sources.len()))
}

/// The run's interaction creation: one scheduler task, from the start to
/// the end of the last stage.
pub(crate) struct Injection {
    injector: Arc<Injector>,
    tasks: JoinSet<()>,
    stop: CancellationToken,
    planned: u64,
    /// A shard leaves the lost interactions to the merge.
    sharded: bool,
}

impl Injection {
    pub(crate) fn start(
        profile: &Profile,
        setup: &Launch,
        origin: Origin,
        metrics: &Arc<Metrics>,
        schedules: Schedules,
    ) -> Injection {
        let stop = setup.signals.graceful.child_token();
        let spec = setup.shard.as_ref().map_or(ShardSpec::WHOLE, |s| s.spec);
        let seqs = setup.shard.as_ref().map(|s| s.seqs.clone());
        let injector = Arc::new(
            Injector::new(
                setup.http.clone(),
                &setup.nodes.injectors,
                &profile.target.injector_service,
                &setup.run_id,
                (origin.instant, origin.unix_us),
                metrics.clone(),
                schedules.planned,
            )
            .for_shard(spec, seqs),
        );
        let mut tasks = JoinSet::new();
        let owned = schedules.schedule.owned_by(spec);
        tasks.spawn(injector.clone().run(owned, stop.clone()));
        Injection {
            injector,
            tasks,
            stop,
            planned: schedules.planned,
            sharded: setup.shard.is_some(),
        }
    }

    /// Stops scheduling new interactions and waits for the schedulers.
    pub(crate) async fn stop(&mut self) {
        self.stop.cancel();
        while self.tasks.join_next().await.is_some() {}
    }

    /// Waits for creations still in flight (an interrupted run skipped the
    /// drain), then counts what no agent was ever offered: split into
    /// interactions never created (their creation failed or got no answer,
    /// each also an `inject_*` error) and created but never offered;
    /// `interactions_lost` is both. A shard only settles its creations:
    /// another shard's agents may have been offered what its own were not,
    /// so `agentload merge` counts the lost ones from every shard's seqs.log.
    pub(crate) async fn settle_lost(&self, ledger: &OfferLedger, metrics: &Metrics) {
        self.injector.settle(SETTLE_INJECTIONS).await;
        if self.sharded {
            return;
        }
        let sent = self.injector.sent().min(self.planned);
        let (not_created, never_offered) = ledger.never_offered_split(sent, self.injector.failed());
        metrics.count(Counter::InteractionsNotCreated, not_created);
        metrics.count(Counter::InteractionsNeverOffered, never_offered);
        metrics.count(Counter::InteractionsLost, not_created + never_offered);
    }
}

/// Starts and stops clients (`launch`) at the plan's instants (from
/// `start`) until the stages end; `true` when a graceful stop was asked
/// first, or every client died (which asks for one). A client's exit that
/// `failed` says is a failure counts as `agent_failed`.
pub(super) async fn ramp<T, F>(
    plan: &Plan,
    start: Instant,
    signals: &StopSignals,
    roster: &mut Roster<T>,
    mut launch: impl FnMut(u32, CancellationToken) -> F,
    failed: impl Fn(&T) -> bool,
    metrics: &Metrics,
) -> bool
where
    T: Send + 'static,
    F: Future<Output = T> + Send + 'static,
{
    let stages_end = start + plan.stages_end();
    let planned = plan.agent_starts().count() as u32;
    let mut events = plan.events().into_iter().peekable();
    loop {
        let next = events
            .peek()
            .map_or(stages_end, |(at, _)| (start + *at).min(stages_end));
        tokio::select! {
            _ = signals.graceful.cancelled() => return true,
            _ = tokio::time::sleep_until(next.into()) => {}
            joined = roster.next_exit() => {
                roster.reap(joined, metrics, &failed);
                if roster.all_died(planned) {
                    signals.stop(Stop::AllDied(format!(
                        "every agent ({}) ended before the plan stopped it (the server ended their sessions; see the errors)",
                        roster.died
                    )));
                    return true;
                }
            }
        }
        while let Some((_, event)) = events.next_if(|(at, _)| start + *at <= Instant::now()) {
            roster.apply(event, &signals.graceful, &mut launch);
        }
        if Instant::now() >= stages_end {
            return false;
        }
    }
}

/// Agents keep working for `drain` so interactions in flight can finish; a
/// graceful stop cuts it short.
pub(super) async fn drain(drain: Duration, graceful: &CancellationToken) {
    tokio::select! {
        _ = graceful.cancelled() => {}
        _ = tokio::time::sleep(drain) => {}
    }
}

/// Takes a snapshot every `interval` (scheduled against the start, so the
/// intervals do not drift) and once more when stopped.
async fn collect<S: IntervalSink>(
    metrics: Arc<Metrics>,
    interval: Duration,
    mut sink: S,
    stop: CancellationToken,
) -> S {
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let last = tokio::select! {
            _ = ticker.tick() => false,
            _ = stop.cancelled() => true,
        };
        sink.interval(metrics.take_interval());
        if last {
            return sink;
        }
    }
}
