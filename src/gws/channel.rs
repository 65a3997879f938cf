//! Media channels an agent can be Ready on.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A GWS media channel (`/api/v2/me/channels/{channel}`, `channel` fields).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MediaChannel {
    /// Email interactions.
    Email,
    /// Chat interactions.
    Chat,
    /// Voice calls (the simulator accepts readiness but routes no calls).
    Voice,
}

impl MediaChannel {
    /// Every channel, in a fixed order usable as an array index.
    pub const ALL: [MediaChannel; 3] =
        [MediaChannel::Email, MediaChannel::Chat, MediaChannel::Voice];

    /// The wire name (`email`, `chat`, `voice`).
    pub const fn as_str(self) -> &'static str {
        match self {
            MediaChannel::Email => "email",
            MediaChannel::Chat => "chat",
            MediaChannel::Voice => "voice",
        }
    }

    /// A dense index, `0..3`.
    pub const fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for MediaChannel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for MediaChannel {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "email" => Ok(MediaChannel::Email),
            "chat" => Ok(MediaChannel::Chat),
            "voice" => Ok(MediaChannel::Voice),
            other => Err(format!(
                "unknown channel {other:?}: expected email, chat or voice"
            )),
        }
    }
}
