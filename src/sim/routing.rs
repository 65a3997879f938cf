//! The routing state machine: agents, per-channel queues, offers and their
//! outcomes. Plain data and functions: every operation mutates the state and
//! pushes [`Effect`]s (notifications to send, timers to start) that the
//! [`switchboard`](super::switchboard) carries out. This keeps the rules testable
//! without a network or a clock.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::interaction::{Content, Interaction, Phase};
use crate::gws::channel::PerChannel;
use crate::gws::notification::{CHANNELS_TOPIC, INTERACTIONS_TOPIC};
use crate::gws::{
    ChannelState, ChannelStateChangeMessageV2, InteractionState, MediaChannel, StatusCode,
};

/// Channels that are routed (voice readiness is accepted, no calls are made).
const ROUTED: [MediaChannel; 2] = [MediaChannel::Email, MediaChannel::Chat];

/// Something the switchboard must do after an operation.
#[derive(Debug)]
pub enum Effect {
    /// Send `data` on `topic` to every Bayeux session of `agent`.
    Notify {
        /// The agent index.
        agent: u32,
        /// `/v2/me/interactions` or `/v2/me/channels`.
        topic: &'static str,
        /// The message.
        data: Box<RawValue>,
    },
    /// Revoke the offer `offer` of `id` after the invite timeout unless answered.
    InviteTimer {
        /// The interaction.
        id: Arc<str>,
        /// The offer's serial number.
        offer: u64,
    },
    /// Make `id` routable after `after` (routing delay).
    RouteLater {
        /// The interaction.
        id: Arc<str>,
        /// The delay.
        after: Duration,
    },
}

/// A refused operation: the GWS status code and a message naming the problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The `statusCode` to reply with.
    pub status: StatusCode,
    /// Why.
    pub message: String,
}

impl Refusal {
    pub(super) fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Refusal {
            status,
            message: message.into(),
        }
    }
}

/// One agent's routing-relevant state.
#[derive(Debug, Default)]
struct Agent {
    logged_in: bool,
    ready: PerChannel<bool>,
    /// Offered + in progress, per routed channel.
    load: PerChannel<u32>,
    /// True while the agent sits in the channel's candidate list.
    listed: PerChannel<bool>,
    /// Its Bayeux client ids (a set: one user's thousands of orphan
    /// sessions must each expire in constant time).
    clients: HashSet<Box<str>>,
    /// Interactions offered to or handled by it.
    holding: Vec<Arc<str>>,
}

/// Counts over the simulator's life, and gauges of the present.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Interactions created through the injection endpoints.
    pub injected: u64,
    /// Offers made (an interaction offered twice counts twice).
    pub offered: u64,
    /// Offers accepted.
    pub accepted: u64,
    /// Offers rejected.
    pub rejected: u64,
    /// Offers revoked because nobody answered in time.
    pub revoked: u64,
    /// Interactions finished (`StopProcessing`/`Complete`).
    pub completed: u64,
    /// Interactions given back to a queue (session end, `PlaceInQueue`).
    pub requeued: u64,
    /// Now waiting in a queue.
    pub queued: u64,
    /// Now offered, waiting for Accept/Reject.
    pub offering: u64,
    /// Now accepted and not finished.
    pub in_progress: u64,
    /// Agents with a contact-center session.
    pub agents_logged_in: u64,
    /// Agents Ready on at least one channel.
    pub agents_ready: u64,
    /// Injections refused for a `userData` over the cap.
    #[serde(default)]
    pub refused_user_data: u64,
    /// Injections refused because the queues held the most interactions they may.
    #[serde(default)]
    pub refused_queue_full: u64,
}

impl Counts {
    /// True when every injected interaction is queued, offered, in progress or completed.
    pub fn add_up(&self) -> bool {
        self.injected == self.queued + self.offering + self.in_progress + self.completed
    }
}

/// Settings the routing rules need.
#[derive(Debug, Clone, Copy)]
pub struct RoutingRules {
    /// Concurrent interactions per agent: `[email, chat]`.
    pub capacity: [u32; 2],
    /// Draws the routing delay of an interaction entering a queue (zero: none).
    pub routing_delay: crate::units::DelaySpec,
}

