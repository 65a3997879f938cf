//! The simulator's settings: the `[simulator]` table of a load profile and the
//! file given to `agentload serve --config` (same schema).

use serde::{Deserialize, Serialize};

use super::node::{NodeCount, NodeSlice};
use crate::units::{DelaySpec, HumanDuration, Probability};

/// Settings of the embedded GWS v2 simulator. Every field has a default, so an
/// empty table is a working simulator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SimulatorConfig {
    /// How many agents can log in: users `agent1` .. `agentN`.
    pub users: u32,
    /// The password every simulated user has.
    pub password: String,
    /// How long an invite waits for Accept/Reject before it is revoked and offered elsewhere.
    pub invite_timeout: HumanDuration,
    /// Delay between an interaction entering a queue and its offer (fixed or range).
    pub routing_delay: DelaySpec,
    /// Interactions an agent may hold at once, per channel.
    pub capacity: Capacity,
    /// Turns on GWS CSRF protection (`X-CSRF-HEADER`/`X-CSRF-TOKEN`).
    pub csrf: bool,
    /// How long a lone `/meta/connect` is held (Bayeux `advice.timeout`).
    pub connect_timeout: HumanDuration,
    /// How long a Bayeux session survives without a connect (`advice.maxInterval`).
    pub max_interval: HumanDuration,
    /// Most live Bayeux sessions in all; a handshake beyond it is refused.
    pub max_sessions: usize,
    /// Most live Bayeux sessions of one user; a handshake beyond it is refused.
    pub max_sessions_per_user: usize,
    /// Most bytes of `userData` (keys and values) one injected interaction
    /// may carry; more is refused with HTTP 413.
    pub max_user_data_bytes: usize,
    /// Most interactions waiting in the queues; an injection beyond it is
    /// refused with HTTP 503.
    pub max_queued_interactions: u64,
    /// A connection is closed when it has not sent a complete request head
    /// this long after it opened or after its last response (idle
    /// keep-alives, half-sent heads); a held `/meta/connect` is a request
    /// in progress, never idle. `0s`: never.
    pub idle_timeout: HumanDuration,
    /// How long a request's body may take to arrive after its head; a
    /// request still waiting for it then is refused and its connection
    /// closed. `0s`: no limit.
    pub body_timeout: HumanDuration,
    /// Faults to inject; all off by default.
    pub faults: Faults,
    /// How many node processes the simulator runs as (`auto`: one per
    /// 14,000 agents or fewer, so small runs have one). Read by `agentload
    /// run` and `agentload serve`; a node itself is never split again.
    #[serde(skip_serializing_if = "NodeCount::is_auto")]
    pub nodes: NodeCount,
    /// Which agents this simulator owns when it is one node of several
    /// (`serve --node J/K`); never written in a file.
    #[serde(skip)]
    pub node: NodeSlice,
}

impl Default for SimulatorConfig {
    fn default() -> Self {
        SimulatorConfig {
            users: 10_000,
            password: "password".to_string(),
            invite_timeout: HumanDuration(std::time::Duration::from_secs(30)),
            routing_delay: DelaySpec::ZERO,
            capacity: Capacity::default(),
            csrf: false,
            connect_timeout: HumanDuration(std::time::Duration::from_secs(30)),
            max_interval: HumanDuration(std::time::Duration::from_secs(10)),
            // Caps far above what a 20,000-agent run uses (one session per
            // agent, a few thousand queued interactions, userData of a
            // hundred bytes), low enough to bound what a hostile client costs.
            max_sessions: 100_000,
            max_sessions_per_user: 16,
            max_user_data_bytes: 16 * 1024,
            max_queued_interactions: 50_000,
            idle_timeout: HumanDuration(std::time::Duration::from_secs(60)),
            body_timeout: HumanDuration(std::time::Duration::from_secs(30)),
            faults: Faults::default(),
            nodes: NodeCount::Auto,
            node: NodeSlice::WHOLE,
        }
    }
}

/// Interactions an agent may handle at once on each channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Capacity {
    /// Concurrent email interactions per agent.
    pub email: u32,
    /// Concurrent chat interactions per agent.
    pub chat: u32,
}

impl Default for Capacity {
    fn default() -> Self {
        Capacity { email: 1, chat: 1 }
    }
}

/// Faults the simulator throws at its clients, so a load tool's resilience
/// and its regression gates can be tested. All off by default.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Faults {
    /// Probability that a REST call is answered HTTP 503.
    pub rest_503: Probability,
    /// Extra latency added to every REST reply (fixed or range).
    pub rest_latency: DelaySpec,
    /// Extra latency added before a notification is queued for delivery.
    pub delivery_latency: DelaySpec,
    /// Probability that a held `/meta/connect` has its connection reset.
    pub reset_connect: Probability,
    /// Probability, per connect, that the Bayeux session is forgotten (client must re-handshake).
    pub forget_session: Probability,
    /// Stop-the-world pauses: the whole simulator stops answering for `pause_duration` every `pause_every`.
    pub pause_every: Option<HumanDuration>,
    /// How long each stop-the-world pause lasts.
    pub pause_duration: HumanDuration,
}

impl Faults {
    /// Whether REST calls get latency or 503s: the REST fault layer is
    /// mounted only then.
    pub fn on_rest(&self) -> bool {
        !self.rest_latency.is_zero() || self.rest_503.get() > 0.0
    }

    /// Whether stop-the-world pauses happen: the pause layer is mounted only
    /// then.
    pub fn pauses(&self) -> bool {
        self.pause_every.is_some_and(|every| !every.0.is_zero()) && !self.pause_duration.0.is_zero()
    }
}
