//! Judging parsed gates against a run's results, over the whole run or
//! over every interval / sliding window.

use hdrhistogram::Histogram;

use crate::metrics::Measure;
use crate::metrics::histogram::new_histogram;
use crate::report::drift;
use crate::report::model::{FailedWindow, GateResult, IntervalSummary, Percentiles, RunResults};
use crate::units::format;

use super::parse::{Gate, Subject, Window};

/// Judges every gate.
pub fn evaluate_all(gates: &[Gate], results: &RunResults) -> Vec<GateResult> {
    gates.iter().map(|g| evaluate(g, results)).collect()
}

/// Judges one gate.
pub fn evaluate(gate: &Gate, results: &RunResults) -> GateResult {
    match gate.window {
        Window::Run => whole_run(gate, results),
        Window::EachInterval => windowed(gate, results, 1),
        Window::Sliding(d) => {
            let interval_ms = results
                .intervals
                .first()
                .map(|i| i.length_ms)
                .filter(|&ms| ms > 0)
                .unwrap_or(results.run.interval_ms.max(1));
            let k = (d.as_millis() as u64).div_ceil(interval_ms).max(1) as usize;
            windowed(gate, results, k)
        }
    }
}

fn verdict(gate: &Gate, observed: Option<f64>, note: Option<String>) -> GateResult {
    match observed {
        Some(v) => GateResult {
            rule: gate.rule.clone(),
            observed: gate.unit.format(v),
            expected: gate.expected(),
            passed: gate.op.holds(v, gate.bound),
            window: None,
            note,
        },
        None => GateResult {
            rule: gate.rule.clone(),
            observed: "n/a".to_string(),
            expected: gate.expected(),
            passed: false,
            window: None,
            note,
        },
    }
}

fn whole_run(gate: &Gate, r: &RunResults) -> GateResult {
    let secs = r.seconds();
    let errors_of = |kind: &Option<String>| match kind {
        None => r.error_total(),
        Some(k) => r.errors.get(k).copied().unwrap_or(0),
    };
    let observed = match &gate.subject {
        Subject::Latency(m, stat) => {
            let p = r.percentiles(*m);
            if p.count == 0 {
                return verdict(gate, None, Some(no_values(*m)));
            }
            p.stat(stat)
        }
        Subject::MeasureCount(m) => Some(r.percentiles(*m).count as f64),
        Subject::MeasureRate(m) => Some(r.percentiles(*m).count as f64 / secs),
        Subject::Counter(c) => Some(r.counter(*c) as f64),
        Subject::CounterRate(c) => Some(r.counter(*c) as f64 / secs),
        Subject::Errors(kind) => Some(errors_of(kind) as f64),
        Subject::ErrorsPerSecond(kind) => Some(errors_of(kind) as f64 / secs),
        Subject::ErrorRatio => Some(r.error_ratio()),
        Subject::Drift(series) => {
            let found = r
                .drift
                .iter()
                .find(|d| &d.series == series)
                .cloned()
                .or_else(|| drift::series_drift(series, &r.intervals));
            match found {
                Some(d) => Some(d.pct_per_hour),
                None => {
                    // Too short to tell is not a failure: a smoke run with a
                    // soak gate in its profile must still pass.
                    let mut result = verdict(gate, Some(0.0), None);
                    result.observed = "n/a".to_string();
                    result.passed = true;
                    result.note = Some(format!(
                        "not enough data to estimate drift (needs {} intervals with values spanning {})",
                        drift::MIN_POINTS,
                        format::duration_ms(drift::MIN_SPAN_MS as u64)
                    ));
                    return result;
                }
            }
        }
    };
    verdict(gate, observed, None)
}

fn no_values(m: Measure) -> String {
    format!("no {} values were recorded", m.name())
}

/// Sums of one window's intervals.
struct WindowSums {
    seconds: f64,
    ops: u64,
    errors: u64,
}

fn window_value(gate: &Gate, w: &[IntervalSummary], hist: Option<&Histogram<u64>>) -> Option<f64> {
    let sums = WindowSums {
        seconds: w.iter().map(IntervalSummary::seconds).sum(),
        ops: w.iter().map(IntervalSummary::requests).sum(),
        errors: w.iter().map(IntervalSummary::error_total).sum(),
    };
    let errors_of = |kind: &Option<String>| -> u64 {
        match kind {
            None => sums.errors,
            Some(k) => w
                .iter()
                .map(|i| i.errors.get(k).copied().unwrap_or(0))
                .sum(),
        }
    };
    match &gate.subject {
        Subject::Latency(_, stat) => {
            let h = hist?;
            if h.is_empty() {
                return None;
            }
            Percentiles::of(h).stat(stat)
        }
        Subject::MeasureCount(m) => Some(w.iter().map(|i| i.measure(*m).count).sum::<u64>() as f64),
        Subject::MeasureRate(m) => {
            Some(w.iter().map(|i| i.measure(*m).count).sum::<u64>() as f64 / sums.seconds)
        }
        Subject::Counter(c) => Some(w.iter().map(|i| i.counter(*c)).sum::<u64>() as f64),
        Subject::CounterRate(c) => {
            Some(w.iter().map(|i| i.counter(*c)).sum::<u64>() as f64 / sums.seconds)
        }
        Subject::Errors(kind) => Some(errors_of(kind) as f64),
        Subject::ErrorsPerSecond(kind) => Some(errors_of(kind) as f64 / sums.seconds),
        Subject::ErrorRatio => Some(if sums.ops + sums.errors == 0 {
            0.0
        } else {
            sums.errors as f64 / (sums.ops + sums.errors) as f64
        }),
        // The parser rejects windows on drift.
        Subject::Drift(_) => None,
    }
}

