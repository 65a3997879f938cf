//! Axis ranges and tick positions: "nice" steps (1, 2, 5 x 10^n) for values,
//! clock-friendly steps (10 s, 1 min, 15 min ...) for time. Tick labels are
//! written by [`crate::units::format`], like every other number.

use crate::units::format;

/// One axis of a chart: the data range it spans and its labelled ticks.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Axis {
    pub min: f64,
    pub max: f64,
    pub ticks: Vec<(f64, String)>,
    /// Logarithmic (base 10) rather than linear; `min` is then above zero.
    pub log: bool,
}

impl Axis {
    /// Maps a data value to a fraction `0..=1` of the axis length (values
    /// at or below zero sit at the start of a log axis).
    pub fn fraction(&self, v: f64) -> f64 {
        if self.log {
            let v = v.max(self.min);
            (v.log10() - self.min.log10()) / (self.max.log10() - self.min.log10())
        } else {
            (v - self.min) / (self.max - self.min)
        }
    }
}

/// A log axis from the decade at or below `lo` to the decade at or above
/// `hi` (both above zero), ticked at 1, 2 and 5 of each decade when it
/// spans few decades, at each decade otherwise.
pub(crate) fn log_axis(lo: f64, hi: f64) -> Axis {
    let lo = if lo.is_finite() && lo > 0.0 { lo } else { 1e-3 };
    let hi = if hi.is_finite() && hi > lo {
        hi
    } else {
        lo * 10.0
    };
    let (d_lo, d_hi) = (
        lo.log10().floor() as i32,
        hi.log10().ceil().max(lo.log10().floor() + 1.0) as i32,
    );
    let multiples: &[f64] = if d_hi - d_lo <= 3 {
        &[1.0, 2.0, 5.0]
    } else {
        &[1.0]
    };
    let mut ticks = Vec::new();
    for d in d_lo..=d_hi {
        let base = 10f64.powi(d);
        for &k in multiples {
            let v = k * base;
            if v <= 10f64.powi(d_hi) * 1.000_001 {
                ticks.push((v, format::tick(v, base.min(v))));
            }
        }
    }
    Axis {
        min: 10f64.powi(d_lo),
        max: 10f64.powi(d_hi),
        ticks,
        log: true,
    }
}

/// A value axis from `lo` to `hi` (data extremes), always including zero so
/// that bars and lines are not visually exaggerated.
pub(crate) fn value_axis(lo: f64, hi: f64) -> Axis {
    let lo = if lo.is_finite() { lo.min(0.0) } else { 0.0 };
    let mut hi = if hi.is_finite() { hi.max(lo) } else { lo };
    if hi - lo < 1e-9 {
        hi = lo + 1.0;
    }
    let step = nice_step((hi - lo) / 5.0);
    let min = (lo / step).floor() * step;
    let max = (hi / step).ceil() * step;
    let count = ((max - min) / step).round() as usize;
    let ticks = (0..=count)
        .map(|i| {
            let v = min + step * i as f64;
            (v, format::tick(v, step))
        })
        .collect();
    Axis {
        min,
        max,
        ticks,
        log: false,
    }
}

/// A time axis in seconds since the run's start, from `lo` to `hi`.
pub(crate) fn time_axis(lo: f64, hi: f64) -> Axis {
    const STEPS: [f64; 20] = [
        1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0,
        10800.0, 21600.0, 43200.0, 86400.0, 172800.0, 604800.0,
    ];
    let lo = if lo.is_finite() { lo.max(0.0) } else { 0.0 };
    let mut hi = if hi.is_finite() { hi.max(lo) } else { lo };
    if hi - lo < 1.0 {
        hi = lo + 1.0;
    }
    let span = hi - lo;
    let step = STEPS
        .into_iter()
        .find(|s| span / s <= 8.0)
        .unwrap_or_else(|| (span / 8.0 / 86400.0).ceil() * 86400.0);
    let first = (lo / step).ceil() * step;
    let count = ((hi - first) / step).floor().max(0.0) as usize;
    let ticks = (0..=count)
        .map(|i| {
            let v = first + step * i as f64;
            (v, format::seconds(v))
        })
        .collect();
    Axis {
        min: lo,
        max: hi,
        ticks,
        log: false,
    }
}

/// The smallest 1/2/5 x 10^n step at least `raw`.
fn nice_step(raw: f64) -> f64 {
    let mag = 10f64.powf(raw.log10().floor());
    let norm = raw / mag;
    let nice = if norm <= 1.0 {
        1.0
    } else if norm <= 2.0 {
        2.0
    } else if norm <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * mag
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(axis: &Axis) -> Vec<&str> {
        axis.ticks.iter().map(|(_, l)| l.as_str()).collect()
    }

    #[test]
    fn value_axis_rounds_outwards_to_nice_steps() {
        let a = value_axis(0.0, 237.0);
        assert_eq!(a.min, 0.0);
        assert_eq!(a.max, 250.0);
        assert_eq!(labels(&a), ["0", "50", "100", "150", "200", "250"]);
        let a = value_axis(0.0, 0.042);
        assert_eq!(labels(&a), ["0", "0.01", "0.02", "0.03", "0.04", "0.05"]);
        let a = value_axis(0.0, 23_500.0);
        assert_eq!(labels(&a), ["0", "5k", "10k", "15k", "20k", "25k"]);
    }

    #[test]
    fn value_axis_survives_degenerate_input() {
        for (lo, hi) in [
            (0.0, 0.0),
            (f64::NAN, f64::NAN),
            (5.0, 5.0),
            (0.0, f64::INFINITY),
        ] {
            let a = value_axis(lo, hi);
            assert!(
                a.min.is_finite() && a.max.is_finite() && a.max > a.min,
                "{lo} {hi}"
            );
            assert!(a.ticks.len() >= 2);
        }
    }

    #[test]
    fn log_axis_spans_whole_decades() {
        let a = log_axis(0.35, 31_000.0);
        assert!(a.log);
        assert_eq!((a.min, a.max), (0.1, 100_000.0));
        assert_eq!(labels(&a), ["0.1", "1", "10", "100", "1k", "10k", "100k"]);
        assert_eq!(a.fraction(0.1), 0.0);
        assert!((a.fraction(100.0) - 0.5).abs() < 1e-9);
        assert_eq!(a.fraction(0.0), 0.0);
        let a = log_axis(2.0, 300.0);
        assert_eq!(
            labels(&a),
            ["1", "2", "5", "10", "20", "50", "100", "200", "500", "1k"]
        );
        let a = log_axis(0.0, f64::NAN);
        assert!(a.min > 0.0 && a.max > a.min);
    }

    #[test]
    fn time_axis_uses_clock_steps() {
        assert_eq!(
            labels(&time_axis(0.0, 60.0)),
            ["0 s", "10 s", "20 s", "30 s", "40 s", "50 s", "1m"]
        );
        assert_eq!(
            labels(&time_axis(0.0, 3.0 * 3600.0)),
            ["0 s", "30m", "1h", "1h 30m", "2h", "2h 30m", "3h"]
        );
        let a = time_axis(0.0, 0.0);
        assert_eq!(a.max, 1.0);
    }
}
