//! `agentload run` end to end: a small bounded profile against the embedded
//! simulator, and the same profile against a separately started
//! `agentload serve`, whose `/sim/stats` must agree with the run's counts.

use crate::support::heavy;
use crate::support::profile::{Behaviour, Profile};
use crate::support::run::{Dir, OUTPUT_FILES, Served, count, counter, run, sim_figure, sim_stats};
use serde_json::Value;

/// 50 agents, about 12 s of stages and a short drain, email and chat.
fn profile() -> Profile {
    Profile {
        description: Some("bounded end-to-end test"),
        behaviour: Behaviour {
            chat_messages: Some("0..1"),
            ..Behaviour::default()
        },
        ..Profile::bounded("e2e", 50, "3s", "8s")
    }
}

fn assert_consistent(summary: &Value, log: &str) {
    let injected = counter(summary, "interactions_injected");
    let offered = counter(summary, "invites_offered");
    let accepted = counter(summary, "invites_accepted");
    let rejected = counter(summary, "invites_rejected");
    let revoked = counter(summary, "invites_revoked");
    assert!(
        injected > 50,
        "a 16/s arrival rate over 11 s injects well over 50: {injected}\n{log}"
    );
    assert_eq!(counter(summary, "interactions_lost"), 0, "{log}");
    // Every interaction's first offer is measured, once.
    assert_eq!(count(summary, "invite_delivery"), injected, "{log}");
    // Every invite was answered (no_answer_probability = 0), revoked, or
    // let go of (invited while its agent stopped).
    let abandoned = counter(summary, "invites_abandoned");
    assert_eq!(offered, accepted + rejected + revoked + abandoned, "{log}");
    assert_eq!(count(summary, "accept"), accepted, "{log}");
    assert_eq!(count(summary, "reject"), rejected, "{log}");
    assert_eq!(
        count(summary, "complete"),
        counter(summary, "interactions_completed"),
        "{log}"
    );
    assert_eq!(
        accepted,
        counter(summary, "interactions_completed"),
        "on_stop = finish: {log}"
    );
    // Every interaction was eventually accepted: rejects are re-offered.
    assert_eq!(accepted, injected, "{log}");
    let share = accepted as f64 / (accepted + rejected) as f64;
    assert!(
        (0.6..=0.95).contains(&share),
        "accept share {share} for probability 0.8\n{log}"
    );
    assert!(count(summary, "connect_cycle") > 0, "{log}");
    assert!(count(summary, "handshake") >= 50, "{log}");
    assert_eq!(
        count(summary, "ready"),
        100,
        "50 agents x 2 channels: {log}"
    );
    assert_eq!(summary["passed"], Value::Bool(true), "{log}");
}

#[test]
fn run_against_the_embedded_simulator_loses_nothing_and_counts_add_up() {
    let _heavy = heavy::slot();
    let dir = Dir::new("embedded");
    let ran = run(&profile(), &dir.0, &[]);
    let (summary, log) = (ran.summary(), &ran.log);
    assert_eq!(ran.code, 0, "{log}");
    assert_consistent(summary, log);
    assert_eq!(summary["schema"], "agentload.summary/1");
    for file in OUTPUT_FILES {
        assert!(dir.0.join("out").join(file).is_file(), "{file} missing");
    }
    assert!(log.contains("embedded simulator: injected"), "{log}");
}

#[test]
fn run_against_a_separate_simulator_agrees_with_its_stats() {
    let _heavy = heavy::slot();
    let served = Served::start(&[]);
    let dir = Dir::new("target");
    let ran = run(&profile(), &dir.0, &["--target", &served.url]);
    let (summary, log) = (ran.summary(), &ran.log);
    assert_eq!(ran.code, 0, "{log}");
    assert_consistent(summary, log);
    let stats = sim_stats(&served.url, None);
    let n = |k: &str| {
        stats[k]
            .as_u64()
            .unwrap_or_else(|| panic!("{k} missing in {stats}"))
    };
    assert_eq!(
        n("injected"),
        counter(summary, "interactions_injected"),
        "{stats}"
    );
    assert_eq!(n("offered"), counter(summary, "invites_offered"), "{stats}");
    assert_eq!(
        n("accepted"),
        counter(summary, "invites_accepted"),
        "{stats}"
    );
    assert_eq!(
        n("rejected"),
        counter(summary, "invites_rejected"),
        "{stats}"
    );
    assert_eq!(n("revoked"), counter(summary, "invites_revoked"), "{stats}");
    assert_eq!(
        n("completed"),
        counter(summary, "interactions_completed"),
        "{stats}"
    );
    assert_eq!(n("in_progress"), 0, "{stats}");
    assert_eq!(
        n("agents_logged_in"),
        0,
        "every agent ended its session: {stats}"
    );
}

#[test]
fn run_with_the_simulator_in_a_child_process_gets_its_settings_and_final_counts() {
    let _heavy = heavy::slot();
    let dir = Dir::new("child");
    // The simulator's users only know this password: logging in proves the
    // profile's [simulator] table reached the child process.
    let mut profile = profile();
    profile.simulator.password = Some("s3cret-child");
    profile.agents.password = Some("s3cret-child");
    let ran = run(&profile, &dir.0, &["--simulator-process", "child"]);
    let (summary, log) = (ran.summary(), &ran.log);
    assert_eq!(ran.code, 0, "{log}");
    assert_consistent(summary, log);
    // The child's final counts came back over its stdout and agree.
    for (figure, name) in [
        ("injected", "interactions_injected"),
        ("offered", "invites_offered"),
        ("accepted", "invites_accepted"),
        ("rejected", "invites_rejected"),
        ("completed", "interactions_completed"),
    ] {
        assert_eq!(
            sim_figure(log, figure),
            counter(summary, name),
            "{figure}: {log}"
        );
    }
    assert_eq!(sim_figure(log, "in_progress"), 0, "in progress: {log}");
}

#[test]
fn a_supervised_simulator_refuses_settings_it_cannot_read() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(crate::support::run::BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--supervised"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"{\"users\": \"many\"}\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--supervised expects the simulator settings as one JSON line"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty(), "it never listened");
}
