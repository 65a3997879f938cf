//! Turns the run's results into chart series: percentile curves from the
//! whole-run histograms, and per-interval lines from the interval summaries.

use crate::metrics::health::{DOUBTFUL_CPU_PERCENT, DOUBTFUL_LAG_P99_US};
use crate::metrics::{Counter, Gauge, Measure};
use crate::report::model::{IntervalSummary, Percentiles, RunResults};
use crate::report::svg::{Guide, LineChart, Series, line_chart, percentile_chart};
use crate::units::format;

/// Measurements drawn together, because their latencies share a scale.
pub(super) const PERCENTILE_GROUPS: [(&str, &[Measure]); 3] = [
    (
        "Interactions: latency by percentile",
        &[
            Measure::InviteDelivery,
            Measure::Accept,
            Measure::Reject,
            Measure::Complete,
            Measure::Ready,
            // The injector's own lateness, next to the delivery it inflates.
            Measure::InjectionLag,
        ],
    ),
    (
        "Long-poll: latency by percentile",
        &[
            Measure::ConnectCycle,
            Measure::ConnectHeld,
            Measure::ConnectGap,
        ],
    ),
    (
        "Session setup: latency by percentile",
        &[
            Measure::Handshake,
            Measure::Subscribe,
            Measure::SessionStart,
        ],
    ),
];

/// Measurements whose percentiles are drawn over time.
pub(super) const OVER_TIME: [Measure; 3] = [
    Measure::InviteDelivery,
    Measure::ConnectCycle,
    Measure::Accept,
];

/// Error kinds drawn one by one; the rest are summed into "other".
const MAX_ERROR_KINDS: usize = 7;

/// HdrHistogram's plots use 5 ticks per half distance to 100 %: dense
/// enough for a smooth curve, a few dozen points per nine.
const TICKS_PER_HALF_DISTANCE: u32 = 5;

/// Points `(percentile, µs)` for one measurement: the full curve from the
/// histogram when the run kept it, else the summary's fixed percentiles.
fn percentile_points(results: &RunResults, m: Measure) -> Vec<(f64, f64)> {
    if let Some(h) = results.histogram(m).filter(|h| !h.is_empty()) {
        let mut points: Vec<(f64, f64)> = h
            .iter_quantiles(TICKS_PER_HALF_DISTANCE)
            .map(|v| {
                (
                    v.quantile_iterated_to() * 100.0,
                    v.value_iterated_to() as f64,
                )
            })
            .collect();
        points.insert(0, (0.0, h.min() as f64));
        return points;
    }
    let p = results.percentiles(m);
    if p.count == 0 {
        return Vec::new();
    }
    std::iter::once((0.0, p.min_us))
        .chain(p.stored())
        .map(|(q, us)| (q, us as f64))
        .collect()
}

/// One percentile-curve chart per group of measurements that has data.
pub(super) fn percentile_charts(results: &RunResults) -> Vec<String> {
    PERCENTILE_GROUPS
        .iter()
        .map(|(title, group)| {
            let series: Vec<Series> = group
                .iter()
                .map(|&m| Series::new(m.name(), percentile_points(results, m)))
                .filter(Series::has_data)
                .collect();
            percentile_chart(title, &series)
        })
        .collect()
}

fn seconds(i: &IntervalSummary) -> f64 {
    i.start_offset_ms as f64 / 1000.0
}

fn line(results: &RunResults, label: &str, value: impl Fn(&IntervalSummary) -> f64) -> Series {
    Series::new(
        label,
        results
            .intervals
            .iter()
            .map(|i| (seconds(i), value(i)))
            .collect(),
    )
}

/// An interval without samples has no percentile: a gap, not a zero.
fn sample_or_gap(p: Percentiles, us: u64) -> f64 {
    if p.count == 0 { f64::NAN } else { us as f64 }
}

/// Latency series in µs, rescaled to the unit their largest value reads in
/// (as [`format::latency_us`] writes it); returns the µs per unit and the
/// unit.
fn in_latency_unit(series: &mut [Series]) -> (f64, &'static str) {
    let max = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max);
    let (unit, per) = format::latency_unit(max);
    for point in series.iter_mut().flat_map(|s| s.points.iter_mut()) {
        point.1 /= per;
    }
    (per, unit)
}

/// p50/p95/p99 over time of one measurement.
pub(super) fn latency_over_time(results: &RunResults, m: Measure) -> String {
    let mut series = [
        line(results, "p50", |i| {
            sample_or_gap(i.measure(m), i.measure(m).p50_us)
        }),
        line(results, "p95", |i| {
            sample_or_gap(i.measure(m), i.measure(m).p95_us)
        }),
        line(results, "p99", |i| {
            sample_or_gap(i.measure(m), i.measure(m).p99_us)
        }),
    ];
    let (_, unit) = in_latency_unit(&mut series);
    line_chart(&LineChart {
        title: &format!("{} over time", m.name()),
        y_label: &format!("latency ({unit})"),
        series: &series,
        guides: &[],
    })
}

