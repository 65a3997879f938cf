//! `scenario = "bayeux"` end to end: the built binary's pub/sub run against
//! third-party Bayeux servers on 127.0.0.1 (Faye 1.4.3, CometD's Node.js
//! server 1.2.1, with and without its acknowledgement extension, and through
//! a restart of the server). Every expected delivery is accounted for:
//! delivered once, or counted lost.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

use crate::support::heavy;
use crate::support::node::{NodeServer, ensure_installed};
use crate::support::run::{BIN, Dir, Ran, count, counter, run_text};

/// A small fan-out: `subscribers` in 4 rooms (2 each), 20 messages/s for
/// about 6 s, then `extra` (more TOML).
fn fanout(subscribers: u32, extra: &str) -> String {
    format!(
        r#"
name = "pubsub-test"
seed = 7
scenario = "bayeux"

[agents]
count = {subscribers}

[[stages]]
duration = "2s"
agents = {subscribers}

[[stages]]
duration = "4s"
agents = {subscribers}

[traffic]
drain = "1s"

[report]
interval = "500ms"

[bayeux]
rooms = 4
rooms_per_subscriber = 2
publishers = 2
publish_rate = 20.0
message_bytes = 128
{extra}
"#
    )
}

fn errors_total(summary: &Value) -> u64 {
    summary["errors"]
        .as_object()
        .map_or(0, |kinds| kinds.values().filter_map(Value::as_u64).sum())
}

/// Every expected delivery arrived exactly once, nothing failed, and the
/// latency was recorded once per delivery.
fn assert_every_delivery_once(ran: &Ran) {
    let s = ran.summary();
    assert_eq!(ran.code, 0, "{}", ran.log);
    let expected = counter(s, "messages_expected");
    assert!(counter(s, "messages_published") >= 40, "{}", ran.log);
    assert!(expected >= 40, "{}", ran.log);
    assert_eq!(counter(s, "messages_delivered"), expected, "{}", ran.log);
    assert_eq!(counter(s, "messages_lost"), 0, "{}", ran.log);
    assert_eq!(counter(s, "messages_duplicate"), 0, "{}", ran.log);
    assert_eq!(errors_total(s), 0, "{}", ran.log);
    assert_eq!(count(s, "message_delivery"), expected, "{}", ran.log);
    assert_eq!(count(s, "publish"), counter(s, "messages_published"));
    assert!(count(s, "fanout_spread") > 0, "{}", ran.log);
}

async fn run_against(url: String, profile: String, dir: PathBuf) -> Ran {
    tokio::task::spawn_blocking(move || run_text(&profile, &dir, &["--target", &url]))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fanout_against_faye_delivers_every_message_once_and_keeps_secrets() {
    let _heavy = heavy::slot();
    ensure_installed("interop", "faye");
    let faye = NodeServer::start(
        "interop",
        "faye_server.js",
        &[("FAYE_TIMEOUT", "3"), ("FAYE_MOUNT", "/cometd")],
    )
    .await;
    let dir = Dir::new("pubsub-faye");
    let secrets = r#"ext = { auth = { token = "s3cret-ext" } }
headers = { Authorization = "Bearer s3cret-header" }"#;
    let url = format!("http://127.0.0.1:{}/cometd", faye.port);
    let ran = run_against(url, fanout(12, secrets), dir.0.clone()).await;
    assert_every_delivery_once(&ran);
    for file in std::fs::read_dir(dir.join("out")).unwrap() {
        let path = file.unwrap().path();
        let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).to_string();
        assert!(!text.contains("s3cret"), "a secret in {}", path.display());
    }
    assert!(!ran.log.contains("s3cret"), "{}", ran.log);
}

