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
}

/// Default ceiling on logins per second: steep enough for a quick ramp of a
/// few thousand agents, gentle enough that a real GWS is not hit by a herd
/// unless the profile asks for one.
pub const DEFAULT_MAX_HANDSHAKES_PER_SECOND: f64 = 100.0;

impl Default for Ramp {
    fn default() -> Self {
        Ramp {
            max_handshakes_per_second: DEFAULT_MAX_HANDSHAKES_PER_SECOND,
            stampede: false,
        }
    }
}
