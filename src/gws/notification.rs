//! CometD notifications of the 8.5.0/8.5.1 model: `InteractionStateMessage`
//! on `/v2/me/interactions` and `ChannelStateChangeMessageV2` on
//! `/v2/me/channels`.
//!
//! The `...Message` types serialize (the simulator builds them, borrowing its
//! own state); the `...Notice` types deserialize lean, borrowing from the
//! received bytes (the agent side decodes them).

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;

use super::channel::MediaChannel;

/// The CometD topic of interaction notifications.
pub const INTERACTIONS_TOPIC: &str = "/v2/me/interactions";
/// The CometD topic of channel (readiness) notifications.
pub const CHANNELS_TOPIC: &str = "/v2/me/channels";

/// `messageType` of interaction notifications.
pub const INTERACTION_STATE_MESSAGE: &str = "InteractionStateMessage";
/// `messageType` of channel notifications.
pub const CHANNEL_STATE_CHANGE_MESSAGE: &str = "ChannelStateChangeMessageV2";

/// The built-in user state id of Ready.
pub const READY_STATE_ID: &str = "9430250E-0A1B-421F-B372-F29E69366DED";
/// The built-in user state id of NotReady.
pub const NOT_READY_STATE_ID: &str = "900D55CC-2BB0-431F-8BF9-D3525B383BE6";

/// `state` of an interaction as the agent sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum InteractionState {
    /// Offered to this agent: Accept or Reject.
    Invited,
    /// Taken away from this agent (no answer in time, or placed back in a queue).
    Revoked,
    /// This agent handles it.
    Accepted,
    /// Finished by this agent (`StopProcessing`/`Complete`).
    Completed,
    /// A state this model does not name.
    #[serde(other)]
    Other,
}

impl InteractionState {
    /// The wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            InteractionState::Invited => "Invited",
            InteractionState::Revoked => "Revoked",
            InteractionState::Accepted => "Accepted",
            InteractionState::Completed => "Completed",
            InteractionState::Other => "Other",
        }
    }
}

/// The `capabilities` an interaction has in a state, exactly as GWS 8.5.0
/// lists them.
pub fn capabilities(channel: MediaChannel, state: InteractionState) -> &'static [&'static str] {
    const INVITED: &[&str] = &["Accept", "Reject"];
    const EMAIL_ACCEPTED: &[&str] = &[
        "Transfer",
        "PlaceInQueue",
        "StopProcessing",
        "PlaceInWorkbin",
        "UpdateProperties",
        "Reply",
        "ReplyAll",
    ];
    const CHAT_ACCEPTED: &[&str] = &[
        "Transfer",
        "PlaceInQueue",
        "StopProcessing",
        "PlaceInWorkbin",
        "UpdateProperties",
        "Reply",
    ];
    match (state, channel) {
        (InteractionState::Invited, _) => INVITED,
        (InteractionState::Accepted, MediaChannel::Email) => EMAIL_ACCEPTED,
        (InteractionState::Accepted, _) => CHAT_ACCEPTED,
        _ => &[],
    }
}

/// `email_object`: only `interactionId` while invited; text, addresses and
/// subject once accepted.
#[derive(Debug, Clone, Serialize)]
pub struct EmailObject<'a> {
    /// The interaction id.
    #[serde(rename = "interactionId")]
    pub interaction_id: &'a str,
    /// The email body.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<&'a str>,
    /// The customer's address.
    #[serde(rename = "fromAddress", skip_serializing_if = "Option::is_none")]
    pub from_address: Option<&'a str>,
    /// The mailbox it was sent to.
    #[serde(rename = "toAddress", skip_serializing_if = "Option::is_none")]
    pub to_address: Option<&'a str>,
    /// The subject.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<&'a str>,
}

/// One entry of `chat_notifications` (PascalCase keys, as Chat Server sends them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ChatNotification {
    /// Increasing per chat session, from 1.
    pub event_id: u64,
    /// Notice text (notices only).
    pub notice_text: Option<String>,
    /// Notice type (notices only).
    pub notice_type: Option<String>,
    /// The message (NEW_MESSAGE only).
    pub message_text: Option<String>,
    /// The party's Chat Server id.
    pub user_id: String,
    /// `PARTY_JOINED`, `NEW_MESSAGE`, `PARTY_LEFT`, ...
    pub message_type: String,
    /// `Client`/`Agent` on joins, null on messages.
    pub user_type: Option<String>,
    /// `All`.
    pub visibility: String,
    /// The party's nickname (joins only).
    pub nick_name: Option<String>,
}

