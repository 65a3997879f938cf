//! The Bayeux client against our own server on 127.0.0.1, and against a
//! scripted server that answers garbage.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::bayeux::{Seen, raw};
use agentload::bayeux::{
    BayeuxClient, BayeuxServer, ClientConfig, ClientError, Deliveries, Delivery, ExchangeKind,
    ExchangeOutcome, NoopListener, ServerConfig,
};
use agentload::http::{HttpClient, HttpSession};
use agentload::metrics::Cause;
use axum::extract::State;
use hyper::StatusCode;
use tokio_util::sync::CancellationToken;

async fn serve(app: axum::Router) -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}/cometd"), task)
}

fn client(
    url: &str,
    tweak: impl FnOnce(&mut ClientConfig),
) -> (BayeuxClient, Deliveries, Arc<Seen>, Arc<HttpSession>) {
    let http = HttpClient::new(&Default::default()).unwrap();
    let session = Arc::new(HttpSession::new());
    let mut config = ClientConfig::new(url.parse().unwrap());
    tweak(&mut config);
    let seen = Arc::new(Seen::default());
    let (c, rx) = BayeuxClient::new(http, session.clone(), config, seen.clone());
    (c, rx, seen, session)
}

async fn next_delivery(rx: &mut Deliveries) -> Delivery {
    tokio::time::timeout(Duration::from_secs(15), rx.recv())
        .await
        .expect("a delivery within 15 s")
        .expect("channel open")
}

async fn next_message(rx: &mut Deliveries) -> (String, String) {
    match next_delivery(rx).await {
        Delivery::Message { channel, data, .. } => (channel, data.get().to_owned()),
        other => panic!("expected a message, got {other:?}"),
    }
}

async fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn our_server() -> BayeuxServer {
    BayeuxServer::new(
        ServerConfig {
            timeout: Duration::from_secs(20),
            ..ServerConfig::default()
        },
        Arc::new(NoopListener),
    )
}

