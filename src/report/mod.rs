//! Every output of a run, each a pure function from [`RunResults`] to bytes
//! (one file per format, behind the [`Export`] trait), plus gates, drift,
//! baseline comparison and rebuilding a run's results from its folder.
//!
//! During a run the engine appends [`timeseries::header`]/[`timeseries::row`]
//! and [`hlog::header`]/[`hlog::interval_chunk`] every interval (flushed, so
//! a killed run keeps what it measured), then calls [`write_all`] at the end.

pub mod compare;
pub mod console;
pub mod csv;
pub mod drift;
pub mod export;
pub mod fixtures;
pub mod gate;
pub mod hlog;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod model;
pub mod rebuild;
pub mod svg;
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
/// implementing [`Export`] and listing it here.
pub static WRITERS: &[&dyn Export] = &[
    &json::SummaryJson,
    &csv::SummaryCsv,
    &timeseries::TimeseriesCsv,
    &hlog::HistogramLog,
    // The profile's text comes from `RunInfo::profile_text`.
    &html::ReportHtml { profile: None },
    &junit::JunitXml,
    &markdown::SummaryMd,
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
