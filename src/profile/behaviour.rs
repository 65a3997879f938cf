//! `[behaviour]`: how an agent reacts to what it is offered.

use std::fmt;
use std::str::FromStr;

use rand::Rng;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::units::{DelaySpec, Probability};

/// What each agent does with invites and interactions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Behaviour {
    /// Share of invites accepted.
    pub accept_probability: Probability,
    /// Delay before answering (accepting or rejecting) an invite.
    pub answer_delay: DelaySpec,
    /// Share of invites never answered, so the server revokes them.
    /// Invites neither accepted nor left unanswered are rejected.
    pub no_answer_probability: Probability,
    /// Time an accepted interaction is worked on before it is stopped/completed.
    pub handle_time: DelaySpec,
    /// Messages the agent sends into an accepted chat while handling it.
    pub chat_messages: CountRange,
    /// NotReady spells: how often and how long; none = always Ready.
    pub not_ready: Option<NotReady>,
    /// What agents do with interactions in hand when the run stops.
    pub on_stop: OnStop,
}

impl Default for Behaviour {
    fn default() -> Self {
        Behaviour {
            accept_probability: Probability::ALWAYS,
            answer_delay: DelaySpec {
                min: std::time::Duration::from_millis(200),
                max: std::time::Duration::from_secs(1),
            },
            no_answer_probability: Probability::NEVER,
            handle_time: DelaySpec {
                min: std::time::Duration::from_secs(1),
                max: std::time::Duration::from_secs(3),
            },
            chat_messages: CountRange { min: 0, max: 2 },
            not_ready: None,
            on_stop: OnStop::Finish,
        }
    }
}

/// The agent's answer to one invite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// Accept, then handle.
    Accept,
    /// Reject (the server re-offers elsewhere).
    Reject,
    /// Ignore it until it is revoked.
    NoAnswer,
}

impl Behaviour {
    /// Share of invites rejected: what is left after accepting and not answering.
    pub fn reject_probability(&self) -> f64 {
        (1.0 - self.accept_probability.get() - self.no_answer_probability.get()).max(0.0)
    }

    /// Draws the answer to one invite.
    pub fn answer<R: Rng + ?Sized>(&self, rng: &mut R) -> Answer {
        let x: f64 = rng.random();
        let no_answer = self.no_answer_probability.get();
        if x < no_answer {
            Answer::NoAnswer
        } else if x < no_answer + self.accept_probability.get() {
            Answer::Accept
        } else {
            Answer::Reject
        }
    }
}

/// Readiness toggling.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotReady {
    /// Time Ready between two NotReady spells.
    pub every: DelaySpec,
    /// How long each NotReady spell lasts.
    pub duration: DelaySpec,
}

/// What happens to work in hand when the run stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnStop {
    /// Finish interactions in hand (bounded by the stop timeout), then log out.
    #[default]
    Finish,
    /// Log out at once, leaving interactions in hand.
    Abandon,
}

/// A count that is fixed (`3`) or drawn uniformly from a range (`"1..5"`, both ends included).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CountRange {
    /// The smallest count.
    pub min: u32,
    /// The largest count; equal to `min` for a fixed count.
    pub max: u32,
}

impl CountRange {
    /// Draws one count.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> u32 {
        if self.min >= self.max {
            self.min
        } else {
            rng.random_range(self.min..=self.max)
        }
    }
}

impl FromStr for CountRange {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let number = |t: &str| {
            t.trim().parse::<u32>().map_err(|_| {
                format!("invalid count {s:?}: expected a whole number (3) or a range MIN..MAX (\"1..5\")")
            })
        };
        let (min, max) = match s.split_once("..") {
            None => {
                let n = number(s)?;
                (n, n)
            }
            Some((lo, hi)) => (number(lo)?, number(hi)?),
        };
        if min > max {
            return Err(format!(
                "invalid range {s:?}: the lower end is above the upper end; write it as MIN..MAX, e.g. \"1..5\""
            ));
        }
        Ok(CountRange { min, max })
    }
}

impl fmt::Display for CountRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.min == self.max {
            write!(f, "{}", self.min)
        } else {
            write!(f, "{}..{}", self.min, self.max)
        }
    }
}

impl Serialize for CountRange {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.min == self.max {
            s.serialize_u32(self.min)
        } else {
            s.collect_str(self)
        }
    }
}

impl<'de> Deserialize<'de> for CountRange {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = CountRange;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a whole number (3) or a range string (\"1..5\")")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<CountRange, E> {
                let n = u32::try_from(v).map_err(|_| {
                    E::custom(format!(
                        "invalid count {v}: expected a whole number from 0 to {}",
                        u32::MAX
                    ))
                })?;
                Ok(CountRange { min: n, max: n })
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<CountRange, E> {
                self.visit_i64(i64::try_from(v).unwrap_or(i64::MAX))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<CountRange, E> {
                v.parse().map_err(E::custom)
            }
        }
        d.deserialize_any(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn count_range_parses_fixed_and_ranges() {
        assert_eq!("3".parse::<CountRange>(), Ok(CountRange { min: 3, max: 3 }));
        assert_eq!(
            "1..5".parse::<CountRange>(),
            Ok(CountRange { min: 1, max: 5 })
        );
        assert!(
            "5..1"
                .parse::<CountRange>()
                .unwrap_err()
                .contains("MIN..MAX")
        );
        assert!(
            "x".parse::<CountRange>()
                .unwrap_err()
                .contains("whole number")
        );
    }

    #[test]
    fn answers_follow_the_probabilities() {
        let b = Behaviour {
            accept_probability: Probability::new(0.6).unwrap(),
            no_answer_probability: Probability::new(0.1).unwrap(),
            ..Behaviour::default()
        };
        assert!((b.reject_probability() - 0.3).abs() < 1e-9);
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let n = 20_000;
        let mut counts = [0u32; 3];
        for _ in 0..n {
            match b.answer(&mut rng) {
                Answer::Accept => counts[0] += 1,
                Answer::Reject => counts[1] += 1,
                Answer::NoAnswer => counts[2] += 1,
            }
        }
        // Binomial standard deviation at n=20000 is under 0.4 %; 2 % is > 5 sigma.
        let share = |c: u32| f64::from(c) / f64::from(n);
        assert!((share(counts[0]) - 0.6).abs() < 0.02, "{counts:?}");
        assert!((share(counts[1]) - 0.3).abs() < 0.02, "{counts:?}");
        assert!((share(counts[2]) - 0.1).abs() < 0.02, "{counts:?}");
    }
}
