//! Chats: the session with a simulated customer (its transcript and
//! secureKey), and the routing operations on it: the agent's `SendMessage`,
//! the customer's messages, departure and transcript refresh. Pure, like
//! [`routing`](super::routing): operations push [`Effect`]s.

use super::auth::random_hex;
use super::interaction::{Content, Interaction, Phase};
use super::routing::{Effect, Refusal, Routing};
use crate::gws::notification::INTERACTIONS_TOPIC;
use crate::gws::{ChatNotification, InteractionState, StatusCode};

/// A chat session with a simulated customer.
#[derive(Debug, Clone)]
pub struct ChatSession {
    /// The customer's nickname.
    pub nickname: String,
    /// The customer's Chat Server party id.
    pub customer_user_id: String,
    /// The secret the customer must present on send/refresh/disconnect.
    pub secure_key: String,
    /// GMS alias (which Chat Server).
    pub alias: String,
    /// The transcript, `EventId` increasing from 1.
    pub events: Vec<ChatNotification>,
    /// True once the customer left.
    pub ended: bool,
}

/// What a customer's refresh gets: the transcript from the asked position,
/// whether the chat has ended, and whether an agent handles it.
pub type Transcript = (Vec<ChatNotification>, bool, bool);

impl ChatSession {
    /// A chat a customer called `nickname` just started (GMS `POST
    /// /genesys/2/chat/{service}`): fresh party id and secureKey, and the
    /// customer's `PARTY_JOINED` first in the transcript.
    pub fn opened_by(nickname: String) -> Self {
        let mut session = ChatSession {
            nickname: nickname.clone(),
            customer_user_id: random_hex(8),
            secure_key: random_hex(8),
            alias: "117".to_string(),
            events: Vec::new(),
            ended: false,
        };
        let customer = session.customer_user_id.clone();
        session.push(party("PARTY_JOINED", customer, "Client", nickname));
        session
    }

    /// Appends an event and returns it.
    pub fn push(&mut self, mut event: ChatNotification) -> &ChatNotification {
        event.event_id = self.events.len() as u64 + 1;
        self.events.push(event);
        // Just pushed, so the vector is not empty.
        &self.events[self.events.len() - 1]
    }

    /// `agent` accepted the chat (named `nickname` when it gave one, as
    /// 8.5.0 allows): its `PARTY_JOINED` is recorded, and the whole
    /// transcript goes with the `Accepted` notification.
    pub(super) fn agent_joined(
        &mut self,
        agent: u32,
        nickname: Option<&str>,
    ) -> Vec<ChatNotification> {
        let nickname = nickname.map_or_else(|| format!("agent{}", agent + 1), str::to_string);
        self.push(party(
            "PARTY_JOINED",
            agent_user_id(agent),
            "Agent",
            nickname,
        ));
        self.events.clone()
    }
}

/// The Chat Server party id of an agent.
fn agent_user_id(agent: u32) -> String {
    format!("00AG{:012X}", agent + 1)
}

/// A party joining or leaving.
fn party(kind: &str, user_id: String, user_type: &str, nickname: String) -> ChatNotification {
    ChatNotification {
        event_id: 0,
        notice_text: None,
        notice_type: None,
        message_text: None,
        user_id,
        message_type: kind.to_string(),
        user_type: Some(user_type.to_string()),
        visibility: "All".to_string(),
        nick_name: Some(nickname),
    }
}

/// A message of a party.
fn message(user_id: String, text: &str) -> ChatNotification {
    ChatNotification {
        event_id: 0,
        notice_text: None,
        notice_type: None,
        message_text: Some(text.to_string()),
        user_id,
        message_type: "NEW_MESSAGE".to_string(),
        user_type: None,
        visibility: "All".to_string(),
        nick_name: None,
    }
}

/// The `Accepted` notification carrying one new chat event to the handling agent.
fn new_event(i: &Interaction, agent: u32, event: ChatNotification, fx: &mut Vec<Effect>) {
    let data = i.notification(
        InteractionState::Accepted,
        Some(std::slice::from_ref(&event)),
    );
    fx.push(Effect::Notify {
        agent,
        topic: INTERACTIONS_TOPIC,
        data,
    });
}

