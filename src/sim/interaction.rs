//! One interaction as the simulator keeps it, and the notifications it turns
//! into (the shapes of the GWS 8.5.0 "Interaction Notifications" page).

use std::sync::Arc;

use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::chat::ChatSession;
use crate::gws::notification::{INTERACTION_STATE_MESSAGE, capabilities};
use crate::gws::{
    ChatNotification, EmailObject, InteractionState, InteractionStateMessage, MediaChannel,
};

/// Where an interaction is in its life. Completed interactions are removed
/// from the routing state and only counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Waiting for a free Ready agent (or for its routing delay to pass).
    Queued,
    /// Invited to `agent`; `offer` numbers the offer so a stale timer is ignored.
    Offered {
        /// Index of the invited agent.
        agent: u32,
        /// Serial number of this offer.
        offer: u64,
    },
    /// Accepted by `agent`.
    InProgress {
        /// Index of the handling agent.
        agent: u32,
    },
}

/// What the customer sent by email.
#[derive(Debug, Clone, Default)]
pub struct EmailContent {
    /// The customer's address.
    pub from_address: String,
    /// The monitored mailbox's address.
    pub to_address: String,
    /// Subject line.
    pub subject: String,
    /// Body text.
    pub text: String,
}

/// Kind-specific content.
#[derive(Debug, Clone)]
pub enum Content {
    /// An inbound email.
    Email(EmailContent),
    /// An inbound chat.
    Chat(ChatSession),
}

/// An interaction in the simulator's routing state.
#[derive(Debug)]
pub struct Interaction {
    /// The GWS interaction id (16 characters, like `0000Ja8V814907JM`).
    pub id: Arc<str>,
    /// Email or chat.
    pub channel: MediaChannel,
    /// Where it is.
    pub phase: Phase,
    /// The queue it is routed from.
    pub queue: String,
    /// The complete `userData` JSON (routing keys + injected entries), built once.
    pub user_data: Box<RawValue>,
    /// Agents that rejected it or let it time out, avoided while another is available.
    pub declined_by: Vec<u32>,
    /// What the customer sent.
    pub content: Content,
}

const EMAIL_IN_QUEUES: &str = r#"{"__STOP__":""}"#;
const EMAIL_OUT_QUEUES: &str = r#"{"SimpleEmailOutQueue":""}"#;
const CHAT_IN_QUEUES: &str = r#"{"SimpleChatTranscriptQueue":""}"#;

fn raw(s: &'static str) -> &'static RawValue {
    // The constants above are valid JSON; checked by the tests.
    match serde_json::from_str::<&RawValue>(s) {
        Ok(r) => r,
        Err(_) => unreachable!("constant JSON is valid"),
    }
}

impl Interaction {
    /// The default queue name of a channel.
    pub fn default_queue(channel: MediaChannel) -> &'static str {
        match channel {
            MediaChannel::Email => "SimpleEmailInQueue",
            _ => "SimpleChatInQueue",
        }
    }

    /// Builds the `InteractionStateMessage` for `state`. For chat in
    /// `Accepted`, `events` are the `chat_notifications` to report (the whole
    /// transcript on accept, one new event afterwards).
    pub fn notification(
        &self,
        state: InteractionState,
        events: Option<&[ChatNotification]>,
    ) -> Box<RawValue> {
        let accepted = state == InteractionState::Accepted;
        let (email_object, in_queues, out_queues, session_id) = match &self.content {
            Content::Email(e) => (
                Some(EmailObject {
                    interaction_id: &self.id,
                    text: accepted.then_some(e.text.as_str()),
                    from_address: accepted.then_some(e.from_address.as_str()),
                    to_address: accepted.then_some(e.to_address.as_str()),
                    subject: accepted.then_some(e.subject.as_str()),
                }),
                accepted.then(|| raw(EMAIL_IN_QUEUES)),
                accepted.then(|| raw(EMAIL_OUT_QUEUES)),
                None,
            ),
            Content::Chat(_) => (
                None,
                accepted.then(|| raw(CHAT_IN_QUEUES)),
                None,
                accepted.then_some(&*self.id),
            ),
        };
        InteractionStateMessage {
            message_type: INTERACTION_STATE_MESSAGE,
            id: &self.id,
            state,
            capabilities: capabilities(self.channel, state),
            channel: self.channel,
            interaction_type: "Inbound",
            interaction_sub_type: "InboundNew",
            current_queue: &self.queue,
            user_data: &self.user_data,
            email_object,
            chat_notifications: if accepted { events } else { None },
            in_queues,
            out_queues,
            session_id,
        }
        .to_raw()
    }
}

