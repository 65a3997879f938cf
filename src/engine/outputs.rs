//! What the run does with each interval as it is taken: append it to
//! `timeseries.csv` and `histograms.hlog` (flushed, so a killed process keeps
//! every completed interval), show it live, and fold it into the run's
//! totals. Only summaries and merged histograms are kept in memory, so a
//! soak's memory does not grow with its length beyond a few hundred bytes
//! per interval.

use std::path::Path;
use std::time::Duration;

use super::plan::Plan;
use super::run::IntervalSink;
use crate::error::Error;
use crate::metrics::IntervalSnapshot;
use crate::progress::Progress;
use crate::report::gate::Gate;
use crate::report::live::LiveFiles;
use crate::report::{RunAccumulator, RunInfo};

/// The interval sink of `agentload run`.
pub struct RunOutputs {
    /// `None` once an append failed: the failure is reported once, the run
    /// goes on and the final outputs are still written.
    live: Option<LiveFiles>,
    progress: Progress,
    plan: Plan,
    accumulator: RunAccumulator,
    warned_saturation: bool,
}

impl RunOutputs {
    /// Starts the incremental files in `dir` for the run `info`; keeps what
    /// `gates` need to be judged at the end.
    pub fn create(
        dir: &Path,
        info: &RunInfo,
        gates: &[Gate],
        plan: Plan,
        progress: Progress,
    ) -> Result<RunOutputs, Error> {
        Ok(RunOutputs {
            live: Some(LiveFiles::create(dir, info)?),
            progress,
            plan,
            accumulator: RunAccumulator::for_gates(gates),
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
        self.accumulator.add(&snapshot);
        let Some(live) = self.live.as_mut() else {
            return;
        };
        let summary = match live.append(&snapshot) {
            Ok(summary) => summary,
            Err(e) => {
                self.progress.warn(&format!(
                    "{e}; the interval files stop here, the final outputs are still written"
                ));
                self.live = None;
                return;
            }
        };
        let end = Duration::from_millis(summary.start_offset_ms + summary.length_ms);
        self.progress.update(&summary, self.plan.target_at(end));
        if summary.health.is_doubtful() && !self.warned_saturation {
            self.warned_saturation = true;
            self.progress.warn(&format!(
                "the load generator itself is saturated (CPU {:.0} %, scheduler lag p99 {} µs): latencies now include its own delay",
                summary.health.cpu_percent, summary.health.scheduler_lag_p99_us
            ));
        }
    }
}
