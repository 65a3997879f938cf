//! `[traffic]`: how interactions arrive.

use serde::{Deserialize, Serialize};

use crate::units::HumanDuration;

/// The open-model arrival process: interactions are created on schedule
/// whatever the agents are doing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Traffic {
    /// Email interactions created per second (0 = none).
    pub email_rate: f64,
    /// Chat interactions created per second (0 = none).
    pub chat_rate: f64,
    /// How the gaps between arrivals are drawn.
    pub arrival: ArrivalKind,
    /// After the last stage: agents keep working (no new arrivals) so in-flight interactions finish.
    pub drain: HumanDuration,
}

impl Default for Traffic {
    fn default() -> Self {
        Traffic {
            email_rate: 0.0,
            chat_rate: 0.0,
            arrival: ArrivalKind::Poisson,
            drain: HumanDuration(std::time::Duration::from_secs(10)),
        }
    }
}

/// How the gaps between arrivals are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ArrivalKind {
    /// Exponential gaps (independent arrivals, like real customers), seeded.
    #[default]
    Poisson,
    /// Exactly `1 / rate` apart.
    Constant,
}

impl std::fmt::Display for ArrivalKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ArrivalKind::Poisson => "poisson",
            ArrivalKind::Constant => "constant",
        })
    }
}
