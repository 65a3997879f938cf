//! The files written while a run goes on: `timeseries.csv` and
//! `histograms.hlog` get one piece per interval, appended and flushed, so a
//! killed run leaves every completed interval on disk for `agentload report`.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::metrics::{IntervalSnapshot, Measure};

use super::model::{IntervalSummary, RunInfo};
use super::{hlog, timeseries};

/// The run's incrementally written files.
pub struct LiveFiles {
    timeseries: File,
    hlog: File,
    dir: PathBuf,
}

fn io_error(path: &Path, e: std::io::Error) -> Error {
    Error::run(format!("cannot write {}: {e}", path.display()))
}

impl LiveFiles {
    /// Creates (truncates) both files in `dir` and writes their headers.
    pub fn create(dir: &Path, run: &RunInfo) -> Result<LiveFiles, Error> {
        std::fs::create_dir_all(dir).map_err(|e| io_error(dir, e))?;
        let open = |name: &str, header: &[u8]| -> Result<File, Error> {
            let path = dir.join(name);
            let mut f = File::create(&path).map_err(|e| io_error(&path, e))?;
            f.write_all(header).map_err(|e| io_error(&path, e))?;
            Ok(f)
        };
        Ok(LiveFiles {
            timeseries: open(timeseries::FILE_NAME, timeseries::header().as_bytes())?,
            hlog: open(hlog::FILE_NAME, &hlog::header(run)?)?,
            dir: dir.to_path_buf(),
        })
    }

    /// Appends one interval to both files and flushes them to the OS (one
    /// `write` each, so a crash leaves whole lines behind). Returns the
    /// interval's summary (percentiles, counters, gauges; no encoded
    /// histograms), e.g. for the live view.
    pub fn append(&mut self, snapshot: &IntervalSnapshot) -> Result<IntervalSummary, Error> {
        let summary = IntervalSummary::keeping(snapshot, &[false; Measure::ALL.len()]);
        let chunk = hlog::interval_chunk(snapshot)?;
        let row = timeseries::row(&summary);
        let ts_path = self.dir.join(timeseries::FILE_NAME);
        let hlog_path = self.dir.join(hlog::FILE_NAME);
        self.timeseries
            .write_all(row.as_bytes())
            .and_then(|()| self.timeseries.flush())
            .map_err(|e| io_error(&ts_path, e))?;
        self.hlog
            .write_all(&chunk)
            .and_then(|()| self.hlog.flush())
            .map_err(|e| io_error(&hlog_path, e))?;
        Ok(summary)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures::{example_run_info, example_snapshots};
    use crate::report::{Export, RunResults};

    #[test]
    fn appended_files_equal_the_final_ones() {
        let dir = std::env::temp_dir().join(format!("agentload-live-{}", std::process::id()));
        let mut live = LiveFiles::create(&dir, &example_run_info()).unwrap();
        for s in example_snapshots() {
            live.append(&s).unwrap();
        }
        drop(live);
        let r = RunResults::example();
        assert_eq!(
            std::fs::read(dir.join(timeseries::FILE_NAME)).unwrap(),
            timeseries::TimeseriesCsv.render(&r).unwrap()
        );
        assert_eq!(
            std::fs::read(dir.join(hlog::FILE_NAME)).unwrap(),
            hlog::HistogramLog.render(&r).unwrap()
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
