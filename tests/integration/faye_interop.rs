//! Interop with Faye 1.4.3 (npm) on 127.0.0.1: our client against a third-party
//! Bayeux server. Needs Node.js and npm; runs `npm ci` in tests/interop once.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use agentload::bayeux::{BayeuxClient, ClientConfig, Deliveries, Delivery, ExchangeOutcome};
use agentload::http::{HttpClient, HttpSession};
use tokio_util::sync::CancellationToken;

use crate::support::bayeux::Seen;
use crate::support::node::{NodeServer, ensure_installed};

/// Starts Faye (`tests/interop/faye_server.js`, 3 s timeout).
async fn faye() -> (NodeServer, String) {
    ensure_installed("interop", "faye");
    let faye = NodeServer::start("interop", "faye_server.js", &[("FAYE_TIMEOUT", "3")]).await;
    let url = format!("http://127.0.0.1:{}/bayeux", faye.port);
    (faye, url)
}

fn client(url: &str) -> (BayeuxClient, Deliveries, Arc<Seen>) {
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
async fn receive(rx: &mut Deliveries, channel: &str, count: u64) -> Vec<f64> {
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
    let (mut faye, url) = faye().await;
    let (c, mut rx, seen) = client(&url);
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
    let (mut faye, url) = faye().await;
    let (c, mut rx, seen) = client(&url);
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
