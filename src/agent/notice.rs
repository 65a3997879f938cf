//! Lean decoding of the notifications an agent reacts to. Only the fields the
//! agent needs are read (unknown fields are skipped without allocating), so a
//! connect reply carrying a 40-key `userData` stays cheap to handle.

use std::borrow::Cow;

use serde::Deserialize;

/// `userData` key carrying the run id the injector stamped.
pub const MARK_RUN: &str = "AgentloadRun";
/// `userData` key carrying the injector's sequence number.
pub const MARK_SEQ: &str = "AgentloadSeq";
/// `userData` key carrying the intended creation time, µs since the Unix epoch.
pub const MARK_CREATED_US: &str = "AgentloadCreatedUs";

/// The part of an `InteractionStateMessage` or `ChannelStateChangeMessageV2`
/// the agent uses.
#[derive(Debug, Deserialize)]
pub struct Notice<'a> {
    /// `InteractionStateMessage`, `ChannelStateChangeMessageV2`, ...
    #[serde(rename = "messageType", borrow, default)]
    pub message_type: Option<Cow<'a, str>>,
    /// Interaction id.
    #[serde(default)]
    pub id: Option<String>,
    /// `Invited`, `Revoked`, `Accepted`, ...
    #[serde(borrow, default)]
    pub state: Option<Cow<'a, str>>,
    /// `email` or `chat` for interactions.
    #[serde(borrow, default)]
    pub channel: Option<Cow<'a, str>>,
    /// The load-test marker inside `userData`, when present.
    #[serde(rename = "userData", default)]
    pub user_data: Option<Marker>,
    /// Channel states of a `ChannelStateChangeMessageV2`.
    #[serde(borrow, default)]
    pub channels: Vec<ChannelState<'a>>,
}

/// The injector's marker, echoed in the invite's `userData`. GMS form fields
/// arrive as strings; numbers are accepted too.
#[derive(Debug, Default, Deserialize)]
pub struct Marker {
    /// The run that created the interaction.
    #[serde(rename = "AgentloadRun", default)]
    pub run: Option<String>,
    /// The injector's sequence number.
    #[serde(
        rename = "AgentloadSeq",
        default,
        deserialize_with = "number_or_string"
    )]
    pub seq: Option<u64>,
    /// Intended creation time, µs since the Unix epoch.
    #[serde(
        rename = "AgentloadCreatedUs",
        default,
        deserialize_with = "number_or_string"
    )]
    pub created_us: Option<u64>,
}

/// One channel's state in a `ChannelStateChangeMessageV2`.
#[derive(Debug, Deserialize)]
pub struct ChannelState<'a> {
    /// `email`, `chat`, `voice`.
    #[serde(borrow)]
    pub channel: Cow<'a, str>,
    /// The agent state on that channel.
    #[serde(rename = "userState", borrow, default)]
    pub user_state: Option<UserState<'a>>,
}

/// `userState` of a channel.
#[derive(Debug, Deserialize)]
pub struct UserState<'a> {
    /// `Ready`, `NotReady`, ...
    #[serde(borrow, default)]
    pub state: Option<Cow<'a, str>>,
}

fn number_or_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either<'a> {
        Num(u64),
        Str(Cow<'a, str>),
    }
    Ok(match Option::<Either>::deserialize(d)? {
        Some(Either::Num(n)) => Some(n),
        Some(Either::Str(s)) => s.trim().parse().ok(),
        None => None,
    })
}

/// Decodes a notification's `data`.
pub fn decode(data: &str) -> Result<Notice<'_>, serde_json::Error> {
    serde_json::from_str(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_an_invite_with_marker_and_foreign_keys() {
        let json = r#"{"userData":{"To":"support@x","_AutoReplyCount":0,"AgentloadRun":"r1","AgentloadSeq":"42","AgentloadCreatedUs":"1700000000000000","RRequestedSkills":null},
            "email_object":{"interactionId":"0001"},"currentQueue":"Q","capabilities":["Accept","Reject"],
            "state":"Invited","messageType":"InteractionStateMessage","id":"0001","channel":"email","interactionType":"Inbound"}"#;
        let n = decode(json).unwrap();
        assert_eq!(n.message_type.as_deref(), Some("InteractionStateMessage"));
        assert_eq!(n.state.as_deref(), Some("Invited"));
        assert_eq!(n.id.as_deref(), Some("0001"));
        let m = n.user_data.unwrap();
        assert_eq!(m.run.as_deref(), Some("r1"));
        assert_eq!(m.seq, Some(42));
        assert_eq!(m.created_us, Some(1_700_000_000_000_000));
    }

    #[test]
    fn decodes_a_channel_state_change() {
        let json = r#"{"messageType":"ChannelStateChangeMessageV2","channels":[{"channel":"email","dndState":"Off","userState":{"id":"9430250E-0A1B-421F-B372-F29E69366DED","displayName":"Ready","state":"Ready"}}]}"#;
        let n = decode(json).unwrap();
        assert_eq!(n.channels.len(), 1);
        assert_eq!(n.channels[0].channel, "email");
        assert_eq!(
            n.channels[0].user_state.as_ref().unwrap().state.as_deref(),
            Some("Ready")
        );
    }

    #[test]
    fn a_marker_with_numbers_or_garbage_does_not_fail_the_notice() {
        let n = decode(r#"{"id":"x","userData":{"AgentloadSeq":7,"AgentloadCreatedUs":"soon"}}"#)
            .unwrap();
        let m = n.user_data.unwrap();
        assert_eq!(m.seq, Some(7));
        assert_eq!(m.created_us, None);
    }
}
