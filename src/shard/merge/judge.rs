//! The merged run's verdict, decided once: the profile's gates (from the
//! shards' profile text: every shard ran the same profile) and `--gate`,
//! the baseline, then what the shards themselves came to (one interrupted
//! or aborted, every agent of one dead) and, above all, whether a shard is
//! missing (`--allow-partial`: failed, never passed).

use crate::error::Error;
use crate::metrics::Counter;
use crate::report::gate::{self, Gate};
use crate::report::{RunResults, Verdict, compare};
use crate::units::format;

use super::folder::ShardFolder;

/// What the run is judged by besides its figures.
pub struct Judging {
    /// The baseline's results and how reports name it.
    pub baseline: Option<(RunResults, String)>,
    /// How strict the baseline comparison is.
    pub options: compare::CompareOptions,
}

/// The `[[gates]]` rules of a profile's text (the resolved TOML a shard's
/// `summary.json` keeps); `origin` names where the text came from.
pub fn profile_gates(profile_toml: Option<&str>, origin: &str) -> Result<Vec<Gate>, Error> {
    let Some(text) = profile_toml else {
        return Ok(Vec::new());
    };
    let doc: toml::Table = text.parse().map_err(|e| {
        Error::input(format!(
            "{origin}: field `profile_toml` is not a readable profile ({e}); the gates cannot be read from it"
        ))
    })?;
    let Some(entries) = doc.get("gates").and_then(toml::Value::as_array) else {
        return Ok(Vec::new());
    };
    let rules: Vec<&str> = entries
        .iter()
        .filter_map(|g| g.get("rule").and_then(toml::Value::as_str))
        .collect();
    gate::parse_all(rules).map_err(|e| Error::input(format!("{origin}: profile gate: {e}")))
}

/// `a` then the rules of `b` not already in `a`.
pub fn union(mut a: Vec<Gate>, b: &[Gate]) -> Vec<Gate> {
    for g in b {
        if !a.iter().any(|known| known.rule == g.rule) {
            a.push(g.clone());
        }
    }
    a
}

/// Judges the merged results: gates and baseline, then the shards' own
/// ends, then `partial` (the reasons some shard is missing or failed).
pub fn judge(
    results: &mut RunResults,
    gates: &[Gate],
    judging: Judging,
    shards: &[&ShardFolder],
    partial: &[String],
) {
    let verdicts = gate::evaluate_all(gates, results);
    let comparison = judging
        .baseline
        .map(|(base, label)| compare::compare(&base, results, &label, &judging.options));
    results.set_verdicts(verdicts, comparison);
    if let Some((verdict, why)) = shard_stop(shards) {
        results.conclude(verdict, why);
    }
    if results.requests() == 0 && results.counter(Counter::InteractionsInjected) == 0 {
        results.conclude(
            Verdict::NotRun,
            "the merged run did no work: no shard measured a request or injected an interaction",
        );
    }
    if !partial.is_empty() {
        results.partial = true;
        results.conclude(Verdict::Failed, format!("partial: {}", partial.join("; ")));
    }
}

/// What a merge without some shard's folder cannot know, for the notes:
/// the interactions first offered only to a missing shard's agents are
/// counted lost (its `seqs.log` is what says they were offered), and the
/// `invite_delivery` samples of re-offers of interactions first offered
/// there stay counted. `None` when no shard is missing.
pub fn missing_note(missing: &[u32], lost: u64) -> Option<String> {
    if missing.is_empty() {
        return None;
    }
    let shards: Vec<String> = missing.iter().map(u32::to_string).collect();
    Some(format!(
        "partial merge without shard(s) {}: interactions_lost ({}) is an upper bound, since an interaction offered only to a missing shard's agents counts as lost; invite_delivery keeps the samples of re-offers of interactions first offered there",
        shards.join(", "),
        format::count(lost)
    ))
}

/// The most telling way a shard that concluded did not pass: interrupted,
/// then aborted, then failed (every agent died); the lowest index first.
fn shard_stop(shards: &[&ShardFolder]) -> Option<(Verdict, String)> {
    let rank = |v: Verdict| match v {
        Verdict::Interrupted => 0,
        Verdict::Aborted => 1,
        _ => 2,
    };
    shards
        .iter()
        .filter_map(|s| {
            let summary = s.summary.as_ref()?;
            matches!(
                summary.verdict,
                Verdict::Interrupted | Verdict::Aborted | Verdict::Failed
            )
            .then(|| {
                (
                    rank(summary.verdict),
                    s.manifest.index,
                    summary.verdict,
                    s.name(),
                    &summary.reason,
                )
            })
        })
        .min_by_key(|(rank, index, ..)| (*rank, *index))
        .map(|(_, _, verdict, name, reason)| (verdict, format!("{name}: {reason}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_profiles_gates_are_read_from_its_text() {
        let text = "name = \"smoke\"\n[[gates]]\nrule = \"interactions_lost == 0\"\n\n[[gates]]\nrule = \"invite_delivery.p99 < 250ms\"\nabort_on_fail = true\n";
        let gates = profile_gates(Some(text), "s0/summary.json").unwrap();
        let rules: Vec<&str> = gates.iter().map(|g| g.rule.as_str()).collect();
        assert_eq!(
            rules,
            ["interactions_lost == 0", "invite_delivery.p99 < 250ms"]
        );
        assert!(profile_gates(None, "x").unwrap().is_empty());
        assert!(
            profile_gates(Some("name = \"x\"\n"), "x")
                .unwrap()
                .is_empty()
        );
        let err = profile_gates(
            Some("[[gates]]\nrule = \"nonsense <\"\n"),
            "s0/summary.json",
        )
        .unwrap_err();
        assert!(
            err.to_string().starts_with("s0/summary.json: profile gate"),
            "{err}"
        );
        let extra = gate::parse_all(["interactions_lost == 0", "errors.total == 0"]).unwrap();
        let all: Vec<String> = union(gates, &extra).into_iter().map(|g| g.rule).collect();
        assert_eq!(
            all,
            [
                "interactions_lost == 0",
                "invite_delivery.p99 < 250ms",
                "errors.total == 0"
            ]
        );
    }

    #[test]
    fn a_partial_merge_never_passes() {
        let mut r = RunResults::example();
        let judging = Judging {
            baseline: None,
            options: compare::CompareOptions::default(),
        };
        judge(
            &mut r,
            &[],
            judging,
            &[],
            &["shard 2 of 3 is missing".to_string()],
        );
        assert_eq!(r.verdict, Verdict::Failed);
        assert!(r.partial && !r.passed);
        assert_eq!(r.reason, "partial: shard 2 of 3 is missing");
    }

    #[test]
    fn a_merge_missing_a_shard_says_its_lost_count_is_an_upper_bound() {
        assert_eq!(missing_note(&[], 5), None);
        let note = missing_note(&[1, 2], 178).unwrap();
        assert!(
            note.starts_with("partial merge without shard(s) 1, 2:"),
            "{note}"
        );
        assert!(
            note.contains("interactions_lost (178) is an upper bound"),
            "{note}"
        );
    }
}
