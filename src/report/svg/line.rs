//! Values over the run's time: latency percentiles, throughput, agents,
//! errors, generator health.

use super::Series;
use super::axis::{time_axis, value_axis};
use super::frame::{Plot, no_data, render};

/// A horizontal reference line (a gate's threshold, a warning level).
#[derive(Debug, Clone, PartialEq)]
pub struct Guide {
    /// Where the line is, in the chart's y units.
    pub value: f64,
    /// Text written at its right end.
    pub label: String,
}

/// A time-series chart: `x` of every point is seconds since the run's start.
#[derive(Debug, Clone, Copy)]
pub struct LineChart<'a> {
    /// Heading drawn above the plot.
    pub title: &'a str,
    /// Label of the value axis, with its unit (`"latency (ms)"`).
    pub y_label: &'a str,
    /// The lines, one legend entry each.
    pub series: &'a [Series],
    /// Reference lines; those outside the data's range are not drawn.
    pub guides: &'a [Guide],
}

/// Renders `chart` as an `<svg>` element; a "no data" frame when no series
/// has a finite point.
pub fn line_chart(chart: &LineChart<'_>) -> String {
    let finite = || {
        chart
            .series
            .iter()
            .flat_map(|s| s.points.iter().copied())
            .filter(|(x, y)| x.is_finite() && y.is_finite())
    };
    if finite().next().is_none() {
        return no_data("line", chart.title);
    }
    let (mut x_lo, mut x_hi, mut y_lo, mut y_hi) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for (x, y) in finite() {
        x_lo = x_lo.min(x);
        x_hi = x_hi.max(x);
        y_lo = y_lo.min(y);
        y_hi = y_hi.max(y);
    }
    let thinned: Vec<Series> = chart
        .series
        .iter()
        .map(|s| Series {
            label: s.label.clone(),
            points: thin(&s.points, MAX_BUCKETS),
        })
        .collect();
    render(&Plot {
        title: chart.title,
        class: "line",
        x: time_axis(x_lo, x_hi),
        y: value_axis(y_lo, y_hi),
        x_label: "time since start",
        y_label: chart.y_label,
        series: &thinned,
        guides: chart.guides,
    })
}

/// Buckets a long series is reduced to: about two per horizontal pixel of
/// the plot, so nothing visible is lost.
const MAX_BUCKETS: usize = 600;

