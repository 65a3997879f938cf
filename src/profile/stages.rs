//! `[[stages]]` and `[ramp]`: how many agents are logged in over time.

use serde::{Deserialize, Serialize};

use crate::units::HumanDuration;

/// One step of the plan: over `duration`, the number of logged-in agents
/// moves linearly from the previous stage's `agents` (0 before the first
/// stage) to this one's. Equal counts hold, higher ramp up, lower ramp down.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stage {
    /// How long the stage lasts (above zero).
    pub duration: HumanDuration,
    /// Agents logged in at the end of the stage.
    pub agents: u32,
    /// Overrides `ramp.stampede` for this stage (start all its new agents at its first instant).
    #[serde(default)]
    pub stampede: Option<bool>,
    /// Multiplies both traffic rates during this stage (`0` = no traffic, e.g. while logging in).
    #[serde(default)]
    pub rate_scale: Option<f64>,
    /// Email arrivals per second during this stage, replacing `traffic.email_rate` (and `rate_scale`).
    #[serde(default)]
    pub email_rate: Option<f64>,
    /// Chat arrivals per second during this stage, replacing `traffic.chat_rate` (and `rate_scale`).
    #[serde(default)]
    pub chat_rate: Option<f64>,
    /// Messages published per second during this stage (`scenario = "bayeux"`),
    /// replacing `bayeux.publish_rate` (and `rate_scale`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publish_rate: Option<f64>,
}

/// How logins are spread while agents are added.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Ramp {
    /// Most agent logins (handshakes) started per second across the run; a
    /// ramp steeper than this is stretched.
    pub max_handshakes_per_second: f64,
    /// Start all of a stage's new agents at its first instant, ignoring the
    /// handshake rate (a thundering herd).
    pub stampede: bool,
    /// A run in which no agent has logged in this long after the first
    /// agent's start stops, exit 3 (`not_run`).
    pub login_deadline: HumanDuration,
    /// A run whose first this many log-in attempts all failed (none logged
    /// in) stops, exit 3; 0 never stops for it.
    pub failed_logins_to_stop: u32,
}

/// Default ceiling on logins per second: steep enough for a quick ramp of a
/// few thousand agents, gentle enough that a real GWS is not hit by a herd
/// unless the profile asks for one.
pub const DEFAULT_MAX_HANDSHAKES_PER_SECOND: f64 = 100.0;

/// Default `ramp.login_deadline`: a login retried with backoff has had
/// several tries by then, and no real deployment takes a minute for one.
pub const DEFAULT_LOGIN_DEADLINE: std::time::Duration = std::time::Duration::from_secs(60);

/// Default `ramp.failed_logins_to_stop`: enough attempts (across agents and
/// retries) that a transient refusal does not stop a run.
pub const DEFAULT_FAILED_LOGINS_TO_STOP: u32 = 50;

impl Default for Ramp {
    fn default() -> Self {
        Ramp {
            max_handshakes_per_second: DEFAULT_MAX_HANDSHAKES_PER_SECOND,
            stampede: false,
            login_deadline: HumanDuration(DEFAULT_LOGIN_DEADLINE),
            failed_logins_to_stop: DEFAULT_FAILED_LOGINS_TO_STOP,
        }
    }
}