fn windowed(gate: &Gate, r: &RunResults, k: usize) -> GateResult {
    let intervals = &r.intervals;
    if intervals.is_empty() {
        let mut result = whole_run(gate, r);
        result.note = Some(
            "no interval data (rebuilt from summary.json alone): judged over the whole run".into(),
        );
        return result;
    }
    let mut note = None;
    let k = if intervals.len() < k {
        note = Some("the run is shorter than the window: judged over the whole run".to_string());
        intervals.len()
    } else {
        k
    };
    let latency = match &gate.subject {
        Subject::Latency(m, _) => Some(*m),
        _ => None,
    };
    if let Some(m) = latency {
        let recorded: u64 = intervals.iter().map(|i| i.measure(m).count).sum();
        if recorded == 0 {
            return verdict(gate, None, Some(no_values(m)));
        }
        let kept = intervals.iter().all(|i| {
            i.measure(m).count == 0 || !i.encoded.get(m.index()).is_none_or(Vec::is_empty)
        });
        if !kept {
            let mut result = whole_run(gate, r);
            result.note =
                Some("per-interval histograms are missing: judged over the whole run".to_string());
            return result;
        }
    }

    let mut running = latency.map(|_| new_histogram());
    let mut worst: Option<f64> = None;
    let mut first_failure: Option<(FailedWindow, f64)> = None;
    for end in k..=intervals.len() {
        let start = end - k;
        if let (Some(h), Some(m)) = (running.as_mut(), latency) {
            if end == k {
                for i in &intervals[..k] {
                    let _ = h.add(i.histogram(m));
                }
            } else {
                let _ = h.add(intervals[end - 1].histogram(m));
                let _ = h.subtract(intervals[start - 1].histogram(m));
            }
        }
        let Some(v) = window_value(gate, &intervals[start..end], running.as_ref()) else {
            continue;
        };
        let is_worse = |w: f64| if gate.op.upper_bound() { v > w } else { v < w };
        if worst.is_none_or(is_worse) {
            worst = Some(v);
        }
        if first_failure.is_none() && !gate.op.holds(v, gate.bound) {
            let last = &intervals[end - 1];
            first_failure = Some((
                FailedWindow {
                    start_offset_ms: intervals[start].start_offset_ms,
                    end_offset_ms: last.start_offset_ms + last.length_ms,
                },
                v,
            ));
        }
    }
    match (first_failure, worst) {
        (Some((window, v)), _) => {
            let mut result = verdict(gate, Some(v), note);
            // Show the worst window's value; the first failing window locates it.
            if let Some(w) = worst {
                result.observed = gate.unit.format(w);
            }
            result.passed = false;
            result.window = Some(window);
            result
        }
        (None, Some(w)) => verdict(gate, Some(w), note),
        (None, None) => {
            let mut result = verdict(gate, None, Some("no window had values to judge".into()));
            result.passed = true;
            result
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::gate::parse::Gate;

    fn judge(rule: &str) -> GateResult {
        evaluate(&Gate::parse(rule).unwrap(), &RunResults::example())
    }

    #[test]
    fn whole_run_gates_pass_and_fail() {
        let r = RunResults::example();
        let p99 = r.percentiles(Measure::InviteDelivery).p99_us;
        assert_eq!(p99, 87_615);
        let pass = judge("invite_delivery.p99 < 100ms");
        assert!(pass.passed, "{pass:?}");
        assert_eq!(pass.observed, "87.6 ms");
        assert_eq!(pass.expected, "< 100ms");
        let fail = judge("invite_delivery.p99 < 1us");
        assert!(!fail.passed);
        assert!(fail.window.is_none());

        assert!(judge("interactions_lost == 0").passed);
        assert!(!judge("invites_revoked == 0").passed);
        // 240 offered in 12 s = 20/s.
        let rate = judge("invites_offered.rate > 10/s");
        assert!(rate.passed && rate.observed == "20.0/s", "{rate:?}");
        assert!(!judge("invites_offered.rate > 25/s").passed);
        // 4 errors over 1158 requests ~ 0.34 %.
        let ratio = judge("errors.rate < 0.1%");
        assert!(!ratio.passed);
        assert_eq!(ratio.observed, "0.344%");
        assert!(judge("errors.rate < 1%").passed);
        assert!(judge("errors.http_503 == 3").passed);
        assert!(judge("errors.rate < 1/s").passed);
    }

    #[test]
    fn windowed_gates_find_the_failing_window() {
        // Latency grows ~2 ms per interval, so late windows are slower.
        let whole = judge("invite_delivery.p99 < 90ms");
        assert!(whole.passed, "{whole:?}");
        let each = judge("invite_delivery.p50 < 60ms each interval");
        assert!(!each.passed);
        let w = each.window.unwrap();
        assert_eq!(w.end_offset_ms - w.start_offset_ms, 1000);
        assert!(w.start_offset_ms > 0, "early intervals are fast: {w:?}");

        let slid = judge("invite_delivery.p50 < 60ms over 3s");
        let w = slid.window.unwrap();
        assert_eq!(w.end_offset_ms - w.start_offset_ms, 3000);

        // Errors: one at intervals 3 and 11, two at 7; a 5 s window holds 3 at most.
        assert!(!judge("errors <= 2 over 5s").passed);
        assert!(judge("errors <= 3 over 5s").passed);
        assert!(!judge("errors <= 1 each interval").passed);
        assert!(judge("errors <= 2 each interval").passed);
    }

    #[test]
    fn an_accumulator_for_gates_keeps_what_they_need() {
        use crate::report::fixtures::{example_run_info, example_snapshots};
        use crate::report::model::IntervalAccumulator;
        let gates =
            crate::report::gate::parse_all(["invite_delivery.p50 < 60ms each interval"]).unwrap();
        let mut acc = IntervalAccumulator::for_gates(&gates);
        for s in example_snapshots() {
            acc.add(&s);
        }
        let lean = acc.finish(example_run_info());
        let accept = Measure::Accept.index();
        assert!(lean.intervals.iter().all(|i| i.encoded[accept].is_empty()));
        let windowed = evaluate(&gates[0], &lean);
        let full = evaluate(&gates[0], &RunResults::example());
        assert_eq!(windowed.window, full.window);
        assert!(windowed.note.is_none());
        assert_eq!(lean.measures, RunResults::example().measures);
    }

    #[test]
    fn sliding_window_equals_merging_its_intervals() {
        let r = RunResults::example();
        let g = Gate::parse("invite_delivery.p99 < 1us over 4s").unwrap();
        let result = evaluate(&g, &r);
        // Worst 4 s window's p99, computed independently.
        let worst = r
            .intervals
            .windows(4)
            .map(|w| {
                let mut h = new_histogram();
                for i in w {
                    h.add(i.histogram(Measure::InviteDelivery)).unwrap();
                }
                h.value_at_quantile(0.99)
            })
            .max()
            .unwrap();
        assert_eq!(result.observed, format::latency_us(worst as f64));
        assert_eq!(result.window.unwrap().start_offset_ms, 0);
    }

    #[test]
    fn missing_data_is_said_not_hidden() {
        let mut r = RunResults::example();
        r.measures[Measure::Reject.index()] = Percentiles::default();
        let g = Gate::parse("reject.p99 < 1s").unwrap();
        let result = evaluate(&g, &r);
        assert!(!result.passed);
        assert_eq!(
            result.note.as_deref(),
            Some("no reject values were recorded")
        );

        let short = judge("invite_delivery.p99 drift < 20%/h");
        assert!(short.passed && short.note.is_some(), "{short:?}");
    }

    /// An hour of one-minute intervals whose p99 starts at 100 ms and grows
    /// by `ms_per_hour`.
    fn soak(ms_per_hour: u64) -> RunResults {
        let mut r = RunResults::example();
        let template = r.intervals[0].clone();
        r.intervals = (0..60u64)
            .map(|n| {
                let mut i = template.clone();
                i.index = n;
                i.start_offset_ms = n * 60_000;
                i.length_ms = 60_000;
                let wobble = [0, 7_000, 2_000, 9_000, 4_000][n as usize % 5];
                i.measures[Measure::InviteDelivery.index()].p99_us =
                    100_000 + ms_per_hour * 1000 * n / 60 + wobble;
                i
            })
            .collect();
        r.drift = drift::run_drift(&r.intervals);
        r
    }

    #[test]
    fn drift_gates_judge_the_trend() {
        let g = Gate::parse("invite_delivery.p99 drift < 20%/h").unwrap();
        let flat = evaluate(&g, &soak(0));
        assert!(flat.passed && flat.note.is_none(), "{flat:?}");
        let rising = evaluate(&g, &soak(50));
        assert!(!rising.passed, "{rising:?}");
        assert!(rising.observed.ends_with("%/h"));
    }
}
