//! The percentile summary of one measurement's histogram.

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

/// `p50`, `p99.9`: a percentile's column label.
pub fn percentile_label(q: f64) -> String {
    format!("p{q}")
}

/// The percentile summary of one measurement, in microseconds. In JSON a
/// measurement without samples has `count` 0 and every statistic `null`
/// (there is no such value, and 0 µs would read as a real one); `null` or
/// an absent statistic reads back as 0, so older summaries still parse.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(from = "Wire", into = "Wire")]
pub struct Percentiles {
    /// Number of values recorded.
    pub count: u64,
    /// Smallest value.
    pub min_us: u64,
    /// Arithmetic mean, rounded to 0.1 µs.
    pub mean_us: f64,
    /// Median.
    pub p50_us: u64,
    /// 90th percentile.
    pub p90_us: u64,
    /// 95th percentile.
    pub p95_us: u64,
    /// 99th percentile.
    pub p99_us: u64,
    /// 99.9th percentile.
    pub p999_us: u64,
    /// Largest value (HdrHistogram precision).
    pub max_us: u64,
}

/// [`Percentiles`] as JSON has it: the statistics `null` without samples.
#[derive(Serialize, Deserialize)]
struct Wire {
    count: u64,
    #[serde(default)]
    min_us: Option<u64>,
    #[serde(default)]
    mean_us: Option<f64>,
    #[serde(default)]
    p50_us: Option<u64>,
    #[serde(default)]
    p90_us: Option<u64>,
    #[serde(default)]
    p95_us: Option<u64>,
    #[serde(default)]
    p99_us: Option<u64>,
    #[serde(default)]
    p999_us: Option<u64>,
    #[serde(default)]
    max_us: Option<u64>,
}

impl From<Percentiles> for Wire {
    fn from(p: Percentiles) -> Wire {
        let some = |v: u64| (p.count > 0).then_some(v);
        Wire {
            count: p.count,
            min_us: some(p.min_us),
            mean_us: (p.count > 0).then_some(p.mean_us),
            p50_us: some(p.p50_us),
            p90_us: some(p.p90_us),
            p95_us: some(p.p95_us),
            p99_us: some(p.p99_us),
            p999_us: some(p.p999_us),
            max_us: some(p.max_us),
        }
    }
}

impl From<Wire> for Percentiles {
    fn from(w: Wire) -> Percentiles {
        Percentiles {
            count: w.count,
            min_us: w.min_us.unwrap_or(0),
            mean_us: w.mean_us.unwrap_or(0.0),
            p50_us: w.p50_us.unwrap_or(0),
            p90_us: w.p90_us.unwrap_or(0),
            p95_us: w.p95_us.unwrap_or(0),
            p99_us: w.p99_us.unwrap_or(0),
            p999_us: w.p999_us.unwrap_or(0),
            max_us: w.max_us.unwrap_or(0),
        }
    }
}

impl Percentiles {
    /// The statistics as the CSVs write them: `count,min_us,mean_us,p50_us,
    /// p90_us,p95_us,p99_us,p999_us,max_us`, every statistic an empty cell
    /// when there are no samples (no value, not 0 µs).
    pub fn csv_cells(&self) -> String {
        if self.count == 0 {
            return "0,,,,,,,,".to_owned();
        }
        format!(
            "{},{},{:.1},{},{},{},{},{},{}",
            self.count,
            self.min_us,
            self.mean_us,
            self.p50_us,
            self.p90_us,
            self.p95_us,
            self.p99_us,
            self.p999_us,
            self.max_us
        )
    }

    /// One statistic (µs) as a CSV cell: empty when there are no samples.
    pub fn csv_cell(&self, us: u64) -> String {
        if self.count == 0 {
            String::new()
        } else {
            us.to_string()
        }
    }

    /// Summarises a histogram; all zeros when it is empty.
    pub fn of(h: &Histogram<u64>) -> Percentiles {
        if h.is_empty() {
            return Percentiles::default();
        }
        Percentiles {
            count: h.len(),
            min_us: h.min(),
            mean_us: (h.mean() * 10.0).round() / 10.0,
            p50_us: h.value_at_quantile(0.50),
            p90_us: h.value_at_quantile(0.90),
            p95_us: h.value_at_quantile(0.95),
            p99_us: h.value_at_quantile(0.99),
            p999_us: h.value_at_quantile(0.999),
            max_us: h.max(),
        }
    }

    /// A statistic by its name in gates and compare (`p50`, `p90`, `p95`,
    /// `p99`, `p999`, `min`, `max`, `mean`, `count`).
    pub fn stat(&self, name: &str) -> Option<f64> {
        Some(match name {
            "count" => self.count as f64,
            "min" => self.min_us as f64,
            "mean" => self.mean_us,
            "p50" => self.p50_us as f64,
            "p90" => self.p90_us as f64,
            "p95" => self.p95_us as f64,
            "p99" => self.p99_us as f64,
            "p999" => self.p999_us as f64,
            "max" => self.max_us as f64,
            _ => return None,
        })
    }

    /// The percentiles a summary stores, `(q, µs)` for `q` = 50, 90, 95,
    /// 99, 99.9 and 100 (the maximum): all a run rebuilt without its
    /// histograms knows of its distribution.
    pub fn stored(&self) -> [(f64, u64); 6] {
        [
            (50.0, self.p50_us),
            (90.0, self.p90_us),
            (95.0, self.p95_us),
            (99.0, self.p99_us),
            (99.9, self.p999_us),
            (100.0, self.max_us),
        ]
    }

    /// The statistic names [`Percentiles::stat`] knows, in report order.
    pub const STATS: [&'static str; 9] = [
        "count", "min", "mean", "p50", "p90", "p95", "p99", "p999", "max",
    ];
}
