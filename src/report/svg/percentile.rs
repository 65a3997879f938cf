//! Latency by percentile, on the log-scaled "nines" axis HdrHistogram's own
//! plotter uses: equal room for 0-90 %, 90-99 %, 99-99.9 % ..., so the tail
//! (where load tests find their problems) is as visible as the median.

use super::Series;
use super::axis::{Axis, log_axis, value_axis};
use super::frame::{Plot, no_data, render};
use crate::units::format;

/// The most nines the axis shows (99.9999 %); beyond that no run of this
/// tool has enough samples for the number to mean anything.
const MAX_NINES: f64 = 6.0;

/// The x position of percentile `p` (0..100) on the nines axis:
/// `-log10(1 - p/100)`, so 90 % is 1, 99 % is 2, 99.9 % is 3.
/// 100 % (the maximum) is infinite and callers clamp it to the axis end.
pub fn nines(p: f64) -> f64 {
    -(1.0 - p / 100.0).log10()
}

fn nines_label(n: u32) -> String {
    match n {
        0 => "0%".to_owned(),
        1 => "90%".to_owned(),
        2 => "99%".to_owned(),
        n => format!("99.{}%", "9".repeat(n as usize - 2)),
    }
}

/// Renders latency-by-percentile curves, one per measurement, as an `<svg>`.
///
/// Each series' points are `(percentile 0..=100, latency in µs)`, e.g. from
/// `Histogram::iter_quantiles`. The latency axis is drawn in the unit its
/// largest value reads in (`latency (ms)`), or log-scaled with every tick
/// in its own unit (`500 µs`, `1 ms`, `100 s`) when the curves lie far
/// apart. The 100 % point is drawn at the axis' end,
/// which has as many nines as the data's finite points reach (at least 2,
/// at most 6). A "no data" frame when no series has a point.
pub fn percentile_chart(title: &str, series: &[Series]) -> String {
    let valid = |&(p, v): &(f64, f64)| p.is_finite() && v.is_finite() && (0.0..=100.0).contains(&p);
    let points = || {
        series
            .iter()
            .flat_map(|s| s.points.iter().copied())
            .filter(valid)
    };
    if points().next().is_none() {
        return no_data("percentiles", title);
    }
    let reach = points()
        .map(|(p, _)| nines(p))
        .filter(|n| n.is_finite())
        .fold(0.0f64, f64::max);
    let end = reach.ceil().clamp(2.0, MAX_NINES);
    let y_hi = points().map(|(_, v)| v).fold(0.0f64, f64::max);
    let y_lo = points().map(|(_, v)| v).fold(0.0f64, f64::min);
    let (y, y_label, per_unit) = if needs_log_scale(series, y_hi) {
        let lo = points()
            .map(|(_, v)| v)
            .filter(|&v| v > 0.0)
            .fold(f64::MAX, f64::min);
        let mut axis = log_axis(lo, y_hi);
        for (v, label) in &mut axis.ticks {
            *label = format::latency_tick_us(*v);
        }
        (axis, "latency (log scale)".to_owned(), 1.0)
    } else {
        let (unit, per) = format::latency_unit(y_hi);
        (
            value_axis(y_lo / per, y_hi / per),
            format!("latency ({unit})"),
            per,
        )
    };
    let mapped: Vec<Series> = series
        .iter()
        .map(|s| Series {
            label: s.label.clone(),
            points: s
                .points
                .iter()
                .map(|pt| {
                    if valid(pt) {
                        (nines(pt.0).min(end), pt.1 / per_unit)
                    } else {
                        (f64::NAN, f64::NAN)
                    }
                })
                .collect(),
        })
        .collect();
    let x = Axis {
        min: 0.0,
        max: end,
        ticks: (0..=end as u32)
            .map(|n| (f64::from(n), nines_label(n)))
            .collect(),
        log: false,
    };
    render(&Plot {
        title,
        class: "percentiles",
        x,
        y,
        x_label: "percentile",
        y_label: &y_label,
        series: &mapped,
        guides: &[],
    })
}

/// Ratio between the chart's top value and the smallest median above which
/// a linear axis would flatten the faster measurements into the floor (a
/// 30 s held connect next to a 50 µs connect gap, a 90 ms invite next to a
/// 5 ms accept).
const LOG_SCALE_RATIO: f64 = 10.0;

