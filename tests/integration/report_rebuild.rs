//! `agentload report`'s rebuilding: from a complete folder it gives the same
//! files; from a killed run's folder (no summary) it still gives every output.

use std::path::Path;

use agentload::metrics::Measure;
use agentload::report::{self, RunResults, gate};

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    report::WRITERS
        .iter()
        .map(|w| {
            let name = w.file_name().to_string();
            let bytes = std::fs::read(dir.join(&name)).unwrap();
            (name, bytes)
        })
        .collect()
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("agentload-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The example with gates judged by the real evaluator.
fn judged_example() -> RunResults {
    let mut r = RunResults::example();
    let gates = gate::parse_all([
        "interactions_lost == 0",
        "invite_delivery.p99 < 80ms over 5s",
        "errors.rate < 1%",
    ])
    .unwrap();
    let verdicts = gate::evaluate_all(&gates, &r);
    let baseline = r.baseline.take();
    r.set_verdicts(verdicts, baseline);
    r
}

#[test]
fn regeneration_gives_the_same_files() {
    let dir = temp_dir("regen");
    let r = judged_example();
    assert!(!r.passed);
    report::write_all(&dir, &r).unwrap();
    let before = files(&dir);

    let rebuilt = report::rebuild(&dir, &[]).unwrap();
    assert_eq!(rebuilt.gates, r.gates);
    assert_eq!(rebuilt.notes, r.notes);
    report::write_all(&dir, &rebuilt).unwrap();
    for ((name, a), (_, b)) in before.iter().zip(files(&dir)) {
        assert!(
            *a == b,
            "{name} changed on regeneration:\n{}",
            String::from_utf8_lossy(&b)
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn extra_gates_are_judged_too() {
    let dir = temp_dir("extra");
    report::write_all(&dir, &judged_example()).unwrap();
    let extra = gate::parse_all(["invite_delivery.p99 < 1us"]).unwrap();
    let rebuilt = report::rebuild(&dir, &extra).unwrap();
    assert_eq!(rebuilt.gates.len(), 4);
    assert!(!rebuilt.gates[3].passed);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_killed_run_is_rebuilt_from_its_log() {
    let dir = temp_dir("killed");
    let r = judged_example();
    // What a killed run leaves: the incrementally written hlog, cut mid-line.
    let mut log = report::hlog::header(&r.run).unwrap();
    for s in report::fixtures::example_snapshots() {
        log.extend_from_slice(&report::hlog::interval_chunk(&s).unwrap());
    }
    log.truncate(log.len() - 10);
    std::fs::write(dir.join("histograms.hlog"), &log).unwrap();

    let rebuilt = report::rebuild(&dir, &[]).unwrap();
    assert_eq!(rebuilt.intervals.len(), 12);
    assert_eq!(rebuilt.run.start_unix_ms, r.run.start_unix_ms);
    assert_eq!(rebuilt.run.duration_ms, 12_000);
    let full = r.percentiles(Measure::InviteDelivery).count;
    let kept = rebuilt.percentiles(Measure::InviteDelivery).count;
    assert!(kept > full / 2 && kept <= full, "{kept} of {full}");
    assert!(
        rebuilt
            .notes
            .iter()
            .any(|n| n.contains("summary.json is missing"))
    );
    report::write_all(&dir, &rebuilt).unwrap();
    for w in report::WRITERS {
        assert!(dir.join(w.file_name()).is_file(), "{}", w.file_name());
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_summary_alone_is_enough_with_a_note() {
    let dir = temp_dir("summary-only");
    report::write_all(&dir, &judged_example()).unwrap();
    std::fs::remove_file(dir.join("histograms.hlog")).unwrap();
    let rebuilt = report::rebuild(&dir, &[]).unwrap();
    assert!(rebuilt.intervals.is_empty());
    assert_eq!(
        rebuilt.percentiles(Measure::InviteDelivery),
        RunResults::example().percentiles(Measure::InviteDelivery)
    );
    assert!(
        rebuilt
            .notes
            .iter()
            .any(|n| n.contains("histograms.hlog is missing"))
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_log_that_stopped_early_does_not_replace_the_summary_figures() {
    let dir = temp_dir("partial-log");
    let r = judged_example();
    report::write_all(&dir, &r).unwrap();
    // The live appends failed after four intervals; the run still wrote its summary.
    let mut log = report::hlog::header(&r.run).unwrap();
    for s in report::fixtures::example_snapshots().iter().take(4) {
        log.extend_from_slice(&report::hlog::interval_chunk(s).unwrap());
    }
    std::fs::write(dir.join("histograms.hlog"), &log).unwrap();

    let rebuilt = report::rebuild(&dir, &[]).unwrap();
    assert_eq!(rebuilt.intervals.len(), 4);
    assert_eq!(
        rebuilt.percentiles(Measure::InviteDelivery),
        r.percentiles(Measure::InviteDelivery),
        "whole-run figures stay the summary's"
    );
    assert!(
        rebuilt
            .notes
            .iter()
            .any(|n| n.contains("holds fewer samples than summary.json")),
        "{:?}",
        rebuilt.notes
    );

    // A log without a single interval adds nothing to the summary.
    let header_only = report::hlog::header(&r.run).unwrap();
    std::fs::write(dir.join("histograms.hlog"), &header_only).unwrap();
    let rebuilt = report::rebuild(&dir, &[]).unwrap();
    assert_eq!(
        rebuilt.percentiles(Measure::InviteDelivery),
        r.percentiles(Measure::InviteDelivery)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_empty_folder_is_an_input_error() {
    let dir = temp_dir("empty");
    let err = report::rebuild(&dir, &[]).unwrap_err();
    assert_eq!(err.exit_code(), 2);
    assert!(
        err.to_string()
            .contains("neither summary.json nor histograms.hlog")
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_reused_output_folder_loses_the_earlier_runs_outputs_only() {
    let dir = temp_dir("reused");
    report::write_all(&dir, &judged_example()).unwrap();
    std::fs::write(dir.join("notes.txt"), b"mine").unwrap();
    report::clear_outputs(&dir).unwrap();
    for w in report::WRITERS {
        assert!(!dir.join(w.file_name()).exists(), "{}", w.file_name());
    }
    assert_eq!(std::fs::read(dir.join("notes.txt")).unwrap(), b"mine");
    // Nothing left to rebuild from: the old run cannot leak into a new one.
    assert_eq!(report::rebuild(&dir, &[]).unwrap_err().exit_code(), 2);
    std::fs::remove_dir_all(&dir).unwrap();
}
