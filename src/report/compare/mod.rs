//! Baseline comparison: a new run against a previous one, row by row, each
//! row judged for significance at the sample counts at hand.
//!
//! Every percentile is compared through its confidence interval (the rank of
//! a quantile over n values is binomial, so the interval comes straight from
//! the whole-run histogram: [`stats`]), stored in `summary.json` when a run
//! writes its outputs. A row regresses only when the new run's interval lies
//! above the baseline's by more than `--max-regression` and an absolute floor
//! ([`judge`]); too few values is "not enough data", never a pass or a fail.
//! Error rates, losses and logins are compared as binomial proportions,
//! throughput as Poisson rates ([`rows`]). A saturated generator in either
//! run makes the latency rows "not comparable".

pub mod judge;
pub mod rows;
pub mod stats;

use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::metrics::Measure;

use super::hlog;
use super::json::{self, Summary};
use super::model::accumulator::bounds_of;
use super::model::{BaselineComparison, RunResults, Verdict};

/// How strict a comparison is.
#[derive(Debug, Clone, PartialEq)]
pub struct CompareOptions {
    /// Largest allowed change, relative to the baseline.
    pub max_regression: Percent,
    /// A latency change smaller than this many µs never counts, whatever its
    /// percentage or significance.
    pub floor_us: u64,
    /// A proportion (error rate, share lost) changing by less than this
    /// (0.001 = 0.1 percentage point) never counts.
    pub floor_fraction: f64,
    /// A measurement with at least this many values in the baseline and none
    /// in the new run regresses (it used to happen and now never does).
    pub min_count: u64,
    /// The percentiles compared.
    pub stats: Vec<&'static str>,
}

impl Default for CompareOptions {
    fn default() -> Self {
        CompareOptions {
            max_regression: Percent(10.0),
            floor_us: 1_000,
            floor_fraction: 0.001,
            min_count: 20,
            stats: vec!["p50", "p90", "p95", "p99", "p999"],
        }
    }
}

/// A relative change in percent, zero or more (`10%` is `Percent(10.0)`):
/// the bound `--max-regression` sets.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Percent(f64);

impl Percent {
    /// The number of percent (10 for 10 %).
    pub fn get(self) -> f64 {
        self.0
    }
}

/// Parses `10%`, `2.5%` (or `10`) into a [`Percent`]; clap's value parser of
/// `--max-regression` (clap puts the flag and the value in front of the error).
pub fn parse_percent(text: &str) -> Result<Percent, String> {
    let t = text.trim();
    let number = t.strip_suffix('%').unwrap_or(t).trim();
    match number.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(Percent(v)),
        _ => Err("expected a percentage of 0 or more, such as 10% or 2.5%".to_string()),
    }
}

/// Where a run's `summary.json` is, given its folder or the file itself.
pub fn summary_path(path: &Path) -> PathBuf {
    if path.is_dir() {
        path.join(json::FILE_NAME)
    } else {
        path.to_path_buf()
    }
}

/// Loads a run's summary from its folder or `summary.json`. Unreadable or
/// invalid input is an input error (exit code 2).
pub fn load(path: &Path) -> Result<RunResults, Error> {
    let file = summary_path(path);
    let bytes = std::fs::read(&file).map_err(|e| {
        Error::input(format!(
            "cannot read {}: {e}; give a run's output folder or its summary.json",
            file.display()
        ))
    })?;
    let mut results = Summary::parse(&bytes, &file.display().to_string())?.to_results();
    if results.verdict == Verdict::Running {
        // The summary a run writes when it starts holds no figures yet.
        return Err(Error::input(format!(
            "{} is the summary of a run that is still going or was killed before it ended; \
             wait for it to end, or rebuild a killed run's results with \
             `agentload report {} --in-place` first",
            file.display(),
            file.parent()
                .map_or(file.clone(), Path::to_path_buf)
                .display()
        )));
    }
    if results.percentile_bounds.is_empty() {
        bounds_from_log(&mut results, &file)?;
    }
    Ok(results)
}

/// Fills in the percentile intervals of a summary written before runs stored
/// them, from the `histograms.hlog` beside it, for the measurements whose
/// log holds every value the summary counted. Without a log the latency rows
/// are "not enough data".
fn bounds_from_log(results: &mut RunResults, summary_file: &Path) -> Result<(), Error> {
    let Some(dir) = summary_file.parent() else {
        return Ok(());
    };
    let log_file = dir.join(hlog::FILE_NAME);
    let bytes = match std::fs::read(&log_file) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => {
            return Err(Error::input(format!(
                "cannot read {}: {e}",
                log_file.display()
            )));
        }
    };
    let log = hlog::read(&bytes, &log_file.display().to_string())?;
    let bounds = bounds_of(&log.histograms, &log.intervals);
    for m in Measure::ALL {
        // A log that stopped early holds fewer values than the run measured.
        let whole = log.histograms[m.index()].len() == results.percentiles(m).count;
        if let (true, Some(b)) = (whole, bounds.get(m.name())) {
            results
                .percentile_bounds
                .insert(m.name().to_string(), b.clone());
        }
    }
    Ok(())
}