/// Whether some series' median is so far below the chart's top value that
/// it needs a log scale to be seen at all.
fn needs_log_scale(series: &[Series], top: f64) -> bool {
    let smallest_median = series
        .iter()
        .filter_map(|s| {
            s.points
                .iter()
                .filter(|(p, v)| p.is_finite() && v.is_finite() && *p >= 50.0)
                .map(|&(_, v)| v)
                .next()
        })
        .fold(f64::MAX, f64::min);
    // Below 1 µs (the histograms' resolution) a median is as good as 1 µs.
    smallest_median < f64::MAX && top > 0.0 && top > smallest_median.max(1.0) * LOG_SCALE_RATIO
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::svg::test_support::{count_class, element_names, texts};

    #[test]
    fn nines_maps_percentiles_to_log_axis() {
        assert_eq!(nines(0.0), 0.0);
        assert!((nines(90.0) - 1.0).abs() < 1e-9);
        assert!((nines(99.0) - 2.0).abs() < 1e-9);
        assert!((nines(99.9) - 3.0).abs() < 1e-9);
        assert!(nines(100.0).is_infinite());
        assert_eq!(nines_label(4), "99.99%");
    }

    /// A curve in µs, `scale` ms at the median.
    fn curve(label: &str, scale: f64) -> Series {
        let ps = [0.0, 50.0, 90.0, 99.0, 99.9, 99.95, 100.0];
        Series::new(
            label,
            ps.iter()
                .map(|&p| (p, (1.0 + nines(p).min(5.0)) * scale * 1e3))
                .collect(),
        )
    }

    #[test]
    fn curves_have_a_legend_and_nines_ticks() {
        let svg = percentile_chart(
            "latency & percentile",
            &[
                curve("invite_delivery", 10.0),
                curve("connect_cycle", 8.0),
                curve("accept", 6.0),
            ],
        );
        element_names(&svg);
        assert_eq!(count_class(&svg, "series"), 3);
        assert_eq!(svg.matches(" L").count(), 3 * 6);
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
        let t = texts(&svg);
        // 99.95 % reaches 3.3 nines, so the axis ends at 99.99 %.
        for expected in [
            "0%",
            "90%",
            "99%",
            "99.9%",
            "99.99%",
            "invite_delivery",
            "connect_cycle",
            "accept",
            "percentile",
            "latency (ms)",
            "latency & percentile",
        ] {
            assert!(
                t.iter().any(|s| s == expected),
                "{expected} missing in {t:?}"
            );
        }
        assert!(!t.iter().any(|s| s == "99.999%"));
    }

    #[test]
    fn widely_apart_measurements_get_a_log_scale() {
        let held = Series::new(
            "connect_held",
            vec![(0.0, 29_990e3), (50.0, 30_000e3), (100.0, 30_020e3)],
        );
        let gap = Series::new(
            "connect_gap",
            vec![(0.0, 50.0), (50.0, 240.0), (100.0, 450.0)],
        );
        let svg = percentile_chart("long-poll", &[held.clone(), gap]);
        element_names(&svg);
        let t = texts(&svg);
        assert!(t.iter().any(|s| s == "latency (log scale)"), "{t:?}");
        for tick in ["10 µs", "1 ms", "1 s", "100 s"] {
            assert!(t.iter().any(|s| s == tick), "{tick} missing in {t:?}");
        }
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
        let close = Series::new(
            "connect_cycle",
            vec![(0.0, 1e3), (50.0, 15_000e3), (100.0, 30_010e3)],
        );
        let svg = percentile_chart("long-poll", &[held, close]);
        let t = texts(&svg);
        assert!(t.iter().any(|s| s == "latency (s)"), "{t:?}");
        assert!(t.iter().any(|s| s == "30"), "{t:?}");
    }

    #[test]
    fn out_of_range_and_empty_input_never_emit_nan() {
        let svg = percentile_chart("empty", &[]);
        assert_eq!(count_class(&svg, "no-data"), 1);
        let svg = percentile_chart(
            "bad",
            &[Series::new("x", vec![(f64::NAN, 1.0), (120.0, 3.0)])],
        );
        assert_eq!(count_class(&svg, "no-data"), 1);
        let svg = percentile_chart("one", &[Series::new("x", vec![(100.0, 3.0)])]);
        element_names(&svg);
        assert_eq!(count_class(&svg, "point"), 1);
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
    }
}