/// An `InteractionStateMessage` as the server builds it. Optional parts are
/// left out of the JSON when `None`, as GWS does.
#[derive(Debug, Clone, Serialize)]
pub struct InteractionStateMessage<'a> {
    /// Always `InteractionStateMessage`.
    #[serde(rename = "messageType")]
    pub message_type: &'static str,
    /// The interaction id.
    pub id: &'a str,
    /// The state the agent sees.
    pub state: InteractionState,
    /// What the agent may do now (see [`capabilities`]).
    pub capabilities: &'a [&'a str],
    /// `email` or `chat`.
    pub channel: MediaChannel,
    /// `Inbound`.
    #[serde(rename = "interactionType")]
    pub interaction_type: &'a str,
    /// `InboundNew`.
    #[serde(rename = "interactionSubType")]
    pub interaction_sub_type: &'a str,
    /// The queue it was routed from.
    #[serde(rename = "currentQueue")]
    pub current_queue: &'a str,
    /// Attached data: routing keys plus whatever the creator attached.
    #[serde(rename = "userData")]
    pub user_data: &'a RawValue,
    /// Email only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_object: Option<EmailObject<'a>>,
    /// Chat only, once accepted: the transcript events this message reports.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chat_notifications: Option<&'a [ChatNotification]>,
    /// Queues it may be moved to (after accept).
    #[serde(rename = "inQueues", skip_serializing_if = "Option::is_none")]
    pub in_queues: Option<&'a RawValue>,
    /// Outbound queues (email, after accept).
    #[serde(rename = "outQueues", skip_serializing_if = "Option::is_none")]
    pub out_queues: Option<&'a RawValue>,
    /// Chat session id (chat, after accept).
    #[serde(rename = "sessionId", skip_serializing_if = "Option::is_none")]
    pub session_id: Option<&'a str>,
}

impl InteractionStateMessage<'_> {
    /// The JSON of this message, ready to publish as Bayeux `data`.
    pub fn to_raw(&self) -> Box<RawValue> {
        // Serializing strings, numbers and valid raw JSON into a String cannot fail.
        serde_json::value::to_raw_value(self)
            .unwrap_or_else(|_| RawValue::from_string("{}".to_string()).unwrap_or_default())
    }
}

/// A channel's readiness as the server announces it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChannelState {
    /// Offers may come.
    Ready,
    /// No offers.
    NotReady,
    /// Logged out of the channel.
    LoggedOut,
    /// Another state.
    #[serde(other)]
    Other,
}

impl ChannelState {
    fn state_id(self) -> &'static str {
        match self {
            ChannelState::Ready => READY_STATE_ID,
            _ => NOT_READY_STATE_ID,
        }
    }
}

/// `userState` of a channel.
#[derive(Debug, Clone, Serialize)]
pub struct UserState {
    /// The state's id (built-in ids for Ready/NotReady).
    pub id: &'static str,
    /// Shown name.
    #[serde(rename = "displayName")]
    pub display_name: ChannelState,
    /// The state.
    pub state: ChannelState,
}

/// One channel entry of a `ChannelStateChangeMessageV2`.
#[derive(Debug, Clone, Serialize)]
pub struct ChannelEntry {
    /// The channel.
    pub channel: MediaChannel,
    /// Do-not-disturb: always `Off` here.
    #[serde(rename = "dndState")]
    pub dnd_state: &'static str,
    /// The readiness.
    #[serde(rename = "userState")]
    pub user_state: UserState,
}

/// `ChannelStateChangeMessageV2` on `/v2/me/channels`.
#[derive(Debug, Clone, Serialize)]
pub struct ChannelStateChangeMessageV2 {
    /// Always `ChannelStateChangeMessageV2`.
    #[serde(rename = "messageType")]
    pub message_type: &'static str,
    /// The channels whose state changed.
    pub channels: Vec<ChannelEntry>,
}

impl ChannelStateChangeMessageV2 {
    /// A message announcing one channel's new state.
    pub fn single(channel: MediaChannel, state: ChannelState) -> Self {
        ChannelStateChangeMessageV2 {
            message_type: CHANNEL_STATE_CHANGE_MESSAGE,
            channels: vec![ChannelEntry {
                channel,
                dnd_state: "Off",
                user_state: UserState {
                    id: state.state_id(),
                    display_name: state,
                    state,
                },
            }],
        }
    }

