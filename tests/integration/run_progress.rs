//! The live view of `agentload run` when its output is not a terminal (CI
//! logs, `| tee`): plain `key=value` lines, one per 10 s period and one at
//! the end, without escape codes; `--quiet` prints only the final summary.

use std::path::Path;

use crate::support::heavy;
use crate::support::profile::{Behaviour, Profile, Report, Traffic};
use crate::support::run::{Dir, run_file};

/// 30 agents, 11 s of stages and a 2 s drain, 1 s intervals.
fn profile() -> Profile {
    Profile {
        description: Some("piped live view"),
        seed: 5,
        behaviour: Behaviour {
            accept_probability: 0.9,
            answer_delay: "20ms..100ms",
            handle_time: "200ms..600ms",
            chat_messages: Some("0..1"),
            ..Behaviour::default()
        },
        traffic: Traffic {
            email_rate: 6.0,
            chat_rate: 6.0,
            drain: "2s",
            ..Traffic::default()
        },
        report: Some(Report { interval: "1s" }),
        ..Profile::bounded("progress", 30, "2s", "9s")
    }
}

/// A fresh folder holding the profile.
fn profile_dir(name: &str) -> Dir {
    let dir = Dir::new(&format!("progress-{name}"));
    profile().write(&dir.join("profile.toml"));
    dir
}

/// Runs the profile with stdout and stderr piped; returns (code, stdout, stderr).
fn run(dir: &Path, extra: &[&str]) -> (Option<i32>, String, String) {
    let output = run_file(&dir.join("profile.toml"), &dir.join("out"), extra);
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The progress lines: `[   10s/13s] agents=...`, with the offset in seconds.
fn progress_lines(stderr: &str) -> Vec<(u64, &str)> {
    stderr
        .lines()
        .filter_map(|line| {
            let rest = line.strip_prefix('[')?;
            let (offset, _) = rest.split_once("s/")?;
            let offset = offset.trim().parse().ok()?;
            line.contains("] agents=").then_some((offset, line))
        })
        .collect()
}

fn assert_final_summary(stdout: &str, all: &str) {
    for part in [
        "measurement",
        "invite_delivery",
        "connect_cycle",
        "counters:",
    ] {
        assert!(stdout.contains(part), "no {part:?} in stdout:\n{all}");
    }
    assert!(stdout.contains("PASSED"), "{all}");
}

#[test]
fn piped_runs_print_plain_lines_once_per_period_without_escape_codes() {
    let _heavy = heavy::slot();
    let dir = profile_dir("plain");
    let (code, stdout, stderr) = run(&dir.0, &[]);
    let all = format!("stdout:\n{stdout}\nstderr:\n{stderr}");
    assert_eq!(code, Some(0), "{all}");
    assert!(!stdout.contains('\u{1b}'), "escape code in stdout:\n{all}");
    assert!(!stderr.contains('\u{1b}'), "escape code in stderr:\n{all}");
    assert!(!stderr.contains('\r'), "carriage return in stderr:\n{all}");

    let lines = progress_lines(&stderr);
    // About 13 s of intervals: one line at the 10 s period, one at the end.
    assert!(lines.len() >= 2, "{} progress lines:\n{all}", lines.len());
    let (first, _) = lines[0];
    assert!(
        (9..=12).contains(&first),
        "the first line comes after one 10 s period, not at {first}s:\n{all}"
    );
    for pair in lines.windows(2) {
        let gap = pair[1].0.saturating_sub(pair[0].0);
        assert!(
            (1..=12).contains(&gap),
            "lines at most one period apart and never repeated:\n{all}"
        );
    }
    for (_, line) in &lines {
        for key in [
            "ready=",
            "injected/s=",
            "offered/s=",
            "accepted/s=",
            "rejected/s=",
            "revoked/s=",
            "invite_delivery p50=",
            "connect_cycle p50=",
            "errors/s=",
            "cpu=",
            "lag_p99=",
        ] {
            assert!(line.contains(key), "{key} missing in {line:?}");
        }
    }
    // While the agents work, the line shows them and what they get.
    let (_, busy) = lines[0];
    assert!(busy.contains("agents=30/30"), "{busy}");
    assert!(!busy.contains("offered/s=0.0 "), "{busy}");
    assert_final_summary(&stdout, &all);
}

#[test]
fn quiet_runs_print_only_the_final_summary() {
    let _heavy = heavy::slot();
    let dir = profile_dir("quiet");
    let (code, stdout, stderr) = run(&dir.0, &["--quiet", "--duration", "4s"]);
    let all = format!("stdout:\n{stdout}\nstderr:\n{stderr}");
    assert_eq!(code, Some(0), "{all}");
    assert!(
        progress_lines(&stderr).is_empty() && progress_lines(&stdout).is_empty(),
        "progress lines with --quiet:\n{all}"
    );
    assert!(
        !stderr.contains("agentload:"),
        "no start banner with --quiet:\n{all}"
    );
    assert!(
        !stdout.contains('\u{1b}') && !stderr.contains('\u{1b}'),
        "{all}"
    );
    assert_final_summary(&stdout, &all);
}
