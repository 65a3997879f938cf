//! Building [`RunResults`] interval by interval, as the snapshots arrive.

use std::collections::BTreeMap;

use hdrhistogram::Histogram;

use crate::metrics::histogram::growing_histogram_set;
use crate::metrics::{Counter, IntervalSnapshot, Measure};
use crate::report::compare::stats::percentile_bounds;
use crate::units::format;

use super::interval::IntervalSummary;
use super::percentiles::Percentiles;
use super::run::{GeneratorSummary, PercentileBounds, RunInfo, RunResults};
use super::verdict::Verdict;

/// Most recent intervals [`IntervalAccumulator::so_far`] copies: an hour of
/// 1 s intervals, longer than any sensible gate window.
pub const LIVE_INTERVALS: usize = 3600;

/// Builds [`RunResults`] from the interval snapshots as they arrive, so the
/// engine never keeps full histograms per interval.
pub struct IntervalAccumulator {
    keep: [bool; Measure::ALL.len()],
    intervals: Vec<IntervalSummary>,
    histograms: Vec<Histogram<u64>>,
    counters: Vec<u64>,
    errors: BTreeMap<String, u64>,
    generator: GeneratorSummary,
}

impl Default for IntervalAccumulator {
    fn default() -> Self {
        IntervalAccumulator::new()
    }
}

impl IntervalAccumulator {
    /// An empty accumulator that keeps every interval's histograms (encoded,
    /// a few hundred bytes to a few KB per interval): fine for short runs and
    /// tests. Long runs should use [`IntervalAccumulator::for_gates`].
    pub fn new() -> IntervalAccumulator {
        IntervalAccumulator::keeping([true; Measure::ALL.len()])
    }

    /// An empty accumulator that keeps per-interval histograms only for the
    /// measurements windowed gates need, so a long soak's memory grows by
    /// about 1 KB per interval (percentiles, counters, gauges).
    pub fn for_gates(gates: &[crate::report::gate::Gate]) -> IntervalAccumulator {
        let mut keep = [false; Measure::ALL.len()];
        for m in gates.iter().filter_map(|g| g.windowed_measure()) {
            keep[m.index()] = true;
        }
        IntervalAccumulator::keeping(keep)
    }

    fn keeping(keep: [bool; Measure::ALL.len()]) -> IntervalAccumulator {
        IntervalAccumulator {
            keep,
            intervals: Vec::new(),
            histograms: growing_histogram_set(),
            counters: vec![0; Counter::ALL.len()],
            errors: BTreeMap::new(),
            generator: GeneratorSummary::default(),
        }
    }

    /// Adds one interval.
    pub fn add(&mut self, s: &IntervalSnapshot) {
        for (into, from) in self.histograms.iter_mut().zip(&s.histograms) {
            if !from.is_empty() {
                // Standard shape everywhere; a mismatch would be a bug upstream.
                let _ = into.add(from);
            }
        }
        self.add_summary(IntervalSummary::keeping(s, &self.keep));
    }

    /// Adds an interval already summarised (used when rebuilding from files).
    pub fn add_summary(&mut self, summary: IntervalSummary) {
        for (total, n) in self.counters.iter_mut().zip(&summary.counters) {
            *total += n;
        }
        for (kind, n) in &summary.errors {
            *self.errors.entry(kind.clone()).or_insert(0) += n;
        }
        let h = &summary.health;
        let g = &mut self.generator;
        g.peak_rss_bytes = g.peak_rss_bytes.max(h.rss_bytes);
        g.cpu_seconds = g.cpu_seconds.max(h.cpu_seconds);
        g.peak_cpu_percent = g.peak_cpu_percent.max(h.cpu_percent);
        g.scheduler_lag_p99_us = g.scheduler_lag_p99_us.max(h.scheduler_lag_p99_us);
        g.scheduler_lag_max_us = g.scheduler_lag_max_us.max(h.scheduler_lag_max_us);
        g.doubtful_intervals += u64::from(h.is_doubtful());
        self.intervals.push(summary);
    }

    /// Merges a whole-run histogram piece (used when rebuilding from an hlog).
    pub fn add_histogram(&mut self, m: Measure, h: &Histogram<u64>) {
        let _ = self.histograms[m.index()].add(h);
    }

    /// `(run length ms, first interval's length ms, first interval's start
    /// ms since the epoch)` of the intervals added so far.
    pub fn span(&self) -> (u64, u64, Option<u64>) {
        let end = self
            .intervals
            .iter()
            .map(|i| i.start_offset_ms + i.length_ms)
            .max()
            .unwrap_or(0);
        let first = self.intervals.first();
        (
            end,
            first.map_or(1000, |i| i.length_ms),
            first.map(|i| i.start_unix_ms.saturating_sub(i.start_offset_ms)),
        )
    }

