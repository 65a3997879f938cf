//! One run, from a validated profile to the measured results: agents ramped
//! per the plan, interactions injected per the arrival schedule, a drain
//! period, a graceful stop, and the per-interval snapshots handed to a sink
//! as they are taken (so a crash loses at most one interval).

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::arrivals::Arrivals;
use super::injector::{Injector, Media};
use super::plan::{Event, Plan};
use super::signals::StopSignals;
use crate::agent::{self, AgentDeps, MetricsObserver, OfferLedger, RunContext};
use crate::bayeux::ClientConfig;
use crate::gws::calls::{GwsCalls, GwsEndpoints};
use crate::http::HttpClient;
use crate::metrics::{Counter, IntervalSnapshot, Metrics};
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
pub struct RunSetup {
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
pub struct RunRecord<S> {
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

/// Runs `profile` with `setup`, handing snapshots to `sink` as it goes.
pub async fn execute<S: IntervalSink>(
    profile: &Profile,
    setup: RunSetup,
    metrics: Arc<Metrics>,
    sink: S,
) -> RunRecord<S> {
    let started = SystemTime::now();
    let start = Instant::now();
    let start_unix_us = started
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0);
    let plan = Plan::from_profile(profile);
    let interval = profile.report.interval.0.max(Duration::from_millis(100));

    let collector_stop = CancellationToken::new();
    let collector = tokio::spawn(collect(
        metrics.clone(),
        interval,
        sink,
        collector_stop.clone(),
    ));

    let run = Arc::new(RunContext {
        run_id: setup.run_id.clone(),
        start,
        start_unix_us,
        agents: profile.agents.clone(),
        behaviour: profile.behaviour.clone(),
        model: profile.target.message_model,
        channels: profile.agents.channels.iter().map(|c| c.as_str()).collect(),
        stop_grace: STOP_GRACE,
        seed: setup.seed,
    });
    let schedules = [(Media::Email, Channel::Email), (Media::Chat, Channel::Chat)]
        .map(|(media, channel)| (media, Arrivals::for_channel(profile, channel, setup.seed)));
    // Sized from the rates, never by counting arrivals one by one.
    let planned: u64 = schedules.iter().map(|(_, s)| s.upper_bound()).sum();
    let ledger = Arc::new(OfferLedger::new(planned));

    // Every agent-side URL is below the target's base path (a reverse
    // proxy's prefix), the CometD endpoint included.
    let base = format!(
        "{}{}",
        setup.target.trim_end_matches('/'),
        profile.target.base_path
    );
    let notifications = format!("{base}{}", profile.target.notifications_path);
    let bayeux = match notifications.parse() {
        Ok(url) => ClientConfig::new(url),
        Err(_) => {
            metrics.error("bad_notifications_url");
            return finish(collector, collector_stop, started, start, true, 0).await;
        }
    };
    let deps = Arc::new(AgentDeps {
        http: setup.http.clone(),
        gws: GwsCalls::new(
            setup.http.clone(),
            Arc::new(GwsEndpoints::new(&base)),
            Duration::from_secs(30),
        ),
        bayeux,
        metrics: metrics.clone(),
        observer: Arc::new(MetricsObserver::new(metrics.clone())),
        ledger: ledger.clone(),
        run,
        stopping_at_once: Arc::new(tokio::sync::Semaphore::new(STOPPING_AT_ONCE)),
    });

    // Injection runs from the start to the end of the last stage.
    let inject_stop = setup.signals.graceful.child_token();
    let injector = Arc::new(Injector::new(
        setup.http.clone(),
        &setup.injector,
        &profile.target.injector_service,
        &setup.run_id,
        (start, start_unix_us),
        metrics.clone(),
        planned,
    ));
    let mut injectors = JoinSet::new();
    for (media, schedule) in schedules {
        injectors.spawn(injector.clone().run(media, schedule, inject_stop.clone()));
    }

    // Agents start and stop per the plan; each has its own stop token so the
    // ramp-down stops exactly the agents the plan names.
    let mut agents = JoinSet::new();
    let mut tokens: std::collections::HashMap<u32, CancellationToken> =
        std::collections::HashMap::new();
    let mut peak = 0u32;
    let stages_end = start + plan.stages_end();
    let mut events = plan.events().into_iter().peekable();
    let interrupted = loop {
        let next = events
            .peek()
            .map_or(stages_end, |(at, _)| (start + *at).min(stages_end));
        tokio::select! {
            _ = setup.signals.graceful.cancelled() => break true,
            _ = tokio::time::sleep_until(next.into()) => {}
        }
        while let Some((_, event)) = events.next_if(|(at, _)| start + *at <= Instant::now()) {
            match event {
                Event::Start(index) => {
                    let token = setup.signals.graceful.child_token();
                    tokens.insert(index, token.clone());
                    agents.spawn(agent::run_agent(index, deps.clone(), token));
                    peak = peak.max(tokens.len() as u32);
                }
                Event::Stop(index) => {
                    if let Some(token) = tokens.remove(&index) {
                        token.cancel();
                    }
                }
            }
        }
        if Instant::now() >= stages_end {
            break false;
        }
    };
    inject_stop.cancel();
    while injectors.join_next().await.is_some() {}

    // Drain: agents keep working so interactions in flight can finish.
    if !interrupted {
        tokio::select! {
            _ = setup.signals.graceful.cancelled() => {}
            _ = tokio::time::sleep(profile.traffic.drain.0) => {}
        }
    }
    for token in tokens.values() {
        token.cancel();
    }
    let bound = deps.run.stop_grace + Duration::from_secs(10);
    tokio::select! {
        _ = setup.signals.immediate.cancelled() => agents.abort_all(),
        _ = tokio::time::sleep(bound) => {
            metrics.error("agent_stop_timeout");
            agents.abort_all();
        }
        _ = async {
            while let Some(exit) = agents.join_next().await {
                if let Ok(agent::AgentExit::Failed(_)) = exit {
                    metrics.error("agent_failed");
                }
            }
        } => {}
    }

    // An interrupted run skips the drain: creations may still be in flight.
    injector.settle(SETTLE_INJECTIONS).await;
    // Interactions whose creation failed never existed: they are errors
    // (counted by the injector), not lost interactions.
    let lost = ledger.never_offered_except(injector.injected().min(planned), injector.failed());
    metrics.count(Counter::InteractionsLost, lost);
    finish(collector, collector_stop, started, start, interrupted, peak).await
}

async fn finish<S: IntervalSink>(
    collector: tokio::task::JoinHandle<S>,
    collector_stop: CancellationToken,
    started: SystemTime,
    start: Instant,
    interrupted: bool,
    agents: u32,
) -> RunRecord<S> {
    collector_stop.cancel();
    let sink = match collector.await {
        Ok(sink) => sink,
        // The collector only ends by returning its sink; a panic in a sink is
        // a bug that must not be hidden.
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    };
    RunRecord {
        sink,
        started,
        elapsed: start.elapsed(),
        interrupted,
        agents,
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
