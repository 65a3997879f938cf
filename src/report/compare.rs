//! Baseline comparison: a new run's latency percentiles against a previous
//! run's, metric by metric, failing on a relative slowdown beyond a bound.
//! An absolute floor keeps microsecond noise from failing a build.

use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::metrics::Measure;

use super::json::{self, Summary};
use super::model::{BaselineComparison, ComparisonRow, RunResults};

/// How strict a comparison is.
#[derive(Debug, Clone, PartialEq)]
pub struct CompareOptions {
    /// Largest allowed slowdown.
    pub max_regression: Percent,
    /// A slowdown smaller than this many µs never counts, whatever its percentage.
    pub floor_us: u64,
    /// Measurements with fewer values than this in either run are not compared
    /// (their percentiles are noise).
    pub min_count: u64,
    /// The statistics compared.
    pub stats: Vec<&'static str>,
}

impl Default for CompareOptions {
    fn default() -> Self {
        CompareOptions {
            max_regression: Percent(10.0),
            floor_us: 1_000,
            min_count: 20,
            stats: vec!["p50", "p90", "p95", "p99"],
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
    Ok(Summary::parse(&bytes, &file.display().to_string())?.to_results())
}

/// Compares `new` with `baseline`; `label` names the baseline in reports.
pub fn compare(
    baseline: &RunResults,
    new: &RunResults,
    label: &str,
    options: &CompareOptions,
) -> BaselineComparison {
    let mut rows = Vec::new();
    for m in Measure::ALL {
        let (b, n) = (baseline.percentiles(m), new.percentiles(m));
        if b.count < options.min_count {
            continue;
        }
        if n.count == 0 {
            // It used to happen and now never does: something broke.
            rows.push(ComparisonRow {
                metric: m.name().to_string(),
                stat: "count".to_string(),
                baseline_us: b.count as f64,
                new_us: 0.0,
                change_pct: -100.0,
                regressed: true,
            });
            continue;
        }
        if n.count < options.min_count {
            continue;
        }
        for stat in &options.stats {
            let (Some(bv), Some(nv)) = (b.stat(stat), n.stat(stat)) else {
                continue;
            };
            let change_pct = if bv > 0.0 {
                ((nv - bv) / bv * 1000.0).round() / 10.0
            } else {
                0.0
            };
            let regressed =
                nv - bv > options.floor_us as f64 && change_pct > options.max_regression.get();
            rows.push(ComparisonRow {
                metric: m.name().to_string(),
                stat: stat.to_string(),
                baseline_us: bv,
                new_us: nv,
                change_pct,
                regressed,
            });
        }
    }
    BaselineComparison {
        baseline: label.to_string(),
        max_regression_pct: options.max_regression.get(),
        floor_us: options.floor_us,
        passed: rows.iter().all(|r| !r.regressed),
        rows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_run_passes_and_doubled_p99_fails() {
        let run = RunResults::example();
        let same = compare(&run, &run, "self", &CompareOptions::default());
        assert!(same.passed);
        assert!(
            same.rows
                .iter()
                .any(|r| r.metric == "invite_delivery" && r.stat == "p99")
        );
        assert!(same.rows.iter().all(|r| r.change_pct == 0.0));

        let mut slower = run.clone();
        slower.measures[Measure::InviteDelivery.index()].p99_us *= 2;
        let cmp = compare(&run, &slower, "base", &CompareOptions::default());
        assert!(!cmp.passed);
        let bad: Vec<_> = cmp.rows.iter().filter(|r| r.regressed).collect();
        assert_eq!(bad.len(), 1);
        assert_eq!(
            (bad[0].metric.as_str(), bad[0].stat.as_str()),
            ("invite_delivery", "p99")
        );
        assert_eq!(bad[0].change_pct, 100.0);
    }

    #[test]
    fn the_floor_ignores_microsecond_noise() {
        let run = RunResults::example();
        let mut noisy = run.clone();
        // connect_gap is ~450 µs: +50 % is only ~220 µs, under the 1 ms floor.
        let gap = &mut noisy.measures[Measure::ConnectGap.index()];
        gap.p99_us = gap.p99_us * 3 / 2;
        assert!(compare(&run, &noisy, "b", &CompareOptions::default()).passed);
        let strict = CompareOptions {
            floor_us: 0,
            ..CompareOptions::default()
        };
        assert!(!compare(&run, &noisy, "b", &strict).passed);
    }

    #[test]
    fn a_measurement_that_vanished_regresses() {
        let run = RunResults::example();
        let mut broken = run.clone();
        broken.measures[Measure::InviteDelivery.index()] = Default::default();
        let cmp = compare(&run, &broken, "b", &CompareOptions::default());
        assert!(!cmp.passed);
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

    #[test]
    fn the_bound_decides_what_regressed() {
        let run = RunResults::example();
        let mut slower = run.clone();
        slower.measures[Measure::InviteDelivery.index()].p99_us *= 2;
        let generous = CompareOptions {
            max_regression: parse_percent("150%").unwrap(),
            ..CompareOptions::default()
        };
        let cmp = compare(&run, &slower, "base", &generous);
        assert!(cmp.passed);
        assert_eq!(cmp.max_regression_pct, 150.0);
    }
}