#[tokio::test]
async fn handshake_subscribe_publish_and_held_delivery() {
    let server = our_server();
    let (url, task) = serve(server.router()).await;
    let (c, mut rx, seen, session) = client(&url, |_| {});
    assert!(matches!(
        c.subscribe("/x").await,
        Err(ClientError::NotHandshaken)
    ));
    c.handshake().await.unwrap();
    assert!(
        session.cookie("BAYEUX_BROWSER").is_some(),
        "browser cookie kept"
    );
    let id = c.client_id().unwrap();
    c.subscribe("/room/*").await.unwrap();
    let stop = CancellationToken::new();
    let looper = {
        let (c, stop) = (c.clone(), stop.clone());
        tokio::spawn(async move { c.run_connect_loop(&stop).await })
    };
    // First connect asks timeout 0 and comes back at once; then one is held.
    wait_until("a held connect", || server.stats().held_connects == 1).await;
    assert_eq!(seen.connects(), vec![ExchangeOutcome::Empty]);
    // Publish while the connect is held; the event comes back on some reply.
    c.publish("/room/1", &raw(r#"{"hello":1}"#)).await.unwrap();
    assert_eq!(
        next_message(&mut rx).await,
        ("/room/1".into(), r#"{"hello":1}"#.into())
    );
    // A server-side delivery returns the held connect early.
    wait_until("a held connect", || server.stats().held_connects == 1).await;
    let start = Instant::now();
    assert!(server.deliver(&id, "/room/2", &raw("[2]")));
    assert_eq!(
        next_message(&mut rx).await,
        ("/room/2".into(), "[2]".into())
    );
    assert!(
        start.elapsed() < Duration::from_secs(15),
        "delivered before the 20 s hold ended"
    );
    assert!(
        !server.deliver(&id, "/room/2/deeper", &raw("0")),
        "/* is one segment"
    );
    c.unsubscribe("/room/*").await.unwrap();
    assert!(!server.deliver(&id, "/room/2", &raw("0")));
    stop.cancel();
    tokio::time::timeout(Duration::from_secs(5), looper)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    c.disconnect().await.unwrap();
    assert_eq!(server.stats().sessions, 0);
    task.abort();
}

#[tokio::test]
async fn rehandshakes_and_resubscribes_after_the_server_forgets() {
    let server = our_server();
    let (url, task) = serve(server.router()).await;
    let (c, mut rx, seen, _) = client(&url, |_| {});
    c.handshake().await.unwrap();
    c.subscribe("/a").await.unwrap();
    c.subscribe("/b/**").await.unwrap();
    let old = c.client_id().unwrap();
    let stop = CancellationToken::new();
    let looper = {
        let (c, stop) = (c.clone(), stop.clone());
        tokio::spawn(async move { c.run_connect_loop(&stop).await })
    };
    wait_until("a held connect", || server.stats().held_connects == 1).await;
    assert!(server.forget(&old));
    assert!(matches!(
        next_delivery(&mut rx).await,
        Delivery::Rehandshaked
    ));
    let new = c.client_id().unwrap();
    assert_ne!(new, old);
    assert_eq!(*seen.rehandshakes.lock().unwrap(), vec!["unknown_client"]);
    assert!(server.deliver(&new, "/a", &raw("1")), "re-subscribed to /a");
    assert!(
        server.deliver(&new, "/b/c/d", &raw("2")),
        "re-subscribed to /b/**"
    );
    assert_eq!(next_message(&mut rx).await.1, "1");
    assert_eq!(next_message(&mut rx).await.1, "2");
    stop.cancel();
    looper.await.unwrap().unwrap();
    task.abort();
}

#[tokio::test]
async fn disconnect_ends_the_loop_cleanly() {
    let server = our_server();
    let (url, task) = serve(server.router()).await;
    let (c, _rx, _, _) = client(&url, |_| {});
    c.handshake().await.unwrap();
    let stop = CancellationToken::new();
    let looper = {
        let (c, stop) = (c.clone(), stop.clone());
        tokio::spawn(async move { c.run_connect_loop(&stop).await })
    };
    wait_until("a held connect", || server.stats().held_connects == 1).await;
    c.disconnect().await.unwrap();
    let ended = tokio::time::timeout(Duration::from_secs(10), looper)
        .await
        .expect("loop ends");
    ended.unwrap().unwrap();
    assert_eq!(c.client_id(), None);
    task.abort();
}

/// A server answering each request with the next scripted reply.
#[derive(Default)]
struct Script {
    replies: Mutex<VecDeque<(u16, &'static str)>>,
    requests: Mutex<Vec<String>>,
}

async fn scripted(State(s): State<Arc<Script>>, body: String) -> (StatusCode, String) {
    s.requests.lock().unwrap().push(body);
    let next = s.replies.lock().unwrap().pop_front();
    match next {
        Some((status, text)) => (StatusCode::from_u16(status).unwrap(), text.to_owned()),
        None => (
            StatusCode::OK,
            r#"[{"channel":"/meta/connect","successful":true,"advice":{"reconnect":"none"}}]"#
                .into(),
        ),
    }
}

const HANDSHAKE_OK: &str = r#"[{"channel":"/meta/handshake","successful":true,"clientId":"c1","version":"1.0","supportedConnectionTypes":["long-polling"],"advice":{"reconnect":"retry","interval":0,"timeout":1000}}]"#;

#[tokio::test]
async fn survives_garbage_replies_and_stops_on_reconnect_none() {
    let script = Arc::new(Script::default());
    script.replies.lock().unwrap().extend([
        (200, HANDSHAKE_OK),
        (
            200,
            r#"[{"channel":"/meta/subscribe","successful":true,"subscription":"/x"}]"#,
        ),
        (200, "this is not json"),
        (500, "<html>oops</html>"),
        (200, r#"[{"channel":"/meta/connect","successful":"yes"}]"#),
        (200, r#"[]"#),
        // A single object and an event on the connect reply.
        (200, r#"{"channel":"/meta/connect","successful":true}"#),
        (
            200,
            r#"[{"channel":"/meta/connect","successful":true},{"channel":"/x","data":{"k":1}}]"#,
        ),
        // Faye's dialect, no advice: re-handshake, not retry.
        (
            200,
            r#"[{"channel":"/meta/connect","successful":false,"error":"401:c1:Unknown client"}]"#,
        ),
        (200, HANDSHAKE_OK),
        (
            200,
            r#"[{"channel":"/meta/subscribe","successful":true,"subscription":"/x"}]"#,
        ),
    ]);
    let app = axum::Router::new()
        .route("/cometd", axum::routing::post(scripted))
        .with_state(script.clone());
    let (url, task) = serve(app).await;
    let (c, mut rx, seen, _) = client(&url, |cfg| {
        cfg.backoff_step = Duration::from_millis(5);
        cfg.connect_allowance = Duration::from_secs(5);
    });
    c.handshake().await.unwrap();
    c.subscribe("/x").await.unwrap();
    let stop = CancellationToken::new();
    let result = tokio::time::timeout(Duration::from_secs(20), c.run_connect_loop(&stop))
        .await
        .expect("loop bounded");
    assert!(
        matches!(result, Err(ClientError::ReconnectNone)),
        "{result:?}"
    );
    let outcomes = seen.connects();
    assert_eq!(
        outcomes,
        vec![
            ExchangeOutcome::Failed(Cause::BadReply),
            ExchangeOutcome::Failed(Cause::Status5xx),
            ExchangeOutcome::Failed(Cause::BadReply),
            ExchangeOutcome::Failed(Cause::NoReply),
            ExchangeOutcome::Empty,
            ExchangeOutcome::Delivered(1),
            ExchangeOutcome::Failed(Cause::UnknownClient),
            ExchangeOutcome::Empty,
        ]
    );
    assert_eq!(
        next_message(&mut rx).await,
        ("/x".into(), r#"{"k":1}"#.into())
    );
    assert!(matches!(
        next_delivery(&mut rx).await,
        Delivery::Rehandshaked
    ));
    let requests = script.requests.lock().unwrap();
    let first_connect = &requests[2];
    assert!(
        first_connect.contains(r#""advice":{"timeout":0}"#),
        "{first_connect}"
    );
    // Until a connect succeeds every retry asks timeout 0; then holds are allowed.
    assert!(
        requests[6].contains(r#""advice":{"timeout":0}"#),
        "{}",
        requests[6]
    );
    assert!(
        !requests[7].contains("advice"),
        "only connects before the first success ask timeout 0"
    );
    assert!(requests[9].contains("/meta/handshake"), "{}", requests[9]);
    assert!(
        requests[10].contains(r#""subscription":"/x""#),
        "re-subscribed: {}",
        requests[10]
    );
    assert!(
        requests
            .iter()
            .all(|r| !r.contains("/meta/connect") || !r.contains("/meta/subscribe")),
        "connect sent alone"
    );
    task.abort();
}

/// Handshakes always succeed; connects: one success, `failing` HTTP 503s, then `none`.
struct Flaky {
    failing: usize,
    connects: std::sync::atomic::AtomicUsize,
    handshakes: std::sync::atomic::AtomicUsize,
}

async fn flaky(State(s): State<Arc<Flaky>>, body: String) -> (StatusCode, String) {
    use std::sync::atomic::Ordering::SeqCst;
    if body.contains("/meta/handshake") {
        s.handshakes.fetch_add(1, SeqCst);
        return (
            StatusCode::OK,
            r#"[{"channel":"/meta/handshake","successful":true,"clientId":"c1","version":"1.0","advice":{"reconnect":"retry","interval":0,"timeout":100,"maxInterval":100}}]"#.into(),
        );
    }
    let n = s.connects.fetch_add(1, SeqCst);
    if n == 0 {
        (
            StatusCode::OK,
            r#"[{"channel":"/meta/connect","successful":true}]"#.into(),
        )
    } else if n <= s.failing {
        (StatusCode::SERVICE_UNAVAILABLE, String::new())
    } else {
        (
            StatusCode::OK,
            r#"[{"channel":"/meta/connect","successful":true,"advice":{"reconnect":"none"}}]"#
                .into(),
        )
    }
}

#[tokio::test]
async fn transport_failures_back_off_then_rehandshake() {
    let state = Arc::new(Flaky {
        failing: 12,
        connects: Default::default(),
        handshakes: Default::default(),
    });
    let app = axum::Router::new()
        .route("/cometd", axum::routing::post(flaky))
        .with_state(state.clone());
    let (url, task) = serve(app).await;
    let (c, mut rx, seen, _) = client(&url, |cfg| {
        cfg.backoff_step = Duration::from_millis(20);
        cfg.max_backoff = Duration::from_millis(60);
    });
    let stop = CancellationToken::new();
    let result = tokio::time::timeout(Duration::from_secs(20), c.run_connect_loop(&stop))
        .await
        .expect("loop bounded");
    assert!(
        matches!(result, Err(ClientError::ReconnectNone)),
        "{result:?}"
    );
    // Patience is timeout + interval + maxInterval = 200 ms; 12 failures at
    // 20..60 ms backoff take longer, so the client handshook again by itself.
    let reasons = seen.rehandshakes.lock().unwrap().clone();
    assert!(
        !reasons.is_empty() && reasons.iter().all(|r| *r == "connect_failures"),
        "{reasons:?}"
    );
    assert_eq!(
        state.handshakes.load(std::sync::atomic::Ordering::SeqCst),
        1 + reasons.len()
    );
    assert!(matches!(
        next_delivery(&mut rx).await,
        Delivery::Rehandshaked
    ));
    let failed = seen
        .connects()
        .iter()
        .filter(|o| **o == ExchangeOutcome::Failed(Cause::Status5xx))
        .count();
    assert_eq!(failed, 12);
    task.abort();
}

#[tokio::test]
async fn a_connect_held_to_the_advised_timeout_is_reported_as_held() {
    // A server that holds for 300 ms, whatever the agent's own settings.
    let server = BayeuxServer::new(
        ServerConfig {
            timeout: Duration::from_millis(300),
            ..ServerConfig::default()
        },
        Arc::new(NoopListener),
    );
    let (url, task) = serve(server.router()).await;
    let (c, _rx, seen, _) = client(&url, |_| {});
    c.handshake().await.unwrap();
    let stop = CancellationToken::new();
    let looper = {
        let (c, stop) = (c.clone(), stop.clone());
        tokio::spawn(async move { c.run_connect_loop(&stop).await })
    };
    wait_until("two held connects answered", || {
        seen.connects()
            .iter()
            .filter(|o| **o == ExchangeOutcome::Held)
            .count()
            >= 2
    })
    .await;
    // The first connect asks `timeout: 0`: answered at once, not held.
    assert_eq!(seen.connects()[0], ExchangeOutcome::Empty);
    let held = seen.exchanges.lock().unwrap().clone();
    for (_, elapsed, _) in held
        .iter()
        .filter(|e| e.0 == ExchangeKind::Connect && e.2 == ExchangeOutcome::Held)
    {
        assert!(*elapsed >= Duration::from_millis(150), "{elapsed:?}");
    }
    stop.cancel();
    let _ = looper.await;
    task.abort();
}
