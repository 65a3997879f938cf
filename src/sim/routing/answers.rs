//! An agent's answers to what it was offered: `Accept`, `Reject`,
//! `StopProcessing`/`Complete` and `PlaceInQueue`.

use std::sync::Arc;

use super::{Effect, Refusal, Routing};
use crate::gws::notification::INTERACTIONS_TOPIC;
use crate::gws::{InteractionState, StatusCode};
use crate::sim::interaction::{Content, Interaction, Phase};

impl Routing {
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
        let Some(i) = self.interactions.get_mut(&id) else {
            return Ok(());
        };
        i.phase = Phase::InProgress { agent };
        self.counts.offering -= 1;
        self.counts.in_progress += 1;
        self.counts.accepted += 1;
        let data = match &mut i.content {
            Content::Chat(chat) => {
                let transcript = chat.agent_joined(agent, nickname);
                i.notification(InteractionState::Accepted, Some(&transcript))
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

    pub(in crate::sim) fn in_progress(
        &self,
        agent: u32,
        id: &str,
        what: &str,
    ) -> Result<Arc<str>, Refusal> {
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
}
