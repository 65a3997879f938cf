//! The open-model arrival schedule: when each interaction is meant to be
//! created, as offsets from the run start.
//!
//! Offsets are computed from the schedule, never from when the previous
//! interaction was actually sent, so an injector that falls behind catches
//! up instead of drifting (and its lag is measurable against these times).

use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::profile::{ArrivalKind, Channel, Profile};

/// A stretch of the run with one arrival rate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateSegment {
    /// Offset from the run start where the rate begins.
    pub start: Duration,
    /// Offset where it ends (exclusive).
    pub end: Duration,
    /// Interactions per second (>= 0).
    pub rate: f64,
}

impl RateSegment {
    /// Arrivals expected in this segment.
    pub fn expected(&self) -> f64 {
        self.rate * (self.end - self.start).as_secs_f64()
    }
}

/// The rate of one channel over the profile's stages (no arrivals during the drain).
pub fn segments(profile: &Profile, channel: Channel) -> Vec<RateSegment> {
    segments_by(profile, |i| profile.stage_rate(i, channel))
}

/// The stages as segments with the rate `rate_of(stage index)`.
pub fn segments_by(profile: &Profile, rate_of: impl Fn(usize) -> f64) -> Vec<RateSegment> {
    let mut t = Duration::ZERO;
    let mut out = Vec::with_capacity(profile.stages.len());
    for (i, stage) in profile.stages.iter().enumerate() {
        let end = t.saturating_add(stage.duration.0);
        out.push(RateSegment {
            start: t,
            end,
            rate: rate_of(i),
        });
        t = end;
    }
    out
}

/// Arrivals expected over some segments (the mean for Poisson).
pub fn expected_count(segments: &[RateSegment]) -> f64 {
    segments.iter().map(RateSegment::expected).sum()
}

/// Intended creation offsets, in increasing order, up to the end of the
/// last segment, and never more than [`Arrivals::upper_bound`].
#[derive(Debug, Clone)]
pub struct Arrivals {
    segments: Vec<RateSegment>,
    /// Most arrivals each segment may yield (see [`segment_cap`]).
    caps: Vec<u64>,
    kind: ArrivalKind,
    rng: StdRng,
    /// The current segment.
    index: usize,
    /// Constant: arrivals already produced in the current segment.
    produced: u64,
    /// Poisson: seconds from the current segment's start to the last arrival.
    clock: f64,
}

impl Arrivals {
    /// A schedule over `segments`. `seed` makes Poisson gaps repeatable.
    pub fn new(segments: Vec<RateSegment>, kind: ArrivalKind, seed: u64) -> Arrivals {
        Arrivals {
            caps: segments.iter().map(|s| segment_cap(s, kind)).collect(),
            segments,
            kind,
            rng: StdRng::seed_from_u64(seed),
            index: 0,
            produced: 0,
            clock: 0.0,
        }
    }

    /// The schedule of one channel of a profile. Each channel draws from its
    /// own stream derived from `seed`, so adding chat does not move the emails.
    pub fn for_channel(profile: &Profile, channel: Channel, seed: u64) -> Arrivals {
        let salt = match channel {
            Channel::Email => 0x9E37_79B9_7F4A_7C15,
            Channel::Chat => 0xD1B5_4A32_D192_ED03,
        };
        Arrivals::new(
            segments(profile, channel),
            profile.traffic.arrival,
            seed ^ salt,
        )
    }

    /// The most arrivals the whole schedule yields, worked out from the
    /// rates (never by drawing them): a ledger sized by it has room for every
    /// interaction, however long the run.
    pub fn upper_bound(&self) -> u64 {
        self.caps.iter().fold(0, |sum, c| sum.saturating_add(*c))
    }

    fn next_segment(&mut self) {
        self.index += 1;
        self.produced = 0;
        self.clock = 0.0;
    }
}

impl Iterator for Arrivals {
    type Item = Duration;

    fn next(&mut self) -> Option<Duration> {
        loop {
            let seg = *self.segments.get(self.index)?;
            if seg.rate <= 0.0 || seg.end <= seg.start || self.produced >= self.caps[self.index] {
                self.next_segment();
                continue;
            }
            let length = (seg.end - seg.start).as_secs_f64();
            let offset = match self.kind {
                // k / rate from the segment start: exact, no accumulated error.
                ArrivalKind::Constant => self.produced as f64 / seg.rate,
                ArrivalKind::Poisson => {
                    // Exponential gap; 1 - u is in (0, 1], so ln is finite.
                    let u: f64 = self.rng.random();
                    self.clock += -(1.0 - u).ln() / seg.rate;
                    self.clock
                }
            };
            if offset >= length {
                // Poisson is memoryless, so restarting the clock at the boundary is exact.
                self.next_segment();
                continue;
            }
            self.produced += 1;
            return Some(seg.start + Duration::from_secs_f64(offset));
        }
    }
}

