//! The rows of a comparison: every percentile of every measurement either
//! run recorded, then the error rates, losses, throughput, logins and the
//! generator's health. Each row is judged by [`judge`].

use crate::metrics::{Counter, Measure};
use crate::report::model::{ComparisonRow, RowUnit, RowVerdict, RunResults};

use super::CompareOptions;
use super::judge::{Bound, Estimate, Worse, judge};
use super::stats::{self, Interval};

/// One row before it is judged.
struct Pair {
    metric: String,
    stat: &'static str,
    unit: RowUnit,
    baseline: Estimate,
    new: Estimate,
}

impl Pair {
    fn judged(self, worse: Worse, bound: Bound) -> ComparisonRow {
        let verdict = judge(self.baseline, self.new, worse, bound);
        self.with(verdict, None)
    }

    fn with(self, verdict: RowVerdict, note: Option<String>) -> ComparisonRow {
        let (b, n) = (self.baseline.value, self.new.value);
        ComparisonRow {
            metric: self.metric,
            stat: self.stat.to_string(),
            unit: self.unit,
            baseline: b,
            new: n,
            baseline_interval: self.baseline.interval.map(Interval::pair),
            new_interval: self.new.interval.map(Interval::pair),
            change_pct: (b != 0.0).then(|| ((n - b) / b * 1000.0).round() / 10.0),
            verdict,
            note,
        }
    }
}

/// Why latencies cannot be compared, when a run's generator was saturated.
fn saturation(baseline: &RunResults, new: &RunResults) -> Option<String> {
    let which = match (baseline.generator.doubtful, new.generator.doubtful) {
        (false, false) => return None,
        (true, false) => "the baseline",
        (false, true) => "the new run",
        (true, true) => "both runs",
    };
    Some(format!(
        "the load generator was saturated in {which}: its latencies include the generator's own delay"
    ))
}

fn bound_of(r: &RunResults, m: Measure, stat: &str) -> Option<Interval> {
    let [low, high] = *r.percentile_bounds.get(m.name())?.get(stat)?;
    Some(Interval::of([low as f64, high as f64]))
}

/// The percentile rows of every measurement either run recorded.
pub fn latency(
    baseline: &RunResults,
    new: &RunResults,
    options: &CompareOptions,
) -> Vec<ComparisonRow> {
    let bound = Bound {
        relative: options.max_regression.get() / 100.0,
        floor: options.floor_us as f64,
    };
    let saturated = saturation(baseline, new);
    // A saturated generator can add up to its worst scheduler stall to any
    // value (the embedded simulator shares the machine, too): a change no
    // bigger cannot be told from it, whatever the intervals say.
    let stall = |r: &RunResults| {
        if r.generator.doubtful {
            r.generator.scheduler_lag_max_us as f64
        } else {
            0.0
        }
    };
    // A stall only ever raises the stalled run's values: the new run's
    // guards a regression, the baseline's an improvement.
    let regress = Bound {
        floor: bound.floor.max(stall(new)),
        ..bound
    };
    let improve = Bound {
        floor: bound.floor.max(stall(baseline)),
        ..bound
    };
    let mut rows = Vec::new();
    for m in Measure::ALL {
        let (b, n) = (baseline.percentiles(m), new.percentiles(m));
        if b.count == 0 && n.count == 0 {
            continue;
        }
        if n.count == 0 && b.count >= options.min_count {
            // It used to happen and now never does: something broke.
            let pair = Pair {
                metric: m.name().to_string(),
                stat: "count",
                unit: RowUnit::Count,
                baseline: Estimate {
                    value: b.count as f64,
                    interval: None,
                },
                new: Estimate {
                    value: 0.0,
                    interval: None,
                },
            };
            let note = "no values in the new run".to_string();
            rows.push(pair.with(RowVerdict::Regressed, Some(note)));
            continue;
        }
        for &stat in &options.stats {
            let (Some(bv), Some(nv)) = (b.stat(stat), n.stat(stat)) else {
                continue;
            };
            let pair = Pair {
                metric: m.name().to_string(),
                stat,
                unit: RowUnit::Us,
                baseline: Estimate {
                    value: bv,
                    interval: bound_of(baseline, m, stat),
                },
                new: Estimate {
                    value: nv,
                    interval: bound_of(new, m, stat),
                },
            };
            let judged = |bound| judge(pair.baseline, pair.new, Worse::Higher, bound);
            let verdict = if judged(regress) == RowVerdict::Regressed {
                RowVerdict::Regressed
            } else if judged(improve) == RowVerdict::Improved {
                RowVerdict::Improved
            } else {
                match judged(bound) {
                    // Only a stall's floor kept it from counting.
                    RowVerdict::Regressed | RowVerdict::Improved => RowVerdict::NotComparable,
                    v => v,
                }
            };
            rows.push(match (&saturated, verdict) {
                (None, v) | (Some(_), v @ RowVerdict::NotEnoughData) => pair.with(v, None),
                // The intervals of a saturated run allow for its own delay
                // (stats::quantile_interval) and the floor for its worst
                // stall, so a change beyond both stands; anything less
                // cannot be told from the generator's delay.
                (Some(why), RowVerdict::Regressed | RowVerdict::Improved) => {
                    pair.with(verdict, Some(why.clone()))
                }
                (Some(why), _) => pair.with(RowVerdict::NotComparable, Some(why.clone())),
            });
        }
    }
    rows
}

