//! One simulated agent's life: log in, handshake, subscribe, start the
//! contact-center session, go Ready, then react to what arrives while the
//! Bayeux connect loop runs in its own task (an accept is never stuck behind a
//! held connect), and on stop go NotReady, finish or abandon work, disconnect
//! and end the session.
//!
//! The agent's main loop never awaits a REST call itself: every call runs as
//! an action in a `JoinSet` and reports back, so notifications are handled the
//! moment they arrive.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use hyper::header::{AUTHORIZATION, HeaderValue};
use rand::SeedableRng;
use rand::rngs::SmallRng;
use tokio::task::{AbortHandle, JoinSet};
use tokio_util::sync::CancellationToken;

use super::ledger::OfferLedger;
use super::marker;
use super::settings::SharedRun;
use crate::bayeux::{BayeuxClient, ClientConfig, Delivery, Observer};
use crate::gws::OperationName;
use crate::gws::StatusCode as GwsStatus;
use crate::gws::calls::{CallError, GwsCalls};
use crate::gws::notification::{
    CHANNELS_TOPIC, ChannelNotice, ChannelState, INTERACTIONS_TOPIC, InteractionNotice,
    InteractionState, Notification, decode_notification,
};
use crate::http::{HttpClient, HttpSession};
use crate::metrics::{Counter, Gauge, Measure, Metrics};
use crate::profile::{Answer, OnStop};

/// CometD topics an agent subscribes to.
pub const TOPICS: [&str; 2] = [INTERACTIONS_TOPIC, CHANNELS_TOPIC];

/// Pauses before repeating a REST call the server answered 503: it did not
/// act on it, so repeating is safe, and an agent that gave up would leave an
/// invite unanswered, an interaction open or a channel NotReady for good.
const RETRY_PAUSES: [Duration; 3] = [
    Duration::from_millis(100),
    Duration::from_millis(300),
    Duration::from_millis(900),
];

/// How long after a successful Accept the agent waits for the `Accepted`
/// notification before handling the interaction anyway: a notification lost
/// with a forgotten Bayeux session must not leave it open forever.
const ACCEPT_CONFIRM_WAIT: Duration = Duration::from_secs(5);

/// Runs `call`, repeating it after [`RETRY_PAUSES`] while the server answers
/// HTTP 503; each refused attempt but the last is counted as `{what}_http_503`
/// (the caller counts the final outcome).
async fn retry_unavailable<F, Fut>(
    metrics: &Metrics,
    what: &str,
    mut call: F,
) -> Result<(), CallError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), CallError>>,
{
    for pause in RETRY_PAUSES {
        match call().await {
            Err(CallError::Status { status: 503, .. }) => {
                metrics.error(&format!("{what}_http_503"));
                tokio::time::sleep(pause).await;
            }
            other => return other,
        }
    }
    call().await
}