async fn cometd(env: &[(&str, &str)]) -> NodeServer {
    ensure_installed("cometd_server", "cometd-nodejs-server");
    NodeServer::start("cometd_server", "cometd_server.js", env).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fanout_against_cometd_delivers_every_message_once() {
    let _heavy = heavy::slot();
    let server = cometd(&[("COMETD_TIMEOUT", "2000")]).await;
    let dir = Dir::new("pubsub-cometd");
    let url = format!("http://127.0.0.1:{}/cometd", server.port);
    let ran = run_against(url, fanout(12, ""), dir.0.clone()).await;
    assert_every_delivery_once(&ran);
}

/// With the server's acknowledgement extension and connects held only
/// 1 s, a client that never acknowledged would get every batch again at
/// each timeout: duplicates.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fanout_with_ack_against_cometd_with_the_ack_extension_delivers_once() {
    let _heavy = heavy::slot();
    let server = cometd(&[("COMETD_ACK", "1"), ("COMETD_TIMEOUT", "1000")]).await;
    let dir = Dir::new("pubsub-cometd-ack");
    let url = format!("http://127.0.0.1:{}/cometd", server.port);
    let ran = run_against(url, fanout(12, "ack = true"), dir.0.clone()).await;
    assert_every_delivery_once(&ran);
    let profile = std::fs::read_to_string(dir.join("out").join("summary.json")).unwrap();
    assert!(profile.contains("ack = true"), "the run's profile says ack");
}

/// The server restarts (its sessions gone) a third of the way in: every
/// subscriber re-handshakes and re-subscribes, deliveries resume, and what
/// the gap cost is counted (lost deliveries, failed exchanges), not hidden.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn through_a_cometd_restart_subscribers_come_back_and_the_gap_is_counted() {
    let _heavy = heavy::slot();
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port().to_string()
    };
    let env = [("COMETD_TIMEOUT", "2000"), ("COMETD_PORT", port.as_str())];
    let server = cometd(&env).await;
    let dir = Dir::new("pubsub-restart");
    let url = format!("http://127.0.0.1:{port}/cometd");
    let run = tokio::spawn(run_against(url, fanout(8, ""), dir.0.clone()));
    tokio::time::sleep(Duration::from_secs(3)).await;
    drop(server);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let _restarted = cometd(&env).await;
    let ran = tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("the run ends")
        .unwrap();
    let s = ran.summary();
    assert_eq!(ran.code, 0, "{}", ran.log);
    let expected = counter(s, "messages_expected");
    let (delivered, lost) = (
        counter(s, "messages_delivered"),
        counter(s, "messages_lost"),
    );
    assert!(counter(s, "rehandshakes") >= 8, "{}", ran.log);
    assert!(
        lost > 0 || errors_total(s) > 0,
        "the gap shows: {}",
        ran.log
    );
    assert_eq!(delivered + lost, expected, "{}", ran.log);
    // Publishing went on for twice as long after the restart as before it:
    // had the subscribers not come back, most deliveries would be lost.
    assert!(lost * 3 < expected, "{}", ran.log);
    assert_eq!(counter(s, "messages_duplicate"), 0, "{}", ran.log);
}

#[test]
fn the_shipped_fanout_profile_checks_and_a_run_without_target_exits_2() {
    let check = std::process::Command::new(BIN)
        .args(["check", "profiles/bayeux-fanout.toml"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&check.stdout);
    assert!(check.status.success(), "{text}");
    assert!(text.contains("scenario   bayeux"), "{text}");
    let dir = Dir::new("pubsub-no-target");
    let ran = run_text(&fanout(2, ""), &dir.0, &[]);
    assert_eq!(ran.code, 2, "{}", ran.log);
    assert!(ran.log.contains("--target"), "{}", ran.log);
}

#[test]
fn a_bad_bayeux_table_names_its_file_line_and_field() {
    let dir = Dir::new("pubsub-bad");
    let profile = fanout(2, "").replace("rooms_per_subscriber = 2", "rooms_per_subscriber = 9");
    let ran = run_text(&profile, &dir.0, &[]);
    assert_eq!(ran.code, 2, "{}", ran.log);
    assert!(
        ran.log.contains("bayeux.rooms_per_subscriber"),
        "{}",
        ran.log
    );
    assert!(ran.log.contains("profile.toml:"), "{}", ran.log);
    assert!(ran.log.contains("expected 1..=4"), "{}", ran.log);
}
