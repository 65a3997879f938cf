//! The notifications an agent acts on, as the state machine takes them:
//! decoded from a Bayeux message's `data`, borrowing from its bytes.

use super::marker::{self, Marker};
use crate::gws::notification::{ChannelState, InteractionState, Notification, decode_notification};

/// One thing the server told the agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice<'a> {
    /// Interaction `id` is offered to this agent.
    Invited {
        /// The interaction.
        id: &'a str,
        /// True for a chat (the agent sends messages while handling it).
        chat: bool,
        /// This run's marker, when the run's injector created it.
        marker: Option<Marker>,
    },
    /// The offer of `id` was taken away.
    Revoked {
        /// The interaction.
        id: &'a str,
    },
    /// This agent handles `id` (also sent again with chat updates).
    Accepted {
        /// The interaction.
        id: &'a str,
    },
    /// `channel` is Ready.
    ChannelReady {
        /// The channel as on the wire.
        channel: &'a str,
    },
}

/// Decodes one notification and hands `each` the notices in it, in order;
/// message types and states the agent does not act on give none. An error
/// when `data` is not a notification at all.
pub fn each_notice(
    data: &[u8],
    run_id: &str,
    mut each: impl FnMut(Notice<'_>),
) -> Result<(), serde_json::Error> {
    match decode_notification(data)? {
        Notification::Interaction(n) => {
            let id = n.id.as_ref();
            match n.state {
                InteractionState::Invited => each(Notice::Invited {
                    id,
                    chat: n.channel == "chat",
                    marker: marker::read(&n, run_id),
                }),
                InteractionState::Revoked => each(Notice::Revoked { id }),
                InteractionState::Accepted => each(Notice::Accepted { id }),
                InteractionState::Completed | InteractionState::Other => {}
            }
        }
        Notification::Channels(n) => {
            for (channel, state) in &n.channels {
                if *state == ChannelState::Ready {
                    each(Notice::ChannelReady { channel });
                }
            }
        }
        Notification::Other(_) => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notices(data: &str) -> Result<Vec<String>, serde_json::Error> {
        let mut seen = Vec::new();
        each_notice(data.as_bytes(), "r1", |n| seen.push(format!("{n:?}")))?;
        Ok(seen)
    }

    #[test]
    fn interaction_states_become_notices() {
        let invite = r#"{"messageType":"InteractionStateMessage","id":"00A","state":"Invited","channel":"chat",
            "userData":{"AgentloadRun":"r1","AgentloadSeq":"3","AgentloadCreatedUs":"10"}}"#;
        assert_eq!(
            notices(invite).unwrap(),
            vec![
                r#"Invited { id: "00A", chat: true, marker: Some(Marker { seq: 3, created_us: 10 }) }"#
            ]
        );
        let foreign = r#"{"messageType":"InteractionStateMessage","id":"00B","state":"Invited","channel":"email"}"#;
        assert_eq!(
            notices(foreign).unwrap(),
            vec![r#"Invited { id: "00B", chat: false, marker: None }"#]
        );
        let revoked = r#"{"messageType":"InteractionStateMessage","id":"00A","state":"Revoked","channel":"chat"}"#;
        assert_eq!(notices(revoked).unwrap(), vec![r#"Revoked { id: "00A" }"#]);
        let accepted = r#"{"messageType":"InteractionStateMessage","id":"00A","state":"Accepted","channel":"chat"}"#;
        assert_eq!(
            notices(accepted).unwrap(),
            vec![r#"Accepted { id: "00A" }"#]
        );
        let completed = r#"{"messageType":"InteractionStateMessage","id":"00A","state":"Completed","channel":"chat"}"#;
        assert!(notices(completed).unwrap().is_empty());
    }

    #[test]
    fn only_ready_channels_are_notices() {
        let channels = r#"{"messageType":"ChannelStateChangeMessageV2","channels":[
            {"channel":"email","userState":{"state":"Ready"}},
            {"channel":"chat","userState":{"state":"NotReady"}},
            {"channel":"voice","userState":{"state":"Ready"}}]}"#;
        assert_eq!(
            notices(channels).unwrap(),
            vec![
                r#"ChannelReady { channel: "email" }"#,
                r#"ChannelReady { channel: "voice" }"#
            ]
        );
        assert!(
            notices(r#"{"messageType":"SomethingElse"}"#)
                .unwrap()
                .is_empty()
        );
        assert!(notices("not json").is_err());
    }
}