    /// The JSON of this message.
    pub fn to_raw(&self) -> Box<RawValue> {
        serde_json::value::to_raw_value(self)
            .unwrap_or_else(|_| RawValue::from_string("{}".to_string()).unwrap_or_default())
    }
}

// ---------------------------------------------------------------- decoding

/// A decoded interaction notification: only what an agent acts on.
#[derive(Debug, Clone)]
pub struct InteractionNotice<'a> {
    /// The interaction id (used in `/api/v2/me/interactions/{id}`).
    pub id: Cow<'a, str>,
    /// The state.
    pub state: InteractionState,
    /// `email`, `chat`, ... as sent.
    pub channel: Cow<'a, str>,
    /// `interactionType`, when sent.
    pub interaction_type: Option<Cow<'a, str>>,
    /// `userData`, undecoded: see [`InteractionNotice::user_data`].
    pub user_data: Option<&'a RawValue>,
    /// `chat_notifications`, undecoded.
    pub chat_notifications: Option<&'a RawValue>,
}

impl<'a> InteractionNotice<'a> {
    /// Decodes `userData` into its entries (keys borrowed where unescaped).
    pub fn user_data(&self) -> Result<UserData<'a>, serde_json::Error> {
        match self.user_data {
            Some(raw) => serde_json::from_str(raw.get()),
            None => Ok(UserData::default()),
        }
    }

    /// Decodes `chat_notifications` (empty when absent).
    pub fn chat_events(&self) -> Result<Vec<ChatNotification>, serde_json::Error> {
        match self.chat_notifications {
            Some(raw) => serde_json::from_str(raw.get()),
            None => Ok(Vec::new()),
        }
    }
}

/// The entries of a `userData` object, in wire order, values undecoded.
#[derive(Debug, Clone, Default)]
pub struct UserData<'a> {
    /// Key and raw JSON value of each entry.
    pub entries: Vec<(Cow<'a, str>, &'a RawValue)>,
}

impl<'a> UserData<'a> {
    /// The raw value of `key`.
    pub fn get(&self, key: &str) -> Option<&'a RawValue> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| *v)
    }

    /// The value of `key` when it is a JSON string.
    pub fn get_str(&self, key: &str) -> Option<Cow<'a, str>> {
        let raw = self.get(key)?;
        // `Key` borrows from the raw text unless an escape forces a copy.
        Key::deserialize(&mut serde_json::Deserializer::from_str(raw.get()))
            .ok()
            .map(|k| k.0)
    }
}

struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
        }
        d.deserialize_str(V)
    }
}

impl<'de> Deserialize<'de> for UserData<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = UserData<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a userData object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(8));
                while let Some((k, v)) = map.next_entry::<Key<'de>, &'de RawValue>()? {
                    entries.push((k.0, v));
                }
                Ok(UserData { entries })
            }
        }
        d.deserialize_map(V)
    }
}

/// A decoded channel notification: each channel and its new state.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelNotice<'a> {
    /// `(channel, state)` per entry.
    pub channels: Vec<(Cow<'a, str>, ChannelState)>,
}

/// Any notification an agent may receive on `/v2/me/*`.
#[derive(Debug, Clone)]
pub enum Notification<'a> {
    /// `InteractionStateMessage`.
    Interaction(InteractionNotice<'a>),
    /// `ChannelStateChangeMessageV2`.
    Channels(ChannelNotice<'a>),
    /// A message type the agent does not act on.
    Other(Cow<'a, str>),
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(rename = "messageType", borrow)]
    message_type: Cow<'a, str>,
    #[serde(default, borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(default)]
    state: Option<InteractionState>,
    #[serde(default, borrow)]
    channel: Option<Cow<'a, str>>,
    #[serde(rename = "interactionType", default, borrow)]
    interaction_type: Option<Cow<'a, str>>,
    #[serde(rename = "userData", default, borrow)]
    user_data: Option<&'a RawValue>,
    #[serde(default, borrow)]
    chat_notifications: Option<&'a RawValue>,
    #[serde(default, borrow)]
    channels: Option<Vec<ChannelEnvelope<'a>>>,
}

#[derive(Deserialize)]
struct ChannelEnvelope<'a> {
    #[serde(borrow)]
    channel: Cow<'a, str>,
    #[serde(rename = "userState")]
    user_state: StateEnvelope,
}

