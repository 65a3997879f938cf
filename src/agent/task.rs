//! One simulated agent's life: log in, then run its [state
//! machine](super::machine) against what arrives while the Bayeux connect
//! loop runs in its own task (an accept is never stuck behind a held
//! connect), and on stop log out.
//!
//! This task is the machine's thin shell: it decodes deliveries into notices,
//! starts the actions the machine asks for in a `JoinSet` and feeds their
//! results back, sleeps until the machine's next deadline, and hands every
//! measurement to the agent's sink (`sink.rs`). Its loop never awaits a REST
//! call itself, so notifications are handled the moment they arrive.

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use hyper::header::{AUTHORIZATION, HeaderValue};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::{JoinHandle, JoinSet};
use tokio_util::sync::CancellationToken;

use super::actions::Rest;
use super::effect::{Done, Effect, Measurement};
use super::ledger::OfferLedger;
use super::machine::Agent;
use super::notice::each_notice;
use super::observer::MetricsObserver;
use super::settings::SharedSettings;
use super::sink::{Sink, Tap};
use crate::bayeux::{BayeuxClient, ClientConfig, ClientError, Deliveries, Delivery, Observer};
use crate::gws::calls::GwsCalls;
use crate::gws::notification::{CHANNELS_TOPIC, INTERACTIONS_TOPIC};
use crate::http::{HttpClient, HttpSession};
use crate::metrics::{ErrorKind, Gauge, Metrics};
use crate::shard::SeqRecorder;

/// CometD topics an agent subscribes to.
pub const TOPICS: [&str; 2] = [INTERACTIONS_TOPIC, CHANNELS_TOPIC];

/// What every agent of a run shares.
pub struct AgentDeps {
    /// The run's one HTTP connection pool.
    pub http: HttpClient,
    /// REST calls to the target.
    pub gws: GwsCalls,
    /// Bayeux client settings (URL of the notifications endpoint, timeouts),
    /// shared by every agent's client.
    pub bayeux: Arc<ClientConfig>,
    /// Where measurements go.
    pub metrics: Arc<Metrics>,
    /// Bayeux exchange timings go here.
    pub observer: Arc<dyn Observer>,
    /// Which injected interactions reached an agent.
    pub ledger: Arc<OfferLedger>,
    /// A shard's record of its agents' first offers (`None` unsharded).
    pub seqs: Option<Arc<SeqRecorder>>,
    /// Run-wide settings.
    pub run: SharedSettings,
    /// Agents stopping at once. A run's end stops every agent together, and
    /// thousands of simultaneous NotReady, disconnect and EndContactCenterSession
    /// calls would open thousands of connections at once (past the open-file
    /// limit); a stopping agent holds a permit until it has logged out.
    pub stopping_at_once: Arc<Semaphore>,
}

/// How an agent's life ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgentExit {
    /// Stopped when asked, after a clean logout.
    Stopped,
    /// Asked to stop before it had logged in.
    StoppedBeforeLogin,
    /// The server told the client to stop (`reconnect: none`) or the session died.
    Failed(String),
}

/// Runs agent `index` (0-based in the profile's pool) until `stop` is
/// cancelled (or the server ends it).
pub async fn run_agent(index: u32, deps: Arc<AgentDeps>, stop: CancellationToken) -> AgentExit {
    run_tapped_agent(index, deps, stop, None).await
}

/// [`run_agent`], with every latency of this agent also handed to `tap`
/// (its Bayeux exchanges included), when there is one.
pub async fn run_tapped_agent(
    index: u32,
    deps: Arc<AgentDeps>,
    stop: CancellationToken,
    tap: Option<Arc<dyn Tap>>,
) -> AgentExit {
    let session = Arc::new(HttpSession::new());
    let username = deps.run.agents.username(index);
    let credentials = base64::engine::general_purpose::STANDARD
        .encode(format!("{username}:{}", deps.run.agents.password));
    match HeaderValue::from_str(&format!("Basic {credentials}")) {
        Ok(value) => session.set_header(AUTHORIZATION, value),
        Err(_) => {
            return AgentExit::Failed(format!(
                "username {username:?} cannot be sent in an HTTP header"
            ));
        }
    }
    let (sink, observer) = match tap {
        Some(tap) => {
            let sink = Sink::tapped(deps.metrics.clone(), tap).recording(deps.seqs.clone());
            let observer: Arc<dyn Observer> = Arc::new(MetricsObserver::through(sink.clone()));
            (sink, observer)
        }
        None => (
            Sink::new(deps.metrics.clone()).recording(deps.seqs.clone()),
            deps.observer.clone(),
        ),
    };
    let (client, deliveries) = BayeuxClient::new(
        deps.http.clone(),
        session.clone(),
        deps.bayeux.clone(),
        observer,
    );
    let rest = Arc::new(Rest {
        sink,
        index,
        deps,
        session,
    });
    // Boxed, as are the other one-off steps: a task's future is as big as
    // its biggest step for its whole life, and the work loop is small.
    if !Box::pin(rest.log_in(&client, &stop)).await {
        return AgentExit::StoppedBeforeLogin;
    }
    let mut task = AgentTask {
        agent: Agent::new(rest.deps.run.clone(), rest.deps.ledger.clone(), index),
        rest,
        client,
        actions: JoinSet::new(),
        fx: Vec::new(),
        stop_permit: None,
        connect_loop: None,
    };
    task.rest
        .sink
        .apply(Measurement::Gauge(Gauge::AgentsConnected, 1));
    let exit = Box::pin(task.work(deliveries, &stop)).await;
    Box::pin(task.rest.log_out(&task.client)).await;
    Box::pin(task.settle_connect_loop()).await;
    task.agent.logged_out(&mut task.fx);
    task.carry_out();
    task.rest
        .sink
        .apply(Measurement::Gauge(Gauge::AgentsConnected, -1));
    exit
}

