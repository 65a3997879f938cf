//! Gates and baselines on real runs: an impossible gate fails the run (exit 1)
//! and shows in junit.xml; a run compared with itself passes; a run whose
//! simulator routes 50 ms slower fails the comparison.

use std::path::{Path, PathBuf};

use crate::support::heavy;
use crate::support::profile::Profile;
use crate::support::run::{Dir, compare, run_file};

/// 30 email agents that accept everything, 8 s of stages and a 2 s drain,
/// 10 emails a second at a constant rate.
fn profile(routing_delay: &'static str) -> Profile {
    Profile::accepting_emails("gates", 11, 30, ("2s", "6s")).routed_after(routing_delay)
}

fn run(
    dir: &Path,
    name: &str,
    routing_delay: &'static str,
    gates: &[&str],
) -> (i32, PathBuf, String) {
    let file = dir.join(format!("{name}.toml"));
    profile(routing_delay).write(&file);
    let out = dir.join(name);
    let mut flags = vec!["--quiet"];
    for g in gates {
        flags.extend(["--gate", g]);
    }
    let output = run_file(&file, &out, &flags);
    let log = String::from_utf8_lossy(&output.stdout).to_string()
        + &String::from_utf8_lossy(&output.stderr);
    (output.status.code().unwrap_or(-1), out, log)
}

#[test]
fn impossible_gate_fails_the_run_and_a_slower_simulator_fails_the_comparison() {
    let _heavy = heavy::slot();
    let dir = Dir::new("gates");

    let (code, fast, log) = run(
        &dir.0,
        "fast",
        "0s",
        &["invite_delivery.p99 < 1us", "interactions_lost == 0"],
    );
    assert_eq!(code, 1, "an impossible gate must fail the run\n{log}");
    let junit = std::fs::read_to_string(fast.join("junit.xml")).unwrap();
    assert!(junit.contains("invite_delivery.p99 &lt; 1us"), "{junit}");
    assert!(
        junit.contains("<failure"),
        "the failed gate is a failed test case: {junit}"
    );
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(fast.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["passed"], false);
    assert_eq!(summary["counters"]["interactions_lost"], 0);

    let (code, out) = compare(&fast, &fast);
    assert_eq!(code, 0, "a run compared with itself passes\n{out}");

    let (code, slow, log) = run(&dir.0, "slow", "50ms", &[]);
    assert_eq!(code, 0, "{log}");
    let (code, out) = compare(&fast, &slow);
    assert!(out.contains("invite_delivery"), "{out}");
    let stalled = |dir: &Path| {
        let s: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("summary.json")).unwrap()).unwrap();
        s["generator"]["doubtful"] == true
    };
    if code == 0 && (stalled(&fast) || stalled(&slow)) {
        // A generator stalled as long (a loaded machine) could explain it.
        assert!(out.contains("not comparable"), "{out}");
        return;
    }
    assert_eq!(code, 1, "50 ms more routing delay is a regression\n{out}");
}