/// Interactions per second through their life cycle.
pub(super) fn throughput(results: &RunResults) -> String {
    let counters = [
        Counter::InteractionsInjected,
        Counter::InvitesOffered,
        Counter::InvitesAccepted,
        Counter::InvitesRejected,
        Counter::InvitesRevoked,
        Counter::InteractionsCompleted,
    ];
    let series: Vec<Series> = counters
        .iter()
        .map(|&c| line(results, c.name(), |i| i.rate(c)))
        .collect();
    line_chart(&LineChart {
        title: "Throughput",
        y_label: "per second",
        series: &series,
        guides: &[],
    })
}

/// Agents connected and ready, connects in flight, interactions in progress.
pub(super) fn agents(results: &RunResults) -> String {
    let series: Vec<Series> = Gauge::ALL
        .iter()
        .map(|&g| line(results, g.name(), |i| i.gauge(g) as f64))
        .collect();
    line_chart(&LineChart {
        title: "Agents and work in flight",
        y_label: "count",
        series: &series,
        guides: &[],
    })
}

/// The error kinds in order of their totals, the largest first.
pub(super) fn error_kinds(results: &RunResults) -> Vec<(&str, u64)> {
    let mut kinds: Vec<(&str, u64)> = results
        .errors
        .iter()
        .map(|(k, n)| (k.as_str(), *n))
        .collect();
    kinds.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    kinds
}

/// Errors per second by kind (the largest kinds; the rest as "other").
pub(super) fn errors_over_time(results: &RunResults) -> String {
    let kinds = error_kinds(results);
    let shown: Vec<&str> = kinds
        .iter()
        .take(MAX_ERROR_KINDS)
        .map(|(k, _)| *k)
        .collect();
    let mut series: Vec<Series> = shown
        .iter()
        .map(|&k| {
            line(results, k, |i| {
                i.errors.get(k).copied().unwrap_or(0) as f64 / i.seconds()
            })
        })
        .collect();
    if kinds.len() > MAX_ERROR_KINDS {
        series.push(line(results, "other", |i| {
            let other: u64 = i
                .errors
                .iter()
                .filter(|(k, _)| !shown.contains(&k.as_str()))
                .map(|(_, n)| n)
                .sum();
            other as f64 / i.seconds()
        }));
    }
    if series.is_empty() && !results.intervals.is_empty() {
        // A flat zero line says "no errors" more clearly than "no data".
        series.push(line(results, "errors", |_| 0.0));
    }
    line_chart(&LineChart {
        title: "Errors by kind",
        y_label: "errors per second",
        series: &series,
        guides: &[],
    })
}

/// Generator CPU, scheduler lag and memory, with the doubtful levels marked.
pub(super) fn generator(results: &RunResults) -> [String; 3] {
    let cpu = [line(results, "cpu", |i| i.health.cpu_percent)];
    let mut lag = [
        line(results, "lag p50", |i| i.health.scheduler_lag_p50_us as f64),
        line(results, "lag p99", |i| i.health.scheduler_lag_p99_us as f64),
        line(results, "lag max", |i| i.health.scheduler_lag_max_us as f64),
    ];
    let (lag_per_unit, lag_unit) = in_latency_unit(&mut lag);
    let rss = [line(results, "rss", |i| {
        i.health.rss_bytes as f64 / (1024.0 * 1024.0)
    })];
    [
        line_chart(&LineChart {
            title: "Generator CPU",
            y_label: "% of all cores",
            series: &cpu,
            guides: &[Guide {
                value: DOUBTFUL_CPU_PERCENT,
                label: format!(
                    "saturated above {}",
                    format::percent(DOUBTFUL_CPU_PERCENT / 100.0)
                ),
            }],
        }),
        line_chart(&LineChart {
            title: "Generator scheduler lag",
            y_label: &format!("lag ({lag_unit})"),
            series: &lag,
            guides: &[Guide {
                value: DOUBTFUL_LAG_P99_US as f64 / lag_per_unit,
                label: format!(
                    "doubtful above p99 {}",
                    format::latency_us(DOUBTFUL_LAG_P99_US as f64)
                ),
            }],
        }),
        line_chart(&LineChart {
            title: "Generator memory (RSS)",
            y_label: "MiB",
            series: &rss,
            guides: &[],
        }),
    ]
}
