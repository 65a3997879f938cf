//! `compare` and `run --baseline` on real runs: two identical runs (same
//! seed, same machine) compare with exit 0 whatever the noise; a run whose
//! simulator routes every invite 100 ms later regresses (exit 1) on
//! invite_delivery, in the console, summary.json and junit.xml (unless a
//! generator stalled as long, which makes it "not comparable"). A baseline
//! written before runs stored their intervals is judged from its
//! histograms.hlog, and without one its latencies are "not enough data".

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::heavy;
use crate::support::profile::Profile;
use crate::support::run::{Dir, compare, run_file};

/// 30 email agents that accept everything, 8 s of stages and a 2 s drain,
/// 10 emails a second at a constant rate.
fn profile(routing_delay: &'static str) -> Profile {
    Profile::accepting_emails("compare", 23, 30, ("2s", "6s")).routed_after(routing_delay)
}

fn run(dir: &Path, name: &str, routing_delay: &'static str, extra: &[&str]) -> (i32, PathBuf) {
    let file = dir.join(format!("{name}.toml"));
    profile(routing_delay).write(&file);
    let out = dir.join(name);
    let flags: Vec<&str> = ["--quiet"].iter().chain(extra).copied().collect();
    let output = run_file(&file, &out, &flags);
    let code = output.status.code().unwrap_or(-1);
    assert!(
        code == 0 || code == 1,
        "{name}: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (code, out)
}

/// True when a console line gives `row` the verdict `verdict`.
fn shows(out: &str, verdict: &str, row: &str) -> bool {
    out.lines().any(|l| {
        let l = l.trim_start();
        l.starts_with(verdict) && l[verdict.len()..].trim_start().starts_with(row)
    })
}

fn summary(dir: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join("summary.json")).unwrap()).unwrap()
}

fn verdict<'a>(rows: &'a Value, name: &str) -> &'a str {
    rows.as_array()
        .unwrap()
        .iter()
        .find(|r| {
            format!(
                "{}.{}",
                r["metric"].as_str().unwrap(),
                r["stat"].as_str().unwrap()
            ) == name
        })
        .and_then(|r| r["verdict"].as_str())
        .unwrap_or_else(|| panic!("no row {name} in {rows:#}"))
}

#[test]
fn identical_runs_compare_clean_and_100ms_of_routing_delay_regresses() {
    let _heavy = heavy::slot();
    let dir = Dir::new("compare-runs");
    let (code, base) = run(&dir.0, "base", "0s", &[]);
    assert_eq!(code, 0);
    let (code, again) = run(&dir.0, "again", "0s", &[]);
    assert_eq!(code, 0);
    let stored = summary(&base);
    assert!(
        stored["percentile_bounds"]["invite_delivery"]["p50"].is_array(),
        "every run stores its percentiles' intervals: {:#}",
        stored["percentile_bounds"]
    );

    let (code, out) = compare(&base, &again);
    assert_eq!(code, 0, "identical runs never regress\n{out}");
    assert!(out.contains("no regression"), "{out}");

    let base_arg = base.to_str().unwrap();
    let (code, slow) = run(&dir.0, "slow", "100ms", &["--baseline", base_arg]);
    let judged = summary(&slow);
    let rows = &judged["baseline"]["rows"];
    assert_eq!(verdict(rows, "errors.rate"), "unchanged");
    let (compared, out) = compare(&base, &slow);
    assert_eq!(
        compared, code,
        "compare judges as run --baseline did\n{out}"
    );
    let saturated = |s: &Value| s["generator"]["doubtful"] == true;
    if code == 0 && (saturated(&stored) || saturated(&judged)) {
        // A generator stalled for 100 ms or more (a loaded machine) could
        // explain the delay: the row is not comparable, never unchanged.
        assert_eq!(
            verdict(rows, "invite_delivery.p50"),
            "not_comparable",
            "{out}"
        );
        return;
    }
    assert_eq!(code, 1, "run --baseline fails on the regression\n{out}");
    assert_eq!(judged["passed"], false);
    assert_eq!(judged["baseline"]["passed"], false);
    assert_eq!(verdict(rows, "invite_delivery.p50"), "regressed");
    let junit = std::fs::read_to_string(slow.join("junit.xml")).unwrap();
    assert!(
        junit.contains("name=\"invite_delivery.p50 vs baseline\" time=\"0\">\n      <failure type=\"regression\""),
        "{junit}"
    );
    assert!(shows(&out, "REGRESSED", "invite_delivery.p50"), "{out}");

    // A baseline from before runs stored intervals: judged from its log.
    let old = dir.join("old");
    std::fs::create_dir_all(&old).unwrap();
    let mut without = stored.clone();
    without.as_object_mut().unwrap().remove("percentile_bounds");
    std::fs::write(old.join("summary.json"), without.to_string()).unwrap();
    std::fs::copy(base.join("histograms.hlog"), old.join("histograms.hlog")).unwrap();
    let (code, out) = compare(&old, &slow);
    assert_eq!(code, 1, "intervals rebuilt from histograms.hlog\n{out}");
    std::fs::remove_file(old.join("histograms.hlog")).unwrap();
    let (code, out) = compare(&old, &slow);
    assert_eq!(code, 0, "{out}");
    assert!(
        shows(&out, "not enough data", "invite_delivery.p50"),
        "{out}"
    );
}
