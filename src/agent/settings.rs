//! What an agent needs to know, resolved once by the engine from the profile,
//! shared by every agent of a run.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::units::{DelaySpec, Probability};

/// Which message model the target speaks (see the GWS reference).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageModel {
    /// 8.5.0: interactions are finished with `StopProcessing`.
    V850,
    /// 8.5.1: interactions are finished with `Complete`.
    V851,
}

/// What a NotReady spell looks like.
#[derive(Debug, Clone, Copy)]
pub struct NotReadySpells {
    /// Time between the end of one spell and the start of the next.
    pub every: DelaySpec,
    /// How long each spell lasts.
    pub duration: DelaySpec,
}

/// How a simulated agent behaves, the same for every agent of a run.
#[derive(Debug, Clone)]
pub struct Behaviour {
    /// Probability of accepting an invite that is answered (else it is rejected).
    pub accept_probability: Probability,
    /// Probability of not answering an invite at all (so the server revokes it).
    pub no_answer_probability: Probability,
    /// Delay before answering an invite.
    pub answer_delay: DelaySpec,
    /// Time spent on an accepted interaction before finishing it.
    pub handle_time: DelaySpec,
    /// Chat messages sent to the customer while handling a chat (inclusive range).
    pub chat_messages: (u32, u32),
    /// Optional readiness toggling.
    pub not_ready: Option<NotReadySpells>,
    /// On stop, finish accepted interactions (true) or abandon them (false).
    pub finish_on_stop: bool,
}

/// Everything shared by all agents of one run.
#[derive(Debug)]
pub struct RunContext {
    /// The run id, stamped into every injected interaction's `userData`.
    pub run_id: String,
    /// `Instant` of the run start ...
    pub start: Instant,
    /// ... and the same moment in microseconds since the Unix epoch, to turn the
    /// injector's intended creation times into instants without the wall clock.
    pub start_unix_us: u64,
    /// Behaviour of every agent.
    pub behaviour: Behaviour,
    /// Message model of the target.
    pub model: MessageModel,
    /// Channels each agent works on (`email`, `chat`).
    pub channels: Vec<&'static str>,
    /// Username template with `{n}`, e.g. `agent{n}`.
    pub username_template: String,
    /// Place template with `{n}`, if agents log in at a place.
    pub place_template: Option<String>,
    /// Password of every agent.
    pub password: String,
    /// How long a graceful stop may take per agent before it is abandoned.
    pub stop_grace: Duration,
    /// Seed of every random choice (each agent derives its own stream from it).
    pub seed: u64,
}

impl RunContext {
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

    /// Expands a `{n}` template for agent number `n`.
    pub fn expand(template: &str, n: u32) -> String {
        template.replace("{n}", &n.to_string())
    }
}

/// A shared, read-only run context.
pub type SharedRun = Arc<RunContext>;
