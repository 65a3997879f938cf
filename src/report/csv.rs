//! `summary.csv`: one row per measurement, the same columns as
//! `summary.json`'s `metrics`; a measurement without samples has count 0
//! and empty cells (as `null` in JSON), not 0 µs.

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
            // Writing into a String cannot fail.
            let _ = writeln!(out, "{},{}", m.name(), results.percentiles(m).csv_cells());
        }
        Ok(out.into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::Percentiles;

    #[test]
    fn a_measurement_without_samples_has_empty_cells() {
        let mut r = RunResults::example();
        r.measures[Measure::Reject.index()] = Percentiles::default();
        let text = String::from_utf8(SummaryCsv.render(&r).unwrap()).unwrap();
        assert!(text.lines().any(|l| l == "reject,0,,,,,,,,"), "{text}");
        let columns = HEADER.split(',').count();
        assert!(text.lines().all(|l| l.split(',').count() == columns));
        let delivery = text.lines().find(|l| l.starts_with("invite_delivery,"));
        assert!(delivery.is_some_and(|l| !l.contains(",,")), "{text}");
    }
}
