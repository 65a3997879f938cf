//! The one histogram shape every measurement uses, so histograms from any
//! thread, interval or run can be merged.

use hdrhistogram::Histogram;

/// Lowest value told apart from zero: 1 µs.
pub const LOWEST_US: u64 = 1;
/// Highest trackable value: one hour in µs. Larger values are clamped to it.
pub const HIGHEST_US: u64 = 3_600_000_000;
/// Significant decimal digits kept (0.1 % value precision).
pub const SIGNIFICANT_DIGITS: u8 = 3;

/// A new empty latency histogram, 1 µs .. 1 h, 3 significant digits.
pub fn new_histogram() -> Histogram<u64> {
    match Histogram::new_with_bounds(LOWEST_US, HIGHEST_US, SIGNIFICANT_DIGITS) {
        Ok(h) => h,
        // The bounds are constants checked by the tests below.
        Err(e) => panic!("latency histogram bounds are invalid: {e:?}"),
    }
}

/// One empty histogram per [`Measure`](super::Measure), indexed by `Measure::index()`.
pub fn new_histogram_set() -> Vec<Histogram<u64>> {
    (0..super::Measure::ALL.len())
        .map(|_| new_histogram())
        .collect()
}

/// One empty histogram per [`Measure`](super::Measure) that grows to the
/// values it is given rather than reserving the whole range up front: a
/// run's totals take the room their latencies need (none for a measurement
/// that saw nothing), which matters once per generator process of a run.
pub fn growing_histogram_set() -> Vec<Histogram<u64>> {
    (0..super::Measure::ALL.len())
        .map(|_| match Histogram::new(SIGNIFICANT_DIGITS) {
            Ok(h) => h,
            Err(e) => panic!("latency histogram precision is invalid: {e:?}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clamps_values_above_one_hour() {
        let mut h = new_histogram();
        h.saturating_record(HIGHEST_US * 10);
        h.saturating_record(5);
        assert_eq!(h.len(), 2);
        assert!(h.max() >= HIGHEST_US && h.max() <= HIGHEST_US + HIGHEST_US / 500);
        assert_eq!(h.min(), 5);
    }
}