/// What every agent of a run shares.
pub struct AgentDeps {
    /// The run's one HTTP connection pool.
    pub http: HttpClient,
    /// REST calls to the target.
    pub gws: GwsCalls,
    /// Bayeux client settings (URL of the notifications endpoint, timeouts).
    pub bayeux: ClientConfig,
    /// Where measurements go.
    pub metrics: Arc<Metrics>,
    /// Bayeux exchange timings go here.
    pub observer: Arc<dyn Observer>,
    /// Which injected interactions reached an agent.
    pub ledger: Arc<OfferLedger>,
    /// Run-wide settings.
    pub run: SharedRun,
    /// Agents stopping at once. A run's end stops every agent together, and
    /// thousands of simultaneous NotReady, disconnect and EndContactCenterSession
    /// calls would open thousands of connections at once (past the open-file
    /// limit); a stopping agent holds a permit until it has logged out.
    pub stopping_at_once: Arc<tokio::sync::Semaphore>,
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
    let (client, deliveries) = BayeuxClient::new(
        deps.http.clone(),
        session.clone(),
        deps.bayeux.clone(),
        deps.observer.clone(),
    );
    let seed = deps.run.seed ^ (u64::from(index) + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let mut agent = Agent {
        index,
        deps,
        session,
        client,
        rng: SmallRng::seed_from_u64(seed),
        interactions: HashMap::new(),
        ready_sent: HashMap::new(),
        bayeux_joined: false,
        ready_channels: 0,
        counted_ready: false,
        actions: JoinSet::new(),
        spell: None,
        stopping: false,
        stop_permit: None,
        accept_check: None,
    };
    if !agent.log_in(&stop).await {
        return AgentExit::StoppedBeforeLogin;
    }
    agent.deps.metrics.add_gauge(Gauge::AgentsConnected, 1);
    let exit = agent.work(deliveries, &stop).await;
    agent.log_out().await;
    agent.deps.metrics.add_gauge(Gauge::AgentsConnected, -1);
    exit
}

/// Where one interaction offered to this agent stands.
#[derive(Debug)]
enum Phase {
    /// Invited and deliberately not answered: the server will revoke it.
    Ignored,
    /// A Reject is on its way.
    Rejecting,
    /// Accept POSTed (at `sent`, once the action reports) and/or confirmed by
    /// the `Accepted` notification (at `notified`).
    Accepting {
        sent: Option<Instant>,
        notified: Option<Instant>,
    },
    /// Being handled; a finishing action runs.
    Handling,
}

/// One interaction offered to this agent.
#[derive(Debug)]
struct Held {
    chat: bool,
    phase: Phase,
}

/// What an action reports when it ends.
enum Done {
    Answered {
        id: String,
        accept: bool,
        sent: Instant,
        result: Result<(), CallError>,
    },
    Finished {
        id: String,
        result: Result<(), CallError>,
    },
    Readiness {
        result: Result<(), CallError>,
    },
    Rejoined {
        result: Result<(), CallError>,
    },
    SpellDue {
        length: Duration,
    },
    SpellOver,
}

struct Agent {
    index: u32,
    deps: Arc<AgentDeps>,
    session: Arc<HttpSession>,
    client: BayeuxClient,
    rng: SmallRng,
    interactions: HashMap<String, Held>,
    ready_sent: HashMap<&'static str, Instant>,
    /// Handshaken and subscribed to every topic.
    bayeux_joined: bool,
    ready_channels: usize,
    counted_ready: bool,
    actions: JoinSet<Done>,
    /// The pending NotReady timer (spell due or spell over): not work in
    /// hand, so a stop cancels it instead of waiting the grace out for it.
    spell: Option<AbortHandle>,
    stopping: bool,
    /// Held from the start of the stop until the agent is dropped after logging out.
    stop_permit: Option<tokio::sync::OwnedSemaphorePermit>,
    /// When to look for accepts whose `Accepted` notification never came.
    accept_check: Option<Instant>,
}

impl Agent {
    /// Logs in (GET /me, handshake, subscribe, StartContactCenterSession),
    /// retrying with backoff while the target is unavailable. False when
    /// stopped first.
    async fn log_in(&mut self, stop: &CancellationToken) -> bool {
        let mut backoff = Duration::from_millis(500);
        loop {
            let attempt = tokio::select! {
                _ = stop.cancelled() => return false,
                attempt = self.try_log_in() => attempt,
            };
            match attempt {
                Ok(()) => return true,
                Err(kind) => {
                    self.deps.metrics.error(&kind);
                    tokio::select! {
                        _ = stop.cancelled() => return false,
                        _ = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(10));
                }
            }
        }
    }

