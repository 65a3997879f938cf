//! What the run does with each interval as it is taken: append it to
//! `timeseries.csv` and `histograms.hlog` (flushed, so a killed process keeps
//! every completed interval), show it live, and fold it into the run's
//! totals. Only summaries and merged histograms are kept in memory, so a
//! soak's memory does not grow with its length beyond a few hundred bytes
//! per interval.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::plan::Plan;
use super::run::IntervalSink;
use crate::error::Error;
use crate::metrics::IntervalSnapshot;
use crate::progress::Progress;
use crate::report::{IntervalSummary, RunAccumulator, RunInfo, hlog, timeseries};

/// The interval sink of `agentload run`.
pub struct RunOutputs {
    timeseries: Appender,
    hlog: Appender,
    progress: Progress,
    plan: Plan,
    accumulator: RunAccumulator,
    warned_saturation: bool,
}

/// A file that grows by one chunk per interval, flushed each time. A write
/// failure is reported once and the run goes on (the final outputs are still
/// attempted).
struct Appender {
    path: PathBuf,
    file: Option<File>,
}

impl Appender {
    fn create(path: PathBuf, header: &[u8]) -> Result<Appender, Error> {
        let mut file = File::create(&path)
            .map_err(|e| Error::run(format!("cannot create {}: {e}", path.display())))?;
        file.write_all(header)
            .and_then(|()| file.flush())
            .map_err(|e| Error::run(format!("cannot write {}: {e}", path.display())))?;
        Ok(Appender {
            path,
            file: Some(file),
        })
    }

    fn append(&mut self, bytes: &[u8]) {
        let Some(file) = self.file.as_mut() else {
            return;
        };
        if let Err(e) = file.write_all(bytes).and_then(|()| file.flush()) {
            eprintln!(
                "warning: cannot append to {}: {e}; it will be rewritten at the end",
                self.path.display()
            );
            self.file = None;
        }
    }
}

impl RunOutputs {
    /// Starts the incremental files in `dir` for the run `info`.
    pub fn create(
        dir: &Path,
        info: &RunInfo,
        plan: Plan,
        progress: Progress,
    ) -> Result<RunOutputs, Error> {
        let timeseries =
            Appender::create(dir.join("timeseries.csv"), timeseries::header().as_bytes())?;
        let hlog = Appender::create(dir.join("histograms.hlog"), &hlog::header(info)?)?;
        Ok(RunOutputs {
            timeseries,
            hlog,
            progress,
            plan,
            accumulator: RunAccumulator::new(),
            warned_saturation: false,
        })
    }

    /// Ends the live view and hands over everything kept.
    pub fn finish(mut self) -> RunAccumulator {
        self.progress.finish();
        self.accumulator
    }
}

impl IntervalSink for RunOutputs {
    fn interval(&mut self, snapshot: IntervalSnapshot) {
        let summary = IntervalSummary::of(&snapshot);
        self.timeseries.append(timeseries::row(&summary).as_bytes());
        match hlog::interval_chunk(&snapshot) {
            Ok(chunk) => self.hlog.append(&chunk),
            Err(e) => eprintln!(
                "warning: interval {} not written to the hlog: {e}",
                snapshot.index
            ),
        }
        let end = Duration::from_millis(summary.start_offset_ms + summary.length_ms);
        self.progress.update(&summary, self.plan.target_at(end));
        if summary.health.is_doubtful() && !self.warned_saturation {
            self.warned_saturation = true;
            self.progress.warn(&format!(
                "the load generator itself is saturated (CPU {:.0} %, scheduler lag p99 {} µs): latencies now include its own delay",
                summary.health.cpu_percent, summary.health.scheduler_lag_p99_us
            ));
        }
        self.accumulator.add(&snapshot);
    }
}