/// A proportion `k` of `n` as an estimate with its Wilson interval.
fn share(k: u64, n: u64) -> Estimate {
    Estimate {
        value: if n == 0 {
            0.0
        } else {
            k.min(n) as f64 / n as f64
        },
        interval: stats::proportion(k, n),
    }
}

/// `k` events over a run as a rate per second with its Poisson interval.
fn per_second(k: u64, r: &RunResults) -> Estimate {
    Estimate {
        value: k as f64 / r.seconds(),
        interval: stats::rate(k, r.seconds()),
    }
}

/// Error rates (overall and by kind), interactions lost, agents that never
/// logged in, throughput and the generator's health.
pub fn outcomes(
    baseline: &RunResults,
    new: &RunResults,
    options: &CompareOptions,
) -> Vec<ComparisonRow> {
    let relative = options.max_regression.get() / 100.0;
    let fractions = Bound {
        relative,
        floor: options.floor_fraction,
    };
    let mut rows = Vec::new();
    let mut proportion = |metric: String, stat, b: (u64, u64), n: (u64, u64)| {
        if b.1 == 0 && n.1 == 0 {
            return;
        }
        let pair = Pair {
            metric,
            stat,
            unit: RowUnit::Fraction,
            baseline: share(b.0, b.1),
            new: share(n.0, n.1),
        };
        rows.push(pair.judged(Worse::Higher, fractions));
    };
    let attempts = |r: &RunResults| r.requests() + r.error_total();
    let (b_ops, n_ops) = (attempts(baseline), attempts(new));
    let errors = (baseline.error_total(), b_ops);
    proportion("errors".into(), "rate", errors, (new.error_total(), n_ops));
    let mut kinds: Vec<&String> = baseline.errors.keys().chain(new.errors.keys()).collect();
    kinds.sort();
    kinds.dedup();
    for kind in kinds {
        let count = |r: &RunResults| r.errors.get(kind).copied().unwrap_or(0);
        let metric = format!("errors.{kind}");
        proportion(
            metric,
            "rate",
            (count(baseline), b_ops),
            (count(new), n_ops),
        );
    }
    let lost = |r: &RunResults| {
        let injected = r.counter(Counter::InteractionsInjected);
        (r.counter(Counter::InteractionsLost), injected)
    };
    proportion(
        "interactions_lost".into(),
        "share",
        lost(baseline),
        lost(new),
    );
    let not_logged_in = |r: &RunResults| {
        let planned = u64::from(r.run.agents);
        let peak = u64::from(r.agents_connected_peak());
        // Sessions started but no peak: a summary from before the peak was
        // recorded, so unknown rather than "nobody logged in".
        let unknown = peak == 0 && r.percentiles(Measure::SessionStart).count > 0;
        (!unknown).then(|| (planned.saturating_sub(peak), planned))
    };
    if let (Some(b), Some(n)) = (not_logged_in(baseline), not_logged_in(new)) {
        proportion("agents_not_logged_in".into(), "share", b, n);
    }
    let throughput = Bound {
        relative,
        floor: 0.0,
    };
    for c in [Counter::InvitesOffered, Counter::InvitesAccepted] {
        let (b, n) = (baseline.counter(c), new.counter(c));
        if b == 0 && n == 0 {
            continue;
        }
        let pair = Pair {
            metric: c.name().to_string(),
            stat: "per_s",
            unit: RowUnit::PerSecond,
            baseline: per_second(b, baseline),
            new: per_second(n, new),
        };
        rows.push(pair.judged(Worse::Lower, throughput));
    }
    rows.push(generator(baseline, new));
    rows
}

/// The generator's saturated intervals: not comparable when either run's
/// generator was saturated (its latency rows are not compared), else unchanged.
fn generator(baseline: &RunResults, new: &RunResults) -> ComparisonRow {
    let doubtful = |r: &RunResults| Estimate {
        value: r.generator.doubtful_intervals as f64,
        interval: None,
    };
    let pair = Pair {
        metric: "generator".to_string(),
        stat: "doubtful_intervals",
        unit: RowUnit::Count,
        baseline: doubtful(baseline),
        new: doubtful(new),
    };
    match saturation(baseline, new) {
        Some(why) => pair.with(RowVerdict::NotComparable, Some(why)),
        None => pair.with(RowVerdict::Unchanged, None),
    }
}
