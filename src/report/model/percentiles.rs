//! The percentile summary of one measurement's histogram.

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

/// `p50`, `p99.9`: a percentile's column label.
pub fn percentile_label(q: f64) -> String {
    format!("p{q}")
}

/// The percentile summary of one measurement, in microseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
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

impl Percentiles {
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
