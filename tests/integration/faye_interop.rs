//! Interop with Faye 1.4.3 (npm) on 127.0.0.1: our client against a third-party
//! Bayeux server. Needs Node.js and npm; runs `npm ci` in tests/interop once.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::support::bayeux::Seen;
use agentload::bayeux::{BayeuxClient, ClientConfig, Delivery, ExchangeOutcome};
use agentload::http::{HttpClient, HttpSession};
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};
use tokio_util::sync::CancellationToken;

static NPM: Mutex<()> = Mutex::new(());

fn interop_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("interop")
}

/// Fails (not skips) without Node: the interop tests are part of the suite.
fn ensure_faye_installed() {
    let _one = NPM.lock().unwrap_or_else(|p| p.into_inner());
    let node = Command::new("node").arg("--version").output();
    assert!(
        node.as_ref().is_ok_and(|o| o.status.success()),
        "Node.js is needed for the Faye interop tests: install Node.js >= 18 and npm \
         (e.g. `apt-get install nodejs npm`, or from https://nodejs.org), then rerun `cargo test faye`"
    );
    let dir = interop_dir();
    if dir.join("node_modules").join("faye").exists() {
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

/// A running Faye server; killed when dropped.
struct Faye {
    child: Child,
    stdin: ChildStdin,
    lines: UnboundedReceiver<String>,
    url: String,
}

impl Drop for Faye {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Faye {
    async fn start() -> Faye {
        ensure_faye_installed();
        let mut child = Command::new("node")
            .arg("faye_server.js")
            .current_dir(interop_dir())
            .env("FAYE_TIMEOUT", "3")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start node faye_server.js");
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
        let mut faye = Faye {
            child,
            stdin,
            lines,
            url: String::new(),
        };
        let port = faye.expect("PORT ").await;
        faye.url = format!("http://127.0.0.1:{port}/bayeux");
        faye
    }

    fn send(&mut self, command: &str) {
        writeln!(self.stdin, "{command}").unwrap();
        self.stdin.flush().unwrap();
    }

    /// The rest of the next line starting with `prefix`.
    async fn expect(&mut self, prefix: &str) -> String {
        let wait = async {
            while let Some(line) = self.lines.recv().await {
                assert!(!line.starts_with("ERROR"), "Faye side: {line}");
                if let Some(rest) = line.strip_prefix(prefix) {
                    return rest.to_owned();
                }
            }
            panic!("Faye exited before printing {prefix:?}");
        };
        tokio::time::timeout(Duration::from_secs(30), wait)
            .await
            .unwrap_or_else(|_| panic!("Faye did not print {prefix:?} within 30 s"))
    }
}

fn client(url: &str) -> (BayeuxClient, UnboundedReceiver<Delivery>, Arc<Seen>) {
    let http = HttpClient::new(&Default::default()).unwrap();
    let mut config = ClientConfig::new(url.parse().unwrap());
    config.connect_allowance = Duration::from_secs(5);
    config.backoff_step = Duration::from_millis(100);
    let seen = Arc::new(Seen::default());
    let (c, rx) = BayeuxClient::new(http, Arc::new(HttpSession::new()), config, seen.clone());
    (c, rx, seen)
}

fn spawn_loop(c: &BayeuxClient, stop: &CancellationToken) -> tokio::task::JoinHandle<()> {
    let (c, stop) = (c.clone(), stop.clone());
    tokio::spawn(async move { c.run_connect_loop(&stop).await.expect("connect loop") })
}

fn now_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
        * 1000.0
}

/// Receives `count` Faye-published messages; returns their latencies (ms), checking order.
async fn receive(rx: &mut UnboundedReceiver<Delivery>, channel: &str, count: u64) -> Vec<f64> {
    let mut latencies = Vec::new();
    while (latencies.len() as u64) < count {
        let d = tokio::time::timeout(Duration::from_secs(30), rx.recv())
            .await
            .expect("Faye messages within 30 s")
            .expect("client alive");
        let Delivery::Message {
            channel: ch, data, ..
        } = d
        else {
            panic!("unexpected {d:?}");
        };
        let received = now_ms();
        assert_eq!(ch, channel);
        let v: serde_json::Value = serde_json::from_str(data.get()).unwrap();
        assert_eq!(
            v["seq"].as_u64(),
            Some(latencies.len() as u64),
            "in order, none lost"
        );
        latencies.push(received - v["sentAtMs"].as_f64().unwrap());
    }
    latencies
}

#[tokio::test]
async fn faye_delivers_published_messages_and_latency_is_measured() {
    let mut faye = Faye::start().await;
    let (c, mut rx, seen) = client(&faye.url);
    c.handshake().await.unwrap();
    let id = c.client_id().unwrap();
    c.subscribe("/load/*").await.unwrap();
    assert_eq!(faye.expect("SUBSCRIBED ").await, format!("{id} /load/*"));
    let stop = CancellationToken::new();
    let looper = spawn_loop(&c, &stop);
    let n = 200;
    faye.send(&format!("publish /load/a {n}"));
    let mut lat = receive(&mut rx, "/load/a", n).await;
    faye.expect("PUBLISHED ").await;
    lat.sort_by(f64::total_cmp);
    eprintln!(
        "Faye -> agentload latency over {n} messages: min {:.3} ms, p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
        lat[0],
        lat[lat.len() / 2],
        lat[lat.len() * 99 / 100],
        lat[lat.len() - 1]
    );
    // One clock on one machine: latencies are real, non-negative durations.
    assert!(lat[0] > -1.0, "negative latency {}", lat[0]);
    let delivered: usize = seen
        .connects()
        .iter()
        .map(|o| {
            if let ExchangeOutcome::Delivered(k) = o {
                *k
            } else {
                0
            }
        })
        .sum();
    assert_eq!(delivered as u64, n, "Faye delivers on connect replies only");
    stop.cancel();
    looper.await.unwrap();
    c.disconnect().await.unwrap();
}

#[tokio::test]
async fn faye_forgetting_the_client_makes_it_rehandshake_and_resubscribe() {
    let mut faye = Faye::start().await;
    let (c, mut rx, seen) = client(&faye.url);
    c.handshake().await.unwrap();
    let old = c.client_id().unwrap();
    c.subscribe("/r").await.unwrap();
    faye.expect("SUBSCRIBED ").await;
    let stop = CancellationToken::new();
    let looper = spawn_loop(&c, &stop);
    faye.send(&format!("forget {old}"));
    assert_eq!(faye.expect("FORGOT ").await, old);
    let d = tokio::time::timeout(Duration::from_secs(30), rx.recv())
        .await
        .expect("re-handshake within 30 s");
    assert!(matches!(d, Some(Delivery::Rehandshaked)), "{d:?}");
    let new = c.client_id().unwrap();
    assert_ne!(new, old);
    assert_eq!(
        faye.expect("SUBSCRIBED ").await,
        format!("{new} /r"),
        "re-subscribed by itself"
    );
    assert_eq!(*seen.rehandshakes.lock().unwrap(), vec!["unknown_client"]);
    faye.send("publish /r 5");
    assert_eq!(receive(&mut rx, "/r", 5).await.len(), 5);
    stop.cancel();
    looper.await.unwrap();
}
