//! A reader that went away (`agentload check P | true`, `run -q | head`, a
//! run killed while its supervised simulator still has counts to print)
//! ends the output quietly: no panic, no backtrace on the user's stderr, the
//! command's own exit code, and a run still writes its files.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};

use crate::support::run::{BIN, Dir};

const PROFILE: &str = r#"name = "closed"
seed = 3
[agents]
count = 2
channels = ["email"]
[[stages]]
duration = "1s"
agents = 2
[traffic]
email_rate = 2.0
drain = "0s"
"#;

/// A pipe whose reading end is already closed: every write to it fails with EPIPE.
fn closed_pipe() -> std::io::PipeWriter {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    writer
}

fn profile(dir: &Dir) -> String {
    let file = dir.join("closed.toml");
    std::fs::write(&file, PROFILE).unwrap();
    file.to_str().unwrap().to_string()
}

#[test]
fn check_into_a_closed_stdout_ends_quietly() {
    let dir = Dir::new("closed-check");
    let out = Command::new(BIN)
        .args(["check", &profile(&dir)])
        .stdout(closed_pipe())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.is_empty(), "nothing on stderr: {stderr}");
}

#[test]
fn a_run_into_closed_stdout_and_stderr_still_writes_its_results() {
    let dir = Dir::new("closed-run");
    let file = profile(&dir);
    for (name, quiet, stderr_closed) in [("quiet", true, false), ("both", false, true)] {
        let out_dir = dir.join(name);
        let mut cmd = Command::new(BIN);
        cmd.args(["run", &file, "--out", out_dir.to_str().unwrap()])
            .stdout(closed_pipe());
        if quiet {
            cmd.arg("--quiet");
        }
        if stderr_closed {
            cmd.stderr(closed_pipe());
        }
        let out = cmd.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{name}: {stderr}");
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
        for file in ["summary.json", "report.html", "junit.xml", "timeseries.csv"] {
            assert!(
                Path::new(&out_dir).join(file).is_file(),
                "{name}: {file} written"
            );
        }
    }
}

#[test]
fn a_supervised_simulator_whose_run_is_gone_ends_quietly() {
    let mut child = Command::new(BIN)
        .args(["serve", "--supervised", "--listen", "127.0.0.1:0"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let settings = serde_json::to_string(&agentload::sim::SimulatorConfig::default()).unwrap();
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "{settings}").unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    assert!(first.starts_with("listening "), "{first}");
    // The run is gone: its end of stdout closes, then its end of stdin.
    drop(stdout);
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
