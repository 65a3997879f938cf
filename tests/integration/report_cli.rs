//! `agentload report` and `agentload compare` as CI runs them: exit codes
//! 0 (passed), 1 (gate or regression), 2 (bad input).

use std::path::{Path, PathBuf};
use std::process::Command;

use agentload::metrics::Measure;
use agentload::report::{self, RunResults};

fn agentload(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_agentload"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn run_folder(name: &str, results: &RunResults) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("agentload-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    report::write_all(&dir, results).unwrap();
    dir
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn passing() -> RunResults {
    let mut r = RunResults::example();
    r.set_verdicts(Vec::new(), None);
    r
}

#[test]
fn compare_passes_on_itself_and_fails_on_a_doubled_p99() {
    let base = run_folder("base", &passing());
    let (code, out, _) = agentload(&["compare", s(&base), s(&base)]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("no regression"));

    let mut slower = passing();
    // Twice as slow, intervals and all (240 values bound the p50).
    slower.measures[Measure::InviteDelivery.index()].p50_us *= 2;
    for bound in slower.percentile_bounds["invite_delivery"].clone().keys() {
        let pair = slower
            .percentile_bounds
            .get_mut("invite_delivery")
            .and_then(|b| b.get_mut(bound))
            .unwrap();
        *pair = [pair[0] * 2, pair[1] * 2];
    }
    let new = run_folder("doubled", &slower);
    let summary = new.join("summary.json");
    let (code, out, _) = agentload(&["compare", s(&base), s(&summary)]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.lines()
            .any(|l| l.trim_start().starts_with("REGRESSED") && l.contains("invite_delivery.p50")),
        "{out}"
    );
    // A generous bound lets it pass.
    let (code, _, _) = agentload(&["compare", s(&base), s(&new), "--max-regression", "150%"]);
    assert_eq!(code, 0);

    let (code, _, err) = agentload(&["compare", s(&base), "/nonexistent/run"]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot read /nonexistent/run"), "{err}");
    let (code, _, err) = agentload(&["compare", s(&base), s(&base), "--max-regression", "x"]);
    assert_eq!(code, 2, "{err}");
    for d in [base, new] {
        std::fs::remove_dir_all(d).unwrap();
    }
}

#[test]
fn report_on_a_summary_alone_keeps_its_figures_and_leaves_the_live_files_alone() {
    let dir = run_folder("summary-only-cli", &passing());
    std::fs::remove_file(dir.join("histograms.hlog")).unwrap();
    let series = std::fs::read(dir.join("timeseries.csv")).unwrap();
    let before: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("summary.json")).unwrap()).unwrap();
    for _ in 0..2 {
        let (code, _, err) = agentload(&["report", s(&dir)]);
        assert_eq!(code, 0, "{err}");
    }
    assert!(
        !dir.join("histograms.hlog").exists(),
        "no empty log is made up"
    );
    assert_eq!(std::fs::read(dir.join("timeseries.csv")).unwrap(), series);
    let after: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("summary.json")).unwrap()).unwrap();
    assert_eq!(after["metrics"], before["metrics"]);
    assert_ne!(after["metrics"]["invite_delivery"]["p99_us"], 0);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Every file of a folder, by name.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut all: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    all.sort();
    all
}

#[test]
fn report_judges_gates_without_rewriting_the_run_unless_in_place() {
    let dir = run_folder("report", &passing());
    let (code, out, err) = agentload(&["report", s(&dir)]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("PASSED"));
    let before = files(&dir);

    let (code, out, _) = agentload(&["report", s(&dir), "--gate", "invite_delivery.p99 < 1us"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAIL invite_delivery.p99 < 1us"));
    assert!(out.contains("left as it is"), "{out}");
    assert!(
        files(&dir) == before,
        "report --gate changed the run's files"
    );
    let (code, _, _) = agentload(&["report", s(&dir)]);
    assert_eq!(code, 0, "the run's own verdict stands");

    // --out writes the rebuilt outputs elsewhere.
    let elsewhere = dir.with_extension("rebuilt");
    let _ = std::fs::remove_dir_all(&elsewhere);
    let gate = ["--gate", "invite_delivery.p99 < 1us"];
    let (code, out, _) =
        agentload(&[&["report", s(&dir)], &gate[..], &["--out", s(&elsewhere)]].concat());
    assert_eq!(code, 1, "{out}");
    assert!(
        files(&dir) == before,
        "report --out changed the run's files"
    );
    let rebuilt: serde_json::Value =
        serde_json::from_slice(&std::fs::read(elsewhere.join("summary.json")).unwrap()).unwrap();
    assert_eq!(rebuilt["verdict"], "failed", "{rebuilt}");
    assert_eq!(rebuilt["passed"], false);
    assert!(elsewhere.join("junit.xml").is_file() && elsewhere.join("report.html").is_file());

    // --in-place rewrites the run: the gate is now part of its summary.
    let (code, _, _) = agentload(&[&["report", s(&dir)], &gate[..], &["--in-place"]].concat());
    assert_eq!(code, 1);
    assert!(files(&dir) != before);
    let (code, _, _) = agentload(&["report", s(&dir)]);
    assert_eq!(code, 1);

    let (code, _, err) = agentload(&["report", s(&dir), "--gate", "invite_delivery.p99 = 1ms"]);
    assert_eq!(code, 2);
    assert!(err.contains("at column 21"), "{err}");
    let (code, _, _) = agentload(&["report", "/nonexistent/run"]);
    assert_eq!(code, 2);
    std::fs::remove_dir_all(dir).unwrap();
    std::fs::remove_dir_all(elsewhere).unwrap();
}

/// A run folder whose summary is the one written at the start, naming `pid`.
fn running_folder(name: &str, pid: u32) -> PathBuf {
    let dir = run_folder(name, &passing());
    let path = dir.join("summary.json");
    let mut summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    summary["verdict"] = "running".into();
    summary["passed"] = false.into();
    summary["pid"] = pid.into();
    std::fs::write(&path, serde_json::to_vec(&summary).unwrap()).unwrap();
    dir
}

#[test]
fn report_refuses_a_run_still_going_but_not_a_killed_one() {
    let mut live = Command::new("sleep").arg("30").spawn().unwrap();
    let dir = running_folder("running", live.id());
    let before = files(&dir);
    let (code, out, err) = agentload(&["report", s(&dir), "--in-place"]);
    let _ = live.kill();
    let _ = live.wait();
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("still going"), "{err}");
    assert!(files(&dir) == before);

    // The same folder once its process is gone: a killed run, interrupted.
    let (code, out, err) = agentload(&["report", s(&dir)]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.starts_with("INTERRUPTED: the run ended without concluding"),
        "{out}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}