#[derive(Deserialize)]
struct StateEnvelope {
    state: ChannelState,
}

/// Decodes the `data` of a `/v2/me/*` message in one pass, borrowing from it.
/// An interaction message without `id` or `state` is an error.
pub fn decode_notification(data: &[u8]) -> Result<Notification<'_>, serde_json::Error> {
    let env: Envelope<'_> = serde_json::from_slice(data)?;
    match env.message_type.as_ref() {
        INTERACTION_STATE_MESSAGE => {
            let id = env.id.ok_or_else(|| de::Error::missing_field("id"))?;
            let state = env.state.ok_or_else(|| de::Error::missing_field("state"))?;
            Ok(Notification::Interaction(InteractionNotice {
                id,
                state,
                channel: env.channel.unwrap_or(Cow::Borrowed("")),
                interaction_type: env.interaction_type,
                user_data: env.user_data,
                chat_notifications: env.chat_notifications,
            }))
        }
        CHANNEL_STATE_CHANGE_MESSAGE => Ok(Notification::Channels(ChannelNotice {
            channels: env
                .channels
                .unwrap_or_default()
                .into_iter()
                .map(|c| (c.channel, c.user_state.state))
                .collect(),
        })),
        _ => Ok(Notification::Other(env.message_type)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(s: &str) -> Box<RawValue> {
        RawValue::from_string(s.to_string()).unwrap()
    }

    #[test]
    fn built_invite_decodes_with_user_data() {
        let ud = raw(r#"{"Subject":"hi","run\"id":"r1","seq":"42"}"#);
        let caps = capabilities(MediaChannel::Email, InteractionState::Invited);
        let msg = InteractionStateMessage {
            message_type: INTERACTION_STATE_MESSAGE,
            id: "0000AB",
            state: InteractionState::Invited,
            capabilities: caps,
            channel: MediaChannel::Email,
            interaction_type: "Inbound",
            interaction_sub_type: "InboundNew",
            current_queue: "SimpleEmailInQueue",
            user_data: &ud,
            email_object: Some(EmailObject {
                interaction_id: "0000AB",
                text: None,
                from_address: None,
                to_address: None,
                subject: None,
            }),
            chat_notifications: None,
            in_queues: None,
            out_queues: None,
            session_id: None,
        };
        let bytes = msg.to_raw();
        let Notification::Interaction(n) = decode_notification(bytes.get().as_bytes()).unwrap()
        else {
            panic!("not an interaction")
        };
        assert_eq!(n.id, "0000AB");
        assert_eq!(n.state, InteractionState::Invited);
        assert_eq!(n.channel, "email");
        let ud = n.user_data().unwrap();
        assert_eq!(ud.get_str("seq").as_deref(), Some("42"));
        assert!(matches!(ud.get_str("seq"), Some(Cow::Borrowed(_))));
        assert_eq!(ud.get_str("run\"id").as_deref(), Some("r1"));
        assert_eq!(ud.get_str("missing"), None);
    }

    #[test]
    fn channel_message_decodes() {
        let m =
            ChannelStateChangeMessageV2::single(MediaChannel::Chat, ChannelState::Ready).to_raw();
        assert!(m.get().contains(READY_STATE_ID));
        let Notification::Channels(c) = decode_notification(m.get().as_bytes()).unwrap() else {
            panic!("not channels")
        };
        assert_eq!(
            c.channels,
            vec![(Cow::Borrowed("chat"), ChannelState::Ready)]
        );
    }

    #[test]
    fn unknown_and_broken_messages() {
        assert!(matches!(
            decode_notification(br#"{"messageType":"Foo"}"#).unwrap(),
            Notification::Other(t) if t == "Foo"
        ));
        assert!(decode_notification(br#"{"messageType":"InteractionStateMessage"}"#).is_err());
        assert!(decode_notification(b"[").is_err());
        let n = decode_notification(
            br#"{"messageType":"InteractionStateMessage","id":"x","state":"Weird"}"#,
        )
        .unwrap();
        assert!(matches!(n, Notification::Interaction(i) if i.state == InteractionState::Other));
    }
}
