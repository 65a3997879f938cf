//! The run's one arrival schedule: the email and chat [`Arrivals`] merged by
//! offset (email first at equal offsets) and numbered 0, 1, 2, ... in that
//! order. It is pure, so every process built from the same profile and seed
//! gives each arrival the same (sequence number, media, offset), and a shard
//! keeps exactly the arrivals whose number it owns.

use std::iter::Peekable;
use std::time::Duration;

use super::arrivals::Arrivals;
use super::injector::Media;
use crate::profile::{Channel, Profile};
use crate::shard::ShardSpec;

/// One interaction to create.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arrival {
    /// Its global sequence number, the same in every shard.
    pub seq: u64,
    /// Email or chat.
    pub media: Media,
    /// When it is meant to be created, from the run's start.
    pub offset: Duration,
}

/// Every arrival of the run, in schedule order.
#[derive(Debug, Clone)]
pub struct Schedule {
    email: Peekable<Arrivals>,
    chat: Peekable<Arrivals>,
    next_seq: u64,
    /// The most arrivals the schedule yields (its sequence numbers are below it).
    pub upper_bound: u64,
}

impl Schedule {
    /// The merged schedule of a profile's channels.
    pub fn of(profile: &Profile, seed: u64) -> Schedule {
        Schedule::merging(
            Arrivals::for_channel(profile, Channel::Email, seed),
            Arrivals::for_channel(profile, Channel::Chat, seed),
        )
    }

    /// Merges two channels' arrivals.
    pub fn merging(email: Arrivals, chat: Arrivals) -> Schedule {
        // Sized from the rates (an upper bound), never by drawing arrivals.
        let upper_bound = email.upper_bound().saturating_add(chat.upper_bound());
        Schedule {
            email: email.peekable(),
            chat: chat.peekable(),
            next_seq: 0,
            upper_bound,
        }
    }

    /// The arrivals shard `spec` creates (every one for [`ShardSpec::WHOLE`]).
    pub fn owned_by(self, spec: ShardSpec) -> impl Iterator<Item = Arrival> + Send {
        self.filter(move |a| spec.owns(a.seq))
    }
}

impl Iterator for Schedule {
    type Item = Arrival;

    fn next(&mut self) -> Option<Arrival> {
        let media = match (self.email.peek(), self.chat.peek()) {
            (None, None) => return None,
            (Some(_), None) => Media::Email,
            (None, Some(_)) => Media::Chat,
            (Some(e), Some(c)) if e <= c => Media::Email,
            (Some(_), Some(_)) => Media::Chat,
        };
        let offset = match media {
            Media::Email => self.email.next()?,
            Media::Chat => self.chat.next()?,
        };
        let seq = self.next_seq;
        self.next_seq += 1;
        Some(Arrival { seq, media, offset })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::arrivals::RateSegment;
    use crate::profile::ArrivalKind;

    fn constant(rate: f64, secs: u64) -> Arrivals {
        let seg = RateSegment {
            start: Duration::ZERO,
            end: Duration::from_secs(secs),
            rate,
        };
        Arrivals::new(vec![seg], ArrivalKind::Constant, 1)
    }

    #[test]
    fn merges_by_offset_email_first_and_numbers_in_order() {
        let all: Vec<Arrival> = Schedule::merging(constant(2.0, 2), constant(1.0, 2)).collect();
        let got: Vec<(u64, Media, u64)> = all
            .iter()
            .map(|a| (a.seq, a.media, a.offset.as_millis() as u64))
            .collect();
        assert_eq!(
            got,
            vec![
                (0, Media::Email, 0),
                (1, Media::Chat, 0),
                (2, Media::Email, 500),
                (3, Media::Email, 1000),
                (4, Media::Chat, 1000),
                (5, Media::Email, 1500),
            ]
        );
        let odd: Vec<u64> = Schedule::merging(constant(2.0, 2), constant(1.0, 2))
            .owned_by(ShardSpec { index: 1, count: 2 })
            .map(|a| a.seq)
            .collect();
        assert_eq!(odd, vec![1, 3, 5]);
        assert!(Schedule::merging(constant(2.0, 2), constant(1.0, 2)).upper_bound >= 6);
    }
}