/// The routing state of the whole simulator.
pub struct Routing {
    /// Concurrent interactions per agent (none on voice: it is not routed).
    capacity: PerChannel<u32>,
    routing_delay: crate::units::DelaySpec,
    agents: Vec<Agent>,
    interactions: HashMap<Arc<str>, Interaction>,
    /// Routable interactions per routed channel, oldest first.
    queues: PerChannel<VecDeque<Arc<str>>>,
    /// Agents that may have free capacity per routed channel (checked when taken).
    candidates: PerChannel<VecDeque<u32>>,
    next_offer: u64,
    next_id: u64,
    counts: Counts,
    limits: InjectionLimits,
    rng: rand::rngs::SmallRng,
}

impl Routing {
    /// A state for `users` agents, none logged in.
    pub fn new(users: u32, rules: RoutingRules) -> Self {
        use rand::SeedableRng;
        let [email, chat] = rules.capacity;
        Routing {
            capacity: PerChannel::from_fn(|channel| match channel {
                MediaChannel::Email => email,
                MediaChannel::Chat => chat,
                MediaChannel::Voice => 0,
            }),
            routing_delay: rules.routing_delay,
            agents: (0..users).map(|_| Agent::default()).collect(),
            interactions: HashMap::new(),
            queues: Default::default(),
            candidates: Default::default(),
            next_offer: 0,
            next_id: 0,
            counts: Counts::default(),
            limits: InjectionLimits::default(),
            rng: rand::rngs::SmallRng::from_os_rng(),
        }
    }

    /// The current counts.
    pub fn counts(&self) -> Counts {
        self.counts
    }

    /// The Bayeux client ids of an agent.
    pub fn clients(&self, agent: u32) -> impl Iterator<Item = &str> {
        self.agents
            .get(agent as usize)
            .into_iter()
            .flat_map(|a| a.clients.iter().map(|c| &**c))
    }

    /// Looks up a live interaction.
    pub fn interaction(&self, id: &str) -> Option<&Interaction> {
        self.interactions.get(id)
    }

    pub(super) fn interaction_mut(&mut self, id: &str) -> Option<&mut Interaction> {
        self.interactions.get_mut(id)
    }

    /// Ids of the interactions an agent holds (offered or accepted).
    pub fn holding(&self, agent: u32) -> Vec<Arc<str>> {
        self.agents
            .get(agent as usize)
            .map_or_else(Vec::new, |a| a.holding.clone())
    }

    /// Whether an agent has a contact-center session, and its readiness per channel.
    pub fn agent_view(&self, agent: u32) -> Option<(bool, PerChannel<bool>)> {
        self.agents
            .get(agent as usize)
            .map(|a| (a.logged_in, a.ready))
    }

    fn agent_mut(&mut self, agent: u32) -> Result<&mut Agent, Refusal> {
        self.agents
            .get_mut(agent as usize)
            .ok_or_else(|| Refusal::new(StatusCode::NOT_FOUND, "no such user"))
    }

    fn new_id(&mut self) -> Arc<str> {
        self.next_id += 1;
        // Genesys ids are 16 characters from [0-9A-Za-z].
        Arc::from(format!("0000AL{:010X}", self.next_id))
    }

    // ------------------------------------------------------------ sessions

    /// A Bayeux session of `agent` opened.
    pub fn client_opened(&mut self, agent: u32, client_id: &str) {
        if let Some(a) = self.agents.get_mut(agent as usize) {
            a.clients.insert(client_id.into());
        }
    }

    /// A Bayeux session of `agent` closed. When it `expired` and was the
    /// agent's last one, the contact-center session ends too.
    pub fn client_closed(
        &mut self,
        agent: u32,
        client_id: &str,
        expired: bool,
        fx: &mut Vec<Effect>,
    ) {
        let Some(a) = self.agents.get_mut(agent as usize) else {
            return;
        };
        a.clients.remove(client_id);
        if expired && a.clients.is_empty() && a.logged_in {
            self.end_session(agent, fx);
        }
    }

    /// `StartContactCenterSession`. Starting again is allowed (GWS answers 0).
    pub fn start_session(&mut self, agent: u32) -> Result<(), Refusal> {
        let a = self.agent_mut(agent)?;
        if !a.logged_in {
            a.logged_in = true;
            self.counts.agents_logged_in += 1;
        }
        Ok(())
    }

