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

#[test]
fn report_regenerates_and_exits_by_the_gates() {
    let dir = run_folder("report", &passing());
    let (code, out, err) = agentload(&["report", s(&dir)]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("PASSED"));

    let (code, out, _) = agentload(&["report", s(&dir), "--gate", "invite_delivery.p99 < 1us"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAIL invite_delivery.p99 < 1us"));
    // The gate is now part of the summary, so it stays judged.
    let (code, _, _) = agentload(&["report", s(&dir)]);
    assert_eq!(code, 1);

    let (code, _, err) = agentload(&["report", s(&dir), "--gate", "invite_delivery.p99 = 1ms"]);
    assert_eq!(code, 2);
    assert!(err.contains("at column 21"), "{err}");
    let (code, _, _) = agentload(&["report", "/nonexistent/run"]);
    assert_eq!(code, 2);
    std::fs::remove_dir_all(dir).unwrap();
}
