//! What an agent needs to know, resolved once by the engine from the profile,
//! shared by every agent of a run.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::profile::{Agents, Behaviour, MessageModel};

/// Everything shared by all agents of one run.
#[derive(Debug)]
pub struct AgentSettings {
    /// The run id, stamped into every injected interaction's `userData`.
    pub run_id: String,
    /// `Instant` of the run start ...
    pub start: Instant,
    /// ... and the same moment in microseconds since the Unix epoch, to turn the
    /// injector's intended creation times into instants without reading the
    /// wall clock again.
    pub start_unix_us: u64,
    /// Who the agents are (username and place templates, password, channels).
    pub agents: Agents,
    /// How every agent behaves.
    pub behaviour: Behaviour,
    /// Message model of the target (how interactions are finished).
    pub model: MessageModel,
    /// `agents.channels` as the names used on the wire (`email`, `chat`).
    pub channels: Vec<&'static str>,
    /// How long a graceful stop may take per agent before it is abandoned.
    pub stop_grace: Duration,
    /// Seed of every random choice (each agent derives its own stream from it).
    pub seed: u64,
}

impl AgentSettings {
    /// The instant matching an intended creation time in µs since the epoch.
    pub fn instant_of_unix_us(&self, unix_us: u64) -> Instant {
        if unix_us >= self.start_unix_us {
            self.start + Duration::from_micros(unix_us - self.start_unix_us)
        } else {
            self.start
                .checked_sub(Duration::from_micros(self.start_unix_us - unix_us))
                .unwrap_or(self.start)
        }
    }
}

/// A shared, read-only run context.
pub type SharedSettings = Arc<AgentSettings>;
