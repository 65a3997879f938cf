//! Third-party Bayeux servers run by Node.js for the interop tests: a
//! folder under `tests/` with a `package.json`, its `package-lock.json` and
//! a script that prints `PORT <n>`, then one event per line, and reads
//! commands on stdin.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

/// One `npm ci` at a time (the tests of a folder start together).
static NPM: Mutex<()> = Mutex::new(());

/// `tests/<folder>`.
pub fn dir(folder: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(folder)
}

/// Installs `tests/<folder>`'s locked dependencies once (`npm ci`), unless
/// `node_modules/<package>` is there. Fails (not skips) without Node: the
/// interop tests are part of the suite.
pub fn ensure_installed(folder: &str, package: &str) {
    let _one = NPM.lock().unwrap_or_else(|p| p.into_inner());
    let node = Command::new("node").arg("--version").output();
    assert!(
        node.as_ref().is_ok_and(|o| o.status.success()),
        "Node.js is needed for the interop tests: install Node.js >= 18 and npm \
         (e.g. `apt-get install nodejs npm`, or from https://nodejs.org), then rerun `cargo test interop`"
    );
    let dir = dir(folder);
    if dir.join("node_modules").join(package).exists() {
        return;
    }
    let out = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(&dir)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run npm ({e}): install npm (it ships with Node.js), then rerun")
        });
    assert!(
        out.status.success(),
        "`npm ci` in {} failed: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A running Node server script; killed when dropped.
pub struct NodeServer {
    child: Child,
    stdin: ChildStdin,
    lines: UnboundedReceiver<String>,
    /// The port it printed.
    pub port: String,
}

impl Drop for NodeServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl NodeServer {
    /// Starts `node <script>` in `tests/<folder>` with `env`; returns once it
    /// printed its port.
    pub async fn start(folder: &str, script: &str, env: &[(&str, &str)]) -> NodeServer {
        let mut child = Command::new("node")
            .arg(script)
            .current_dir(dir(folder))
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("start node {script}: {e}"));
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = unbounded_channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut server = NodeServer {
            child,
            stdin,
            lines,
            port: String::new(),
        };
        server.port = server.expect("PORT ").await;
        server
    }

    /// Sends one command line.
    pub fn send(&mut self, command: &str) {
        writeln!(self.stdin, "{command}").unwrap();
        self.stdin.flush().unwrap();
    }

    /// The rest of the next line starting with `prefix` (lines before it
    /// are skipped; an `ERROR` line fails the test).
    pub async fn expect(&mut self, prefix: &str) -> String {
        let wait = async {
            while let Some(line) = self.lines.recv().await {
                assert!(!line.starts_with("ERROR"), "server side: {line}");
                if let Some(rest) = line.strip_prefix(prefix) {
                    return rest.to_owned();
                }
            }
            panic!("the server exited before printing {prefix:?}");
        };
        tokio::time::timeout(Duration::from_secs(30), wait)
            .await
            .unwrap_or_else(|_| panic!("the server did not print {prefix:?} within 30 s"))
    }

    /// The lines printed so far and not yet read.
    pub fn drain(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        while let Ok(line) = self.lines.try_recv() {
            out.push(line);
        }
        out
    }
}
