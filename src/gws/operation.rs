//! REST operation bodies: `{"operationName": "...", ...}`.

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Serialize};

/// Every `operationName` the 8.5.0/8.5.1 agent API uses here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum OperationName {
    /// `POST /api/v2/me`: log in to the contact center (`channels`, optional `place`).
    StartContactCenterSession,
    /// `POST /api/v2/me`: log out; ends the HTTP session.
    EndContactCenterSession,
    /// `POST /api/v2/me/channels/{channel}`.
    Ready,
    /// `POST /api/v2/me/channels/{channel}`.
    NotReady,
    /// `POST /api/v2/me/interactions/{id}`: take an invited interaction.
    Accept,
    /// `POST /api/v2/me/interactions/{id}`: decline an invite.
    Reject,
    /// `POST /api/v2/me/interactions/{id}`: finish (8.5.0).
    StopProcessing,
    /// `POST /api/v2/me/interactions/{id}`: finish (8.5.1).
    Complete,
    /// `POST /api/v2/me/interactions/{id}`: send it back to a queue (`queueName`).
    PlaceInQueue,
    /// `POST /api/v2/me/interactions/{id}`: chat message to the customer (`text`).
    SendMessage,
}

impl OperationName {
    /// Every operation.
    pub const ALL: [OperationName; 10] = [
        OperationName::StartContactCenterSession,
        OperationName::EndContactCenterSession,
        OperationName::Ready,
        OperationName::NotReady,
        OperationName::Accept,
        OperationName::Reject,
        OperationName::StopProcessing,
        OperationName::Complete,
        OperationName::PlaceInQueue,
        OperationName::SendMessage,
    ];

    /// The wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            OperationName::StartContactCenterSession => "StartContactCenterSession",
            OperationName::EndContactCenterSession => "EndContactCenterSession",
            OperationName::Ready => "Ready",
            OperationName::NotReady => "NotReady",
            OperationName::Accept => "Accept",
            OperationName::Reject => "Reject",
            OperationName::StopProcessing => "StopProcessing",
            OperationName::Complete => "Complete",
            OperationName::PlaceInQueue => "PlaceInQueue",
            OperationName::SendMessage => "SendMessage",
        }
    }

    /// Looks an operation up by its wire name.
    pub fn parse(name: &str) -> Option<OperationName> {
        OperationName::ALL
            .into_iter()
            .find(|op| op.as_str() == name)
    }
}

impl fmt::Display for OperationName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A REST operation body as received (server side) or built (client side).
/// The operation name stays a string so an unknown one can be reported by name.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OperationRequest<'a> {
    /// `operationName`.
    #[serde(rename = "operationName", borrow)]
    pub operation_name: Cow<'a, str>,
    /// `channels` of `StartContactCenterSession`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channels: Option<Vec<Cow<'a, str>>>,
    /// `place` of `StartContactCenterSession`.
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub place: Option<Cow<'a, str>>,
    /// `text` of `SendMessage`.
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub text: Option<Cow<'a, str>>,
    /// `nickname` of a chat `Accept` (8.5.0).
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    pub nickname: Option<Cow<'a, str>>,
    /// `queueName` of `PlaceInQueue`.
    #[serde(
        rename = "queueName",
        default,
        borrow,
        skip_serializing_if = "Option::is_none"
    )]
    pub queue_name: Option<Cow<'a, str>>,
}

impl<'a> OperationRequest<'a> {
    /// A body with only `operationName`.
    pub fn new(op: OperationName) -> Self {
        OperationRequest {
            operation_name: Cow::Borrowed(op.as_str()),
            ..Default::default()
        }
    }

    /// The operation, if it is one this model knows.
    pub fn operation(&self) -> Option<OperationName> {
        OperationName::parse(&self.operation_name)
    }

    /// The JSON bytes of this body.
    pub fn to_bytes(&self) -> Vec<u8> {
        // Serializing plain strings into a Vec cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }
}

/// The JSON body of an operation that takes no parameters,
/// e.g. `{"operationName":"Ready"}`.
pub fn operation_body(op: OperationName) -> Vec<u8> {
    OperationRequest::new(op).to_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_round_trip() {
        assert_eq!(
            operation_body(OperationName::Ready),
            br#"{"operationName":"Ready"}"#
        );
        let start = OperationRequest {
            channels: Some(vec!["email".into(), "chat".into()]),
            place: Some("Place_1".into()),
            ..OperationRequest::new(OperationName::StartContactCenterSession)
        };
        let bytes = start.to_bytes();
        let back: OperationRequest = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(back, start);
        assert_eq!(
            back.operation(),
            Some(OperationName::StartContactCenterSession)
        );
        let unknown: OperationRequest =
            serde_json::from_slice(br#"{"operationName":"Dance"}"#).unwrap();
        assert_eq!(unknown.operation(), None);
        assert_eq!(unknown.operation_name, "Dance");
    }
}
