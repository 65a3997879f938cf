//! The confidence intervals a comparison rests on, all at [`LEVEL`]:
//! percentiles from the order statistics of a histogram (distribution-free:
//! the rank of the true quantile is binomial), proportions by Wilson's score
//! interval, and event rates by a square-root Poisson interval.

use std::collections::BTreeMap;

use hdrhistogram::Histogram;

/// Confidence of every interval, two-sided.
pub const LEVEL: f64 = 0.99;
/// The normal quantile of [`LEVEL`] (two-sided 99 %).
pub const Z: f64 = 2.576;

/// The percentiles whose intervals a run stores, by their stat names.
pub const BOUNDED_STATS: [(&str, f64); 5] = [
    ("p50", 0.50),
    ("p90", 0.90),
    ("p95", 0.95),
    ("p99", 0.99),
    ("p999", 0.999),
];

/// An interval `[low, high]` around an estimate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    /// Lower bound.
    pub low: f64,
    /// Upper bound.
    pub high: f64,
}

impl Interval {
    /// The interval from `[low, high]` as `summary.json` stores it.
    pub fn of(pair: [f64; 2]) -> Interval {
        Interval {
            low: pair[0],
            high: pair[1],
        }
    }

    /// `[low, high]`, for `summary.json`.
    pub fn pair(self) -> [f64; 2] {
        [self.low, self.high]
    }
}

/// The 1-based ranks `(low, high)` of the order statistics that bracket the
/// `q` quantile (0 < q < 1) of `n` values with confidence `z`: the rank of
/// the true quantile is Binomial(n, q), about `n*q ± z*sqrt(n*q*(1-q))`.
/// `None` when a bound would fall outside the data (too few values in the
/// tail for the interval to exist).
pub fn quantile_ranks(n: u64, q: f64, z: f64) -> Option<(u64, u64)> {
    if n == 0 || !(q > 0.0 && q < 1.0) {
        return None;
    }
    let centre = n as f64 * q;
    let spread = z * (centre * (1.0 - q)).sqrt();
    let low = (centre - spread).round();
    // The upper order statistic is one past the rounded rank, as in the
    // usual tables (n = 100, median, 95 %: ranks 40 and 61).
    let high = (centre + spread).round() + 1.0;
    if low < 1.0 || high > n as f64 {
        return None;
    }
    Some((low as u64, high as u64))
}

/// The `rank`th smallest value (1-based) in `h`: the lowest value of its
/// bucket when `low`, else the highest, so the interval is never narrower
/// than the histogram's precision.
fn value_at_rank(h: &Histogram<u64>, rank: u64, low: bool) -> Option<u64> {
    let mut seen = 0u64;
    for v in h.iter_recorded() {
        seen += v.count_at_value();
        if seen >= rank {
            let at = v.value_iterated_to();
            return Some(if low {
                h.lowest_equivalent(at)
            } else {
                h.highest_equivalent(at)
            });
        }
    }
    None
}

/// The interval of the `q` quantile of the values in `h`, in µs; `None`
/// when there are too few values for it. `inflated` is the share of the
/// values (0 to 1) measured while the generator was saturated, which its own
/// delay may have pushed up: at most that share can have moved past the
/// quantile, so the lower bound is that of the `q - inflated` quantile (the
/// upper one needs no change: a delay only ever adds).
pub fn quantile_interval(h: &Histogram<u64>, q: f64, inflated: f64) -> Option<[u64; 2]> {
    let (low, high) = quantile_ranks(h.len(), q, Z)?;
    let low = if inflated > 0.0 {
        quantile_ranks(h.len(), q - inflated, Z).map_or(1, |(low, _)| low)
    } else {
        low
    };
    Some([value_at_rank(h, low, true)?, value_at_rank(h, high, false)?])
}

/// The intervals of every [`BOUNDED_STATS`] percentile of `h` that has
/// enough values, by stat name (what `summary.json` stores per measurement);
/// `inflated` as for [`quantile_interval`].
pub fn percentile_bounds(h: &Histogram<u64>, inflated: f64) -> BTreeMap<String, [u64; 2]> {
    BOUNDED_STATS
        .iter()
        .filter_map(|&(name, q)| Some((name.to_string(), quantile_interval(h, q, inflated)?)))
        .collect()
}

/// Wilson's score interval of a proportion, `k` of `n`; `None` when `n` is 0.
/// Sound at 0 and `n` too: 0 of 10 000 is `[0, 0.066 %]`.
pub fn proportion(k: u64, n: u64) -> Option<Interval> {
    if n == 0 {
        return None;
    }
    let (k, n) = (k.min(n) as f64, n as f64);
    let p = k / n;
    let z2 = Z * Z;
    let denominator = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denominator;
    let half = Z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denominator;
    Some(Interval {
        low: (centre - half).max(0.0),
        high: (centre + half).min(1.0),
    })
}

