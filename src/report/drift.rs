//! Drift: does a per-interval series trend up over a long run? A Theil-Sen
//! slope (the median of pairwise slopes) shrugs off spikes and noise, so a
//! soak is flagged for a real trend, not for one bad minute.

use crate::metrics::Measure;

use super::model::{Drift, IntervalSummary};

/// Fewer points than this give no drift estimate.
pub const MIN_POINTS: usize = 8;
/// A series spanning less time gives no drift estimate: over a short run a
/// per-hour extrapolation of any wobble is meaningless.
pub const MIN_SPAN_MS: f64 = 10.0 * 60_000.0;
/// Longer series are reduced to this many chunk medians first, to keep the
/// pairwise work bounded (and smooth noise).
pub const MAX_POINTS: usize = 400;

/// The series whose drift every run reports.
pub const SERIES: [&str; 3] = ["invite_delivery.p99", "connect_cycle.p99", "errors.rate"];

/// The drift of every series in [`SERIES`] that has enough data.
pub fn run_drift(intervals: &[IntervalSummary]) -> Vec<Drift> {
    SERIES
        .iter()
        .filter_map(|s| series_drift(s, intervals))
        .collect()
}

/// The per-interval points `(ms after start, value)` of a series name: a
/// measurement statistic (`invite_delivery.p99`) or `errors.rate` (errors
/// per second). Intervals where a measurement recorded nothing are skipped.
pub fn series_points(series: &str, intervals: &[IntervalSummary]) -> Option<Vec<(f64, f64)>> {
    let (name, stat) = series.split_once('.')?;
    if name == "errors" && stat == "rate" {
        return Some(
            intervals
                .iter()
                .map(|i| {
                    (
                        i.start_offset_ms as f64,
                        i.error_total() as f64 / i.seconds(),
                    )
                })
                .collect(),
        );
    }
    let m = Measure::from_name(name)?;
    Some(
        intervals
            .iter()
            .filter(|i| i.measure(m).count > 0)
            .filter_map(|i| Some((i.start_offset_ms as f64, i.measure(m).stat(stat)?)))
            .collect(),
    )
}

/// The drift of one series, when it has at least [`MIN_POINTS`] points.
pub fn series_drift(series: &str, intervals: &[IntervalSummary]) -> Option<Drift> {
    let points = series_points(series, intervals)?;
    let (pct_per_hour, median) = relative_drift_per_hour(&points)?;
    Some(Drift {
        series: series.to_string(),
        pct_per_hour,
        median,
        intervals: points.len(),
    })
}

/// Theil-Sen slope of `(x ms, y)` points as percent of the median of `y`
/// per hour, and that median. `None` with fewer than [`MIN_POINTS`] points
/// or a span shorter than [`MIN_SPAN_MS`].
pub fn relative_drift_per_hour(points: &[(f64, f64)]) -> Option<(f64, f64)> {
    let span = match (points.first(), points.last()) {
        (Some(a), Some(b)) => b.0 - a.0,
        _ => 0.0,
    };
    if points.len() < MIN_POINTS || span < MIN_SPAN_MS {
        return None;
    }
    let reduced = reduce(points);
    let slope = theil_sen(&reduced)?;
    let median = median(points.iter().map(|p| p.1).collect())?;
    let reference = if median > 0.0 {
        median
    } else {
        points.iter().map(|p| p.1).sum::<f64>() / points.len() as f64
    };
    if reference <= 0.0 {
        return Some((0.0, median));
    }
    let pct = slope * 3_600_000.0 / reference * 100.0;
    Some(((pct * 10.0).round() / 10.0, median))
}

/// Median of pairwise slopes.
pub fn theil_sen(points: &[(f64, f64)]) -> Option<f64> {
    let mut slopes = Vec::with_capacity(points.len() * points.len() / 2);
    for (i, a) in points.iter().enumerate() {
        for b in &points[i + 1..] {
            let dx = b.0 - a.0;
            if dx != 0.0 {
                slopes.push((b.1 - a.1) / dx);
            }
        }
    }
    median(slopes)
}

fn median(mut values: Vec<f64>) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    Some(if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    })
}

/// Replaces runs of consecutive points by their medians, down to at most
/// [`MAX_POINTS`] points.
fn reduce(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    if points.len() <= MAX_POINTS {
        return points.to_vec();
    }
    let chunk = points.len().div_ceil(MAX_POINTS);
    points
        .chunks(chunk)
        .filter_map(|c| {
            let x = median(c.iter().map(|p| p.0).collect())?;
            let y = median(c.iter().map(|p| p.1).collect())?;
            Some((x, y))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// One point per second for an hour.
    fn hour(f: impl Fn(f64, &mut rand::rngs::StdRng) -> f64) -> Vec<(f64, f64)> {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        (0..3600)
            .map(|s| {
                let x = s as f64 * 1000.0;
                (x, f(s as f64, &mut rng))
            })
            .collect()
    }

    #[test]
    fn fires_on_a_drifting_series() {
        // 100 ms p99 growing 50 ms per hour with ±30 % noise and spikes.
        let points = hour(|s, rng| {
            let base = 100_000.0 + 50_000.0 * s / 3600.0;
            let spike = if rng.random_bool(0.01) { 10.0 } else { 1.0 };
            base * rng.random_range(0.7..1.3) * spike
        });
        let (pct, median) = relative_drift_per_hour(&points).unwrap();
        assert!(median > 110_000.0 && median < 140_000.0, "median {median}");
        // 50 ms/h over a ~125 ms median = 40 %/h.
        assert!(pct > 30.0 && pct < 50.0, "pct {pct}");
    }

    #[test]
    fn quiet_on_a_flat_noisy_series() {
        let points = hour(|_, rng| {
            let spike = if rng.random_bool(0.02) { 20.0 } else { 1.0 };
            100_000.0 * rng.random_range(0.5..1.5) * spike
        });
        let (pct, _) = relative_drift_per_hour(&points).unwrap();
        assert!(pct.abs() < 5.0, "pct {pct}");
    }

    #[test]
    fn too_short_gives_nothing() {
        assert!(relative_drift_per_hour(&[(0.0, 1.0), (1.0, 2.0)]).is_none());
    }
}
