//! Interrupting `agentload run`: a first SIGINT stops gracefully and writes
//! every output; a second one stops at once and still writes them; a
//! SIGKILL leaves every completed interval on disk, from which
//! `agentload report` rebuilds the rest.

#![cfg(unix)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use agentload::report::hlog;
use serde_json::Value;

use crate::support::heavy;
use crate::support::profile::{Behaviour, Gate, NotReady, Profile, Report, Traffic};
use crate::support::run::{BIN, Dir, OUTPUT_FILES};

/// What the plan would take without an interrupt: 60 s of stages + 5 s drain.
const PLAN: Duration = Duration::from_secs(65);

/// 40 agents for a minute, 1 s intervals (so a few seconds give a few rows),
/// a gate that any healthy run passes. `handle_time` decides how long a
/// graceful stop takes, as agents finish the work in hand (`on_stop = finish`).
fn profile(handle_time: &'static str) -> Profile {
    Profile {
        description: Some("interrupted run"),
        seed: 11,
        behaviour: Behaviour {
            accept_probability: 0.9,
            answer_delay: "20ms..100ms",
            handle_time,
            chat_messages: Some("0..1"),
            on_stop: Some("finish"),
            // No break falls in the test; the pending break timer must not hold the stop.
            not_ready: Some(NotReady {
                every: "10m..30m",
                duration: "1m..2m",
            }),
            ..Behaviour::default()
        },
        traffic: Traffic {
            email_rate: 10.0,
            chat_rate: 10.0,
            drain: "5s",
            ..Traffic::default()
        },
        report: Some(Report { interval: "1s" }),
        gates: vec![Gate {
            rule: "invite_delivery.p99 < 30s",
        }],
        ..Profile::bounded("signals", 40, "2s", "58s")
    }
}

/// A running `agentload run`, killed when dropped so no test leaves it behind.
struct Run {
    child: Child,
    started: Instant,
    log: PathBuf,
}

impl Run {
    fn start(dir: &Dir, handle_time: &'static str) -> Run {
        let file = dir.0.join("profile.toml");
        profile(handle_time).write(&file);
        Run::of_profile(dir, &file)
    }

