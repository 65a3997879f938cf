//! The end of `agentload run` (and the summary written at its start): the
//! verdict from how the run stopped, what it did and the gates; every
//! output written; the exit code.

use std::path::Path;

use super::Prepared;
use crate::engine::outputs::LiveOutputs;
use crate::engine::run::Execution;
use crate::engine::signals::Stop;
use crate::error::{Error, Outcome};
use crate::metrics::{Counter, Measure};
use crate::report::{
    self, GateResult, IntervalAccumulator, RunInfo, RunResults, Verdict, compare, gate,
};
use crate::sim::SimStats;
use crate::sim::node::sum_stats;

/// Writes `summary.json` with verdict `running`, the run's identity and its
/// gates, before the first agent starts: a killed run's folder still says
/// what ran, and `agentload report` can tell a run still going (its pid).
pub(super) fn write_starting_summary(
    prepared: &Prepared,
    info: &RunInfo,
    out_dir: &Path,
) -> Result<(), Error> {
    let mut results = IntervalAccumulator::new().finish(info.clone());
    results.profile_toml = prepared.profile_text.clone();
    results.gates = prepared
        .gates
        .iter()
        .map(|g| GateResult {
            rule: g.rule.clone(),
            observed: "n/a".into(),
            expected: g.expected(),
            passed: false,
            window: None,
            note: Some("judged when the run ends".into()),
        })
        .collect();
    results.conclude(
        Verdict::Running,
        format!("the run is going (process {})", std::process::id()),
    );
    report::write_starting(out_dir, &results)
}

/// Writes every output, prints the summary and turns the verdict into the
/// outcome: a run that could not get going is an error (exit 3), an
/// interrupted one exits 130 or 143.
pub(super) fn conclude(
    prepared: Prepared,
    info: RunInfo,
    record: Execution<LiveOutputs>,
    stop: Option<Stop>,
    sim_stats: Vec<SimStats>,
    out_dir: &Path,
) -> Result<Outcome, Error> {
    let sharded = prepared.identity.shard.is_some();
    let mut results = judge(prepared, info, record, stop.as_ref());
    results.notes.extend(node_notes(&sim_stats));
    // The summary is printed even when an output file could not be written.
    let written = report::write_final(out_dir, &results);
    crate::out!("{}", report::console::summary(&results));
    if !sim_stats.is_empty() {
        crate::outln!("embedded simulator: {}", sum_stats(&sim_stats));
    }
    written?;
    crate::outln!("outputs written to {}", out_dir.display());
    match (results.verdict, stop) {
        (Verdict::Passed, _) => Ok(Outcome::Passed),
        (Verdict::NotRun, _) => Err(Error::run(format!(
            "{}; what was measured is in {}",
            results.reason,
            out_dir.display()
        ))),
        (Verdict::Interrupted, Some(Stop::Signal { exit_code, .. })) => {
            Ok(Outcome::Interrupted(exit_code))
        }
        // A shard judges nothing: it ran, the merge decides (exit 0).
        _ if sharded => Ok(Outcome::Passed),
        _ => Ok(Outcome::GateFailed),
    }
}

/// One note per node of a split simulator with its final counts, so the
/// outputs say how the work was spread (one node: nothing to add).
fn node_notes(nodes: &[SimStats]) -> Vec<String> {
    if nodes.len() < 2 {
        return Vec::new();
    }
    nodes
        .iter()
        .enumerate()
        .map(|(j, stats)| format!("simulator node {} of {}: {stats}", j + 1, nodes.len()))
        .collect()
}

/// The run's results with their verdict: a signal first, then whether it
/// did any work, then how else it stopped (fail fast, an abort gate, every
/// agent dead), then the gates and the baseline comparison.
fn judge(
    prepared: Prepared,
    mut info: RunInfo,
    record: Execution<LiveOutputs>,
    stop: Option<&Stop>,
) -> RunResults {
    info.duration_ms = record.elapsed.as_millis() as u64;
    info.agents = record.agents;
    let joined = prepared.profile.scenario.joined();
    let mut results = record.sink.finish().finish(info);
    results.run.agents_connected_peak = results.agents_connected_peak();
    results.profile_toml = prepared.profile_text;
    results.notes.extend(prepared.shard_notes);
    if let Some(Stop::Signal { .. }) = stop {
        results.notes.push(
            "The run was interrupted before its plan ended; figures cover the part that ran."
                .into(),
        );
    }
    let gate_results = gate::evaluate_all(&prepared.gates, &results);
    let comparison = prepared
        .baseline
        .map(|(base, label)| compare::compare(&base, &results, &label, &prepared.compare_options));
    results.set_verdicts(gate_results, comparison);
    // A user's interrupt says the most; then a run that did nothing.
    let why = match stop {
        Some(signal @ Stop::Signal { .. }) => Some((signal.verdict(), signal.reason())),
        _ => nothing_done(&results, joined, stop).map(|why| (Verdict::NotRun, why)),
    };
    if let Some((verdict, why)) = why.or_else(|| stop.map(|s| (s.verdict(), s.reason()))) {
        results.conclude(verdict, why);
    }
    results
}

/// Why a run did nothing worth a verdict: no agent logged in, or neither a
/// request measured nor an interaction injected.
fn nothing_done(results: &RunResults, joined: Measure, stop: Option<&Stop>) -> Option<String> {
    let logged_in = results.percentiles(joined).count > 0;
    if results.run.agents > 0 && !logged_in {
        return Some(nobody_logged_in(results, joined, stop));
    }
    let injected = results.counter(Counter::InteractionsInjected);
    (results.requests() == 0 && injected == 0).then(|| {
        "the run did no work: no agent ran, no request was measured and no interaction injected; check the profile's stages and rates".to_string()
    })
}

/// Why no agent logged in, with the most frequent error kinds.
fn nobody_logged_in(results: &RunResults, joined: Measure, stop: Option<&Stop>) -> String {
    let mut kinds: Vec<(&String, &u64)> = results.errors.iter().collect();
    kinds.sort_by(|a, b| b.1.cmp(a.1));
    let top: Vec<String> = kinds
        .iter()
        .take(3)
        .map(|(k, n)| format!("{k} x{n}"))
        .collect();
    let top = if top.is_empty() {
        "no error recorded".to_string()
    } else {
        top.join(", ")
    };
    let what = match stop {
        // The watch's reason says how it stopped (deadline, failed attempts).
        Some(Stop::NotRun(why)) => {
            format!("{why}: no agent could log in, so the run stopped early")
        }
        _ => format!("no agent could log in to {} ({top})", results.run.target),
    };
    // A pub/sub client "logs in" by subscribing: its credentials, if any,
    // are the handshake's `ext` and headers, not an agent's password.
    let credentials = if joined == Measure::Subscribe {
        "the [bayeux] table's channel, ext and headers (what the server's security policy asks for)"
    } else {
        "the agents' username and password"
    };
    format!(
        "{what}; check the target URL ({}), {credentials}, \
         and for https the TLS options (--insecure, --ca-file)",
        results.run.target,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nobody_logged_in_names_the_credentials_of_the_scenario() {
        let results = report::fixtures::example();
        let gws = nobody_logged_in(&results, Measure::SessionStart, None);
        assert!(gws.contains("username and password"), "{gws}");
        let pubsub = nobody_logged_in(&results, Measure::Subscribe, None);
        assert!(!pubsub.contains("password"), "{pubsub}");
        assert!(
            pubsub.contains("[bayeux] table's channel, ext and headers"),
            "{pubsub}"
        );
        assert!(pubsub.contains(&results.run.target), "{pubsub}");
    }
}
