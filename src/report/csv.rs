//! `summary.csv`: one row per measurement, the same columns as
//! `summary.json`'s `metrics`.

use std::fmt::Write as _;

use crate::error::Error;
use crate::metrics::Measure;

use super::export::Export;
use super::model::RunResults;

/// The header line.
pub const HEADER: &str = "name,count,min_us,mean_us,p50_us,p90_us,p95_us,p99_us,p999_us,max_us";

/// Writes `summary.csv`.
pub struct SummaryCsv;

impl Export for SummaryCsv {
    fn file_name(&self) -> &'static str {
        "summary.csv"
    }

    fn render(&self, results: &RunResults) -> Result<Vec<u8>, Error> {
        let mut out = String::with_capacity(1024);
        out.push_str(HEADER);
        out.push('\n');
        for m in Measure::ALL {
            let p = results.percentiles(m);
            // Writing into a String cannot fail.
            let _ = writeln!(
                out,
                "{},{},{},{:.1},{},{},{},{},{},{}",
                m.name(),
                p.count,
                p.min_us,
                p.mean_us,
                p.p50_us,
                p.p90_us,
                p.p95_us,
                p.p99_us,
                p.p999_us,
                p.max_us
            );
        }
        Ok(out.into_bytes())
    }
}
