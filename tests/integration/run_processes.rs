//! `agentload run PROFILE --processes N`: one plan run by N shard processes
//! against the run's own simulator and merged into the usual outputs, the
//! shard folders kept inside. The merged run creates what a one-process run
//! of the same seed creates, measures every first invite once, and a Ctrl-C
//! reaches every shard and still leaves the merged outputs.

#![cfg(unix)]

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::support::heavy;
use super::support::profile::{Profile, Report};
use super::support::run::{self, BIN, Dir, OUTPUT_FILES, count, counter, sim_figure};

fn profile(hold: &'static str) -> Profile {
    Profile {
        report: Some(Report { interval: "1s" }),
        ..Profile::accepting_emails("procs", 17, 40, ("1s", hold))
    }
}

#[test]
fn two_processes_run_the_one_process_plan_and_merge_it_exactly() {
    let _heavy = heavy::slot();
    let dir = Dir::new("processes");
    let two = run::run(&profile("4s"), &dir.0, &["--processes", "2"]);
    assert_eq!(two.code, 0, "{}", two.log);
    let summary = two.summary();
    let shards = summary["shards"].as_array().expect("a shards list");
    assert_eq!(shards.len(), 2, "{summary}");
    for (i, shard) in shards.iter().enumerate() {
        assert_eq!(shard["index"], i as u64);
        assert_eq!(shard["agents"], 20, "40 agents over 2 shards: {shard}");
        assert_eq!(shard["verdict"], "passed", "{shard}");
        let folder = dir.0.join("out/shards").join(format!("shard-{i}"));
        assert!(folder.join("shard.json").exists(), "{}", folder.display());
        assert!(folder.join("seqs.log").exists());
    }
    for file in OUTPUT_FILES {
        assert!(dir.0.join("out").join(file).exists(), "{file} missing");
    }
    let injected = counter(summary, "interactions_injected");
    assert!(injected >= 30, "10/s for 5 s: {injected}");
    assert_eq!(sim_figure(&two.log, "injected"), injected, "{}", two.log);
    assert_eq!(counter(summary, "interactions_lost"), 0, "{summary}");
    assert_eq!(counter(summary, "interactions_never_offered"), 0);
    // Every interaction reached an agent: one first-invite sample each.
    assert_eq!(count(summary, "invite_delivery"), injected, "{summary}");
    assert_eq!(summary["run"]["agents"], 40);

    // The same seed in one process plans the same arrivals.
    let one_dir = Dir::new("processes-one");
    let one = run::run(&profile("4s"), &one_dir.0, &[]);
    assert_eq!(one.code, 0, "{}", one.log);
    assert_eq!(counter(one.summary(), "interactions_injected"), injected);
}

#[test]
fn a_ctrl_c_reaches_every_shard_and_the_merged_outputs_are_still_written() {
    let _heavy = heavy::slot();
    let dir = Dir::new("processes-signal");
    let file = dir.join("profile.toml");
    profile("60s").write(&file);
    let log = std::fs::File::create(dir.join("log.txt")).unwrap();
    let mut child = Command::new(BIN)
        .arg("run")
        .arg(&file)
        .args(["--processes", "2", "--out"])
        .arg(dir.join("out"))
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    let read_log = || std::fs::read_to_string(dir.join("log.txt")).unwrap_or_default();
    // Until both shards have written a few intervals (their handlers are set).
    let deadline = Instant::now() + Duration::from_secs(60);
    while (0..2).any(|i| rows(&dir, i) < 3) {
        assert!(
            child.try_wait().unwrap().is_none(),
            "ended early:\n{}",
            read_log()
        );
        assert!(Instant::now() < deadline, "no intervals:\n{}", read_log());
        std::thread::sleep(Duration::from_millis(100));
    }
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    // SAFETY: kill(2) on our own child's pid; no memory is involved.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    let deadline = Instant::now() + Duration::from_secs(45);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("still running 45 s after SIGINT:\n{}", read_log());
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(status.code(), Some(130), "{}", read_log());
    let summary: Value =
        serde_json::from_slice(&std::fs::read(dir.join("out/summary.json")).unwrap()).unwrap();
    assert_eq!(summary["verdict"], "interrupted", "{summary}");
    assert_eq!(summary["shards"].as_array().map(Vec::len), Some(2));
    for shard in summary["shards"].as_array().unwrap() {
        assert_eq!(shard["verdict"], "interrupted", "{shard}");
    }
    assert_eq!(counter(&summary, "interactions_lost"), 0, "{summary}");
}

fn rows(dir: &Dir, shard: u32) -> usize {
    let csv = dir
        .0
        .join(format!("out/shards/shard-{shard}/timeseries.csv"));
    std::fs::read_to_string(csv)
        .map(|t| t.lines().skip(1).filter(|l| !l.is_empty()).count())
        .unwrap_or(0)
}

#[test]
fn processes_with_a_shard_identity_or_a_bad_count_are_refused() {
    let dir = Dir::new("processes-input");
    let file = dir.join("profile.toml");
    profile("4s").write(&file);
    for (extra, says) in [
        (&["--processes", "0"][..], "from 1 to 64"),
        (&["--processes", "two"], "expected \"auto\""),
        (&["--processes", "2", "--shard", "0/2"], "--shard"),
        (&["--processes", "2", "--run-id", "r"], "--run-id"),
    ] {
        let out = run::run_file(&file, &dir.join("out"), extra);
        let log = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {log}");
        assert!(log.contains(says), "{extra:?}: {log}");
    }
}