    async fn try_log_in(&mut self) -> Result<(), String> {
        let gws = &self.deps.gws;
        gws.get_me(&self.session)
            .await
            .map_err(|e| format!("login_{}", e.kind()))?;
        // Until every subscribe succeeded, a retry does them all again: an
        // agent missing a topic would run without invites or channel notices.
        if !self.bayeux_joined {
            if self.client.client_id().is_none() {
                self.client
                    .handshake()
                    .await
                    .map_err(|e| format!("handshake_{}", e.kind()))?;
            }
            for topic in TOPICS {
                self.client
                    .subscribe(topic)
                    .await
                    .map_err(|e| format!("subscribe_{}", e.kind()))?;
            }
            self.bayeux_joined = true;
        }
        let started = Instant::now();
        let place = self.deps.run.agents.place(self.index);
        match gws
            .start_session(&self.session, &self.deps.run.channels, place.as_deref())
            .await
        {
            Ok(()) => {}
            // Already started (a retry after a lost reply): carry on.
            Err(CallError::Refused {
                code: GwsStatus::INVALID_STATE,
                ..
            }) => {}
            Err(e) => return Err(format!("session_start_{}", e.kind())),
        }
        self.deps
            .metrics
            .record(Measure::SessionStart, started.elapsed());
        Ok(())
    }

    async fn work(
        &mut self,
        mut deliveries: tokio::sync::mpsc::UnboundedReceiver<Delivery>,
        stop: &CancellationToken,
    ) -> AgentExit {
        let connect_stop = CancellationToken::new();
        // An agent aborted at the end of a run must not leave its connect
        // loop polling and recording after the final snapshot.
        let _connect_guard = connect_stop.clone().drop_guard();
        let mut connect = {
            let client = self.client.clone();
            let token = connect_stop.clone();
            tokio::spawn(async move { client.run_connect_loop(&token).await })
        };
        self.go_ready();
        self.schedule_not_ready();

        // Armed when the stop begins; until then it never fires.
        let grace = tokio::time::sleep(Duration::from_secs(86_400));
        tokio::pin!(grace);
        // Armed while an accept waits for its notification (see `accept_check`).
        let check = tokio::time::sleep(Duration::from_secs(86_400));
        tokio::pin!(check);
        let mut check_at = None;
        let mut exit = None;
        loop {
            tokio::select! {
                biased;
                delivery = deliveries.recv() => match delivery {
                    Some(Delivery::Message { data, received_at, .. }) => {
                        self.on_message(data.get(), received_at);
                    }
                    Some(Delivery::Rehandshaked) => {
                        // Notifications queued on the forgotten session are gone.
                        self.confirm_overdue_accepts(Instant::now() + ACCEPT_CONFIRM_WAIT);
                        self.rejoin();
                    }
                    None => {}
                },
                Some(done) = self.actions.join_next() => {
                    if let Ok(done) = done {
                        self.on_done(done);
                    }
                }
                ended = &mut connect => {
                    let why = match ended {
                        Ok(Ok(())) => "connect loop ended".to_string(),
                        Ok(Err(e)) => format!("connect loop stopped: {e}"),
                        Err(e) => format!("connect loop task failed: {e}"),
                    };
                    exit = Some(AgentExit::Failed(why));
                    break;
                }
                _ = stop.cancelled(), if !self.stopping => {
                    // Deliveries wait in the channel meanwhile; none is lost.
                    self.stop_permit = self.deps.stopping_at_once.clone().acquire_owned().await.ok();
                    self.begin_stop();
                    grace.as_mut().reset(tokio::time::Instant::now() + self.deps.run.stop_grace);
                }
                _ = &mut grace, if self.stopping => break,
                _ = &mut check, if check_at.is_some() => {
                    check_at = None;
                    self.accept_check = None;
                    self.confirm_overdue_accepts(Instant::now());
                }
            }
            if self.accept_check != check_at {
                check_at = self.accept_check;
                if let Some(at) = check_at {
                    check.as_mut().reset(at.into());
                }
            }
            if self.stopping && self.interactions.is_empty() && self.actions.is_empty() {
                break;
            }
        }
        // Work still in hand when the grace ran out or the connect loop ended.
        self.abandon_all();
        connect_stop.cancel();
        if exit.is_none() {
            // The loop notices the token between connects; a held connect is
            // released by the disconnect below.
            let _ = tokio::time::timeout(Duration::from_millis(50), &mut connect).await;
        }
        exit.unwrap_or(AgentExit::Stopped)
    }

