//! One run, from a validated profile to the measured results: agents ramped
//! per the plan, interactions injected per the arrival schedule, a drain
//! period, a graceful stop, and the per-interval snapshots handed to a sink
//! as they are taken (so a crash loses at most one interval).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::task::{JoinHandle, JoinSet};
use tokio_util::sync::CancellationToken;

use super::arrivals::Arrivals;
use super::injector::{Injector, Media};
use super::plan::{Event, Plan};
use super::signals::StopSignals;
use crate::agent::{self, AgentDeps, AgentExit, AgentSettings, MetricsObserver, OfferLedger};
use crate::bayeux::ClientConfig;
use crate::gws::calls::{GwsCalls, GwsEndpoints};
use crate::http::HttpClient;
use crate::metrics::{Counter, ErrorKind, IntervalSnapshot, Metrics};
use crate::profile::{Channel, Profile};

/// Agents logging out at the same time at the end of a run (see
/// `AgentDeps::stopping_at_once`).
pub const STOPPING_AT_ONCE: usize = 256;

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
    /// Base URL of the GWS deployment (or of the embedded simulator).
    pub target: String,
    /// Base URL of the GMS-style injection API (often the same host).
    pub injector: String,
    /// The run id stamped into every interaction.
    pub run_id: String,
    /// Seed of every random choice.
    pub seed: u64,
    /// The shared HTTP pool (TLS options already applied).
    pub http: HttpClient,
    /// Interrupt handling.
    pub signals: StopSignals,
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
    let origin = Origin::now();
    let plan = Plan::from_profile(profile);
    let interval = profile.report.interval.0.max(Duration::from_millis(100));
    let collector = CollectorTask::start(metrics.clone(), interval, sink);
    let schedules = Schedules::of(profile, setup.seed);
    let ledger = Arc::new(OfferLedger::new(schedules.planned));
    let Some(deps) = agent_deps(profile, &setup, &metrics, origin, ledger.clone()) else {
        metrics.error(ErrorKind::BadNotificationsUrl);
        return collector.finish(origin, true, 0).await;
    };
    let mut injection = Injection::start(profile, &setup, origin, &metrics, schedules);
    let mut roster = Roster::default();
    let interrupted = ramp(&plan, origin.instant, &mut roster, &deps, &setup.signals).await;
    injection.stop().await;
    if !interrupted {
        drain(profile.traffic.drain.0, &setup.signals.graceful).await;
    }
    let peak = roster.peak;
    let bound = deps.run.stop_grace + Duration::from_secs(10);
    roster
        .stop_all(&setup.signals.immediate, &metrics, bound)
        .await;
    injection.settle_lost(&ledger, &metrics).await;
    collector.finish(origin, interrupted, peak).await
}

/// The run's start, on both clocks: every offset of the plan and of the
/// arrival schedules counts from it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Origin {
    wall: SystemTime,
    instant: Instant,
    unix_us: u64,
}

