//! What the run does with each interval as it is taken: append it to
//! `timeseries.csv` and `histograms.hlog` (flushed, so a killed process keeps
//! every completed interval), show it live, and fold it into the run's
//! totals. Only summaries and merged histograms are kept in memory, so a
//! soak's memory does not grow with its length beyond a few hundred bytes
//! per interval.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use super::plan::Plan;
use super::run::IntervalSink;
use super::signals::StopSignals;
use super::watch::Watch;
use crate::error::Error;
use crate::metrics::{IntervalSnapshot, Measure};
use crate::progress::Progress;
use crate::report::gate::Gate;
use crate::report::live::LiveFiles;
use crate::report::{IntervalAccumulator, IntervalSummary, RunInfo};
use crate::shard::SeqRecorder;
use crate::shard::seqs::SeqLogWriter;

/// The interval sink of `agentload run`.
pub struct LiveOutputs {
    /// `None` once an append failed: the failure is reported once, the run
    /// goes on and the final outputs are still written.
    live: Option<LiveFiles>,
    progress: Progress,
    plan: Plan,
    accumulator: IntervalAccumulator,
    warned_saturation: bool,
    /// Nominal interval length: shorter intervals (the last one, cut by the
    /// stop) are too short to judge the generator's health live.
    interval_ms: u64,
    /// Judges the run live (fail fast, abort gates); `None` once it decided.
    watch: Option<Watch>,
    /// How the watch stops the run.
    signals: StopSignals,
    info: RunInfo,
    /// A shard's sequence sets and their `seqs.log`, drained each interval.
    seqs: Option<(Arc<SeqRecorder>, SeqLogWriter)>,
}

impl LiveOutputs {
    /// Starts the incremental files in `dir` for the run `info`; keeps what
    /// `gates` need to be judged at the end; `watch` stops the run through
    /// `signals` when it decides to.
    pub fn create(
        dir: &Path,
        info: &RunInfo,
        gates: &[Gate],
        plan: Plan,
        progress: Progress,
        (watch, signals): (Watch, StopSignals),
    ) -> Result<LiveOutputs, Error> {
        Ok(LiveOutputs {
            live: Some(LiveFiles::create(dir, info)?),
            progress,
            plan,
            accumulator: IntervalAccumulator::for_gates(gates),
            warned_saturation: false,
            interval_ms: info.interval_ms,
            watch: Some(watch).filter(|w| !w.is_idle()),
            signals,
            info: info.clone(),
            seqs: None,
        })
    }

    /// A shard's outputs: every interval also drains `recorder` into `seqs.log`.
    pub fn with_seqs(mut self, recorder: Arc<SeqRecorder>, log: SeqLogWriter) -> LiveOutputs {
        self.seqs = Some((recorder, log));
        self
    }

    /// Appends what the shard's sets gathered in interval `index`; a failed
    /// write is warned once and the log stops (the merge then reports the
    /// shard as cut short), the run goes on.
    fn append_seqs(&mut self, index: u64) {
        let Some((recorder, log)) = self.seqs.as_mut() else {
            return;
        };
        if let Err(e) = log.append(&recorder.drain(index)) {
            self.progress.warn(&format!(
                "{e}; seqs.log stops here, this shard cannot be merged whole"
            ));
            self.seqs = None;
        }
    }

    /// Lets the watch judge the interval just added; stops the run when it
    /// decides to (once).
    fn judge_live(&mut self, snapshot: &IntervalSnapshot) {
        // After a stop (any), nothing more is decided live.
        if self.signals.graceful.is_cancelled() {
            self.watch = None;
        }
        let Some(watch) = self.watch.as_mut() else {
            return;
        };
        if let Some(stop) = watch.interval(snapshot, &self.accumulator, &self.info) {
            self.progress
                .warn(&format!("stopping the run: {}", stop.reason()));
            self.signals.stop(stop);
            self.watch = None;
        }
    }

    /// Ends the live view and hands over everything kept.
    pub fn finish(mut self) -> IntervalAccumulator {
        self.progress.finish();
        self.accumulator
    }
}

/// The live view needs an interval's figures, not its encoded histograms.
pub const NO_HISTOGRAMS: [bool; Measure::ALL.len()] = [false; Measure::ALL.len()];

impl IntervalSink for LiveOutputs {
    fn interval(&mut self, snapshot: IntervalSnapshot) {
        self.append_seqs(snapshot.index);
        self.accumulator.add(&snapshot);
        self.judge_live(&snapshot);
        // The live view goes on even when the interval files cannot.
        let summary = match self.live.as_mut().map(|live| live.append(&snapshot)) {
            Some(Ok(summary)) => summary,
            Some(Err(e)) => {
                self.progress.warn(&format!(
                    "{e}; the interval files stop here, the final outputs are still written"
                ));
                self.live = None;
                IntervalSummary::keeping(&snapshot, &NO_HISTOGRAMS)
            }
            None => IntervalSummary::keeping(&snapshot, &NO_HISTOGRAMS),
        };
        let end = Duration::from_millis(summary.start_offset_ms + summary.length_ms);
        self.progress.update(&summary, self.plan.target_at(end));
        // The last interval is cut short by the stop and holds the burst of
        // logouts: a warning then ("latencies now include...") misleads.
        let whole = summary.length_ms * 2 >= self.interval_ms;
        if whole && summary.health.is_doubtful() && !self.warned_saturation {
            self.warned_saturation = true;
            self.progress.warn(&format!(
                "the load generator itself is saturated (CPU {}, scheduler lag p99 {}): latencies now include its own delay",
                crate::units::format::percent(summary.health.cpu_percent / 100.0),
                crate::units::format::latency_us(summary.health.scheduler_lag_p99_us as f64)
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::health::DOUBTFUL_LAG_P99_US;
    use crate::profile::Profile;
    use crate::progress::Mode;
    use crate::report::fixtures::example_run_info;

    fn lagging(index: u64, length: Duration) -> IntervalSnapshot {
        let mut s = IntervalSnapshot::empty(index, length * index as u32, 0, length);
        s.health.scheduler_lag_p99_us = DOUBTFUL_LAG_P99_US * 2;
        s
    }

    #[test]
    fn saturation_is_warned_on_whole_intervals_not_the_cut_last_one() {
        let dir = std::env::temp_dir().join(format!("agentload-outputs-{}", std::process::id()));
        let profile = Profile::load(std::path::Path::new("profiles/smoke.toml")).unwrap();
        let info = example_run_info(); // 1 s intervals
        let quiet = Progress::new(Mode::Quiet, Duration::from_secs(12), 30, false);
        let plan = Plan::from_profile(&profile);
        let watch = Watch::new(&plan, &profile.ramp, profile.scenario, Vec::new());
        let stop = (watch, StopSignals::default());
        let mut outputs = LiveOutputs::create(&dir, &info, &[], plan, quiet, stop).unwrap();
        // The stop's short last interval, full of logouts: no warning.
        outputs.interval(lagging(0, Duration::from_millis(200)));
        assert!(!outputs.warned_saturation);
        outputs.interval(lagging(1, Duration::from_millis(1000)));
        assert!(outputs.warned_saturation);
        drop(outputs);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