    /// `EndContactCenterSession` or session expiry: NotReady everywhere and
    /// every interaction it held goes back to its queue.
    pub fn end_session(&mut self, agent: u32, fx: &mut Vec<Effect>) {
        let Some(a) = self.agents.get_mut(agent as usize) else {
            return;
        };
        if !a.logged_in {
            return;
        }
        a.logged_in = false;
        let was_ready = a.ready.any();
        a.ready = PerChannel::default();
        let holding = std::mem::take(&mut a.holding);
        a.load = PerChannel::default();
        self.counts.agents_logged_in -= 1;
        if was_ready {
            self.counts.agents_ready -= 1;
        }
        for id in holding {
            let Some(i) = self.interactions.get_mut(&id) else {
                continue;
            };
            match i.phase {
                Phase::Offered { .. } => self.counts.offering -= 1,
                Phase::InProgress { .. } => self.counts.in_progress -= 1,
                Phase::Queued => continue,
            }
            i.phase = Phase::Queued;
            self.counts.queued += 1;
            self.counts.requeued += 1;
            self.enqueue(id, fx);
        }
        for ch in ROUTED {
            self.dispatch(ch, fx);
        }
    }

    /// `Ready` / `NotReady` on a channel.
    pub fn set_ready(
        &mut self,
        agent: u32,
        channel: MediaChannel,
        ready: bool,
        fx: &mut Vec<Effect>,
    ) -> Result<(), Refusal> {
        let a = self.agent_mut(agent)?;
        if !a.logged_in {
            return Err(Refusal::new(
                StatusCode::INVALID_STATE,
                "no contact-center session: send StartContactCenterSession first",
            ));
        }
        let before = a.ready.any();
        a.ready[channel] = ready;
        let after = a.ready.any();
        match (before, after) {
            (false, true) => self.counts.agents_ready += 1,
            (true, false) => self.counts.agents_ready -= 1,
            _ => {}
        }
        let state = if ready {
            ChannelState::Ready
        } else {
            ChannelState::NotReady
        };
        fx.push(Effect::Notify {
            agent,
            topic: CHANNELS_TOPIC,
            data: ChannelStateChangeMessageV2::single(channel, state).to_raw(),
        });
        if ready {
            self.list(agent, channel);
            self.dispatch(channel, fx);
        }
        Ok(())
    }

    /// Puts `agent` in the candidate list of a routed `channel` (once).
    fn list(&mut self, agent: u32, channel: MediaChannel) {
        let a = &mut self.agents[agent as usize];
        if ROUTED.contains(&channel) && !a.listed[channel] {
            a.listed[channel] = true;
            self.candidates[channel].push_back(agent);
        }
    }

    fn can_take(&self, agent: u32, channel: MediaChannel) -> bool {
        let a = &self.agents[agent as usize];
        a.logged_in && a.ready[channel] && a.load[channel] < self.capacity[channel]
    }

    // ------------------------------------------------------------ routing

    /// Creates an interaction and queues it, whatever the
    /// [`InjectionLimits`] (see [`Routing::try_inject`]). Returns its id.
    pub fn inject(
        &mut self,
        channel: MediaChannel,
        content: Content,
        injected_user_data: &[(String, String)],
        fx: &mut Vec<Effect>,
    ) -> Arc<str> {
        let id = self.new_id();
        let user_data =
            super::interaction::build_user_data(channel, &id, &content, injected_user_data);
        let interaction = Interaction {
            id: id.clone(),
            channel,
            phase: Phase::Queued,
            queue: Interaction::default_queue(channel).to_string(),
            user_data,
            declined_by: Vec::new(),
            content,
        };
        self.interactions.insert(id.clone(), interaction);
        self.counts.injected += 1;
        self.counts.queued += 1;
        self.enqueue(id.clone(), fx);
        id
    }

    /// Puts a queued interaction in its channel's queue, now or after the routing delay.
    fn enqueue(&mut self, id: Arc<str>, fx: &mut Vec<Effect>) {
        let delay = self.routing_delay.sample(&mut self.rng);
        if delay.is_zero() {
            self.make_routable(&id, fx);
        } else {
            fx.push(Effect::RouteLater { id, after: delay });
        }
    }

    /// The routing delay of `id` passed: it joins the queue and is offered if an agent is free.
    pub fn make_routable(&mut self, id: &Arc<str>, fx: &mut Vec<Effect>) {
        let Some(i) = self.interactions.get(id) else {
            return;
        };
        if i.phase != Phase::Queued {
            return;
        }
        let channel = i.channel;
        if ROUTED.contains(&channel) {
            self.queues[channel].push_back(id.clone());
            self.dispatch(channel, fx);
        }
    }

