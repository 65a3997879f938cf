//! The routing state machine: agents, per-channel queues, offers and their
//! outcomes. Plain data and functions: every operation mutates the state and
//! pushes [`Effect`]s (notifications to send, timers to start) that the
//! [`engine`](super::engine) carries out. This keeps the rules testable
//! without a network or a clock.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::interaction::{Content, Interaction, Phase};
use crate::gws::notification::{CHANNELS_TOPIC, INTERACTIONS_TOPIC};
use crate::gws::{
    ChannelState, ChannelStateChangeMessageV2, ChatNotification, InteractionState, MediaChannel,
    StatusCode,
};

/// Channels that are routed (voice readiness is accepted, no calls are made).
const ROUTED: [MediaChannel; 2] = [MediaChannel::Email, MediaChannel::Chat];

/// Something the engine must do after an operation.
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
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
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
    ready: [bool; 3],
    /// Offered + in progress, per routed channel.
    load: [u32; 2],
    /// True while the agent sits in the channel's candidate list.
    listed: [bool; 2],
    /// Its Bayeux client ids.
    clients: Vec<Box<str>>,
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
    rules: RoutingRules,
    agents: Vec<Agent>,
    interactions: HashMap<Arc<str>, Interaction>,
    /// Routable interactions per routed channel, oldest first.
    queues: [VecDeque<Arc<str>>; 2],
    /// Agents that may have free capacity per routed channel (checked when taken).
    candidates: [VecDeque<u32>; 2],
    next_offer: u64,
    next_id: u64,
    counts: Counts,
    rng: rand::rngs::SmallRng,
}

fn slot(channel: MediaChannel) -> Option<usize> {
    match channel {
        MediaChannel::Email => Some(0),
        MediaChannel::Chat => Some(1),
        MediaChannel::Voice => None,
    }
}

impl Routing {
    /// A state for `users` agents, none logged in.
    pub fn new(users: u32, rules: RoutingRules) -> Self {
        use rand::SeedableRng;
        Routing {
            rules,
            agents: (0..users).map(|_| Agent::default()).collect(),
            interactions: HashMap::new(),
            queues: Default::default(),
            candidates: Default::default(),
            next_offer: 0,
            next_id: 0,
            counts: Counts::default(),
            rng: rand::rngs::SmallRng::from_os_rng(),
        }
    }

    /// The current counts.
    pub fn counts(&self) -> Counts {
        self.counts
    }

    /// The Bayeux client ids of an agent.
    pub fn clients(&self, agent: u32) -> &[Box<str>] {
        self.agents.get(agent as usize).map_or(&[], |a| &a.clients)
    }

    /// Looks up a live interaction.
    pub fn interaction(&self, id: &str) -> Option<&Interaction> {
        self.interactions.get(id)
    }

    /// Ids of the interactions an agent holds (offered or accepted).
    pub fn holding(&self, agent: u32) -> Vec<Arc<str>> {
        self.agents
            .get(agent as usize)
            .map_or_else(Vec::new, |a| a.holding.clone())
    }

    /// Whether an agent has a contact-center session, and its readiness per channel.
    pub fn agent_view(&self, agent: u32) -> Option<(bool, [bool; 3])> {
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
            a.clients.push(client_id.into());
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
        a.clients.retain(|c| &**c != client_id);
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
        let was_ready = a.ready.iter().any(|r| *r);
        a.ready = [false; 3];
        let holding = std::mem::take(&mut a.holding);
        a.load = [0; 2];
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
        let before = a.ready.iter().any(|r| *r);
        a.ready[channel.index()] = ready;
        let after = a.ready.iter().any(|r| *r);
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
        if let (true, Some(s)) = (ready, slot(channel)) {
            self.list(agent, s);
            self.dispatch(channel, fx);
        }
        Ok(())
    }

    fn list(&mut self, agent: u32, s: usize) {
        let a = &mut self.agents[agent as usize];
        if !a.listed[s] {
            a.listed[s] = true;
            self.candidates[s].push_back(agent);
        }
    }