    fn on_message(&mut self, data: &str, received_at: Instant) {
        match decode_notification(data.as_bytes()) {
            Ok(Notification::Interaction(n)) => self.on_interaction(n, received_at),
            Ok(Notification::Channels(n)) => self.on_channels(&n, received_at),
            Ok(Notification::Other(_)) => {}
            Err(_) => self.deps.metrics.error("bad_notification"),
        }
    }

    fn on_channels(&mut self, notice: &ChannelNotice<'_>, received_at: Instant) {
        for (channel, state) in &notice.channels {
            if *state != ChannelState::Ready {
                continue;
            }
            let Some(name) = self
                .deps
                .run
                .channels
                .iter()
                .copied()
                .find(|c| c == channel)
            else {
                continue;
            };
            if let Some(sent) = self.ready_sent.remove(name) {
                self.deps
                    .metrics
                    .record(Measure::Ready, received_at.saturating_duration_since(sent));
                self.ready_channels += 1;
                if self.ready_channels == self.deps.run.channels.len() && !self.counted_ready {
                    self.counted_ready = true;
                    self.deps.metrics.add_gauge(Gauge::AgentsReady, 1);
                }
            }
        }
    }

    fn on_interaction(&mut self, notice: InteractionNotice<'_>, received_at: Instant) {
        match notice.state {
            InteractionState::Invited => {
                let marker = marker::read(&notice, &self.deps.run.run_id);
                let chat = notice.channel == "chat";
                self.on_invite(notice.id.into_owned(), chat, marker, received_at)
            }
            InteractionState::Revoked if self.interactions.remove(notice.id.as_ref()).is_some() => {
                self.deps.metrics.count(Counter::InvitesRevoked, 1);
            }
            InteractionState::Accepted => self.on_accepted(notice.id.into_owned(), received_at),
            _ => {}
        }
    }

    fn on_invite(
        &mut self,
        id: String,
        chat: bool,
        marker: Option<marker::Marker>,
        received_at: Instant,
    ) {
        let metrics = &self.deps.metrics;
        if self.interactions.contains_key(&id) {
            metrics.count(Counter::InvitesDuplicate, 1);
            return;
        }
        metrics.count(Counter::InvitesOffered, 1);
        // Delivery is measured on an interaction's first offer only: a
        // re-offer after a reject or revoke would add the first agent's
        // answer time to what is meant to be the server's delivery latency.
        if let Some(marker) = marker
            && self.deps.ledger.offered(marker.seq)
        {
            let intended = self.deps.run.instant_of_unix_us(marker.created_us);
            metrics.record(
                Measure::InviteDelivery,
                received_at.saturating_duration_since(intended),
            );
        }
        if self.stopping {
            // Leave it: the server revokes it and offers it to a working agent.
            return;
        }
        let behaviour = &self.deps.run.behaviour;
        let accept = match behaviour.answer(&mut self.rng) {
            Answer::NoAnswer => {
                self.interactions.insert(
                    id,
                    Held {
                        chat,
                        phase: Phase::Ignored,
                    },
                );
                return;
            }
            Answer::Accept => true,
            Answer::Reject => false,
        };
        let delay = behaviour.answer_delay.sample(&mut self.rng);
        let phase = if accept {
            Phase::Accepting {
                sent: None,
                notified: None,
            }
        } else {
            Phase::Rejecting
        };
        self.interactions.insert(id.clone(), Held { chat, phase });
        let (gws, session, metrics) = (
            self.deps.gws.clone(),
            self.session.clone(),
            self.deps.metrics.clone(),
        );
        self.actions.spawn(async move {
            tokio::time::sleep(delay).await;
            let op = if accept {
                OperationName::Accept
            } else {
                OperationName::Reject
            };
            let sent = Instant::now();
            let result =
                retry_unavailable(&metrics, "answer", || gws.interaction(&session, &id, op)).await;
            // Measured here, like Complete: the agent loop may be busy with deliveries.
            if !accept && result.is_ok() {
                metrics.record(Measure::Reject, sent.elapsed());
            }
            Done::Answered {
                id,
                accept,
                sent,
                result,
            }
        });
    }

