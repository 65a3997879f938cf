//! Helpers for the `agentload run` tests that drive the built binary: a temp
//! folder, a run that returns its summary.json, a background `agentload serve`.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;

use super::profile::Profile;

/// The built binary.
pub const BIN: &str = env!("CARGO_BIN_EXE_agentload");

/// Every file a completed run writes to its output folder.
pub const OUTPUT_FILES: [&str; 7] = [
    "summary.json",
    "summary.csv",
    "timeseries.csv",
    "histograms.hlog",
    "report.html",
    "junit.xml",
    "summary.md",
];

/// A temp folder removed when dropped.
pub struct Dir(pub PathBuf);

impl Dir {
    /// A fresh folder named after the test, the process and the folder's
    /// number in it (the tests share one process).
    pub fn new(name: &str) -> Dir {
        static MADE: AtomicUsize = AtomicUsize::new(0);
        let n = MADE.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("agentload-{name}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Dir(dir)
    }

    /// A path inside it.
    pub fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// What `agentload run` did.
pub struct Ran {
    /// The exit code.
    pub code: i32,
    /// summary.json, if written.
    pub summary: Option<Value>,
    /// stdout then stderr.
    pub log: String,
}

impl Ran {
    /// summary.json, which must exist.
    pub fn summary(&self) -> &Value {
        self.summary
            .as_ref()
            .unwrap_or_else(|| panic!("no summary.json; output:\n{}", self.log))
    }
}

/// A figure of the `embedded simulator: ...` line the run prints at the end.
pub fn sim_figure(log: &str, name: &str) -> u64 {
    let line = log
        .lines()
        .find(|l| l.starts_with("embedded simulator:"))
        .unwrap_or_else(|| panic!("no simulator line in\n{log}"));
    let words: Vec<&str> = line.split_whitespace().collect();
    words
        .iter()
        .position(|w| *w == name)
        .and_then(|i| words.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in {line}"))
}

/// `agentload run FILE --out OUT EXTRA...`, to its end.
pub fn run_file(file: &Path, out: &Path, extra: &[&str]) -> Output {
    Command::new(BIN)
        .arg("run")
        .arg(file)
        .arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .unwrap()
}

/// `agentload compare A B`: its exit code and what it printed (stdout, then stderr).
pub fn compare(a: &Path, b: &Path) -> (i32, String) {
    let output = Command::new(BIN)
        .arg("compare")
        .arg(a)
        .arg(b)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout).to_string()
        + &String::from_utf8_lossy(&output.stderr);
    (output.status.code().unwrap_or(-1), text)
}

/// `agentload run PROFILE --out DIR/out --quiet EXTRA...` with the profile written to `dir`.
pub fn run(profile: &Profile, dir: &Path, extra: &[&str]) -> Ran {
    let file = dir.join("profile.toml");
    profile.write(&file);
    run_written(&file, dir, extra)
}

/// [`run`] with the profile's TOML text as written (for profiles no builder makes).
pub fn run_text(profile_text: &str, dir: &Path, extra: &[&str]) -> Ran {
    let file = dir.join("profile.toml");
    std::fs::write(&file, profile_text).unwrap();
    run_written(&file, dir, extra)
}

fn run_written(file: &Path, dir: &Path, extra: &[&str]) -> Ran {
    let out = dir.join("out");
    let quiet: Vec<&str> = ["--quiet"].iter().chain(extra).copied().collect();
    let output = run_file(file, &out, &quiet);
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    let summary = std::fs::read(out.join("summary.json"))
        .ok()
        .map(|bytes| serde_json::from_slice(&bytes).unwrap());
    Ran {
        code: output.status.code().unwrap_or(-1),
        summary,
        log: stdout + &stderr,
    }
}

/// A counter of summary.json.
pub fn counter(summary: &Value, name: &str) -> u64 {
    summary["counters"][name]
        .as_u64()
        .unwrap_or_else(|| panic!("counter {name} missing: {summary}"))
}

/// A measurement's count in summary.json.
pub fn count(summary: &Value, measure: &str) -> u64 {
    summary["metrics"][measure]["count"]
        .as_u64()
        .unwrap_or_else(|| panic!("metric {measure} missing: {summary}"))
}

/// Errors of one kind in summary.json (0 when absent).
pub fn errors(summary: &Value, kind: &str) -> u64 {
    summary["errors"][kind].as_u64().unwrap_or(0)
}

/// `agentload serve` in the background; killed when dropped.
pub struct Served {
    child: Child,
    /// `http://ADDR` or `https://ADDR`, as it printed.
    pub url: String,
}

impl Served {
    /// Starts it on a free port with 50 users and a 3 s invite timeout.
    pub fn start(extra: &[&str]) -> Served {
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
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        let url = first
            .split_whitespace()
            .find(|w| w.starts_with("http://") || w.starts_with("https://"))
            .unwrap_or_else(|| {
                let mut err = String::new();
                let _ = std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err);
                panic!("no address in {first:?}; stderr: {err}")
            })
            .to_string();
        Served { child, url }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `GET {url}/sim/stats` with the crate's own HTTP client, trusting `ca`
/// (a PEM file) for `https://` URLs.
pub fn sim_stats(url: &str, ca: Option<&str>) -> Value {
    use agentload::http::{HttpClient, HttpSession, TlsOptions};
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let client = HttpClient::new(&TlsOptions {
            insecure: false,
            ca_file: ca.map(Into::into),
        })
        .unwrap();
        let resp = client
            .request(
                &HttpSession::new(),
                hyper::Method::GET,
                &format!("{url}/sim/stats").parse().unwrap(),
                None,
                bytes::Bytes::new(),
                std::time::Duration::from_secs(10),
            )
            .await
            .unwrap();
        assert!(resp.status.is_success(), "{:?}", resp.status);
        serde_json::from_slice(&resp.body).unwrap()
    })
}
