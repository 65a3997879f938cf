//! `agentload run` end to end: a small bounded profile against the embedded
//! simulator, and the same profile against a separately started
//! `agentload serve`, whose `/sim/stats` must agree with the run's counts.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_agentload");

/// 50 agents, about 12 s of stages and a short drain, email and chat.
fn profile(extra_simulator: &str) -> String {
    format!(
        r#"
name = "e2e"
description = "bounded end-to-end test"
seed = 7

[agents]
count = 50
channels = ["email", "chat"]

[[stages]]
duration = "3s"
agents = 50

[[stages]]
duration = "8s"
agents = 50

[behaviour]
accept_probability = 0.8
answer_delay = "20ms..150ms"
no_answer_probability = 0.0
handle_time = "200ms..800ms"
chat_messages = "0..1"

[traffic]
email_rate = 8.0
chat_rate = 8.0
arrival = "poisson"
drain = "4s"

[simulator]
invite_timeout = "3s"
{extra_simulator}
"#
    )
}

struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Dir {
        let dir = std::env::temp_dir().join(format!("agentload-e2e-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Dir(dir)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn run(profile_text: &str, dir: &Path, extra: &[&str]) -> (i32, Value, String) {
    let file = dir.join("profile.toml");
    std::fs::write(&file, profile_text).unwrap();
    let out = dir.join("out");
    let output = Command::new(BIN)
        .arg("run")
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .arg("--quiet")
        .args(extra)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    let summary = std::fs::read(out.join("summary.json"))
        .unwrap_or_else(|e| panic!("no summary.json ({e}); stdout:\n{stdout}\nstderr:\n{stderr}"));
    (
        output.status.code().unwrap_or(-1),
        serde_json::from_slice(&summary).unwrap(),
        stdout + &stderr,
    )
}

fn counter(summary: &Value, name: &str) -> u64 {
    summary["counters"][name]
        .as_u64()
        .unwrap_or_else(|| panic!("counter {name} missing: {summary}"))
}

fn count(summary: &Value, measure: &str) -> u64 {
    summary["metrics"][measure]["count"]
        .as_u64()
        .unwrap_or_else(|| panic!("metric {measure} missing"))
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
    // Every invite was answered (no_answer_probability = 0) or revoked.
    assert_eq!(offered, accepted + rejected + revoked, "{log}");
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
    let dir = Dir::new("embedded");
    let (code, summary, log) = run(&profile(""), &dir.0, &[]);
    assert_eq!(code, 0, "{log}");
    assert_consistent(&summary, &log);
    assert_eq!(summary["schema"], "agentload.summary/1");
    for file in [
        "summary.json",
        "summary.csv",
        "timeseries.csv",
        "histograms.hlog",
        "report.html",
        "junit.xml",
        "summary.md",
    ] {
        assert!(dir.0.join("out").join(file).is_file(), "{file} missing");
    }
    assert!(log.contains("embedded simulator: injected"), "{log}");
}

/// `agentload serve` in the background; killed when dropped.
struct Served {
    child: Child,
    addr: String,
}

impl Served {
    fn start(extra: &[&str]) -> Served {
        let mut child = Command::new(BIN)
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--agents",
                "50",
                "--invite-timeout",
                "3s",
            ])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        let addr = first
            .split_whitespace()
            .find_map(|w| w.strip_prefix("http://"))
            .unwrap_or_else(|| panic!("no address in {first:?}"))
            .to_string();
        Served { child, addr }
    }

    fn stats(&self) -> Value {
        let mut stream = TcpStream::connect(&self.addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        write!(
            stream,
            "GET /sim/stats HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.addr
        )
        .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        let body = response.split("\r\n\r\n").nth(1).unwrap_or_default();
        serde_json::from_str(body).unwrap_or_else(|e| panic!("bad /sim/stats ({e}): {response}"))
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn run_against_a_separate_simulator_agrees_with_its_stats() {
    let served = Served::start(&[]);
    let dir = Dir::new("target");
    let url = format!("http://{}", served.addr);
    let (code, summary, log) = run(&profile(""), &dir.0, &["--target", &url]);
    assert_eq!(code, 0, "{log}");
    assert_consistent(&summary, &log);
    let stats = served.stats();
    let n = |k: &str| {
        stats[k]
            .as_u64()
            .unwrap_or_else(|| panic!("{k} missing in {stats}"))
    };
    assert_eq!(
        n("injected"),
        counter(&summary, "interactions_injected"),
        "{stats}"
    );
    assert_eq!(
        n("offered"),
        counter(&summary, "invites_offered"),
        "{stats}"
    );
    assert_eq!(
        n("accepted"),
        counter(&summary, "invites_accepted"),
        "{stats}"
    );
    assert_eq!(
        n("rejected"),
        counter(&summary, "invites_rejected"),
        "{stats}"
    );
    assert_eq!(
        n("revoked"),
        counter(&summary, "invites_revoked"),
        "{stats}"
    );
    assert_eq!(
        n("completed"),
        counter(&summary, "interactions_completed"),
        "{stats}"
    );
    assert_eq!(n("in_progress"), 0, "{stats}");
    assert_eq!(
        n("agents_logged_in"),
        0,
        "every agent ended its session: {stats}"
    );
}
