//! One agent's latencies on their way to Goose: the agent's sink pushes
//! them here as they are recorded, and the Goose user that owns the agent
//! takes them in its next "agent report" transaction (only a transaction
//! holds the `&mut GooseUser` that records them).

use std::sync::Mutex;
use std::time::Duration;

use crate::agent::Tap;
use crate::metrics::Measure;

/// Latencies kept for Goose at most between two reports of one agent. An
/// agent makes a few per second, so this is only reached when its Goose user
/// stopped reporting; what is past it is counted, never silently lost.
const HELD_AT_MOST: usize = 65_536;

/// The latencies one agent produced since its Goose user last took them.
#[derive(Default)]
pub struct AgentTap {
    held: Mutex<Held>,
}

#[derive(Default)]
struct Held {
    latencies: Vec<(Measure, Duration)>,
    dropped: u64,
}

impl AgentTap {
    /// Everything held, emptied.
    pub fn take(&self) -> Vec<(Measure, Duration)> {
        match self.held.lock() {
            Ok(mut held) => std::mem::take(&mut held.latencies),
            Err(poisoned) => std::mem::take(&mut poisoned.into_inner().latencies),
        }
    }

    /// How many latencies are held now plus how many were dropped for want
    /// of a report: what agentload measured that Goose has not been given.
    pub fn not_given(&self) -> u64 {
        match self.held.lock() {
            Ok(held) => held.latencies.len() as u64 + held.dropped,
            Err(poisoned) => {
                let held = poisoned.into_inner();
                held.latencies.len() as u64 + held.dropped
            }
        }
    }
}

impl Tap for AgentTap {
    fn measured(&self, measure: Measure, latency: Duration) {
        // A panic while holding this lock (none can happen in these few
        // lines) would only lose Goose's copy; agentload's is already taken.
        if let Ok(mut held) = self.held.lock() {
            if held.latencies.len() < HELD_AT_MOST {
                held.latencies.push((measure, latency));
            } else {
                held.dropped += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_what_was_measured_since_the_last_take() {
        let tap = AgentTap::default();
        tap.measured(Measure::InviteDelivery, Duration::from_millis(5));
        tap.measured(Measure::ConnectCycle, Duration::from_millis(7));
        assert_eq!(tap.not_given(), 2);
        let first = tap.take();
        assert_eq!(
            first,
            vec![
                (Measure::InviteDelivery, Duration::from_millis(5)),
                (Measure::ConnectCycle, Duration::from_millis(7)),
            ]
        );
        assert!(tap.take().is_empty());
        assert_eq!(tap.not_given(), 0);
    }

    #[test]
    fn an_unreported_agent_holds_a_bounded_amount_and_counts_the_rest() {
        let tap = AgentTap::default();
        for _ in 0..HELD_AT_MOST + 3 {
            tap.measured(Measure::ConnectGap, Duration::from_micros(1));
        }
        assert_eq!(tap.not_given(), HELD_AT_MOST as u64 + 3);
        assert_eq!(tap.take().len(), HELD_AT_MOST);
        assert_eq!(tap.not_given(), 3);
    }
}