    /// Offers queued interactions of `channel` to free Ready agents.
    fn dispatch(&mut self, channel: MediaChannel, fx: &mut Vec<Effect>) {
        while let Some(id) = self.queues[channel].pop_front() {
            let declined = match self.interactions.get(&id) {
                Some(i) if i.phase == Phase::Queued => i.declined_by.clone(),
                // Stale entry (finished or already offered): skip it.
                _ => continue,
            };
            match self.pick_agent(channel, &declined) {
                Some(agent) => self.offer(id, agent, channel, fx),
                None => {
                    self.queues[channel].push_front(id);
                    break;
                }
            }
        }
    }

    /// Takes the next candidate that can take one more interaction,
    /// preferring one that has not declined it.
    fn pick_agent(&mut self, channel: MediaChannel, declined: &[u32]) -> Option<u32> {
        let mut skipped: Vec<u32> = Vec::new();
        let mut found = None;
        while let Some(agent) = self.candidates[channel].pop_front() {
            if !self.can_take(agent, channel) {
                self.agents[agent as usize].listed[channel] = false;
                continue;
            }
            if declined.contains(&agent) {
                skipped.push(agent);
                continue;
            }
            found = Some(agent);
            break;
        }
        if found.is_none() && !skipped.is_empty() {
            found = Some(skipped.remove(0));
        }
        for agent in skipped.into_iter().rev() {
            self.candidates[channel].push_front(agent);
        }
        if let Some(agent) = found {
            self.agents[agent as usize].listed[channel] = false;
        }
        found
    }

    fn offer(&mut self, id: Arc<str>, agent: u32, channel: MediaChannel, fx: &mut Vec<Effect>) {
        self.next_offer += 1;
        let offer = self.next_offer;
        let Some(i) = self.interactions.get_mut(&id) else {
            return;
        };
        i.phase = Phase::Offered { agent, offer };
        let data = i.notification(InteractionState::Invited, None);
        self.counts.queued -= 1;
        self.counts.offering += 1;
        self.counts.offered += 1;
        let a = &mut self.agents[agent as usize];
        a.load[channel] += 1;
        a.holding.push(id.clone());
        if self.can_take(agent, channel) {
            self.list(agent, channel);
        }
        fx.push(Effect::Notify {
            agent,
            topic: INTERACTIONS_TOPIC,
            data,
        });
        fx.push(Effect::InviteTimer { id, offer });
    }

    /// Frees one unit of `agent`'s capacity on the interaction's channel and
    /// offers it what is waiting there: every path that frees capacity does.
    fn release(&mut self, agent: u32, id: &Arc<str>, channel: MediaChannel, fx: &mut Vec<Effect>) {
        if !ROUTED.contains(&channel) {
            return;
        }
        let a = &mut self.agents[agent as usize];
        a.load[channel] = a.load[channel].saturating_sub(1);
        a.holding.retain(|h| h != id);
        if self.can_take(agent, channel) {
            self.list(agent, channel);
        }
        self.dispatch(channel, fx);
    }

    /// Back to the queue after a decline (reject, timeout): the agent is avoided next time.
    fn decline(&mut self, id: &Arc<str>, agent: u32, fx: &mut Vec<Effect>) {
        let Some(i) = self.interactions.get_mut(id) else {
            return;
        };
        i.phase = Phase::Queued;
        if !i.declined_by.contains(&agent) {
            i.declined_by.push(agent);
        }
        let channel = i.channel;
        self.counts.offering -= 1;
        self.counts.queued += 1;
        self.release(agent, id, channel, fx);
        self.enqueue(id.clone(), fx);
    }

    /// The invite timer of offer `offer` fired: revoke unless it was answered.
    pub fn invite_expired(&mut self, id: &Arc<str>, offer: u64, fx: &mut Vec<Effect>) {
        let Some(i) = self.interactions.get(id) else {
            return;
        };
        let Phase::Offered {
            agent,
            offer: current,
        } = i.phase
        else {
            return;
        };
        if current != offer {
            return;
        }
        let data = i.notification(InteractionState::Revoked, None);
        fx.push(Effect::Notify {
            agent,
            topic: INTERACTIONS_TOPIC,
            data,
        });
        self.counts.revoked += 1;
        self.decline(id, agent, fx);
    }
}

mod admission;
mod answers;

pub use admission::{InjectionLimits, InjectionRefused};
#[cfg(test)]
pub(super) mod tests;