/// A logged-in agent: its state machine and what carries out its effects.
struct AgentTask {
    agent: Agent,
    rest: Arc<Rest>,
    client: BayeuxClient,
    actions: JoinSet<Done>,
    /// The machine's effects of the current step (a buffer kept between steps).
    fx: Vec<Effect>,
    /// Held from the start of the stop until the agent is dropped after logging out.
    stop_permit: Option<OwnedSemaphorePermit>,
    /// The connect loop, when it still held a connect as the agent logged out.
    connect_loop: Option<JoinHandle<Result<(), ClientError>>>,
}

/// How long a held connect may take to end after the agent's disconnect.
const CONNECT_SETTLE: Duration = Duration::from_secs(1);

impl AgentTask {
    async fn work(&mut self, mut deliveries: Deliveries, stop: &CancellationToken) -> AgentExit {
        let connect_stop = CancellationToken::new();
        // An agent aborted at the end of a run must not leave its connect
        // loop polling and recording after the final snapshot.
        let _connect_guard = connect_stop.clone().drop_guard();
        let mut connect = {
            let client = self.client.clone();
            let token = connect_stop.clone();
            tokio::spawn(async move { client.run_connect_loop(&token).await })
        };
        self.agent.start(Instant::now(), &mut self.fx);
        self.carry_out();

        // Polled only while armed, i.e. set to the machine's next deadline.
        let timer = tokio::time::sleep_until(tokio::time::Instant::now());
        tokio::pin!(timer);
        let mut armed: Option<Instant> = None;
        let mut exit = None;
        while !self.agent.stopped() {
            let next = self.agent.next_deadline();
            if next != armed {
                armed = next;
                if let Some(at) = next {
                    timer.as_mut().reset(at.into());
                }
            }
            tokio::select! {
                biased;
                Some(delivery) = deliveries.recv() => self.on_delivery(delivery),
                Some(joined) = self.actions.join_next() => match joined {
                    Ok(done) => self.agent.on_action_done(done, &mut self.fx),
                    Err(_) => self.agent.on_action_lost(),
                },
                ended = &mut connect => {
                    exit = Some(AgentExit::Failed(connect_loop_ended(ended)));
                    break;
                }
                _ = stop.cancelled(), if !self.agent.is_stopping() => {
                    // Deliveries wait in the channel meanwhile; none is lost.
                    let permits = self.rest.deps.stopping_at_once.clone();
                    self.stop_permit = permits.acquire_owned().await.ok();
                    self.agent.stop(Instant::now(), &mut self.fx);
                }
                () = &mut timer, if armed.is_some() => {
                    // Fired for its deadline, even if the clock reads a hair earlier.
                    let now = armed.take().map_or_else(Instant::now, |at| Instant::now().max(at));
                    self.agent.on_timer(now, &mut self.fx);
                }
            }
            self.carry_out();
        }
        // Work still in hand when the grace ran out or the connect loop ended.
        self.agent.abandon(&mut self.fx);
        self.carry_out();
        connect_stop.cancel();
        if exit.is_none() {
            // The loop notices the token between connects; a held connect is
            // released by the disconnect that follows.
            let _ = tokio::time::timeout(Duration::from_millis(50), &mut connect).await;
            if !connect.is_finished() {
                self.connect_loop = Some(connect);
            }
        }
        exit.unwrap_or(AgentExit::Stopped)
    }

    /// Waits for a connect loop the logout's disconnect released, so its
    /// last cycle is measured before the agent counts as stopped (a tap
    /// drained after the agent's end then has every latency); aborted if the
    /// server holds the connect on.
    async fn settle_connect_loop(&mut self) {
        if let Some(mut connect) = self.connect_loop.take()
            && tokio::time::timeout(CONNECT_SETTLE, &mut connect)
                .await
                .is_err()
        {
            connect.abort();
        }
    }

    fn on_delivery(&mut self, delivery: Delivery) {
        match delivery {
            Delivery::Message {
                data, received_at, ..
            } => {
                let (agent, fx) = (&mut self.agent, &mut self.fx);
                let run_id = &self.rest.deps.run.run_id;
                let read = each_notice(data.get().as_bytes(), run_id, |notice| {
                    agent.on_notice(notice, received_at, fx);
                });
                if read.is_err() {
                    fx.push(Effect::Measured(Measurement::Error(
                        ErrorKind::BadNotification,
                    )));
                }
            }
            Delivery::Rehandshaked => self.agent.on_rehandshake(Instant::now(), &mut self.fx),
        }
    }

    /// Carries out the machine's effects, in order.
    fn carry_out(&mut self) {
        for effect in self.fx.drain(..) {
            match effect {
                Effect::Start(action) => {
                    self.actions.spawn(self.rest.clone().carry_out(action));
                }
                Effect::AbortActions => self.actions.abort_all(),
                Effect::Measured(measurement) => self.rest.sink.apply(measurement),
            }
        }
    }
}

fn connect_loop_ended(ended: Result<Result<(), ClientError>, tokio::task::JoinError>) -> String {
    match ended {
        Ok(Ok(())) => "connect loop ended".to_string(),
        Ok(Err(e)) => format!("connect loop stopped: {e}"),
        Err(e) => format!("connect loop task failed: {e}"),
    }
}
