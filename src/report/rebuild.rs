//! Rebuilding a run's results from its folder (`agentload report`): the
//! summary from `summary.json`, the intervals and histograms from
//! `histograms.hlog`. Either may be missing (a killed run has no summary; an
//! old or trimmed folder may lack the log); what is missing is said in the
//! results' notes.

use std::path::Path;

use crate::error::Error;

use super::gate::{self, Gate};
use super::hlog::{self, HlogContents};
use super::json::{self, Summary};
use super::model::{IntervalAccumulator, RunInfo, RunResults, Verdict};

fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, Error> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::input(format!("cannot read {}: {e}", path.display()))),
    }
}

fn push_note(notes: &mut Vec<String>, note: String) {
    if !notes.contains(&note) {
        notes.push(note);
    }
}

/// Rebuilds the results in `dir` and judges the gates again: the rules the
/// run was judged by (from `summary.json`) and then `extra` ones.
pub fn rebuild(dir: &Path, extra: &[Gate]) -> Result<RunResults, Error> {
    let summary_file = dir.join(json::FILE_NAME);
    let hlog_file = dir.join(hlog::FILE_NAME);
    let summary = match read_optional(&summary_file)? {
        Some(bytes) => Some(Summary::parse(&bytes, &summary_file.display().to_string())?),
        None => None,
    };
    let log = match read_optional(&hlog_file)? {
        Some(bytes) => Some(hlog::read(&bytes, &hlog_file.display().to_string())?),
        None => None,
    };
    // A log without intervals (a run stopped before its first one ended)
    // has nothing to add to a summary.
    let log = log.filter(|l| !l.intervals.is_empty() || summary.is_none());

    let mut results = match (&summary, log) {
        (None, None) => {
            return Err(Error::input(format!(
                "{} holds neither {} nor {}; give the output folder of an agentload run",
                dir.display(),
                json::FILE_NAME,
                hlog::FILE_NAME
            )));
        }
        (Some(s), None) => from_summary_alone(s),
        (s, Some(log)) => from_log(s.as_ref(), log),
    };
    let gates = gates_to_judge(summary.as_ref(), &summary_file, extra)?;
    let verdicts = gate::evaluate_all(&gates, &results);
    let baseline = results.baseline.take();
    results.set_verdicts(verdicts, baseline);
    keep_how_it_ended(&mut results, summary.as_ref());
    Ok(results)
}

/// A run that stopped early (aborted, interrupted, not run) keeps that
/// verdict, and so does one that failed for no gate (every agent died); one
/// that never wrote its final summary (killed) is interrupted. Otherwise the
/// gates just judged decide.
fn keep_how_it_ended(results: &mut RunResults, summary: Option<&Summary>) {
    match summary {
        Some(s) if s.verdict == Verdict::Running => results.conclude(
            Verdict::Interrupted,
            "the run ended without concluding (killed?): rebuilt from what it wrote while running",
        ),
        Some(s) if s.verdict.stopped_the_run() => {
            results.conclude(s.verdict, s.reason.clone());
        }
        Some(s) if s.verdict == Verdict::Failed && s.gates.iter().all(|g| g.passed) => {
            let baseline_held = s.baseline.as_ref().is_none_or(|b| b.passed);
            if baseline_held && results.verdict == Verdict::Passed {
                results.conclude(Verdict::Failed, s.reason.clone());
            }
        }
        Some(_) => {}
        None => results.conclude(
            Verdict::Interrupted,
            "the run ended without writing summary.json (killed?): rebuilt from histograms.hlog alone",
        ),
    }
}

/// The results of a folder without a log: whole-run figures only.
fn from_summary_alone(s: &Summary) -> RunResults {
    let mut r = s.to_results();
    push_note(
        &mut r.notes,
        format!(
            "{} is missing: no per-interval data, so the time series is empty and windowed gates are judged over the whole run",
            hlog::FILE_NAME
        ),
    );
    r
}

/// The results rebuilt from the log's intervals, settled with the summary
/// when there is one.
fn from_log(summary: Option<&Summary>, log: HlogContents) -> RunResults {
    let mut acc = IntervalAccumulator::new();
    for i in log.intervals {
        acc.add_summary(i);
    }
    for m in crate::metrics::Measure::ALL {
        acc.add_histogram(m, &log.histograms[m.index()]);
    }
    let run = match summary {
        Some(s) if s.verdict == Verdict::Running => RunInfo {
            duration_ms: acc.span().0,
            ..s.run.clone()
        },
        Some(s) => s.run.clone(),
        None => run_info_from_log(log.start_unix_ms, &acc),
    };
    let mut r = acc.finish(run);
    let mut notes = summary.map(|s| s.notes.clone()).unwrap_or_default();
    for n in r.notes.drain(..).chain(log.notes) {
        push_note(&mut notes, n);
    }
    match summary {
        // The summary of the run's start: its identity, no figures.
        Some(s) if s.verdict == Verdict::Running => r.profile_toml = s.profile_toml.clone(),
        Some(s) => settle_with_summary(&mut r, s, &mut notes),
        None => push_note(
            &mut notes,
            format!(
                "{} is missing (the run did not finish): rebuilt from {} alone; run facts are partly unknown",
                json::FILE_NAME,
                hlog::FILE_NAME
            ),
        ),
    }
    r.notes = notes;
    r
}

/// Takes the summary's totals, which are authoritative: some counters
/// (interactions_lost) are only settled after the last interval.
fn settle_with_summary(r: &mut RunResults, s: &Summary, notes: &mut Vec<String>) {
    let from_summary = s.to_results();
    // A log that stopped early (its live appends failed) holds fewer
    // samples than the run measured: keep the whole-run figures.
    let partial = r
        .measures
        .iter()
        .zip(&from_summary.measures)
        .any(|(log, run)| log.count != run.count);
    if partial || !from_summary.percentile_bounds.is_empty() {
        r.percentile_bounds = from_summary.percentile_bounds;
    }
    if partial {
        r.measures = from_summary.measures;
        push_note(
            notes,
            format!(
                "{} holds fewer samples than {}: whole-run figures are the summary's, the time series covers only what the log holds",
                hlog::FILE_NAME,
                json::FILE_NAME
            ),
        );
    }
    r.counters = from_summary.counters;
    r.errors = from_summary.errors;
    r.generator = from_summary.generator;
    r.baseline = from_summary.baseline;
    r.profile_toml = from_summary.profile_toml;
}

/// The rules the run was judged by, then the `extra` ones not among them.
fn gates_to_judge(
    summary: Option<&Summary>,
    summary_file: &Path,
    extra: &[Gate],
) -> Result<Vec<Gate>, Error> {
    let mut gates: Vec<Gate> = Vec::new();
    if let Some(s) = summary {
        for g in &s.gates {
            gates.push(
                Gate::parse(&g.rule)
                    .map_err(|e| Error::input(format!("{}: {e}", summary_file.display())))?,
            );
        }
    }
    for g in extra {
        if !gates.iter().any(|known| known.rule == g.rule) {
            gates.push(g.clone());
        }
    }
    Ok(gates)
}

fn run_info_from_log(start_unix_ms: Option<u64>, acc: &IntervalAccumulator) -> RunInfo {
    let (duration_ms, interval_ms, first_start) = acc.span();
    let start = start_unix_ms.or(first_start).unwrap_or(0);
    RunInfo::new(
        "unknown",
        "unknown",
        "unknown",
        start,
        duration_ms,
        0,
        interval_ms,
    )
}
