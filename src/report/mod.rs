//! Every output of a run, each a pure function from [`RunResults`] to bytes
//! (one file per format, behind the [`Export`] trait), plus gates, drift,
//! baseline comparison and rebuilding a run's results from its folder.
//!
//! During a run the engine appends every interval to `timeseries.csv` and
//! `histograms.hlog` through [`live::LiveFiles`] (flushed, so a killed run
//! keeps what it measured), feeds the same snapshots to a
//! [`RunAccumulator`], judges the gates, then calls [`write_all`].

pub mod compare;
pub mod console;
pub mod csv;
pub mod drift;
pub mod export;
pub mod fixtures;
pub mod gate;
pub mod hlog;
pub mod json;
pub mod live;
pub mod model;
pub mod rebuild;
pub mod timeseries;

use std::path::Path;

use crate::error::Error;

pub use export::Export;
pub use model::{
    BaselineComparison, ComparisonRow, Drift, FailedWindow, GateResult, GeneratorSummary,
    IntervalSummary, Percentiles, RunAccumulator, RunInfo, RunResults,
};
pub use rebuild::rebuild;

/// Every output file [`write_all`] writes, in order. Add a format by
/// implementing [`Export`] and listing it here (`report.html`, `junit.xml`
/// and `summary.md` go here too).
pub static WRITERS: &[&dyn Export] = &[
    &json::SummaryJson,
    &csv::SummaryCsv,
    &timeseries::TimeseriesCsv,
    &hlog::HistogramLog,
];

/// Writes every output of [`WRITERS`] into `dir` (created when missing).
/// Each file is written to a temporary name first and renamed, so a reader
/// never sees half a file.
pub fn write_all(dir: &Path, results: &RunResults) -> Result<(), Error> {
    std::fs::create_dir_all(dir).map_err(|e| {
        Error::run(format!(
            "cannot create the output folder {}: {e}",
            dir.display()
        ))
    })?;
    for writer in WRITERS {
        let bytes = writer.render(results)?;
        let path = dir.join(writer.file_name());
        let tmp = dir.join(format!(".{}.tmp", writer.file_name()));
        std::fs::write(&tmp, &bytes)
            .and_then(|()| std::fs::rename(&tmp, &path))
            .map_err(|e| Error::run(format!("cannot write {}: {e}", path.display())))?;
    }
    Ok(())
}