    /// `agentload run PROFILE --out DIR/out`, logging to DIR/log.txt.
    fn of_profile(dir: &Dir, file: &Path) -> Run {
        let log = dir.0.join("log.txt");
        let log_file = std::fs::File::create(&log).unwrap();
        let child = Command::new(BIN)
            .arg("run")
            .arg(file)
            .arg("--out")
            .arg(dir.join("out"))
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().unwrap())
            .stderr(log_file)
            .spawn()
            .unwrap();
        Run {
            child,
            started: Instant::now(),
            log,
        }
    }

    fn signal(&self, signal: libc::c_int) {
        let pid = libc::pid_t::try_from(self.child.id()).unwrap();
        // SAFETY: kill(2) on our own child's pid; no memory is involved.
        let rc = unsafe { libc::kill(pid, signal) };
        assert_eq!(rc, 0, "kill({pid}, {signal}) failed");
    }

    /// Waits until the run has been going for `at_least` and has written
    /// `rows` intervals (so its signal handlers are surely installed).
    fn wait_for_rows(&mut self, out: &Path, rows: usize, at_least: Duration) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("the run ended early ({status}):\n{}", self.log());
            }
            let have = data_rows(&out.join("timeseries.csv"));
            if have >= rows && self.started.elapsed() >= at_least {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "only {have} intervals written after 60 s:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits for the exit, at most `bound`; returns the status and how long it took.
    fn wait_at_most(&mut self, bound: Duration) -> (ExitStatus, Duration) {
        let from = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return (status, from.elapsed());
            }
            assert!(
                from.elapsed() < bound,
                "still running {bound:?} after the signal:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn data_rows(timeseries: &Path) -> usize {
    std::fs::read_to_string(timeseries)
        .map(|text| text.lines().skip(1).filter(|l| !l.is_empty()).count())
        .unwrap_or(0)
}

fn read_summary(out: &Path) -> Value {
    let bytes = std::fs::read(out.join("summary.json")).unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// Every output of a run is there and well formed.
fn assert_complete_outputs(out: &Path, log: &str) -> Value {
    for file in OUTPUT_FILES {
        let path = out.join(file);
        assert!(
            std::fs::metadata(&path)
                .map(|m| m.len() > 0)
                .unwrap_or(false),
            "{file} missing or empty:\n{log}"
        );
    }
    let summary = read_summary(out);
    assert_eq!(summary["schema"], "agentload.summary/1", "{summary}");
    let injected = summary["counters"]["interactions_injected"]
        .as_u64()
        .unwrap_or_else(|| panic!("no counters in {summary}"));
    assert!(injected > 0, "the run injected nothing: {summary}");
    assert!(
        summary["counters"]["invites_offered"].as_u64().unwrap_or(0) > 0,
        "{summary}"
    );

    let timeseries = std::fs::read_to_string(out.join("timeseries.csv")).unwrap();
    let mut lines = timeseries.lines();
    let header = lines.next().unwrap_or_default();
    assert!(
        header.starts_with("time,offset_s,") && header.contains("rss_bytes"),
        "{header}"
    );
    let columns = header.split(',').count();
    let rows: Vec<&str> = lines.filter(|l| !l.is_empty()).collect();
    assert!(rows.len() >= 3, "{} rows:\n{timeseries}", rows.len());
    for row in &rows {
        assert_eq!(row.split(',').count(), columns, "ragged row {row:?}");
    }

    let log_bytes = std::fs::read(out.join("histograms.hlog")).unwrap();
    let decoded = hlog::read(&log_bytes, "histograms.hlog").unwrap();
    assert_eq!(
        decoded.intervals.len(),
        rows.len(),
        "one hlog interval per timeseries row; notes: {:?}",
        decoded.notes
    );
    assert!(decoded.notes.is_empty(), "{:?}", decoded.notes);
    assert_eq!(
        summary["intervals"].as_u64(),
        Some(rows.len() as u64),
        "{summary}"
    );

    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("<svg"), "report.html has no chart");
    let junit = std::fs::read_to_string(out.join("junit.xml")).unwrap();
    assert!(junit.contains("<testsuite"), "{junit}");
    let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(md.contains("invite_delivery"), "{md}");
    summary
}

/// The verdict of an interrupted run in summary.json, junit.xml and
/// summary.md: never passed, whatever its gates.
fn assert_is_interrupted(out: &Path, summary: &Value, signal: &str) {
    assert_eq!(summary["verdict"], "interrupted", "{summary}");
    assert_eq!(summary["passed"], Value::Bool(false), "{summary}");
    let reason = summary["reason"].as_str().unwrap_or_default();
    assert!(reason.contains(signal), "{summary}");
    let junit = std::fs::read_to_string(out.join("junit.xml")).unwrap();
    let doc = roxmltree::Document::parse(&junit).unwrap();
    let failure = doc
        .descendants()
        .find(|n| n.has_tag_name("failure"))
        .unwrap_or_else(|| panic!("no failure in junit.xml:\n{junit}"));
    assert_eq!(failure.parent().unwrap().attribute("name"), Some("run"));
    assert_eq!(failure.attribute("type"), Some("interrupted"));
    let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(md.contains("INTERRUPTED") && md.contains(signal), "{md}");
}

fn note_says_interrupted(summary: &Value) -> bool {
    summary["notes"].as_array().is_some_and(|notes| {
        notes
            .iter()
            .any(|n| n.as_str().is_some_and(|n| n.contains("interrupted")))
    })
}

#[test]
fn sigint_stops_gracefully_and_writes_every_output() {
    let _heavy = heavy::slot();
    let dir = Dir::new("signals-graceful");
    let mut run = Run::start(&dir, "300ms..1s");
    run.wait_for_rows(&dir.join("out"), 3, Duration::from_secs(4));
    run.signal(libc::SIGINT);
    // Agents get 10 s to finish and log out, 20 s at the very most.
    let (status, took) = run.wait_at_most(Duration::from_secs(25));
    let log = run.log();
    assert!(
        run.started.elapsed() < PLAN - Duration::from_secs(20),
        "the run went on for {:?}, near its plan of {PLAN:?}:\n{log}",
        run.started.elapsed()
    );
    assert_eq!(
        status.code(),
        Some(130),
        "interrupted by SIGINT, though its gate passes (took {took:?}):\n{log}"
    );
    // Work in hand lasts at most 1 s: agents log out without waiting out the
    // 10 s grace (a pending NotReady break is no work in hand).
    assert!(
        took < Duration::from_secs(8),
        "the graceful stop took {took:?}:\n{log}"
    );
    assert!(log.contains("stopping gracefully"), "{log}");
    let summary = assert_complete_outputs(&dir.join("out"), &log);
    assert!(note_says_interrupted(&summary), "{summary}");
    assert_is_interrupted(&dir.join("out"), &summary, "SIGINT");
    // The graceful stop let the agents end their sessions: no stop timeout.
    assert!(
        summary["errors"]["agent_stop_timeout"].is_null(),
        "{summary}"
    );
}

/// The acceptance line: SIGINT 8 s into the shipped smoke run.
#[test]
fn sigint_8s_into_a_smoke_run_is_interrupted_not_passed() {
    let _heavy = heavy::slot();
    let dir = Dir::new("signals-smoke");
    let smoke = Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles/smoke.toml");
    let mut run = Run::of_profile(&dir, &smoke);
    run.wait_for_rows(&dir.join("out"), 1, Duration::from_secs(8));
    run.signal(libc::SIGINT);
    let (status, _) = run.wait_at_most(Duration::from_secs(25));
    let log = run.log();
    assert_eq!(status.code(), Some(130), "{log}");
    let summary = read_summary(&dir.join("out"));
    assert_is_interrupted(&dir.join("out"), &summary, "SIGINT");
    assert!(log.contains("INTERRUPTED: interrupted by SIGINT"), "{log}");
}

#[test]
fn sigterm_stops_gracefully_and_exits_143() {
    let _heavy = heavy::slot();
    let dir = Dir::new("signals-term");
    let mut run = Run::start(&dir, "300ms..1s");
    run.wait_for_rows(&dir.join("out"), 2, Duration::from_secs(3));
    run.signal(libc::SIGTERM);
    let (status, _) = run.wait_at_most(Duration::from_secs(25));
    let log = run.log();
    assert_eq!(status.code(), Some(143), "{log}");
    let summary = read_summary(&dir.join("out"));
    assert_is_interrupted(&dir.join("out"), &summary, "SIGTERM");
}

#[test]
fn a_second_sigint_stops_at_once_and_still_writes_every_output() {
    let _heavy = heavy::slot();
    let dir = Dir::new("signals-immediate");
    // Work in hand lasts far longer than the 10 s grace, so a graceful stop
    // alone would take the whole grace.
    let mut run = Run::start(&dir, "40s..60s");
    run.wait_for_rows(&dir.join("out"), 3, Duration::from_secs(4));
    run.signal(libc::SIGINT);
    std::thread::sleep(Duration::from_millis(300));
    run.signal(libc::SIGINT);
    let (status, took) = run.wait_at_most(Duration::from_secs(25));
    let log = run.log();
    assert!(
        took < Duration::from_secs(8),
        "an immediate stop took {took:?}, as long as a graceful one:\n{log}"
    );
    assert_eq!(status.code(), Some(130), "{log}");
    assert!(log.contains("stopping now"), "{log}");
    let summary = assert_complete_outputs(&dir.join("out"), &log);
    assert!(note_says_interrupted(&summary), "{summary}");
}

#[test]
fn a_killed_run_keeps_its_intervals_and_report_rebuilds_the_rest() {
    let _heavy = heavy::slot();
    let dir = Dir::new("signals-killed");
    let out = dir.join("out");
    let mut run = Run::start(&dir, "300ms..1s");
    run.wait_for_rows(&out, 4, Duration::from_secs(5));
    run.signal(libc::SIGKILL);
    let (status, _) = run.wait_at_most(Duration::from_secs(10));
    assert_eq!(status.code(), None, "killed by a signal");
    let rows = data_rows(&out.join("timeseries.csv"));
    assert!(rows >= 4, "{rows} rows left by the killed run");
    // The summary written at the start says who ran, and that it was running.
    let started = read_summary(&out);
    assert_eq!(started["verdict"], "running", "{started}");
    assert_eq!(started["run"]["profile"], "signals", "{started}");
    assert_eq!(started["run"]["agents"], 40, "{started}");

    let log_bytes = std::fs::read(out.join("histograms.hlog")).unwrap();
    let decoded = hlog::read(&log_bytes, "histograms.hlog").unwrap();
    // timeseries.csv is written just before histograms.hlog: a kill in
    // between leaves one row more in the former.
    let kept = decoded.intervals.len();
    assert!(
        kept == rows || kept + 1 == rows,
        "{kept} hlog intervals for {rows} rows: {:?}",
        decoded.notes
    );
    let delivered: u64 =
        decoded.histograms[agentload::metrics::Measure::InviteDelivery.index()].len();
    assert!(delivered > 0, "the kept intervals hold invite deliveries");

    // The starting summary names the run and its gates; a killed run never passes.
    let rebuilt = Command::new(BIN)
        .arg("report")
        .arg(&out)
        .arg("--in-place")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&rebuilt.stdout).to_string()
        + &String::from_utf8_lossy(&rebuilt.stderr);
    assert_eq!(rebuilt.status.code(), Some(1), "{text}");
    let summary = read_summary(&out);
    assert_eq!(summary["schema"], "agentload.summary/1", "{summary}");
    assert_eq!(summary["verdict"], "interrupted", "{summary}");
    assert_eq!(summary["run"]["id"], started["run"]["id"], "{summary}");
    assert_eq!(summary["run"]["agents"], 40, "{summary}");
    assert_eq!(
        summary["gates"][0]["rule"], "invite_delivery.p99 < 30s",
        "{summary}"
    );
    assert_eq!(
        summary["intervals"].as_u64(),
        Some(kept as u64),
        "{summary}"
    );
    assert_eq!(
        summary["metrics"]["invite_delivery"]["count"].as_u64(),
        Some(delivered),
        "{summary}"
    );
    for file in ["summary.csv", "report.html", "junit.xml", "summary.md"] {
        assert!(out.join(file).is_file(), "{file} not rebuilt:\n{text}");
    }
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("<svg"), "report.html has no chart");

    // Gates given to `report` are judged on what the killed run kept.
    let judged = Command::new(BIN)
        .arg("report")
        .arg(&out)
        .args(["--gate", "invite_delivery.count > 1000000"])
        .arg("--in-place")
        .output()
        .unwrap();
    assert_eq!(
        judged.status.code(),
        Some(1),
        "a killed run with a failing gate: {}",
        String::from_utf8_lossy(&judged.stdout)
    );
}
