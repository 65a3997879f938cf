//! Every output of a run, each a pure function from [`RunResults`] to bytes
//! (one file per format, behind the [`Export`] trait), plus gates, drift,
//! baseline comparison and rebuilding a run's results from its folder.
//!
//! During a run the engine appends every interval to `timeseries.csv` and
//! `histograms.hlog` through [`live::LiveFiles`] (flushed, so a killed run
//! keeps what it measured), feeds the same snapshots to a
//! [`IntervalAccumulator`], judges the gates, then calls [`write_final`]:
//!
//! ```
//! use agentload::metrics::{Cause, Counter, ErrorKind, Measure, Metrics, Step};
//! use agentload::report::{self, gate, live::LiveFiles, IntervalAccumulator, RunInfo};
//! # fn main() -> Result<(), agentload::error::Error> {
//! # let dir = std::env::temp_dir().join(format!("agentload-doc-{}", std::process::id()));
//! let metrics = Metrics::new();
//! let gates = gate::parse_all(["invite_delivery.p99 < 250ms", "interactions_lost == 0"])?;
//! let info = RunInfo::new("run-1", "smoke", "http://127.0.0.1:8080",
//!     metrics.started_unix_ms(), 0, 200, 1000);
//! let mut live = LiveFiles::create(&dir, &info)?;
//! let mut acc = IntervalAccumulator::for_gates(&gates);
//!
//! // Agents, from any thread:
//! metrics.record_micros(Measure::InviteDelivery, 12_000);
//! metrics.count(Counter::InvitesOffered, 1);
//! metrics.error(ErrorKind::Step(Step::Answer, Cause::HttpStatus(503)));
//!
//! // The collector, once per interval:
//! let snapshot = metrics.take_interval();
//! live.append(&snapshot)?;
//! acc.add(&snapshot);
//!
//! // At the end:
//! let mut results = acc.finish(RunInfo { duration_ms: metrics.elapsed().as_millis() as u64, ..info });
//! let verdicts = gate::evaluate_all(&gates, &results);
//! results.set_verdicts(verdicts, None);
//! report::write_final(&dir, &results)?;
//! assert!(results.passed);
//! // The folder is complete; `agentload report` can rebuild it all.
//! let rebuilt = report::rebuild(&dir, &[])?;
//! assert_eq!(rebuilt.percentiles(Measure::InviteDelivery).count, 1);
//! # std::fs::remove_dir_all(&dir).ok();
//! # Ok(())
//! # }
//! ```

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
pub mod live;
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
    IntervalAccumulator, IntervalSummary, Percentiles, RunInfo, RunResults, ShardRow, Verdict,
};
pub use rebuild::rebuild;

/// Every output file [`write_all`] writes, in order. Add a format by
/// implementing [`Export`] and listing it here.
pub static WRITERS: &[&dyn Export] = &[
    &json::SummaryJson,
    &csv::SummaryCsv,
    &timeseries::TimeseriesCsv,
    &hlog::HistogramLog,
    // The profile's text comes from `RunResults::profile_toml`.
    &html::ReportHtml { profile: None },
    &junit::JunitXml,
    &markdown::SummaryMd,
];

/// The files [`live::LiveFiles`] writes during a run; [`write_final`] leaves
/// them alone.
pub const LIVE_FILES: [&str; 2] = [timeseries::FILE_NAME, hlog::FILE_NAME];

/// Writes every output of [`WRITERS`] into `dir` (created when missing):
/// for `agentload report` and for results that kept every interval's
/// histograms ([`IntervalAccumulator::new`]). Each file is written to a
/// temporary name first and renamed, so a reader never sees half a file.
pub fn write_all(dir: &Path, results: &RunResults) -> Result<(), Error> {
    write_some(dir, results, |_| true)
}

/// At the end of a run whose intervals went to [`live::LiveFiles`]: writes
/// every output except [`LIVE_FILES`], which are already complete (the
/// results of a [`IntervalAccumulator::for_gates`] do not hold every histogram
/// needed to write them again).
pub fn write_final(dir: &Path, results: &RunResults) -> Result<(), Error> {
    write_some(dir, results, |name| !LIVE_FILES.contains(&name))
}

/// At a run's start: writes `summary.json` alone (verdict `running`, the
/// run's identity and gates), replaced by the final one at the end.
pub fn write_starting(dir: &Path, results: &RunResults) -> Result<(), Error> {
    write_some(dir, results, |name| name == json::FILE_NAME)
}

/// Removes the outputs of an earlier run from `dir`, so a reused `--out`
/// folder never mixes two runs (a killed run would otherwise be rebuilt with
/// the old run's summary).
pub fn clear_outputs(dir: &Path) -> Result<(), Error> {
    for writer in WRITERS {
        let path = dir.join(writer.file_name());
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(Error::run(format!(
                    "cannot remove the earlier run's {} from the output folder: {e}; pick another with --out",
                    path.display()
                )));
            }
        }
    }
    Ok(())
}

fn write_some(
    dir: &Path,
    results: &RunResults,
    wanted: impl Fn(&str) -> bool,
) -> Result<(), Error> {
    std::fs::create_dir_all(dir).map_err(|e| {
        Error::run(format!(
            "cannot create the output folder {}: {e}",
            dir.display()
        ))
    })?;
    // One output that cannot be written must not cost the others.
    let mut failed = Vec::new();
    for writer in WRITERS.iter().filter(|w| wanted(w.file_name())) {
        let path = dir.join(writer.file_name());
        let tmp = dir.join(format!(".{}.tmp", writer.file_name()));
        let written = writer.render(results).and_then(|bytes| {
            std::fs::write(&tmp, &bytes)
                .and_then(|()| std::fs::rename(&tmp, &path))
                .map_err(|e| Error::run(format!("cannot write {}: {e}", path.display())))
        });
        if let Err(e) = written {
            failed.push(e.to_string());
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(Error::run(failed.join("; ")))
    }
}
