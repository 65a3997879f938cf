//! Verdicts a CI can trust: a run that cannot get going stops early with
//! exit 3 and says why in its outputs; an `abort_on_fail` gate stops a run
//! (verdict `aborted`, exit 1); neither ever passes.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::heavy;
use crate::support::profile::Profile;
use crate::support::run::{Dir, run_file};

fn read_summary(out: &Path) -> Value {
    let bytes = std::fs::read(out.join("summary.json"))
        .unwrap_or_else(|e| panic!("{}: {e}", out.display()));
    serde_json::from_slice(&bytes).unwrap()
}

/// The `run` test case of junit.xml fails with `verdict` as its type.
fn assert_run_case_fails(out: &Path, verdict: &str) {
    let junit = std::fs::read_to_string(out.join("junit.xml")).unwrap();
    let doc = roxmltree::Document::parse(&junit).unwrap();
    let failure = doc
        .descendants()
        .filter(|n| n.has_tag_name("failure"))
        .find(|n| n.parent().and_then(|p| p.attribute("name")) == Some("run"))
        .unwrap_or_else(|| panic!("no failing run case:\n{junit}"));
    assert_eq!(failure.attribute("type"), Some(verdict), "{junit}");
}

/// The acceptance line: the 4-hour soak against a closed port stops within
/// 90 s, exit 3, and summary.md says why.
#[test]
fn a_soak_against_a_closed_port_is_not_run_and_stops_within_90s() {
    let _heavy = heavy::slot();
    let dir = Dir::new("verdict-closed-port");
    let out = dir.join("out");
    let soak = Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles/soak.toml");
    let started = Instant::now();
    let output = run_file(&soak, &out, &["--target", "http://127.0.0.1:9", "--quiet"]);
    let took = started.elapsed();
    let log = String::from_utf8_lossy(&output.stdout).to_string()
        + &String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{log}");
    assert!(took < Duration::from_secs(90), "took {took:?}:\n{log}");
    let summary = read_summary(&out);
    assert_eq!(summary["verdict"], "not_run", "{summary}");
    assert_eq!(summary["passed"], false);
    assert_eq!(summary["run"]["agents_connected_peak"], 0, "{summary}");
    let reason = summary["reason"].as_str().unwrap();
    assert!(reason.contains("log-in attempts all failed"), "{reason}");
    let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(md.contains("NOT RUN"), "{md}");
    assert!(md.contains("log-in attempts all failed"), "{md}");
    assert!(md.contains("0 connected at peak"), "{md}");
    assert_run_case_fails(&out, "not_run");
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        html.contains("data-verdict=\"not_run\""),
        "no verdict banner"
    );
    assert!(log.contains("error: the first"), "{log}");
}

/// 20 agents on email, 3 s ramp and 27 s hold, so an abort shows as a short run.
fn abort_profile() -> Profile {
    Profile::accepting_emails("abort", 5, 20, ("3s", "27s"))
}

#[test]
fn a_failing_abort_gate_stops_the_run_after_its_grace() {
    let _heavy = heavy::slot();
    let dir = Dir::new("verdict-abort");
    let file = dir.join("abort.toml");
    abort_profile().write(&file);
    let mut text = std::fs::read_to_string(&file).unwrap();
    text.push_str(
        "\n[[gates]]\nrule = \"invite_delivery.p99 < 1us\"\nabort_on_fail = true\nabort_after = \"4s\"\n",
    );
    std::fs::write(&file, text).unwrap();
    let out = dir.join("out");
    let output = run_file(&file, &out, &["--quiet"]);
    let log = String::from_utf8_lossy(&output.stdout).to_string()
        + &String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{log}");
    let summary = read_summary(&out);
    assert_eq!(summary["verdict"], "aborted", "{summary}");
    assert_eq!(summary["passed"], false);
    let reason = summary["reason"].as_str().unwrap();
    assert!(
        reason.contains("gate invite_delivery.p99 < 1us failed"),
        "{reason}"
    );
    // Stopped soon after its grace, long before the plan's 30 s + 2 s drain.
    let ran_ms = summary["run"]["duration_ms"].as_u64().unwrap();
    assert!((4_000..20_000).contains(&ran_ms), "ran {ran_ms} ms:\n{log}");
    assert!(summary["counters"]["invites_offered"].as_u64().unwrap() > 0);
    assert_run_case_fails(&out, "aborted");
    let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(md.contains("ABORTED"), "{md}");
    assert!(
        log.contains("ABORTED: gate invite_delivery.p99 < 1us failed"),
        "{log}"
    );
}

/// A target that accepts connections and never answers: every log-in hangs,
/// none fails, so only the login deadline can stop the run.
#[test]
fn nobody_logged_in_by_the_login_deadline_is_not_run() {
    let _heavy = heavy::slot();
    let dir = Dir::new("verdict-deadline");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    // Holds every accepted socket, for 60 s at most (the run ends far sooner).
    listener.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        let until = Instant::now() + Duration::from_secs(60);
        let mut held = Vec::new();
        while Instant::now() < until && held.len() < 500 {
            match listener.accept() {
                Ok((stream, _)) => held.push(stream),
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        }
    });
    let file = dir.join("deadline.toml");
    Profile::bounded("deadline", 5, "1s", "60s").write(&file);
    let mut text = std::fs::read_to_string(&file).unwrap();
    text.push_str("\n[ramp]\nlogin_deadline = \"3s\"\n");
    std::fs::write(&file, text).unwrap();
    let out = dir.join("out");
    let started = Instant::now();
    let output = run_file(&file, &out, &["--target", &url, "--quiet"]);
    let took = started.elapsed();
    let log = String::from_utf8_lossy(&output.stdout).to_string()
        + &String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{log}");
    // Far less than the plan's 61 s: the deadline plus the graceful stop.
    assert!(took < Duration::from_secs(40), "took {took:?}:\n{log}");
    let summary = read_summary(&out);
    assert_eq!(summary["verdict"], "not_run", "{summary}");
    let reason = summary["reason"].as_str().unwrap();
    assert!(reason.contains("ramp.login_deadline"), "{reason}");
    assert_run_case_fails(&out, "not_run");
}