    fn on_accepted(&mut self, id: String, received_at: Instant) {
        match self.interactions.get_mut(&id).map(|h| &mut h.phase) {
            Some(Phase::Accepting {
                sent: Some(sent), ..
            }) => {
                let sent = *sent;
                self.accepted(id, received_at.saturating_duration_since(sent));
            }
            Some(Phase::Accepting { notified, .. }) => *notified = Some(received_at),
            // Later `Accepted` notifications carry chat updates: nothing to do.
            _ => {}
        }
    }

    fn on_done(&mut self, done: Done) {
        let metrics = self.deps.metrics.clone();
        match done {
            Done::Answered {
                id,
                accept: true,
                sent,
                result,
            } => match result {
                Ok(()) => match self.interactions.get_mut(&id).map(|h| &mut h.phase) {
                    Some(Phase::Accepting {
                        notified: Some(at), ..
                    }) => {
                        let latency = at.saturating_duration_since(sent);
                        self.accepted(id, latency);
                    }
                    Some(Phase::Accepting { sent: s, .. }) => {
                        *s = Some(sent);
                        self.arm_accept_check(sent + ACCEPT_CONFIRM_WAIT);
                    }
                    _ => {}
                },
                Err(e) => self.answer_failed(&id, &e),
            },
            Done::Answered {
                id,
                accept: false,
                result,
                ..
            } => {
                match result {
                    Ok(()) => metrics.count(Counter::InvitesRejected, 1),
                    Err(e) => self.answer_failed(&id, &e),
                }
                self.interactions.remove(&id);
            }
            Done::Finished { id, result } => {
                self.interactions.remove(&id);
                metrics.add_gauge(Gauge::InteractionsInProgress, -1);
                match result {
                    Ok(()) => metrics.count(Counter::InteractionsCompleted, 1),
                    Err(e) => metrics.error(&format!("complete_{}", e.kind())),
                }
            }
            Done::Readiness { result } => {
                if let Err(e) = result {
                    metrics.error(&format!("readiness_{}", e.kind()));
                }
            }
            Done::Rejoined { result } => {
                if let Err(e) = result {
                    metrics.error(&format!("rejoin_{}", e.kind()));
                }
            }
            Done::SpellDue { length } => {
                if !self.stopping {
                    self.go_not_ready();
                    self.spell = Some(self.actions.spawn(async move {
                        tokio::time::sleep(length).await;
                        Done::SpellOver
                    }));
                }
            }
            Done::SpellOver => {
                if !self.stopping {
                    self.go_ready();
                    self.schedule_not_ready();
                }
            }
        }
    }

    /// An answer that failed: after a revoke the server rightly refuses it,
    /// which is the profile's answer delay racing the invite timeout, not a
    /// server error.
    fn answer_failed(&mut self, id: &str, e: &CallError) {
        if self.interactions.remove(id).is_none() {
            self.deps.metrics.error("answer_after_revoke");
        } else {
            self.deps.metrics.error(&format!("answer_{}", e.kind()));
        }
    }

    /// Accepts whose Accept call succeeded at least [`ACCEPT_CONFIRM_WAIT`]
    /// before `now` but whose `Accepted` notification never came (lost with a
    /// forgotten Bayeux session or a reset connect) are handled anyway: the
    /// server holds them as accepted, so leaving them would keep them open
    /// until the agent logs out. Counted as `accept_unconfirmed`, and without
    /// an `accept` latency, which was never observed.
    fn confirm_overdue_accepts(&mut self, now: Instant) {
        let mut overdue = Vec::new();
        let mut next: Option<Instant> = None;
        for (id, held) in &self.interactions {
            if let Phase::Accepting {
                sent: Some(sent),
                notified: None,
            } = held.phase
            {
                let due = sent + ACCEPT_CONFIRM_WAIT;
                if due <= now {
                    overdue.push(id.clone());
                } else {
                    next = Some(next.map_or(due, |n| n.min(due)));
                }
            }
        }
        for id in overdue {
            self.deps.metrics.error("accept_unconfirmed");
            self.handle(id, None);
        }
        self.accept_check = None;
        if let Some(at) = next {
            self.arm_accept_check(at);
        }
    }