/// Compares `new` with `baseline`; `label` names the baseline in reports.
pub fn compare(
    baseline: &RunResults,
    new: &RunResults,
    label: &str,
    options: &CompareOptions,
) -> BaselineComparison {
    let mut rows = rows::latency(baseline, new, options);
    rows.extend(rows::outcomes(baseline, new, options));
    BaselineComparison {
        baseline: label.to_string(),
        max_regression_pct: options.max_regression.get(),
        floor_us: options.floor_us,
        confidence: stats::LEVEL,
        passed: rows.iter().all(|r| !r.regressed()),
        rows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{Counter, Gauge, Measure};
    use crate::report::model::RowVerdict;

    fn row<'a>(cmp: &'a BaselineComparison, name: &str) -> &'a crate::report::ComparisonRow {
        cmp.rows
            .iter()
            .find(|r| r.name() == name)
            .unwrap_or_else(|| panic!("no row {name} in {:#?}", cmp.rows))
    }

    /// Multiplies a measurement's stored percentiles and intervals by `k`.
    fn scale(r: &mut RunResults, m: Measure, k: u64) {
        let p = &mut r.measures[m.index()];
        for v in [&mut p.p50_us, &mut p.p90_us, &mut p.p95_us, &mut p.p99_us] {
            *v *= k;
        }
        for pair in r.percentile_bounds.get_mut(m.name()).unwrap().values_mut() {
            pair[0] *= k;
            pair[1] *= k;
        }
    }

    #[test]
    fn a_run_against_itself_has_no_regression_and_says_what_it_cannot_tell() {
        let run = RunResults::example();
        let same = compare(&run, &run, "self", &CompareOptions::default());
        assert!(same.passed, "{:#?}", same.rows);
        assert_eq!(
            row(&same, "invite_delivery.p50").verdict,
            RowVerdict::Unchanged
        );
        // 240 values: too few in the tail for a p99 interval.
        assert_eq!(
            row(&same, "invite_delivery.p99").verdict,
            RowVerdict::NotEnoughData
        );
        for r in &same.rows {
            assert!(
                matches!(r.verdict, RowVerdict::Unchanged | RowVerdict::NotEnoughData),
                "{r:?}"
            );
        }
        for name in [
            "errors.rate",
            "errors.http_503.rate",
            "interactions_lost.share",
            "invites_offered.per_s",
            "invites_accepted.per_s",
            "agents_not_logged_in.share",
            "generator.doubtful_intervals",
        ] {
            row(&same, name);
        }
    }

    #[test]
    fn a_doubled_latency_regresses_and_a_halved_one_improves() {
        let run = RunResults::example();
        let mut slower = run.clone();
        scale(&mut slower, Measure::InviteDelivery, 2);
        let cmp = compare(&run, &slower, "base", &CompareOptions::default());
        assert!(!cmp.passed);
        let p50 = row(&cmp, "invite_delivery.p50");
        assert_eq!(p50.verdict, RowVerdict::Regressed);
        assert_eq!(p50.change_pct, Some(100.0));
        assert!(p50.baseline_interval.is_some() && p50.new_interval.is_some());
        let back = compare(&slower, &run, "base", &CompareOptions::default());
        assert!(back.passed);
        assert_eq!(
            row(&back, "invite_delivery.p50").verdict,
            RowVerdict::Improved
        );
        // A generous bound lets it pass.
        let generous = CompareOptions {
            max_regression: parse_percent("150%").unwrap(),
            ..CompareOptions::default()
        };
        let cmp = compare(&run, &slower, "base", &generous);
        assert!(cmp.passed);
        assert_eq!(cmp.max_regression_pct, 150.0);
    }

    #[test]
    fn without_intervals_latencies_are_not_enough_data() {
        let run = RunResults::example();
        let mut old = run.clone();
        old.percentile_bounds.clear();
        old.measures[Measure::InviteDelivery.index()].p50_us *= 3;
        let cmp = compare(&run, &old, "old", &CompareOptions::default());
        assert!(cmp.passed);
        assert_eq!(
            row(&cmp, "invite_delivery.p50").verdict,
            RowVerdict::NotEnoughData
        );
    }

    #[test]
    fn a_saturated_generator_makes_latencies_not_comparable() {
        let run = RunResults::example();
        let mut saturated = run.clone();
        saturated.generator.doubtful = true;
        saturated.generator.doubtful_intervals = 6;
        let cmp = compare(&run, &saturated, "b", &CompareOptions::default());
        assert!(cmp.passed, "{:#?}", cmp.rows);
        let p50 = row(&cmp, "invite_delivery.p50");
        assert_eq!(p50.verdict, RowVerdict::NotComparable);
        assert!(p50.note.as_deref().unwrap().contains("the new run"));
        assert_eq!(
            row(&cmp, "generator.doubtful_intervals").verdict,
            RowVerdict::NotComparable
        );
        // A change beyond its widened intervals and its worst stall is
        // still a regression; within the stall it is not comparable.
        scale(&mut saturated, Measure::InviteDelivery, 3);
        saturated.generator.scheduler_lag_max_us = 500_000;
        let cmp = compare(&run, &saturated, "b", &CompareOptions::default());
        assert!(cmp.passed, "a 500 ms stall could explain it");
        assert_eq!(
            row(&cmp, "invite_delivery.p50").verdict,
            RowVerdict::NotComparable
        );
        // The same stall in the baseline only ever raised the baseline.
        let cmp = compare(&saturated, &run, "b", &CompareOptions::default());
        assert_eq!(
            row(&cmp, "invite_delivery.p50").verdict,
            RowVerdict::NotComparable,
            "an improvement within the baseline's stall"
        );
        let mut stalled_base = run.clone();
        stalled_base.generator.doubtful = true;
        stalled_base.generator.scheduler_lag_max_us = 500_000;
        let mut slower = run.clone();
        scale(&mut slower, Measure::InviteDelivery, 3);
        let cmp = compare(&stalled_base, &slower, "b", &CompareOptions::default());
        assert_eq!(
            row(&cmp, "invite_delivery.p50").verdict,
            RowVerdict::Regressed
        );
        saturated.generator.scheduler_lag_max_us = 20_000;
        let cmp = compare(&run, &saturated, "b", &CompareOptions::default());
        assert!(!cmp.passed);
        let p50 = row(&cmp, "invite_delivery.p50");
        assert_eq!(p50.verdict, RowVerdict::Regressed);
        assert!(p50.note.is_some());
    }

    #[test]
    fn errors_count_as_proportions_with_a_floor() {
        let mut clean = RunResults::example();
        clean.errors.clear();
        let mut one = clean.clone();
        one.errors.insert("http_503".into(), 1);
        let cmp = compare(&clean, &one, "b", &CompareOptions::default());
        assert!(cmp.passed, "one error is chance: {:#?}", cmp.rows);
        assert!(matches!(
            row(&cmp, "errors.rate").verdict,
            RowVerdict::Unchanged | RowVerdict::Noise
        ));
        let mut broken = clean.clone();
        broken
            .errors
            .insert("login_refused".into(), clean.requests() * 10);
        let cmp = compare(&clean, &broken, "b", &CompareOptions::default());
        assert!(!cmp.passed);
        assert_eq!(row(&cmp, "errors.rate").verdict, RowVerdict::Regressed);
        assert_eq!(
            row(&cmp, "errors.login_refused.rate").verdict,
            RowVerdict::Regressed
        );
    }

    #[test]
    fn losses_logins_and_throughput_are_compared() {
        let run = RunResults::example();
        let mut worse = run.clone();
        let injected = worse.counter(Counter::InteractionsInjected);
        worse.counters[Counter::InteractionsLost.index()] = injected / 2;
        worse.counters[Counter::InvitesOffered.index()] /= 4;
        // Nobody logged in: no session started, none connected.
        worse.run.agents_connected_peak = 0;
        worse.measures[Measure::SessionStart.index()].count = 0;
        for i in &mut worse.intervals {
            i.gauges[Gauge::AgentsConnected.index()] = 0;
        }
        let cmp = compare(&run, &worse, "b", &CompareOptions::default());
        for name in [
            "interactions_lost.share",
            "invites_offered.per_s",
            "agents_not_logged_in.share",
        ] {
            assert_eq!(row(&cmp, name).verdict, RowVerdict::Regressed, "{name}");
        }
        assert_eq!(
            row(&cmp, "invites_accepted.per_s").verdict,
            RowVerdict::Unchanged
        );
    }

    #[test]
    fn a_measurement_that_vanished_regresses() {
        let run = RunResults::example();
        let mut broken = run.clone();
        broken.measures[Measure::InviteDelivery.index()] = Default::default();
        let cmp = compare(&run, &broken, "b", &CompareOptions::default());
        assert!(!cmp.passed);
        assert_eq!(
            row(&cmp, "invite_delivery.count").verdict,
            RowVerdict::Regressed
        );
    }

    #[test]
    fn percent_parsing() {
        assert_eq!(parse_percent("10%").unwrap().get(), 10.0);
        assert_eq!(parse_percent(" 2.5 ").unwrap().get(), 2.5);
        let err = parse_percent("ten").unwrap_err();
        assert!(err.contains("10%") && err.contains("2.5%"), "{err}");
        assert!(parse_percent("-1%").is_err());
        assert!(parse_percent("NaN%").is_err());
    }
}