/// Builds the `userData` of a new interaction: the routing keys a Genesys
/// strategy attaches (as in the seed), then every injected entry, unchanged,
/// overriding a routing key of the same name.
pub fn build_user_data(
    channel: MediaChannel,
    id: &str,
    content: &Content,
    injected: &[(String, String)],
) -> Box<RawValue> {
    let mut m = Map::new();
    let keys = match content {
        Content::Email(e) => email_keys(e, id),
        Content::Chat(c) => chat_keys(c),
    };
    for (k, v) in strategy_keys(channel).into_iter().chain(keys) {
        m.insert(k.to_string(), v);
    }
    for (k, v) in injected {
        m.insert(k.clone(), Value::String(v.clone()));
    }
    // A map of strings, numbers and nulls always serializes.
    serde_json::value::to_raw_value(&m).unwrap_or_else(|_| unreachable!("userData serializes"))
}

fn s(v: &str) -> Value {
    Value::String(v.to_string())
}

/// What the routing strategy attaches to every interaction of `channel`.
fn strategy_keys(channel: MediaChannel) -> [(&'static str, Value); 23] {
    let email = channel == MediaChannel::Email;
    [
        ("RTargetTypeSelected", s("2")),
        ("RTargetObjectSelected", s("?: 2>1")),
        ("RVQID", s("")),
        ("RTargetObjSelDBID", s("")),
        ("CBR-Interaction_cost", s("")),
        ("CBR-contract_DBIDs", s("")),
        ("RTargetAgentSelected", s("Agent1")),
        ("CBR-IT-path_DBIDs", s("")),
        ("RTargetRuleSelected", s("")),
        ("RTargetPlaceSelected", s("Agent1")),
        ("CBR-actual_volume", s("")),
        ("RTenant", s("Environment")),
        ("RRequestedSkills", Value::Null),
        ("RRequestedSkillCombination", s("")),
        ("RVQDBID", s("")),
        ("CustomerSegment", s("default")),
        ("PegAG?: 2>1", Value::from(1)),
        ("ServiceType", s("default")),
        ("ServiceObjective", Value::from(0)),
        ("RTargetRequested", s("?: 2>1")),
        ("RTargetAgentGroup", s("?: 2>1")),
        ("RStrategyDBID", s(if email { "134" } else { "125" })),
        (
            "RStrategyName",
            s(if email {
                "SimpleEmailInStrategy"
            } else {
                "SimpleChatInStrategy"
            }),
        ),
    ]
}

/// What the email server attaches to an inbound email.
fn email_keys(e: &EmailContent, id: &str) -> Vec<(&'static str, Value)> {
    vec![
        ("Header_Content-Type", s("text/plain; charset=UTF-8")),
        ("_ContainsAttachment", s("false")),
        ("To", s(&e.to_address)),
        ("Header_Date", s("Fri, 28 Jun 2013 13:30:34 -0700")),
        ("_AttachmentsSize", s("0")),
        ("_AutoReplyCount", Value::from(0)),
        ("Header_MIME-Version", s("1.0")),
        (
            "Mailbox",
            s(e.to_address.split('@').next().unwrap_or("support")),
        ),
        (
            "ContactId",
            s(&format!("C{}", &id[id.len().saturating_sub(15)..])),
        ),
        ("FromPersonal", s("")),
        ("_AttachmentFileNames", s("")),
        ("Origination_Source", s("Email")),
        ("FromAddress", s(&e.from_address)),
        ("Header_Message-ID", s(&format!("<{id}@agentload.sim>"))),
        ("EmailAddress", s(&e.from_address)),
        ("Subject", s(&e.subject)),
        ("RStrategyDBID", s("134")),
        ("CustomerSegment", s("default")),
        ("ServiceType", s("default")),
    ]
}

/// What the chat server attaches to an inbound chat.
fn chat_keys(c: &ChatSession) -> Vec<(&'static str, Value)> {
    vec![
        ("IdentifyCreateContact", s("3")),
        ("ChatServerAppName", s("es_chat")),
        ("ChatServerHost", s("127.0.0.1")),
        ("ChatServerPort", s("7160")),
        ("ChatServerDBID", s("155")),
        ("Subject", s(&c.nickname)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_queues_are_json() {
        for s in [EMAIL_IN_QUEUES, EMAIL_OUT_QUEUES, CHAT_IN_QUEUES] {
            assert!(serde_json::from_str::<Value>(s).unwrap().is_object());
        }
    }

    #[test]
    fn injected_user_data_wins_and_stays_a_string() {
        let content = Content::Email(EmailContent {
            from_address: "c@x".into(),
            to_address: "support@sim".into(),
            subject: "s".into(),
            text: "t".into(),
        });
        let injected = vec![
            ("Subject".to_string(), "override".to_string()),
            ("agentload_t0".to_string(), "1732456789000000".to_string()),
        ];
        let ud = build_user_data(MediaChannel::Email, "0000000000000001", &content, &injected);
        let v: Value = serde_json::from_str(ud.get()).unwrap();
        assert_eq!(v["Subject"], "override");
        assert_eq!(v["agentload_t0"], "1732456789000000");
        assert_eq!(v["FromAddress"], "c@x");
        assert_eq!(v["RRequestedSkills"], Value::Null);
    }
}
