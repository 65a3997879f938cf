//! Interop with CometD's own Node.js server (npm `cometd-nodejs-server`
//! 1.2.1) on 127.0.0.1: what the server does on its own initiative (a
//! server-side disconnect, handshake advice on a successful connect, the
//! acknowledgement extension, closing idle keep-alive sockets), scripted by
//! `tests/cometd_server/cometd_server.js`. Needs Node.js and npm; runs
//! `npm ci` in tests/cometd_server once.

use std::sync::Arc;
use std::time::Duration;

use agentload::bayeux::{
    BayeuxClient, ClientConfig, ClientError, Deliveries, Delivery, ExchangeOutcome,
};
use agentload::http::{HttpClient, HttpSession};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::support::bayeux::Seen;
use crate::support::node::{NodeServer, ensure_installed};

const FOLDER: &str = "cometd_server";

/// Starts the server with `env` (see the script for the variables).
async fn cometd(env: &[(&str, &str)]) -> (NodeServer, String) {
    ensure_installed(FOLDER, "cometd-nodejs-server");
    let server = NodeServer::start(FOLDER, "cometd_server.js", env).await;
    let url = format!("http://127.0.0.1:{}/cometd", server.port);
    (server, url)
}

fn client(config: ClientConfig) -> (BayeuxClient, Deliveries, Arc<Seen>) {
    let http = HttpClient::new(&Default::default()).unwrap();
    let seen = Arc::new(Seen::default());
    let (c, rx) = BayeuxClient::new(http, Arc::new(HttpSession::new()), config, seen.clone());
    (c, rx, seen)
}

fn config(url: &str) -> ClientConfig {
    let mut config = ClientConfig::new(url.parse().unwrap());
    config.connect_allowance = Duration::from_secs(5);
    config.backoff_step = Duration::from_millis(100);
    config
}

/// Handshakes, subscribes to `channel` (confirmed by the server) and starts
/// the connect loop.
async fn connected(
    server: &mut NodeServer,
    c: &BayeuxClient,
    channel: &str,
    stop: &CancellationToken,
) -> (String, JoinHandle<Result<(), ClientError>>) {
    c.handshake().await.unwrap();
    let id = c.client_id().unwrap();
    c.subscribe(channel).await.unwrap();
    assert_eq!(
        server.expect("SUBSCRIBED ").await,
        format!("{id} {channel}")
    );
    let (c, stop) = (c.clone(), stop.clone());
    let looper = tokio::spawn(async move { c.run_connect_loop(&stop).await });
    (id, looper)
}

async fn next_delivery(rx: &mut Deliveries) -> Delivery {
    tokio::time::timeout(Duration::from_secs(30), rx.recv())
        .await
        .expect("a delivery within 30 s")
        .expect("client alive")
}

/// The `seq` of a delivered `{seq}` message on `channel`.
fn seq(d: &Delivery, channel: &str) -> u64 {
    let Delivery::Message {
        channel: ch, data, ..
    } = d
    else {
        panic!("not a message: {d:?}");
    };
    assert_eq!(ch, channel);
    let v: serde_json::Value = serde_json::from_str(data.get()).unwrap();
    v["seq"].as_u64().expect("seq")
}