impl Origin {
    pub(crate) fn now() -> Origin {
        let wall = SystemTime::now();
        Origin {
            wall,
            instant: Instant::now(),
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

/// The arrival schedule of each media, and how many interactions they plan.
pub(crate) struct Schedules {
    per_media: [(Media, Arrivals); 2],
    pub(crate) planned: u64,
}

impl Schedules {
    pub(crate) fn of(profile: &Profile, seed: u64) -> Schedules {
        let per_media = [(Media::Email, Channel::Email), (Media::Chat, Channel::Chat)]
            .map(|(media, channel)| (media, Arrivals::for_channel(profile, channel, seed)));
        // Sized from the rates (an upper bound), never by counting arrivals one by one.
        let planned = per_media.iter().map(|(_, s)| s.upper_bound()).sum();
        Schedules { per_media, planned }
    }
}

/// What every agent of the run shares; `None` when the profile's
/// notifications path does not make a URL.
pub(crate) fn agent_deps(
    profile: &Profile,
    setup: &Launch,
    metrics: &Arc<Metrics>,
    origin: Origin,
    ledger: Arc<OfferLedger>,
) -> Option<Arc<AgentDeps>> {
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
    // Every agent-side URL is below the target's base path (a reverse
    // proxy's prefix), the CometD endpoint included.
    let base = format!(
        "{}{}",
        setup.target.trim_end_matches('/'),
        profile.target.base_path
    );
    let notifications = format!("{base}{}", profile.target.notifications_path);
    let bayeux = ClientConfig::new(notifications.parse().ok()?);
    Some(Arc::new(AgentDeps {
        http: setup.http.clone(),
        gws: GwsCalls::new(
            setup.http.clone(),
            Arc::new(GwsEndpoints::new(&base)),
            Duration::from_secs(30),
        ),
        bayeux,
        metrics: metrics.clone(),
        observer: Arc::new(MetricsObserver::new(metrics.clone())),
        ledger,
        run,
        stopping_at_once: Arc::new(tokio::sync::Semaphore::new(STOPPING_AT_ONCE)),
    }))
}

/// The run's interaction creation: one task per media, from the start to
/// the end of the last stage.
pub(crate) struct Injection {
    injector: Arc<Injector>,
    tasks: JoinSet<()>,
    stop: CancellationToken,
    planned: u64,
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
        let injector = Arc::new(Injector::new(
            setup.http.clone(),
            &setup.injector,
            &profile.target.injector_service,
            &setup.run_id,
            (origin.instant, origin.unix_us),
            metrics.clone(),
            schedules.planned,
        ));
        let mut tasks = JoinSet::new();
        for (media, schedule) in schedules.per_media {
            tasks.spawn(injector.clone().run(media, schedule, stop.clone()));
        }
        Injection {
            injector,
            tasks,
            stop,
            planned: schedules.planned,
        }
    }

    /// Stops scheduling new interactions and waits for the schedulers.
    pub(crate) async fn stop(&mut self) {
        self.stop.cancel();
        while self.tasks.join_next().await.is_some() {}
    }

    /// Waits for creations still in flight (an interrupted run skipped the
    /// drain), then counts the injected interactions no agent was ever
    /// offered. Interactions whose creation failed never existed: they are
    /// errors (counted by the injector), not lost interactions.
    pub(crate) async fn settle_lost(&self, ledger: &OfferLedger, metrics: &Metrics) {
        self.injector.settle(SETTLE_INJECTIONS).await;
        let injected = self.injector.injected().min(self.planned);
        let lost = ledger.never_offered_except(injected, self.injector.failed());
        metrics.count(Counter::InteractionsLost, lost);
    }
}

/// The agents started so far, each with its own stop token so the ramp-down
/// stops exactly the agents the plan names.
#[derive(Default)]
struct Roster {
    agents: JoinSet<AgentExit>,
    tokens: HashMap<u32, CancellationToken>,
    /// Most agents running at once.
    peak: u32,
}

impl Roster {
    fn apply(&mut self, event: Event, deps: &Arc<AgentDeps>, graceful: &CancellationToken) {
        match event {
            Event::Start(index) => {
                let token = graceful.child_token();
                self.tokens.insert(index, token.clone());
                self.agents
                    .spawn(agent::run_agent(index, deps.clone(), token));
                self.peak = self.peak.max(self.tokens.len() as u32);
            }
            Event::Stop(index) => {
                if let Some(token) = self.tokens.remove(&index) {
                    token.cancel();
                }
            }
        }
    }

    /// Asks every agent still running to stop and waits for all of them, at
    /// most `bound`; an immediate stop aborts them at once.
    async fn stop_all(mut self, immediate: &CancellationToken, metrics: &Metrics, bound: Duration) {
        for token in self.tokens.values() {
            token.cancel();
        }
        tokio::select! {
            _ = immediate.cancelled() => self.agents.abort_all(),
            _ = tokio::time::sleep(bound) => {
                metrics.error(ErrorKind::AgentStopTimeout);
                self.agents.abort_all();
            }
            _ = async {
                while let Some(exit) = self.agents.join_next().await {
                    if let Ok(AgentExit::Failed(_)) = exit {
                        metrics.error(ErrorKind::AgentFailed);
                    }
                }
            } => {}
        }
    }
}

/// Starts and stops agents at the plan's instants (from `start`) until the
/// stages end; `true` when a graceful stop was asked first.
async fn ramp(
    plan: &Plan,
    start: Instant,
    roster: &mut Roster,
    deps: &Arc<AgentDeps>,
    signals: &StopSignals,
) -> bool {
    let stages_end = start + plan.stages_end();
    let mut events = plan.events().into_iter().peekable();
    loop {
        let next = events
            .peek()
            .map_or(stages_end, |(at, _)| (start + *at).min(stages_end));
        tokio::select! {
            _ = signals.graceful.cancelled() => return true,
            _ = tokio::time::sleep_until(next.into()) => {}
        }
        while let Some((_, event)) = events.next_if(|(at, _)| start + *at <= Instant::now()) {
            roster.apply(event, deps, &signals.graceful);
        }
        if Instant::now() >= stages_end {
            return false;
        }
    }
}

/// Agents keep working for `drain` so interactions in flight can finish; a
/// graceful stop cuts it short.
async fn drain(drain: Duration, graceful: &CancellationToken) {
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