    fn arm_accept_check(&mut self, at: Instant) {
        if self.accept_check.is_none_or(|armed| at < armed) {
            self.accept_check = Some(at);
        }
    }

    fn accepted(&mut self, id: String, latency: Duration) {
        self.handle(id, Some(latency));
    }

    /// An accepted interaction: counts it and handles it; `latency` is the
    /// `accept` measurement when the confirmation was observed.
    fn handle(&mut self, id: String, latency: Option<Duration>) {
        let metrics = &self.deps.metrics;
        if let Some(latency) = latency {
            metrics.record(Measure::Accept, latency);
        }
        metrics.count(Counter::InvitesAccepted, 1);
        let is_chat = match self.interactions.get_mut(&id) {
            Some(held) => {
                held.phase = Phase::Handling;
                held.chat
            }
            None => return,
        };
        metrics.add_gauge(Gauge::InteractionsInProgress, 1);
        let behaviour = &self.deps.run.behaviour;
        let handle = behaviour.handle_time.sample(&mut self.rng);
        let messages = behaviour.chat_messages.sample(&mut self.rng);
        let finish = self.deps.run.model.finish_operation();
        let (gws, session, metrics) =
            (self.deps.gws.clone(), self.session.clone(), metrics.clone());
        self.actions.spawn(async move {
            let messages = if is_chat { messages } else { 0 };
            let step = handle / (messages + 1);
            for i in 0..messages {
                tokio::time::sleep(step).await;
                let text = format!("agentload message {}", i + 1);
                if let Err(e) = retry_unavailable(&metrics, "send_message", || {
                    gws.send_message(&session, &id, &text)
                })
                .await
                {
                    metrics.error(&format!("send_message_{}", e.kind()));
                }
            }
            tokio::time::sleep(handle.saturating_sub(step * messages)).await;
            let sent = Instant::now();
            let result = retry_unavailable(&metrics, "complete", || {
                gws.interaction(&session, &id, finish)
            })
            .await;
            if result.is_ok() {
                metrics.record(Measure::Complete, sent.elapsed());
            }
            Done::Finished { id, result }
        });
    }

    fn go_ready(&mut self) {
        let now = Instant::now();
        for &channel in &self.deps.run.channels {
            self.ready_sent.insert(channel, now);
        }
        self.set_readiness(true);
    }

    fn go_not_ready(&mut self) {
        self.forget_readiness();
        self.set_readiness(false);
    }

    /// Sends `Ready` or `NotReady` on every channel, each as an action.
    fn set_readiness(&mut self, ready: bool) {
        let deps = self.deps.clone();
        for &channel in &deps.run.channels {
            let (gws, session, metrics) =
                (deps.gws.clone(), self.session.clone(), deps.metrics.clone());
            self.actions.spawn(async move {
                let result = retry_unavailable(&metrics, "readiness", || {
                    gws.set_ready(&session, channel, ready)
                })
                .await;
                Done::Readiness { result }
            });
        }
    }

    /// After a re-handshake the server may have ended the contact-center
    /// session with the old Bayeux session: start it again and go Ready.
    fn rejoin(&mut self) {
        if self.stopping {
            return;
        }
        let (gws, session, run) = (
            self.deps.gws.clone(),
            self.session.clone(),
            self.deps.run.clone(),
        );
        let place = run.agents.place(self.index);
        let metrics = self.deps.metrics.clone();
        self.actions.spawn(async move {
            let result = match retry_unavailable(&metrics, "rejoin", || {
                gws.start_session(&session, &run.channels, place.as_deref())
            })
            .await
            {
                Err(CallError::Refused {
                    code: GwsStatus::INVALID_STATE,
                    ..
                }) => Ok(()),
                other => other,
            };
            Done::Rejoined { result }
        });
        self.forget_readiness();
        self.go_ready();
    }

