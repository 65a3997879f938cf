//! Acceptance: the official CometD JavaScript client (npm `cometd` +
//! `cometd-nodejs-client`, tests/cometd/agent.mjs) logs in as an agent
//! against `agentload serve --agents 5 --invite-timeout 2s`, handshakes,
//! subscribes, gets invited, accepts and finishes email and chat on loopback.
//! Needs node and npm; runs `npm ci` in tests/cometd when node_modules is missing.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

fn tool(name: &str) -> PathBuf {
    let ok = Command::new(name)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(
        ok,
        "`{name}` is required by this test (the official CometD client runs on Node.js 18+): install Node.js and npm, then re-run"
    );
    PathBuf::from(name)
}

#[test]
fn official_cometd_client_gets_invited_and_accepts() {
    let node = tool("node");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cometd");
    if !dir.join("node_modules/cometd").exists()
        || !dir.join("node_modules/cometd-nodejs-client").exists()
    {
        let npm = tool("npm");
        let out = Command::new(npm)
            .arg("ci")
            .arg("--no-audit")
            .arg("--no-fund")
            .current_dir(&dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "`npm ci` in {} failed:\n{}",
            dir.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    let mut serve = Command::new(env!("CARGO_BIN_EXE_agentload"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--agents",
            "5",
            "--invite-timeout",
            "2s",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(serve.stdout.take().unwrap()).lines();
    let first = lines.next().expect("serve printed nothing").unwrap();
    // Its own free port, as it printed: no other test can take it meanwhile.
    let url = first
        .split_whitespace()
        .find(|w| w.starts_with("http://127.0.0.1:"))
        .unwrap_or_else(|| panic!("serve should print its address first: {first}"))
        .to_string();

    let started = Instant::now();
    let out = Command::new(node)
        .arg("agent.mjs")
        .arg(&url)
        .args(["agent3", "password"])
        .current_dir(&dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);

    // Stop the simulator the way a user does, and check it reports its counts.
    // SAFETY: plain kill(2) on the child we spawned.
    unsafe {
        libc::kill(serve.id() as i32, libc::SIGTERM);
    }
    let status = serve.wait().unwrap();
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(
        out.status.success(),
        "CometD agent failed after {:?}:\nstdout: {stdout}\nstderr: {stderr}",
        started.elapsed()
    );
    assert!(stdout.contains("COMETD-AGENT OK"), "{stdout}");
    assert!(status.success(), "serve exited with {status}");
    let last = rest
        .iter()
        .find(|l| l.starts_with("final stats"))
        .unwrap_or_else(|| panic!("no final stats in {rest:?}"));
    assert!(
        last.contains("injected 2") && last.contains("completed 2"),
        "{last}"
    );
}