    fn can_take(&self, agent: u32, s: usize) -> bool {
        let a = &self.agents[agent as usize];
        a.logged_in && a.ready[ROUTED[s].index()] && a.load[s] < self.rules.capacity[s]
    }

    // ------------------------------------------------------------ routing

    /// Creates an interaction and queues it. Returns its id.
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
        let delay = self.rules.routing_delay.sample(&mut self.rng);
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
        if let Some(s) = slot(channel) {
            self.queues[s].push_back(id.clone());
            self.dispatch(channel, fx);
        }
    }

    /// Offers queued interactions of `channel` to free Ready agents.
    fn dispatch(&mut self, channel: MediaChannel, fx: &mut Vec<Effect>) {
        let Some(s) = slot(channel) else { return };
        while let Some(id) = self.queues[s].pop_front() {
            let declined = match self.interactions.get(&id) {
                Some(i) if i.phase == Phase::Queued => i.declined_by.clone(),
                // Stale entry (finished or already offered): skip it.
                _ => continue,
            };
            match self.pick_agent(s, &declined) {
                Some(agent) => self.offer(id, agent, s, fx),
                None => {
                    self.queues[s].push_front(id);
                    break;
                }
            }
        }
    }

    /// Takes the next candidate that can take one more interaction,
    /// preferring one that has not declined it.
    fn pick_agent(&mut self, s: usize, declined: &[u32]) -> Option<u32> {
        let mut skipped: Vec<u32> = Vec::new();
        let mut found = None;
        while let Some(agent) = self.candidates[s].pop_front() {
            if !self.can_take(agent, s) {
                self.agents[agent as usize].listed[s] = false;
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
            self.candidates[s].push_front(agent);
        }
        if let Some(agent) = found {
            self.agents[agent as usize].listed[s] = false;
        }
        found
    }

    fn offer(&mut self, id: Arc<str>, agent: u32, s: usize, fx: &mut Vec<Effect>) {
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
        a.load[s] += 1;
        a.holding.push(id.clone());
        if self.can_take(agent, s) {
            self.list(agent, s);
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
        let Some(s) = slot(channel) else { return };
        let a = &mut self.agents[agent as usize];
        a.load[s] = a.load[s].saturating_sub(1);
        a.holding.retain(|h| h != id);
        if self.can_take(agent, s) {
            self.list(agent, s);
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

    fn owned(&self, agent: u32, id: &str) -> Result<&Interaction, Refusal> {
        let i = self.interactions.get(id).ok_or_else(|| {
            Refusal::new(StatusCode::NOT_FOUND, format!("interaction {id} not found"))
        })?;
        match i.phase {
            Phase::Offered { agent: a, .. } | Phase::InProgress { agent: a } if a == agent => Ok(i),
            _ => Err(Refusal::new(
                StatusCode::NOT_FOUND,
                format!("interaction {id} is not offered to or handled by this agent"),
            )),
        }
    }

    /// `Accept`. A chat `nickname` (8.5.0) names the agent in the transcript.
    pub fn accept(
        &mut self,
        agent: u32,
        id: &str,
        nickname: Option<&str>,
        fx: &mut Vec<Effect>,
    ) -> Result<(), Refusal> {
        let i = self.owned(agent, id)?;
        if !matches!(i.phase, Phase::Offered { .. }) {
            return Err(Refusal::new(
                StatusCode::INVALID_STATE,
                format!("interaction {id} is already accepted"),
            ));
        }
        let id = i.id.clone();
        let agent_nick = nickname.map_or_else(|| format!("agent{}", agent + 1), str::to_string);
        let Some(i) = self.interactions.get_mut(&id) else {
            return Ok(());
        };
        i.phase = Phase::InProgress { agent };
        self.counts.offering -= 1;
        self.counts.in_progress += 1;
        self.counts.accepted += 1;
        let data = match &mut i.content {
            Content::Chat(chat) => {
                chat.push(ChatNotification {
                    event_id: 0,
                    notice_text: None,
                    notice_type: None,
                    message_text: None,
                    user_id: format!("00AG{:012X}", agent + 1),
                    message_type: "PARTY_JOINED".to_string(),
                    user_type: Some("Agent".to_string()),
                    visibility: "All".to_string(),
                    nick_name: Some(agent_nick),
                });
                let events = chat.events.clone();
                i.notification(InteractionState::Accepted, Some(&events))
            }
            Content::Email(_) => i.notification(InteractionState::Accepted, None),
        };
        fx.push(Effect::Notify {
            agent,
            topic: INTERACTIONS_TOPIC,
            data,
        });
        Ok(())
    }

    /// `Reject`: offered to another agent (the same one only when nobody else is free).
    pub fn reject(&mut self, agent: u32, id: &str, fx: &mut Vec<Effect>) -> Result<(), Refusal> {
        let i = self.owned(agent, id)?;
        if !matches!(i.phase, Phase::Offered { .. }) {
            return Err(Refusal::new(
                StatusCode::INVALID_STATE,
                format!("interaction {id} is accepted: it can no longer be rejected"),
            ));
        }
        let id = i.id.clone();
        self.counts.rejected += 1;
        self.decline(&id, agent, fx);
        Ok(())
    }

    fn in_progress(&self, agent: u32, id: &str, what: &str) -> Result<Arc<str>, Refusal> {
        let i = self.owned(agent, id)?;
        if !matches!(i.phase, Phase::InProgress { .. }) {
            return Err(Refusal::new(
                StatusCode::INVALID_STATE,
                format!("interaction {id} is not accepted yet: {what} needs Accept first"),
            ));
        }
        Ok(i.id.clone())
    }

    /// `StopProcessing` / `Complete`: finished, capacity freed.
    pub fn finish(&mut self, agent: u32, id: &str, fx: &mut Vec<Effect>) -> Result<(), Refusal> {
        let id = self.in_progress(agent, id, "finishing")?;
        let Some(i) = self.interactions.remove(&id) else {
            return Ok(());
        };
        self.counts.in_progress -= 1;
        self.counts.completed += 1;
        fx.push(Effect::Notify {
            agent,
            topic: INTERACTIONS_TOPIC,
            data: i.notification(InteractionState::Completed, None),
        });
        self.release(agent, &id, i.channel, fx);
        Ok(())
    }

    /// `PlaceInQueue`: the agent gives it back; it is routed again (from `queue` when named).
    pub fn place_in_queue(
        &mut self,
        agent: u32,
        id: &str,
        queue: Option<&str>,
        fx: &mut Vec<Effect>,
    ) -> Result<(), Refusal> {
        let id = self.in_progress(agent, id, "PlaceInQueue")?;
        let Some(i) = self.interactions.get_mut(&id) else {
            return Ok(());
        };
        if let Some(q) = queue {
            i.queue = q.to_string();
        }
        i.phase = Phase::Queued;
        let channel = i.channel;
        fx.push(Effect::Notify {
            agent,
            topic: INTERACTIONS_TOPIC,
            data: i.notification(InteractionState::Revoked, None),
        });
        self.counts.in_progress -= 1;
        self.counts.queued += 1;
        self.counts.requeued += 1;
        self.release(agent, &id, channel, fx);
        self.enqueue(id, fx);
        Ok(())
    }

    /// `SendMessage` from the agent to the chat customer.
    pub fn agent_message(
        &mut self,
        agent: u32,
        id: &str,
        text: &str,
        fx: &mut Vec<Effect>,
    ) -> Result<(), Refusal> {
        let id = self.in_progress(agent, id, "SendMessage")?;
        let Some(i) = self.interactions.get_mut(&id) else {
            return Ok(());
        };
        let Content::Chat(chat) = &mut i.content else {
            return Err(Refusal::new(
                StatusCode::INVALID_STATE,
                format!("interaction {id} is not a chat: SendMessage is for chats"),
            ));
        };
        if chat.ended {
            return Err(Refusal::new(
                StatusCode::INVALID_STATE,
                "the customer has left the chat",
            ));
        }
        let ev = chat
            .push(ChatNotification {
                event_id: 0,
                notice_text: None,
                notice_type: None,
                message_text: Some(text.to_string()),
                user_id: format!("00AG{:012X}", agent + 1),
                message_type: "NEW_MESSAGE".to_string(),
                user_type: None,
                visibility: "All".to_string(),
                nick_name: None,
            })
            .clone();
        let data = i.notification(InteractionState::Accepted, Some(std::slice::from_ref(&ev)));
        fx.push(Effect::Notify {
            agent,
            topic: INTERACTIONS_TOPIC,
            data,
        });
        Ok(())
    }

    /// A customer event in a chat (message or leaving): recorded, and sent to
    /// the handling agent as a `chat_notifications` entry.
    pub fn customer_event(
        &mut self,
        chat_id: &str,
        secure_key: &str,
        text: Option<&str>,
        fx: &mut Vec<Effect>,
    ) -> Result<(), Refusal> {
        let i = self.interactions.get_mut(chat_id).ok_or_else(|| {
            Refusal::new(
                StatusCode::NOT_FOUND,
                format!("chat {chat_id} not found (finished or never created)"),
            )
        })?;
        let Content::Chat(chat) = &mut i.content else {
            return Err(Refusal::new(
                StatusCode::NOT_FOUND,
                format!("{chat_id} is not a chat"),
            ));
        };
        if chat.secure_key != secure_key {
            return Err(Refusal::new(
                StatusCode::FORBIDDEN,
                "wrong secureKey for this chat",
            ));
        }
        if chat.ended {
            return Err(Refusal::new(
                StatusCode::INVALID_STATE,
                "the chat has ended",
            ));
        }
        let (kind, user_type, nick) = match text {
            Some(_) => ("NEW_MESSAGE", None, None),
            None => (
                "PARTY_LEFT",
                Some("Client".to_string()),
                Some(chat.nickname.clone()),
            ),
        };
        if text.is_none() {
            chat.ended = true;
        }
        let ev = chat
            .push(ChatNotification {
                event_id: 0,
                notice_text: None,
                notice_type: None,
                message_text: text.map(str::to_string),
                user_id: chat.customer_user_id.clone(),
                message_type: kind.to_string(),
                user_type,
                visibility: "All".to_string(),
                nick_name: nick,
            })
            .clone();
        if let Phase::InProgress { agent } = i.phase {
            let data = i.notification(InteractionState::Accepted, Some(std::slice::from_ref(&ev)));
            fx.push(Effect::Notify {
                agent,
                topic: INTERACTIONS_TOPIC,
                data,
            });
        }
        Ok(())
    }

    /// The chat transcript from `from` (0-based), for the customer's refresh.
    pub fn transcript(
        &self,
        chat_id: &str,
        secure_key: &str,
        from: usize,
    ) -> Result<(Vec<ChatNotification>, bool, bool), Refusal> {
        let i = self.interactions.get(chat_id).ok_or_else(|| {
            Refusal::new(
                StatusCode::NOT_FOUND,
                format!("chat {chat_id} not found (finished or never created)"),
            )
        })?;
        let Content::Chat(chat) = &i.content else {
            return Err(Refusal::new(
                StatusCode::NOT_FOUND,
                format!("{chat_id} is not a chat"),
            ));
        };
        if chat.secure_key != secure_key {
            return Err(Refusal::new(
                StatusCode::FORBIDDEN,
                "wrong secureKey for this chat",
            ));
        }
        let events = chat.events.get(from..).unwrap_or(&[]).to_vec();
        Ok((
            events,
            chat.ended,
            matches!(i.phase, Phase::InProgress { .. }),
        ))
    }
}

#[cfg(test)]
mod tests;
