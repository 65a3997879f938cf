//! The verdict of one compared row from the two runs' estimates and their
//! confidence intervals: pure arithmetic, no I/O.

use super::stats::Interval;
use crate::report::model::RowVerdict;

/// Which way is worse for a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Worse {
    /// Latencies, error rates, losses.
    Higher,
    /// Throughput.
    Lower,
}

/// One side of a row: the estimate and, when there is enough data, its
/// confidence interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// The value itself (the percentile, the rate).
    pub value: f64,
    /// Its interval; `None` when too few values for one.
    pub interval: Option<Interval>,
}

/// How big a change must be to count: more than `relative` (a fraction of
/// the baseline, 0.1 = 10 %) and more than `floor` (in the row's unit).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bound {
    /// Allowed relative change, as a fraction.
    pub relative: f64,
    /// Changes at most this large never count.
    pub floor: f64,
}

impl Bound {
    fn allowed(self, reference: f64) -> f64 {
        (reference.abs() * self.relative).max(self.floor)
    }
}

/// The verdict of a row. Regressed when the new run's interval lies beyond
/// the baseline's on the worse side by more than the bound allows (relative
/// to the baseline's near bound); improved likewise on the better side;
/// otherwise noise when the estimates differ by more than the bound (a change
/// these sample counts cannot tell from chance), else unchanged. Without an
/// interval on either side: not enough data.
pub fn judge(baseline: Estimate, new: Estimate, worse: Worse, bound: Bound) -> RowVerdict {
    let (Some(b), Some(n)) = (baseline.interval, new.interval) else {
        return RowVerdict::NotEnoughData;
    };
    // Lower-is-worse rows are judged as higher-is-worse on negated values.
    let sign = match worse {
        Worse::Higher => 1.0,
        Worse::Lower => -1.0,
    };
    let flip = |i: Interval| {
        let (x, y) = (sign * i.low, sign * i.high);
        Interval {
            low: x.min(y),
            high: x.max(y),
        }
    };
    let (b, n) = (flip(b), flip(n));
    if n.low - b.high > bound.allowed(b.high) {
        return RowVerdict::Regressed;
    }
    if b.low - n.high > bound.allowed(b.low) {
        return RowVerdict::Improved;
    }
    if (new.value - baseline.value).abs() > bound.allowed(baseline.value) {
        RowVerdict::Noise
    } else {
        RowVerdict::Unchanged
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(value: f64, low: f64, high: f64) -> Estimate {
        Estimate {
            value,
            interval: Some(Interval { low, high }),
        }
    }

    const TEN_PCT: Bound = Bound {
        relative: 0.10,
        floor: 1_000.0,
    };

    #[test]
    fn each_verdict_of_a_latency() {
        let base = at(50_000.0, 48_000.0, 52_000.0);
        let judged = |new| judge(base, new, Worse::Higher, TEN_PCT);
        // 100 ms routing delay on top: far beyond.
        assert_eq!(
            judged(at(150_000.0, 148_000.0, 152_000.0)),
            RowVerdict::Regressed
        );
        // Beyond the baseline's interval, but by less than 10 %.
        assert_eq!(
            judged(at(54_500.0, 54_000.0, 57_000.0)),
            RowVerdict::Unchanged
        );
        assert_eq!(
            judged(at(50_500.0, 47_000.0, 53_000.0)),
            RowVerdict::Unchanged
        );
        // +40 % on the estimate, but the new interval reaches back: noise.
        assert_eq!(judged(at(70_000.0, 50_000.0, 90_000.0)), RowVerdict::Noise);
        assert_eq!(
            judged(at(20_000.0, 19_000.0, 21_000.0)),
            RowVerdict::Improved
        );
        let unknown = Estimate {
            value: 50_000.0,
            interval: None,
        };
        assert_eq!(judged(unknown), RowVerdict::NotEnoughData);
        assert_eq!(
            judge(unknown, base, Worse::Higher, TEN_PCT),
            RowVerdict::NotEnoughData
        );
    }

    #[test]
    fn the_floor_ignores_microsecond_noise() {
        // 300 µs → 900 µs, intervals apart: tripled, yet under the 1 ms floor.
        let base = at(300.0, 280.0, 320.0);
        let new = at(900.0, 880.0, 920.0);
        assert_eq!(
            judge(base, new, Worse::Higher, TEN_PCT),
            RowVerdict::Unchanged
        );
        let no_floor = Bound {
            floor: 0.0,
            ..TEN_PCT
        };
        assert_eq!(
            judge(base, new, Worse::Higher, no_floor),
            RowVerdict::Regressed
        );
    }

    #[test]
    fn lower_throughput_is_worse() {
        let bound = Bound {
            relative: 0.10,
            floor: 0.0,
        };
        let base = at(10.0, 9.0, 11.0);
        assert_eq!(
            judge(base, at(5.0, 4.5, 5.5), Worse::Lower, bound),
            RowVerdict::Regressed
        );
        assert_eq!(
            judge(base, at(20.0, 19.0, 21.0), Worse::Lower, bound),
            RowVerdict::Improved
        );
        assert_eq!(
            judge(base, at(10.2, 9.1, 11.3), Worse::Lower, bound),
            RowVerdict::Unchanged
        );
    }
}