    fn forget_readiness(&mut self) {
        self.ready_sent.clear();
        self.ready_channels = 0;
        if self.counted_ready {
            self.counted_ready = false;
            self.deps.metrics.add_gauge(Gauge::AgentsReady, -1);
        }
    }

    /// Schedules the next NotReady spell, if the profile asks for them.
    fn schedule_not_ready(&mut self) {
        let Some(spells) = self.deps.run.behaviour.not_ready.as_ref() else {
            return;
        };
        let wait = spells.every.sample(&mut self.rng);
        let length = spells.duration.sample(&mut self.rng);
        self.spell = Some(self.actions.spawn(async move {
            tokio::time::sleep(wait).await;
            Done::SpellDue { length }
        }));
    }

    fn begin_stop(&mut self) {
        self.stopping = true;
        if let Some(spell) = self.spell.take() {
            spell.abort();
        }
        if self.deps.run.behaviour.on_stop == OnStop::Finish {
            // Answers and handling in flight run to their end; invites left
            // unanswered are the server's to revoke.
            self.interactions
                .retain(|_, held| !matches!(held.phase, Phase::Ignored));
        } else {
            self.abandon_all();
        }
        self.go_not_ready();
    }

    /// Aborts every action and forgets every interaction, taking the ones
    /// being handled off the in-progress gauge.
    fn abandon_all(&mut self) {
        self.actions.abort_all();
        let handling = self
            .interactions
            .values()
            .filter(|h| matches!(h.phase, Phase::Handling))
            .count();
        self.deps
            .metrics
            .add_gauge(Gauge::InteractionsInProgress, -(handling as i64));
        self.interactions.clear();
    }

    async fn log_out(&mut self) {
        let timeout = Duration::from_secs(5);
        let _ = tokio::time::timeout(timeout, self.client.disconnect()).await;
        if let Ok(Err(e)) =
            tokio::time::timeout(timeout, self.deps.gws.end_session(&self.session)).await
        {
            self.deps
                .metrics
                .error(&format!("session_end_{}", e.kind()));
        }
        self.forget_readiness();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn status(status: u16) -> CallError {
        CallError::Status {
            what: "Accept",
            status,
        }
    }

    #[tokio::test]
    async fn a_503_is_retried_and_each_refusal_counted() {
        let metrics = Metrics::new();
        let calls = AtomicU32::new(0);
        let result = retry_unavailable(&metrics, "answer", || async {
            match calls.fetch_add(1, Ordering::Relaxed) {
                0 | 1 => Err(status(503)),
                _ => Ok(()),
            }
        })
        .await;
        assert!(result.is_ok());
        assert_eq!(calls.load(Ordering::Relaxed), 3);
        let errors = metrics.take_interval().errors;
        assert_eq!(errors.get("answer_http_503"), Some(&2), "{errors:?}");
    }

    #[tokio::test]
    async fn other_failures_are_not_retried_and_retries_are_bounded() {
        let metrics = Metrics::new();
        let calls = AtomicU32::new(0);
        let result = retry_unavailable(&metrics, "complete", || async {
            calls.fetch_add(1, Ordering::Relaxed);
            Err(status(500))
        })
        .await;
        assert!(matches!(result, Err(CallError::Status { status: 500, .. })));
        assert_eq!(calls.load(Ordering::Relaxed), 1);

        calls.store(0, Ordering::Relaxed);
        let result = retry_unavailable(&metrics, "complete", || async {
            calls.fetch_add(1, Ordering::Relaxed);
            Err(status(503))
        })
        .await;
        assert!(matches!(result, Err(CallError::Status { status: 503, .. })));
        assert_eq!(calls.load(Ordering::Relaxed), RETRY_PAUSES.len() as u32 + 1);
        let errors = metrics.take_interval().errors;
        // The caller counts the last refusal with the outcome.
        assert_eq!(
            errors.get("complete_http_503"),
            Some(&(RETRY_PAUSES.len() as u64)),
            "{errors:?}"
        );
    }
}
