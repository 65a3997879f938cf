//! `[agents]`: who the simulated agents are.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// The pool of simulated agents. Agent index `i` (0-based) logs in as the
/// username template with `{n}` = `first + i`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Agents {
    /// Size of the pool; every stage's `agents` must fit in it.
    pub count: u32,
    /// Username template; `{n}` becomes the agent number (`agent{n}` -> `agent1`, `agent2`, ...).
    #[serde(default = "default_username")]
    pub username: String,
    /// Number of the first agent, so several generators can share one user base (sharding).
    #[serde(default = "default_first")]
    pub first: u32,
    /// The password of every agent, written in the profile. `password_env`
    /// and `password_file` win over it; once the profile is loaded this holds
    /// the password in use, wherever it came from.
    #[serde(default = "default_password")]
    pub password: String,
    /// The name of an environment variable holding the password (wins over
    /// `password_file` and `password`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_env: Option<String>,
    /// A file holding the password on its one line (wins over `password`); a
    /// relative path is resolved against the profile's folder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_file: Option<PathBuf>,
    /// Place template for `StartContactCenterSession` (`Place_{n}`); none = no place sent.
    #[serde(default)]
    pub place: Option<String>,
    /// Media channels the agents log in to and set Ready.
    #[serde(default = "default_channels")]
    pub channels: Vec<Channel>,
    /// Interactions an agent handles at once, per channel.
    #[serde(default)]
    pub capacity: ChannelCapacity,
}

fn default_username() -> String {
    "agent{n}".to_string()
}
fn default_first() -> u32 {
    1
}
fn default_password() -> String {
    "password".to_string()
}
fn default_channels() -> Vec<Channel> {
    vec![Channel::Email, Channel::Chat]
}

impl Agents {
    /// The username of agent `index` (0-based within the pool).
    pub fn username(&self, index: u32) -> String {
        fill(&self.username, self.number(index))
    }

    /// The place of agent `index`, when the profile names one.
    pub fn place(&self, index: u32) -> Option<String> {
        self.place.as_deref().map(|t| fill(t, self.number(index)))
    }

    /// The agent number `{n}` of agent `index`.
    pub fn number(&self, index: u32) -> u64 {
        u64::from(self.first) + u64::from(index)
    }

    /// The last agent number used (`first + count - 1`).
    pub fn last_number(&self) -> u64 {
        (u64::from(self.first) + u64::from(self.count)).saturating_sub(1)
    }

    /// True when the agents log in to this channel.
    pub fn has(&self, channel: Channel) -> bool {
        self.channels.contains(&channel)
    }
}

fn fill(template: &str, n: u64) -> String {
    template.replace("{n}", &n.to_string())
}

/// A GWS media channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    /// The `email` media.
    Email,
    /// The `chat` media.
    Chat,
}

impl Channel {
    /// Both channels, in report order.
    pub const ALL: [Channel; 2] = [Channel::Email, Channel::Chat];

    /// The GWS media name (`email`, `chat`).
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Chat => "chat",
        }
    }
}

impl std::fmt::Display for Channel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Interactions an agent handles at once on each channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ChannelCapacity {
    /// Concurrent emails per agent.
    pub email: u32,
    /// Concurrent chats per agent.
    pub chat: u32,
}

impl Default for ChannelCapacity {
    fn default() -> Self {
        ChannelCapacity { email: 1, chat: 1 }
    }
}

impl ChannelCapacity {
    /// The capacity of one channel.
    pub fn of(&self, channel: Channel) -> u32 {
        match channel {
            Channel::Email => self.email,
            Channel::Chat => self.chat,
        }
    }
}
