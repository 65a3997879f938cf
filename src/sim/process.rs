//! The embedded simulator in a child process, for runs whose generator and
//! simulator ends of every connection do not fit one process's open-file
//! limit (10,000 agents hold 10,000 long-polls; in one process that is
//! 20,000 sockets, the whole hard limit of many machines).
//!
//! The child is this same executable as `agentload serve --supervised`. The
//! protocol is three lines: the parent writes the [`SimulatorConfig`] as one
//! JSON line on the child's stdin; the child answers `listening URL` on its
//! stdout once it accepts connections; when its stdin closes (the parent is
//! done, or died) it stops and writes `stats JSON` ([`SimStats`]) last.

use std::io::{BufRead, BufReader, Write};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use crate::error::Error;
use crate::sim::{NodeSlice, SimStats, SimulatorConfig};

/// The first line a supervised simulator prints: `listening http://...`.
pub const LISTENING: &str = "listening ";
/// The last line a supervised simulator prints: `stats {...}`.
pub const STATS: &str = "stats ";

/// How long the child may take to start listening.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// How long it may take to stop once told to.
const STOP_TIMEOUT: Duration = Duration::from_secs(15);

/// A running simulator child process. Dropping it without [`SimChild::stop`]
/// kills the child.
#[derive(Debug)]
pub struct SimChild {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<std::io::Result<String>>,
    url: String,
}

/// Where and as what a simulator child process serves.
#[derive(Debug, Clone)]
pub struct ChildOptions {
    /// The address it listens on (port 0: a free one).
    pub listen: SocketAddr,
    /// Which agents it owns when it is one node of several.
    pub node: NodeSlice,
    /// PEM certificate chain and key, to serve HTTPS.
    pub tls: Option<(PathBuf, PathBuf)>,
}

impl Default for ChildOptions {
    fn default() -> Self {
        ChildOptions {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            node: NodeSlice::WHOLE,
            tls: None,
        }
    }
}

impl SimChild {
    /// Starts `agentload serve --supervised` on 127.0.0.1 (a free port) with
    /// `config`, and waits until it listens.
    pub fn spawn(config: &SimulatorConfig) -> Result<SimChild, Error> {
        SimChild::spawn_with(config, &ChildOptions::default())
    }

    /// [`SimChild::spawn`] listening where `options` say, as the node they
    /// name.
    pub fn spawn_with(config: &SimulatorConfig, options: &ChildOptions) -> Result<SimChild, Error> {
        let exe = std::env::current_exe().map_err(|e| {
            Error::run(format!(
                "cannot find the agentload executable to start the simulator process: {e}"
            ))
        })?;
        let mut command = Command::new(&exe);
        command
            .arg("serve")
            .arg("--listen")
            .arg(options.listen.to_string())
            .arg("--supervised")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        if !options.node.is_whole() {
            command
                .arg("--node")
                .arg(options.node.to_string())
                .arg("--node-first")
                .arg(options.node.first.to_string());
        }
        if let Some((cert, key)) = &options.tls {
            command
                .arg("--tls-cert")
                .arg(cert)
                .arg("--tls-key")
                .arg(key);
        }
        // Its own process group: a Ctrl-C at the terminal must reach only the
        // generator, whose graceful stop still needs the simulator.
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let mut child = command.spawn().map_err(|e| {
            Error::run(format!(
                "cannot start the simulator process {} serve: {e}",
                exe.display()
            ))
        })?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            unreachable!("both were asked for as pipes")
        };
        let (tx, lines) = mpsc::channel();
        std::thread::Builder::new()
            .name("agentload-sim-out".into())
            .spawn(move || {
                for line in BufReader::new(stdout).lines() {
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            })
            .map_err(|e| Error::run(format!("cannot start a thread: {e}")))?;
        // From here on, an early return drops (and so kills) the child.
        let mut process = SimChild {
            child,
            stdin: Some(stdin),
            lines,
            url: String::new(),
        };
        let json = serde_json::to_string(config)
            .map_err(|e| Error::run(format!("cannot encode the simulator settings: {e}")))?;
        if let Some(stdin) = process.stdin.as_mut() {
            writeln!(stdin, "{json}")
                .and_then(|()| stdin.flush())
                .map_err(|e| Error::run(format!("cannot configure the simulator process: {e}")))?;
        }
        process.url = process
            .next_line(START_TIMEOUT)?
            .strip_prefix(LISTENING)
            .map(str::to_owned)
            .ok_or_else(|| Error::run("the simulator process did not say where it listens"))?;
        Ok(process)
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The child's process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// How the child ended, when it already has: a node that dies while
    /// the others serve is reported rather than silently missing.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Tells the child to stop, waits for it and returns its final counts.
    pub fn stop(mut self) -> Result<SimStats, Error> {
        drop(self.stdin.take());
        let deadline = Instant::now() + STOP_TIMEOUT;
        let stats = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self.next_line(left)?;
            if let Some(json) = line.strip_prefix(STATS) {
                break serde_json::from_str::<SimStats>(json).map_err(|e| {
                    Error::run(format!("the simulator process sent unreadable counts: {e}"))
                })?;
            }
        };
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return Ok(stats);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        Ok(stats)
    }

    fn next_line(&mut self, timeout: Duration) -> Result<String, Error> {
        match self.lines.recv_timeout(timeout) {
            Ok(Ok(line)) => Ok(line),
            Ok(Err(e)) => Err(Error::run(format!(
                "cannot read the simulator process's output: {e}"
            ))),
            Err(RecvTimeoutError::Timeout) => Err(Error::run(format!(
                "the simulator process did not answer within {timeout:?}"
            ))),
            Err(RecvTimeoutError::Disconnected) => {
                let status = self
                    .child
                    .wait()
                    .map_or_else(|e| e.to_string(), |s| s.to_string());
                Err(Error::run(format!(
                    "the simulator process ended early ({status}); its messages are above"
                )))
            }
        }
    }
}

impl Drop for SimChild {
    /// A child still running here was not stopped cleanly: kill it rather
    /// than leave a server behind.
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