/// Reduces a long series (a 24 h soak has 86 400 one-second intervals) to
/// the lowest and highest point of each of `buckets` consecutive slices, in
/// time order: the chart stays a few hundred KiB and a one-interval spike
/// still reaches its full height. A slice with no finite point stays a gap.
fn thin(points: &[(f64, f64)], buckets: usize) -> Vec<(f64, f64)> {
    if points.len() <= 2 * buckets {
        return points.to_vec();
    }
    let per = points.len().div_ceil(buckets);
    let mut out = Vec::with_capacity(2 * buckets);
    for slice in points.chunks(per) {
        let finite = slice.iter().filter(|(x, y)| x.is_finite() && y.is_finite());
        let lo = finite.clone().min_by(|a, b| a.1.total_cmp(&b.1));
        let hi = finite.max_by(|a, b| a.1.total_cmp(&b.1));
        match (lo, hi) {
            (Some(&lo), Some(&hi)) if lo.0 <= hi.0 => out.extend([lo, hi]),
            (Some(&lo), Some(&hi)) => out.extend([hi, lo]),
            _ => out.push((f64::NAN, f64::NAN)),
        }
    }
    out.dedup_by(|a, b| a == b);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::svg::test_support::{count_class, element_names, texts};

    fn ramp(label: &str, n: usize, scale: f64) -> Series {
        Series::new(
            label,
            (0..n).map(|i| (i as f64, i as f64 * scale)).collect(),
        )
    }

    #[test]
    fn draws_one_path_per_series_with_every_point() {
        let series = [ramp("p50", 60, 1.0), ramp("p99", 60, 3.5)];
        let svg = line_chart(&LineChart {
            title: "latency <invite_delivery>",
            y_label: "latency (ms)",
            series: &series,
            guides: &[],
        });
        element_names(&svg);
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
        assert_eq!(count_class(&svg, "series"), 2);
        // 60 points: one "M" then 59 " L" per path.
        assert_eq!(svg.matches(" L").count(), 2 * 59);
        let t = texts(&svg);
        for expected in [
            "latency <invite_delivery>",
            "p50",
            "p99",
            "time since start",
            "latency (ms)",
            "0 s",
            "50 s",
            "0",
            "250",
        ] {
            assert!(
                t.iter().any(|s| s == expected),
                "{expected} missing in {t:?}"
            );
        }
    }

    #[test]
    fn gaps_split_the_line_and_lone_points_become_dots() {
        let s = Series::new(
            "errors",
            vec![
                (0.0, 1.0),
                (1.0, 2.0),
                (2.0, f64::NAN),
                (3.0, 5.0),
                (4.0, f64::NAN),
                (5.0, 1.0),
                (6.0, 1.0),
            ],
        );
        let svg = line_chart(&LineChart {
            title: "t",
            y_label: "per second",
            series: &[s],
            guides: &[],
        });
        element_names(&svg);
        assert_eq!(count_class(&svg, "series"), 2);
        assert_eq!(count_class(&svg, "point"), 1);
        assert!(!svg.contains("NaN"));
    }

    #[test]
    fn empty_input_gives_a_no_data_frame() {
        for series in [
            vec![],
            vec![Series::new("x", vec![])],
            vec![Series::new("x", vec![(f64::NAN, 1.0)])],
        ] {
            let svg = line_chart(&LineChart {
                title: "agents",
                y_label: "agents",
                series: &series,
                guides: &[],
            });
            element_names(&svg);
            assert_eq!(count_class(&svg, "no-data"), 1);
            assert_eq!(count_class(&svg, "series"), 0);
            assert!(!svg.contains("NaN"));
        }
    }

    #[test]
    fn guides_inside_the_range_are_drawn_and_labels_escaped() {
        let series = [ramp("lag", 10, 10.0)];
        let guides = [
            Guide {
                value: 50.0,
                label: "doubtful > 50 ms & up".into(),
            },
            Guide {
                value: 5000.0,
                label: "far away".into(),
            },
        ];
        let svg = line_chart(&LineChart {
            title: "scheduler lag",
            y_label: "ms",
            series: &series,
            guides: &guides,
        });
        element_names(&svg);
        assert_eq!(count_class(&svg, "guide"), 1);
        assert!(svg.contains("doubtful &gt; 50 ms &amp; up"));
        assert!(!svg.contains("far away"));
    }

    #[test]
    fn a_day_of_intervals_is_thinned_but_keeps_its_spike() {
        let mut points: Vec<(f64, f64)> = (0..86_400)
            .map(|i| (i as f64, 10.0 + (i % 7) as f64))
            .collect();
        points[50_000].1 = 900.0;
        points[60_000].1 = f64::NAN;
        let svg = line_chart(&LineChart {
            title: "soak",
            y_label: "latency (ms)",
            series: &[Series::new("p99", points)],
            guides: &[],
        });
        element_names(&svg);
        let drawn =
            svg.matches(" L").count() + count_class(&svg, "series") + count_class(&svg, "point");
        assert!(drawn <= 2 * MAX_BUCKETS, "{drawn} points drawn");
        assert!(drawn >= MAX_BUCKETS, "{drawn} points drawn");
        assert!(svg.len() < 200_000, "{} bytes", svg.len());
        // The spike sets the axis (900 -> 1000) and is drawn at the top area.
        assert!(texts(&svg).iter().any(|t| t == "1000"));
        assert!(!svg.contains("NaN"));
    }

    #[test]
    fn thinning_keeps_order_and_gaps() {
        let mut points: Vec<(f64, f64)> = (0..100).map(|i| (i as f64, (i % 10) as f64)).collect();
        for p in &mut points[40..50] {
            p.1 = f64::NAN;
        }
        let t = thin(&points, 10);
        assert_eq!(t.len(), 9 * 2 + 1);
        assert!(
            t.windows(2)
                .all(|w| w[0].0.is_nan() || w[1].0.is_nan() || w[0].0 < w[1].0)
        );
        assert!(t[8].0.is_nan());
        assert_eq!(t[0], (0.0, 0.0));
        assert_eq!(t[1], (9.0, 9.0));
        // Short series are left alone.
        assert_eq!(thin(&points[..15], 10).len(), 15);
    }

    #[test]
    fn flat_single_point_series_does_not_divide_by_zero() {
        let svg = line_chart(&LineChart {
            title: "t",
            y_label: "v",
            series: &[Series::new("one", vec![(5.0, 0.0)])],
            guides: &[],
        });
        element_names(&svg);
        assert_eq!(count_class(&svg, "point"), 1);
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
    }
}