    /// The results so far, for judging gates during the run (abort gates):
    /// whole-run figures of every interval added, and of the intervals only
    /// those starting at `since_offset_ms` or later (at most the last
    /// [`LIVE_INTERVALS`]), so a windowed rule is judged on what came after
    /// its grace. No drift, no notes; `run.duration_ms` is the span so far.
    pub fn so_far(&self, mut run: RunInfo, since_offset_ms: u64) -> RunResults {
        run.duration_ms = self.span().0;
        let recent = self.intervals.len().saturating_sub(LIVE_INTERVALS);
        let intervals = self.intervals[recent..]
            .iter()
            .filter(|i| i.start_offset_ms >= since_offset_ms)
            .cloned()
            .collect();
        RunResults {
            run,
            measures: self.histograms.iter().map(Percentiles::of).collect(),
            histograms: Some(self.histograms.clone()),
            percentile_bounds: PercentileBounds::new(),
            intervals,
            counters: self.counters.clone(),
            errors: self.errors.clone(),
            generator: self.generator.clone(),
            drift: Vec::new(),
            gates: Vec::new(),
            baseline: None,
            notes: Vec::new(),
            profile_toml: None,
            passed: true,
            verdict: Verdict::Running,
            reason: String::new(),
            shards: Vec::new(),
            partial: false,
        }
    }

    /// The results, without verdicts yet (`passed` is true until gates are set
    /// with [`RunResults::set_verdicts`]). Drift is computed here.
    pub fn finish(mut self, run: RunInfo) -> RunResults {
        let mut notes = Vec::new();
        self.generator.doubtful = self.generator.is_doubtful(self.intervals.len());
        if self.generator.doubtful {
            notes.push(format!(
                "The load generator was saturated in {} of {} intervals (scheduler lag p99 up to {}, CPU up to {}): latencies may include the generator's own delay.",
                self.generator.doubtful_intervals,
                self.intervals.len(),
                format::latency_us(self.generator.scheduler_lag_p99_us as f64),
                format::percent(self.generator.peak_cpu_percent / 100.0)
            ));
        }
        let drift = crate::report::drift::run_drift(&self.intervals);
        let percentile_bounds = bounds_of(&self.histograms, &self.intervals);
        RunResults {
            run,
            measures: self.histograms.iter().map(Percentiles::of).collect(),
            histograms: Some(self.histograms),
            percentile_bounds,
            intervals: self.intervals,
            counters: self.counters,
            errors: self.errors,
            generator: self.generator,
            drift,
            gates: Vec::new(),
            baseline: None,
            notes,
            profile_toml: None,
            passed: true,
            verdict: Verdict::Passed,
            reason: String::new(),
            shards: Vec::new(),
            partial: false,
        }
    }
}

/// The percentile intervals of every measurement of a run (see
/// [`percentile_bounds`]), each widened by the share of its values measured
/// in intervals where the generator was saturated.
pub fn bounds_of(histograms: &[Histogram<u64>], intervals: &[IntervalSummary]) -> PercentileBounds {
    Measure::ALL
        .iter()
        .filter_map(|&m| {
            let h = histograms.get(m.index())?;
            let doubtful: u64 = intervals
                .iter()
                .filter(|i| i.health.is_doubtful())
                .map(|i| i.measure(m).count)
                .sum();
            let inflated = if h.is_empty() {
                0.0
            } else {
                (doubtful as f64 / h.len() as f64).min(1.0)
            };
            let bounds = percentile_bounds(h, inflated);
            (!bounds.is_empty()).then(|| (m.name().to_string(), bounds))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures::{example_run_info, example_snapshots};

    #[test]
    fn a_saturated_generator_is_said_prominently() {
        let mut acc = IntervalAccumulator::new();
        for (n, mut s) in example_snapshots().into_iter().enumerate() {
            if n % 2 == 0 {
                s.health.scheduler_lag_p99_us = 120_000;
            }
            acc.add(&s);
        }
        let r = acc.finish(example_run_info());
        assert!(r.generator.doubtful);
        assert_eq!(r.generator.doubtful_intervals, 6);
        assert!(
            r.notes[0].contains("saturated in 6 of 12 intervals"),
            "{:?}",
            r.notes
        );

        let calm = RunResults::example();
        assert!(!calm.generator.doubtful && calm.notes.is_empty());
    }
}
