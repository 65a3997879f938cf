//! One run, from a validated profile to the measured results: agents ramped
//! per the plan, interactions injected per the arrival schedule, a drain
//! period, a graceful stop, and the per-interval snapshots handed to a sink
//! as they are taken (so a crash loses at most one interval).

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::arrivals;
use super::injector::{Injector, Media};
use super::plan::Plan;
use super::signals::StopSignals;
use crate::agent::{self, AgentDeps, MetricsObserver, OfferLedger, RunContext};
use crate::bayeux::ClientConfig;
use crate::gws::calls::{GwsCalls, GwsEndpoints};
use crate::http::HttpClient;
use crate::metrics::{Counter, IntervalSnapshot, Metrics};
use crate::profile::Profile;

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

/// Runs `profile` with `setup`, handing snapshots to `sink` as it goes.
pub async fn execute<S: IntervalSink>(profile: &Profile, setup: RunSetup, metrics: Arc<Metrics>, sink: S) -> RunRecord<S> {
    let started = SystemTime::now();
    let start = Instant::now();
    let start_unix_us = started.duration_since(UNIX_EPOCH).map(|d| d.as_micros() as u64).unwrap_or(0);
    let plan = Plan::from_profile(profile);
    let interval = profile.report.interval.0.max(Duration::from_millis(100));

    let collector_stop = CancellationToken::new();
    let collector = tokio::spawn(collect(metrics.clone(), interval, sink, collector_stop.clone()));

    let run = Arc::new(RunContext {
        run_id: setup.run_id.clone(),
        start,
        start_unix_us,
        behaviour: profile.agent_behaviour(),
        model: profile.target.message_model.into(),
        channels: profile.agents.channels.iter().map(|c| c.as_str()).collect(),
        username_template: profile.agents.username.clone(),
        place_template: profile.agents.place.clone(),
        password: profile.agents.password.clone(),
        stop_grace: Duration::from_secs(10),
        seed: setup.seed,
    });
    let schedules = [
        (Media::Email, arrivals::schedule(profile, arrivals::Channel::Email, setup.seed)),
        (Media::Chat, arrivals::schedule(profile, arrivals::Channel::Chat, setup.seed.wrapping_add(1))),
    ];
    let planned: u64 = schedules.iter().map(|(_, s)| s.len() as u64).sum();
    let ledger = Arc::new(OfferLedger::new(planned));

    let notifications = format!("{}{}", setup.target.trim_end_matches('/'), profile.target.notifications_path);
    let bayeux = match notifications.parse() {
        Ok(url) => ClientConfig::new(url),
        Err(_) => {
            metrics.error("bad_notifications_url");
            return finish(metrics, collector, collector_stop, started, start, true, 0).await;
        }
    };
    let held_floor = profile.simulator.connect_timeout.0 / 2;
    let deps = Arc::new(AgentDeps {
        http: setup.http.clone(),
        gws: GwsCalls::new(
            setup.http.clone(),
            Arc::new(GwsEndpoints::new(&format!("{}{}", setup.target.trim_end_matches('/'), profile.target.base_path))),
            Duration::from_secs(30),
        ),
        bayeux,
        metrics: metrics.clone(),
        observer: Arc::new(MetricsObserver::new(metrics.clone(), held_floor)),
        ledger: ledger.clone(),
        run,
    });

    // Injection runs from the start to the end of the last stage.
    let inject_stop = setup.signals.graceful.child_token();
    let injector = Arc::new(Injector::new(
        setup.http.clone(),
        &setup.injector,
        "agentload",
        &setup.run_id,
        (start, start_unix_us),
        metrics.clone(),
    ));
    let mut injectors = JoinSet::new();
    for (media, schedule) in schedules {
        injectors.spawn(injector.clone().run(media, schedule.into_iter(), inject_stop.clone()));
    }

    // Agents start and stop per the plan; each has its own stop token so the
    // ramp-down can stop the last started first.
    let mut agents = JoinSet::new();
    let mut tokens: Vec<CancellationToken> = Vec::new();
    let mut peak = 0u32;
    let stages_end = start + plan.total();
    let mut events = plan.events().into_iter().peekable();
    let interrupted = loop {
        let next = events.peek().map(|e| start + e.at).unwrap_or(stages_end).min(stages_end);
        tokio::select! {
            _ = setup.signals.graceful.cancelled() => break true,
            _ = tokio::time::sleep_until(next.into()) => {}
        }
        while let Some(event) = events.next_if(|e| start + e.at <= Instant::now()) {
            match event.change {
                super::plan::Change::Start(index) => {
                    let token = setup.signals.graceful.child_token();
                    tokens.push(token.clone());
                    let n = profile.agents.number(index) as u32;
                    agents.spawn(agent::run_agent(n, deps.clone(), token));
                    peak = peak.max(tokens.len() as u32);
                }
                super::plan::Change::Stop => {
                    if let Some(token) = tokens.pop() {
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
    for token in &tokens {
        token.cancel();
    }
    let bound = deps.run.stop_grace + Duration::from_secs(10);
    tokio::select! {
        _ = setup.signals.immediate.cancelled() => agents.abort_all(),
        _ = tokio::time::sleep(bound) => {
            metrics.error("agent_stop_timeout");
            agents.abort_all();
        }
        _ = async { while agents.join_next().await.is_some() {} } => {}
    }

    let injected = injector.injected();
    metrics.count(Counter::InteractionsLost, ledger.never_offered(injected.min(planned)));
    finish(metrics, collector, collector_stop, started, start, interrupted, peak).await
}

async fn finish<S: IntervalSink>(
    _metrics: Arc<Metrics>,
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
    RunRecord { sink, started, elapsed: start.elapsed(), interrupted, agents }
}

/// Takes a snapshot every `interval` (scheduled against the start, so the
/// intervals do not drift) and once more when stopped.
async fn collect<S: IntervalSink>(metrics: Arc<Metrics>, interval: Duration, mut sink: S, stop: CancellationToken) -> S {
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