/// Most arrivals a segment yields: every one of a constant schedule (one
/// more than the mean, against rounding), and for Poisson the mean plus ten
/// standard deviations and a margin, exceeded with a probability far below
/// 1e-20. The iterator stops there, so the bound holds by construction.
fn segment_cap(seg: &RateSegment, kind: ArrivalKind) -> u64 {
    if seg.rate.is_nan() || seg.rate <= 0.0 || seg.end <= seg.start {
        return 0;
    }
    let mean = seg.expected();
    let cap = match kind {
        ArrivalKind::Constant => mean.floor() + 1.0,
        ArrivalKind::Poisson => mean + 10.0 * mean.sqrt() + 20.0,
    };
    // Saturating float-to-int conversion: a rate validation let through stays finite.
    cap.ceil() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(start: u64, end: u64, rate: f64) -> RateSegment {
        RateSegment {
            start: Duration::from_secs(start),
            end: Duration::from_secs(end),
            rate,
        }
    }

    #[test]
    fn constant_is_exact_and_evenly_spaced() {
        let offsets: Vec<Duration> =
            Arrivals::new(vec![seg(0, 20, 10.0)], ArrivalKind::Constant, 1).collect();
        assert_eq!(offsets.len(), 200);
        assert_eq!(offsets[0], Duration::ZERO);
        assert_eq!(offsets[199], Duration::from_millis(19_900));
        for w in offsets.windows(2) {
            let gap = (w[1] - w[0]).as_secs_f64();
            assert!((gap - 0.1).abs() < 1e-6, "{gap}");
        }
    }

    #[test]
    fn zero_rate_yields_nothing() {
        let mut a = Arrivals::new(vec![seg(0, 100, 0.0)], ArrivalKind::Poisson, 1);
        assert_eq!(a.next(), None);
        let mut a = Arrivals::new(vec![seg(0, 100, 0.0)], ArrivalKind::Constant, 1);
        assert_eq!(a.next(), None);
        assert_eq!(Arrivals::new(vec![], ArrivalKind::Constant, 1).count(), 0);
    }

    #[test]
    fn poisson_counts_are_within_statistical_bounds() {
        // Mean 5000, standard deviation ~71: 5 sigma is 355.
        for seed in [1, 2, 3] {
            let n = Arrivals::new(vec![seg(0, 500, 10.0)], ArrivalKind::Poisson, seed).count();
            assert!((4645..=5355).contains(&n), "seed {seed}: {n}");
        }
    }

    #[test]
    fn poisson_is_repeatable_and_seed_dependent() {
        let a: Vec<_> = Arrivals::new(vec![seg(0, 10, 5.0)], ArrivalKind::Poisson, 42).collect();
        let b: Vec<_> = Arrivals::new(vec![seg(0, 10, 5.0)], ArrivalKind::Poisson, 42).collect();
        let c: Vec<_> = Arrivals::new(vec![seg(0, 10, 5.0)], ArrivalKind::Poisson, 43).collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn poisson_gaps_have_the_exponential_mean_and_spread() {
        let offsets: Vec<f64> = Arrivals::new(vec![seg(0, 2000, 5.0)], ArrivalKind::Poisson, 9)
            .map(|d| d.as_secs_f64())
            .collect();
        let gaps: Vec<f64> = offsets.windows(2).map(|w| w[1] - w[0]).collect();
        let mean = gaps.iter().sum::<f64>() / gaps.len() as f64;
        let var = gaps.iter().map(|g| (g - mean).powi(2)).sum::<f64>() / gaps.len() as f64;
        // Exponential with rate 5: mean 0.2 s, standard deviation 0.2 s.
        assert!((mean - 0.2).abs() < 0.01, "{mean}");
        assert!((var.sqrt() - 0.2).abs() < 0.02, "{}", var.sqrt());
    }

    #[test]
    fn the_upper_bound_holds_and_is_worked_out_from_the_rates() {
        for kind in [ArrivalKind::Constant, ArrivalKind::Poisson] {
            for seed in 1..20 {
                let segs = vec![seg(0, 10, 0.3), seg(10, 20, 7.0), seg(20, 21, 0.0)];
                let a = Arrivals::new(segs, kind, seed);
                let bound = a.upper_bound();
                let n = a.count() as u64;
                assert!(n <= bound, "{kind:?} seed {seed}: {n} > {bound}");
            }
        }
        // 10,000 per second for a year: nothing is drawn to size it.
        let year = 365 * 24 * 3600;
        let a = Arrivals::new(vec![seg(0, year, 10_000.0)], ArrivalKind::Poisson, 1);
        let mean = 10_000.0 * year as f64;
        let bound = a.upper_bound() as f64;
        assert!(bound >= mean && bound < mean * 1.001, "{bound}");
        let exact = Arrivals::new(vec![seg(0, 20, 10.0)], ArrivalKind::Constant, 1);
        assert_eq!(exact.upper_bound(), 201);
        assert_eq!(
            Arrivals::new(vec![seg(0, 9, 0.0)], ArrivalKind::Poisson, 1).upper_bound(),
            0
        );
    }

    #[test]
    fn no_segment_yields_more_than_its_cap() {
        // A cap of 3 arrivals stops a segment that would yield 200.
        let mut a = Arrivals::new(
            vec![seg(0, 20, 10.0), seg(20, 21, 1.0)],
            ArrivalKind::Constant,
            1,
        );
        a.caps = vec![3, 1];
        let offsets: Vec<Duration> = a.collect();
        assert_eq!(offsets.len(), 4);
        assert_eq!(offsets[3], Duration::from_secs(20));
    }

    #[test]
    fn per_segment_rates_apply_in_their_own_stretch() {
        let segs = vec![seg(0, 10, 0.0), seg(10, 20, 4.0), seg(20, 30, 1.0)];
        let offsets: Vec<Duration> =
            Arrivals::new(segs.clone(), ArrivalKind::Constant, 1).collect();
        assert_eq!(offsets.len(), 50);
        assert!(offsets.iter().all(|d| *d >= Duration::from_secs(10)));
        assert_eq!(
            offsets
                .iter()
                .filter(|d| **d < Duration::from_secs(20))
                .count(),
            40
        );
        assert!((expected_count(&segs) - 50.0).abs() < 1e-9);
        let poisson: Vec<Duration> = Arrivals::new(segs, ArrivalKind::Poisson, 5).collect();
        assert!(
            poisson
                .iter()
                .all(|d| *d >= Duration::from_secs(10) && *d < Duration::from_secs(30))
        );
        assert!(poisson.windows(2).all(|w| w[0] <= w[1]));
    }
}