impl Routing {
    /// `SendMessage` from the agent to the chat customer.
    pub fn agent_message(
        &mut self,
        agent: u32,
        id: &str,
        text: &str,
        fx: &mut Vec<Effect>,
    ) -> Result<(), Refusal> {
        let id = self.in_progress(agent, id, "SendMessage")?;
        let Some(i) = self.interaction_mut(&id) else {
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
        let event = chat.push(message(agent_user_id(agent), text)).clone();
        new_event(i, agent, event, fx);
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
        let (i, chat) = self.customer_chat(chat_id, secure_key)?;
        if chat.ended {
            return Err(Refusal::new(
                StatusCode::INVALID_STATE,
                "the chat has ended",
            ));
        }
        let id = i.id.clone();
        let Some(i) = self.interaction_mut(&id) else {
            return Ok(());
        };
        let Content::Chat(chat) = &mut i.content else {
            return Ok(());
        };
        let customer = chat.customer_user_id.clone();
        let event = match text {
            Some(text) => message(customer, text),
            None => {
                chat.ended = true;
                party("PARTY_LEFT", customer, "Client", chat.nickname.clone())
            }
        };
        let event = chat.push(event).clone();
        if let Phase::InProgress { agent } = i.phase {
            new_event(i, agent, event, fx);
        }
        Ok(())
    }

    /// The chat transcript from `from` (0-based), for the customer's refresh.
    pub fn transcript(
        &self,
        chat_id: &str,
        secure_key: &str,
        from: usize,
    ) -> Result<Transcript, Refusal> {
        let (i, chat) = self.customer_chat(chat_id, secure_key)?;
        let events = chat.events.get(from..).unwrap_or(&[]).to_vec();
        Ok((
            events,
            chat.ended,
            matches!(i.phase, Phase::InProgress { .. }),
        ))
    }

    /// The chat `chat_id` as its customer may use it: it must exist, be a
    /// chat, and `secure_key` must be the one its start handed out.
    fn customer_chat(
        &self,
        chat_id: &str,
        secure_key: &str,
    ) -> Result<(&Interaction, &ChatSession), Refusal> {
        let i = self.interaction(chat_id).ok_or_else(|| {
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
        Ok((i, chat))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gws::MediaChannel;
    use crate::sim::routing::tests::{chat, ready, routing};

    #[test]
    fn chat_messages_reach_the_accepting_agent() {
        let mut r = routing(1, [1, 1]);
        ready(&mut r, 0, MediaChannel::Chat);
        let mut fx = Vec::new();
        let id = r.inject(MediaChannel::Chat, chat(), &[], &mut fx);
        r.customer_event(&id, "k", Some("before accept"), &mut fx)
            .unwrap();
        fx.clear();
        r.accept(0, &id, None, &mut fx).unwrap();
        let Effect::Notify { data, .. } = &fx[0] else {
            panic!()
        };
        let v: serde_json::Value = serde_json::from_str(data.get()).unwrap();
        let kinds: Vec<_> = v["chat_notifications"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["MessageType"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(kinds, ["NEW_MESSAGE", "PARTY_JOINED"]);
        fx.clear();
        r.customer_event(&id, "k", Some("hello"), &mut fx).unwrap();
        let Effect::Notify { data, .. } = &fx[0] else {
            panic!()
        };
        let v: serde_json::Value = serde_json::from_str(data.get()).unwrap();
        assert_eq!(v["chat_notifications"][0]["MessageText"], "hello");
        assert_eq!(v["chat_notifications"][0]["EventId"], 3);
        assert_eq!(
            r.customer_event(&id, "bad", Some("x"), &mut fx)
                .unwrap_err()
                .status,
            StatusCode::FORBIDDEN
        );
        r.agent_message(0, &id, "hi", &mut fx).unwrap();
        let (events, ended, _) = r.transcript(&id, "k", 2).unwrap();
        assert_eq!(events.len(), 2);
        assert!(!ended);
    }
}