/// The interval of an event rate, `k` events over `seconds`, as events per
/// second (a square-root Poisson interval: `(sqrt(k) ± z/2)^2`, the upper
/// one from `k + 1` so that 0 events still bound the rate). `None` when no
/// time passed.
pub fn rate(k: u64, seconds: f64) -> Option<Interval> {
    if seconds.is_nan() || seconds <= 0.0 {
        return None;
    }
    let half = Z / 2.0;
    let root = (k as f64).sqrt();
    let low = if root > half {
        (root - half).powi(2)
    } else {
        0.0
    };
    let high = ((k as f64 + 1.0).sqrt() + half).powi(2);
    Some(Interval {
        low: low / seconds,
        high: high / seconds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::histogram::new_histogram;

    #[test]
    fn quantile_ranks_match_the_binomial_tables() {
        // Median of 100 values at 95 %: order statistics 40 and 61; of 20
        // values: 6 and 15 (the tables of Conover, Practical Nonparametric
        // Statistics).
        assert_eq!(quantile_ranks(100, 0.5, 1.96), Some((40, 61)));
        assert_eq!(quantile_ranks(20, 0.5, 1.96), Some((6, 15)));
        // p99 of 300 values: the upper rank would be past the largest value.
        assert_eq!(quantile_ranks(300, 0.99, Z), None);
        assert_eq!(quantile_ranks(700, 0.99, Z), None);
        assert_eq!(quantile_ranks(800, 0.99, Z), Some((785, 800)));
        assert_eq!(quantile_ranks(0, 0.5, Z), None);
        assert_eq!(quantile_ranks(3, 0.5, Z), None);
    }

    #[test]
    fn quantile_intervals_come_from_the_histogram() {
        let mut h = new_histogram();
        for v in 1..=1000u64 {
            h.record(v * 100).unwrap();
        }
        // Median of 1000 at 99 %: ranks 459 and 542 → 45.9 ms and 54.2 ms,
        // widened to the histogram's buckets.
        let [low, high] = quantile_interval(&h, 0.5, 0.0).unwrap();
        assert!((45_800..=45_900).contains(&low), "{low}");
        assert!((54_200..=54_300).contains(&high), "{high}");
        assert!(low <= h.value_at_quantile(0.5) && h.value_at_quantile(0.5) <= high);
        // A tenth of the values measured by a saturated generator: the lower
        // bound is the p40's (ranks 360 – 441 at 99 %).
        let [wide, same] = quantile_interval(&h, 0.5, 0.1).unwrap();
        assert!((35_900..=36_000).contains(&wide), "{wide}");
        assert_eq!(same, high);
        let bounds = percentile_bounds(&h, 0.0);
        assert_eq!(
            bounds.keys().collect::<Vec<_>>(),
            ["p50", "p90", "p95", "p99"],
            "1000 values are too few for a p99.9 interval"
        );
        assert!(percentile_bounds(&new_histogram(), 0.0).is_empty());
    }

    #[test]
    fn wilson_intervals_of_known_proportions() {
        let none = proportion(0, 10_000).unwrap();
        assert_eq!(none.low, 0.0);
        assert!((none.high - 6.631e-4).abs() < 1e-6, "{none:?}");
        let one = proportion(1, 10_000).unwrap();
        assert!(one.low < none.high, "0 → 1 in 10 000 overlaps: {one:?}");
        let all = proportion(10_000, 10_000).unwrap();
        assert!(all.low > 0.999 && all.high == 1.0, "{all:?}");
        // 50 of 100 at 99 %: about 37.5 % – 62.5 %.
        let half = proportion(50, 100).unwrap();
        assert!((half.low - 0.3753).abs() < 1e-3 && (half.high - 0.6247).abs() < 1e-3);
        assert_eq!(proportion(0, 0), None);
    }

    #[test]
    fn poisson_rate_intervals() {
        let hundred = rate(100, 10.0).unwrap();
        // 100 events: about 76 to 129 (exact 99 %: 77.7 – 127.8).
        assert!((7.5..7.8).contains(&hundred.low), "{hundred:?}");
        assert!((12.7..13.0).contains(&hundred.high), "{hundred:?}");
        let zero = rate(0, 1.0).unwrap();
        assert_eq!(zero.low, 0.0);
        assert!((5.0..5.5).contains(&zero.high), "{zero:?}");
        assert_eq!(rate(5, 0.0), None);
    }
}