/// Waits until `seen` observed `n` connects (bounded: 30 s).
async fn connects_observed(seen: &Seen, n: usize) {
    let wait = async {
        while seen.connects().len() < n {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(30), wait)
        .await
        .unwrap_or_else(|_| panic!("{n} connects within 30 s: {:?}", seen.connects()));
}

#[tokio::test]
async fn cometd_server_side_disconnect_stops_the_client_and_says_why() {
    let (mut server, url) = cometd(&[("COMETD_TIMEOUT", "5000")]).await;
    let (c, _rx, seen) = client(config(&url));
    let stop = CancellationToken::new();
    let (id, looper) = connected(&mut server, &c, "/kick", &stop).await;
    // The first connect (not held) is answered; the second is held.
    connects_observed(&seen, 1).await;
    server.send(&format!("disconnect {id}"));
    assert_eq!(server.expect("REMOVED ").await, format!("{id} disconnect"));
    let ended = tokio::time::timeout(Duration::from_secs(10), looper)
        .await
        .expect("the loop stops once disconnected")
        .unwrap();
    let err = ended.expect_err("a kicked client ends with an error");
    assert!(matches!(err, ClientError::Disconnected), "{err:?}");
    assert_eq!(err.kind().name(), "server_disconnect");
    assert!(err.to_string().contains("the server disconnected"), "{err}");
    assert_eq!(c.client_id(), None, "the session is gone");
    assert!(seen.rehandshakes.lock().unwrap().is_empty());
    assert!(
        !seen
            .connects()
            .iter()
            .any(|o| matches!(o, ExchangeOutcome::Failed(_))),
        "{:?}",
        seen.connects()
    );
    // No handshake after the kick.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let lines = server.drain();
    assert!(
        !lines.iter().any(|l| l.starts_with("HANDSHOOK")),
        "{lines:?}"
    );
}

#[tokio::test]
async fn cometd_successful_connect_advising_a_handshake_counts_its_messages() {
    let (mut server, url) = cometd(&[("COMETD_TIMEOUT", "5000")]).await;
    let (c, mut rx, seen) = client(config(&url));
    let stop = CancellationToken::new();
    let (id, looper) = connected(&mut server, &c, "/advised", &stop).await;
    connects_observed(&seen, 1).await;
    server.send(&format!("advise-handshake {id} /advised"));
    assert_eq!(seq(&next_delivery(&mut rx).await, "/advised"), 0);
    assert!(matches!(
        next_delivery(&mut rx).await,
        Delivery::Rehandshaked
    ));
    assert_ne!(c.client_id().unwrap(), id);
    assert_eq!(*seen.rehandshakes.lock().unwrap(), vec!["advice_handshake"]);
    let connects = seen.connects();
    assert!(
        connects.contains(&ExchangeOutcome::Delivered(1)),
        "the advising reply's message is counted: {connects:?}"
    );
    assert!(
        !connects
            .iter()
            .any(|o| matches!(o, ExchangeOutcome::Failed(_))),
        "{connects:?}"
    );
    stop.cancel();
    looper.await.unwrap().unwrap();
}

#[tokio::test]
async fn cometd_closing_an_idle_kept_connection_as_a_connect_goes_out_costs_no_failure() {
    // Every connect written on a kept connection finds it closed, as when
    // Node's keep-alive timer fires just as the request arrives.
    let env = [
        ("COMETD_TIMEOUT", "200"),
        ("COMETD_INTERVAL", "0"),
        ("COMETD_DROP_REUSED", "1"),
    ];
    let (mut server, url) = cometd(&env).await;
    let (c, _rx, seen) = client(config(&url));
    let stop = CancellationToken::new();
    let (_, looper) = connected(&mut server, &c, "/idle", &stop).await;
    connects_observed(&seen, 6).await;
    stop.cancel();
    looper.await.unwrap().unwrap();
    let dropped = server.expect("DROPPED ").await;
    assert!(dropped.parse::<u32>().unwrap() >= 1, "the race was played");
    let connects = seen.connects();
    assert!(
        connects
            .iter()
            .all(|o| !matches!(o, ExchangeOutcome::Failed(_))),
        "each connect went again on a fresh connection: {connects:?}"
    );
    assert!(seen.rehandshakes.lock().unwrap().is_empty());
}

#[tokio::test]
async fn cometd_ack_extension_delivers_each_message_once() {
    // Short holds: many connects time out while messages are unacknowledged.
    let env = [
        ("COMETD_TIMEOUT", "300"),
        ("COMETD_INTERVAL", "0"),
        ("COMETD_ACK", "1"),
    ];
    let (mut server, url) = cometd(&env).await;
    let mut config = config(&url);
    config.ack = true;
    let (c, mut rx, seen) = client(config);
    let stop = CancellationToken::new();
    let (_, looper) = connected(&mut server, &c, "/acked", &stop).await;
    connects_observed(&seen, 1).await;
    let (bursts, per_burst) = (4, 5);
    let mut received = Vec::new();
    for burst in 1..=bursts {
        server.send(&format!("publish /acked {per_burst}"));
        while received.len() < burst * per_burst {
            received.push(seq(&next_delivery(&mut rx).await, "/acked"));
        }
        // Held connects time out in between, each acknowledging what came.
        let n = seen.connects().len();
        connects_observed(&seen, n + 2).await;
    }
    let expected: Vec<u64> = (0..bursts).flat_map(|_| 0..per_burst as u64).collect();
    assert_eq!(received, expected, "each message once, in order");
    // Nothing is delivered again on the following connects.
    let n = seen.connects().len();
    connects_observed(&seen, n + 3).await;
    assert!(rx.try_recv().is_err(), "a message was delivered again");
    let delivered: usize = seen
        .connects()
        .iter()
        .map(|o| match o {
            ExchangeOutcome::Delivered(k) => *k,
            _ => 0,
        })
        .sum();
    assert_eq!(delivered, bursts * per_burst);
    stop.cancel();
    looper.await.unwrap().unwrap();
}

#[tokio::test]
async fn cometd_connects_sent_as_node_closes_idle_sockets_do_not_fail() {
    // The race with real timing: Node closes a socket idle for 500 ms, and
    // the client waits the advised 500 ms between a reply and its next connect.
    let env = [
        ("COMETD_TIMEOUT", "200"),
        ("COMETD_INTERVAL", "500"),
        ("COMETD_KEEPALIVE_MS", "500"),
    ];
    let (mut server, url) = cometd(&env).await;
    let (c, _rx, seen) = client(config(&url));
    let stop = CancellationToken::new();
    let (_, looper) = connected(&mut server, &c, "/idle", &stop).await;
    connects_observed(&seen, 8).await;
    stop.cancel();
    looper.await.unwrap().unwrap();
    let connects = seen.connects();
    assert!(
        connects
            .iter()
            .all(|o| !matches!(o, ExchangeOutcome::Failed(_))),
        "{connects:?}"
    );
}

#[tokio::test]
async fn cometd_expired_session_is_handshaken_again_and_resubscribed() {
    let env = [("COMETD_TIMEOUT", "300"), ("COMETD_MAX_INTERVAL", "500")];
    let (mut server, url) = cometd(&env).await;
    let (c, mut rx, seen) = client(config(&url));
    let stop = CancellationToken::new();
    let (old, looper) = connected(&mut server, &c, "/expiring", &stop).await;
    connects_observed(&seen, 2).await;
    // The client goes quiet; the server expires its session.
    stop.cancel();
    looper.await.unwrap().unwrap();
    assert_eq!(server.expect("REMOVED ").await, format!("{old} timeout"));
    let stop = CancellationToken::new();
    let looper = {
        let (c, stop) = (c.clone(), stop.clone());
        tokio::spawn(async move { c.run_connect_loop(&stop).await })
    };
    assert!(matches!(
        next_delivery(&mut rx).await,
        Delivery::Rehandshaked
    ));
    let new = c.client_id().unwrap();
    assert_ne!(new, old);
    assert_eq!(
        server.expect("SUBSCRIBED ").await,
        format!("{new} /expiring")
    );
    assert_eq!(*seen.rehandshakes.lock().unwrap(), vec!["unknown_client"]);
    server.send("publish /expiring 3");
    for i in 0..3 {
        assert_eq!(seq(&next_delivery(&mut rx).await, "/expiring"), i);
    }
    stop.cancel();
    looper.await.unwrap().unwrap();
}
