//! The Bayeux server store: protocol rules, holds, expiry, malformed input.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::bayeux::raw;
use crate::support::heavy;
use agentload::bayeux::{
    BayeuxServer, CloseReason, Message, Reconnect, RequestContext, ServerConfig, SessionListener,
    decode_messages,
};
use bytes::Bytes;
use hyper::StatusCode;

#[derive(Default)]
struct Recorder(Mutex<Vec<String>>);

impl SessionListener for Recorder {
    fn opened(&self, id: &str, principal: Option<&Arc<str>>) {
        self.0.lock().unwrap().push(format!(
            "open {id} {}",
            principal.map(|p| &**p).unwrap_or("-")
        ));
    }
    fn closed(&self, id: &str, _: Option<&Arc<str>>, reason: CloseReason) {
        self.0
            .lock()
            .unwrap()
            .push(format!("close {id} {reason:?}"));
    }
}

fn config() -> ServerConfig {
    ServerConfig {
        timeout: Duration::from_secs(20),
        ..ServerConfig::default()
    }
}

fn server_with(config: ServerConfig) -> (BayeuxServer, Arc<Recorder>) {
    let rec = Arc::new(Recorder::default());
    (BayeuxServer::new(config, rec.clone()), rec)
}

fn ctx() -> RequestContext {
    RequestContext {
        principal: Some(Arc::from("agent1")),
        browser: Some("b1".into()),
    }
}

async fn send(server: &BayeuxServer, body: &str) -> Vec<Message> {
    let reply = server.handle(ctx(), Bytes::from(body.to_owned())).await;
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    decode_messages(&reply.body).unwrap()
}

async fn handshake(server: &BayeuxServer) -> String {
    let r = send(
        server,
        r#"[{"channel":"/meta/handshake","version":"1.0","supportedConnectionTypes":["long-polling"],"id":"1"}]"#,
    )
    .await;
    assert_eq!(r[0].successful, Some(true));
    assert_eq!(r[0].id.as_deref(), Some("1"));
    let id = r[0].client_id.clone().unwrap();
    assert!(
        id.len() >= 32,
        "clientId must carry >= 128 random bits: {id}"
    );
    id
}

fn connect_body(id: &str, timeout: Option<i64>) -> String {
    match timeout {
        Some(t) => format!(
            r#"[{{"channel":"/meta/connect","clientId":"{id}","connectionType":"long-polling","advice":{{"timeout":{t}}}}}]"#
        ),
        None => format!(
            r#"[{{"channel":"/meta/connect","clientId":"{id}","connectionType":"long-polling"}}]"#
        ),
    }
}

async fn subscribe(server: &BayeuxServer, id: &str, sub: &str) {
    let r = send(
        server,
        &format!(r#"{{"channel":"/meta/subscribe","clientId":"{id}","subscription":"{sub}"}}"#),
    )
    .await;
    assert_eq!(r[0].successful, Some(true), "{:?}", r[0].error);
}

/// Handshake, subscribe, and use up the immediate first connect.
async fn ready_client(server: &BayeuxServer, sub: &str) -> String {
    let id = handshake(server).await;
    subscribe(server, &id, sub).await;
    let r = send(server, &connect_body(&id, Some(0))).await;
    assert_eq!(r[0].successful, Some(true));
    id
}

fn events(msgs: &[Message]) -> Vec<(String, String)> {
    msgs.iter()
        .filter(|m| m.is_event())
        .map(|m| (m.channel.clone(), m.data.as_ref().unwrap().get().to_owned()))
        .collect()
}

#[tokio::test]
async fn handshake_subscribe_deliver_and_principal() {
    let (server, rec) = server_with(config());
    let id = ready_client(&server, "/v2/me/*").await;
    assert_eq!(server.principal_of(&id).as_deref(), Some("agent1"));
    assert_eq!(rec.0.lock().unwrap()[0], format!("open {id} agent1"));
    assert!(server.deliver(&id, "/v2/me/channels", &raw(r#"{"n":1}"#)));
    assert!(
        !server.deliver(&id, "/v2/other", &raw("1")),
        "not subscribed"
    );
    assert!(
        !server.deliver("nope", "/v2/me/channels", &raw("1")),
        "unknown client"
    );
    let r = send(&server, &connect_body(&id, None)).await;
    assert_eq!(r[0].channel, "/meta/connect");
    assert_eq!(
        events(&r),
        vec![("/v2/me/channels".to_owned(), r#"{"n":1}"#.to_owned())]
    );
    assert_eq!(server.stats().sessions, 1);
}

#[tokio::test]
async fn first_connect_and_timeout_zero_return_at_once_with_advice() {
    let (server, _) = server_with(config());
    let id = handshake(&server).await;
    let start = Instant::now();
    let r = send(&server, &connect_body(&id, None)).await;
    let advice = r[0].advice.clone().unwrap();
    assert_eq!(advice.timeout, Some(20_000));
    assert_eq!(advice.reconnect, Some(Reconnect::Retry));
    let r = send(&server, &connect_body(&id, Some(0))).await;
    assert_eq!(r[0].successful, Some(true));
    assert!(start.elapsed() < Duration::from_secs(10), "must not hold");
}

#[tokio::test]
async fn held_connect_returns_early_with_reply_then_events() {
    let (server, _) = server_with(config());
    let id = ready_client(&server, "/a/**").await;
    let s2 = server.clone();
    let id2 = id.clone();
    let start = Instant::now();
    let held = tokio::spawn(async move { send(&s2, &connect_body(&id2, None)).await });
    while server.stats().held_connects == 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(server.publish("/a/b/c", &raw("[1]")), 1);
    assert_eq!(
        server.publish("/a", &raw("[2]")),
        0,
        "/** does not match its parent"
    );
    let r = held.await.unwrap();
    assert!(
        start.elapsed() < Duration::from_secs(15),
        "returned before the 20 s hold"
    );
    assert_eq!(r[0].channel, "/meta/connect");
    assert_eq!(events(&r), vec![("/a/b/c".to_owned(), "[1]".to_owned())]);
    assert_eq!(server.stats().held_connects, 0);
}

#[tokio::test]
async fn connect_is_held_until_the_requested_timeout() {
    let (server, _) = server_with(config());
    let id = ready_client(&server, "/a").await;
    let start = Instant::now();
    let r = send(&server, &connect_body(&id, Some(300))).await;
    assert!(
        start.elapsed() >= Duration::from_millis(290),
        "held for the client's timeout"
    );
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].successful, Some(true));
}

#[tokio::test]
async fn batch_answers_every_message_and_carries_events() {
    let (server, _) = server_with(config());
    let id = handshake(&server).await;
    let body = format!(
        r#"[{{"channel":"/meta/subscribe","clientId":"{id}","subscription":["/room/1","/room/2"],"id":"a"}},
            {{"channel":"/room/1","clientId":"{id}","data":{{"t":1}},"id":"b"}},
            {{"channel":"/service/echo","clientId":"{id}","data":{{"t":2}},"id":"c"}},
            {{"channel":"/meta/connect","clientId":"{id}","connectionType":"long-polling","id":"d"}}]"#
    );
    let start = Instant::now();
    let r = send(&server, &body).await;
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "a connect in a batch is never held"
    );
    let ids: Vec<_> = r.iter().filter_map(|m| m.id.clone()).collect();
    assert_eq!(ids, ["a", "b", "c", "d"]);
    assert!(
        r.iter()
            .filter(|m| !m.is_event())
            .all(|m| m.successful == Some(true))
    );
    assert_eq!(
        events(&r),
        vec![("/room/1".to_owned(), r#"{"t":1}"#.to_owned())]
    );
}

#[tokio::test]
async fn meta_and_service_channels_are_never_broadcast() {
    let (server, _) = server_with(config());
    let id = ready_client(&server, "/service/x").await;
    let r = send(
        &server,
        &format!(
            r#"[{{"channel":"/meta/subscribe","clientId":"{id}","subscription":"/meta/**"}}]"#
        ),
    )
    .await;
    assert_eq!(r[0].successful, Some(false));
    assert_eq!(server.publish("/meta/connect", &raw("1")), 0);
    let r = send(
        &server,
        &format!(r#"[{{"channel":"/service/x","clientId":"{id}","data":1}}]"#),
    )
    .await;
    assert_eq!(r[0].successful, Some(true));
    assert!(events(&r).is_empty());
}

#[tokio::test]
async fn second_connect_answers_the_older_one() {
    let (server, _) = server_with(config());
    let id = ready_client(&server, "/a").await;
    let (s2, id2) = (server.clone(), id.clone());
    let start = Instant::now();
    let old = tokio::spawn(async move { send(&s2, &connect_body(&id2, None)).await });
    while server.stats().held_connects == 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let (s3, id3) = (server.clone(), id.clone());
    let new = tokio::spawn(async move { send(&s3, &connect_body(&id3, None)).await });
    let r = old.await.unwrap();
    assert!(start.elapsed() < Duration::from_secs(15));
    assert_eq!(r[0].successful, Some(true));
    while server.stats().held_connects == 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(server.deliver(&id, "/a", &raw("7")));
    let r = new.await.unwrap();
    assert_eq!(
        events(&r),
        vec![("/a".to_owned(), "7".to_owned())],
        "the newer connect gets the event"
    );
}

#[tokio::test]
async fn dropped_held_connect_loses_no_event() {
    let (server, _) = server_with(config());
    let id = ready_client(&server, "/a").await;
    let s2 = server.clone();
    let body = connect_body(&id, None);
    let held = tokio::spawn(async move { s2.handle(ctx(), Bytes::from(body)).await });
    while server.stats().held_connects == 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    held.abort();
    assert!(held.await.unwrap_err().is_cancelled());
    assert_eq!(server.stats().held_connects, 0);
    assert!(server.deliver(&id, "/a", &raw("42")));
    let r = send(&server, &connect_body(&id, None)).await;
    assert_eq!(events(&r), vec![("/a".to_owned(), "42".to_owned())]);
}

#[tokio::test]
async fn forgotten_client_gets_402_with_handshake_advice_even_while_held() {
    let (server, rec) = server_with(config());
    let id = ready_client(&server, "/a").await;
    let (s2, id2) = (server.clone(), id.clone());
    let held = tokio::spawn(async move { send(&s2, &connect_body(&id2, None)).await });
    while server.stats().held_connects == 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(server.forget(&id));
    assert!(!server.forget(&id));
    let r = held.await.unwrap();
    assert_eq!(r[0].successful, Some(false));
    assert_eq!(r[0].error_info().unwrap().code, Some(402));
    assert_eq!(
        r[0].advice.as_ref().unwrap().reconnect,
        Some(Reconnect::Handshake)
    );
    let r = send(&server, &connect_body(&id, None)).await;
    assert_eq!(
        r[0].advice.as_ref().unwrap().reconnect,
        Some(Reconnect::Handshake)
    );
    assert!(
        rec.0
            .lock()
            .unwrap()
            .contains(&format!("close {id} Forgotten"))
    );
    assert_eq!(server.stats().sessions, 0);
}

#[tokio::test]
async fn disconnect_releases_held_connect_with_reconnect_none() {
    let (server, rec) = server_with(config());
    let id = ready_client(&server, "/a").await;
    let (s2, id2) = (server.clone(), id.clone());
    let held = tokio::spawn(async move { send(&s2, &connect_body(&id2, None)).await });
    while server.stats().held_connects == 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let r = send(
        &server,
        &format!(r#"[{{"channel":"/meta/disconnect","clientId":"{id}"}}]"#),
    )
    .await;
    assert_eq!(r[0].successful, Some(true));
    let r = held.await.unwrap();
    assert_eq!(
        r[0].advice.as_ref().unwrap().reconnect,
        Some(Reconnect::None)
    );
    assert!(
        rec.0
            .lock()
            .unwrap()
            .contains(&format!("close {id} Disconnected"))
    );
}

#[tokio::test]
async fn sweeper_expires_idle_sessions_but_not_held_ones() {
    let (server, rec) = server_with(ServerConfig {
        timeout: Duration::from_secs(20),
        max_interval: Duration::from_millis(200),
        sweep_every: Duration::from_millis(50),
        ..ServerConfig::default()
    });
    let idle = ready_client(&server, "/a").await;
    let busy = ready_client(&server, "/a").await;
    let (s2, b2) = (server.clone(), busy.clone());
    let held = tokio::spawn(async move { send(&s2, &connect_body(&b2, None)).await });
    let deadline = Instant::now() + Duration::from_secs(10);
    while server.stats().sessions > 1 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        rec.0
            .lock()
            .unwrap()
            .contains(&format!("close {idle} Expired"))
    );
    assert!(
        server.principal_of(&busy).is_some(),
        "a held connect keeps its session"
    );
    assert_eq!(server.publish("/a", &raw("1")), 1);
    assert_eq!(events(&held.await.unwrap()).len(), 1);
}

#[tokio::test]
async fn malformed_input_is_rejected_and_harms_no_one() {
    let (server, _) = server_with(ServerConfig {
        max_body_bytes: 4096,
        ..config()
    });
    let id = ready_client(&server, "/a").await;
    for garbage in [
        "",
        "nope",
        "[]",
        "[1,2]",
        r#"[{"channel":5}]"#,
        r#"{"clientId":"x"}"#,
        r#"[{"channel":"/meta/connect","advice":{"timeout":"soon"}}]"#,
        "[{\"channel\":\"/a\"",
    ] {
        let reply = server.handle(ctx(), Bytes::from(garbage)).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{garbage:?}");
    }
    let huge = format!(r#"[{{"channel":"/a","data":"{}"}}]"#, "x".repeat(5000));
    assert_eq!(
        server.handle(ctx(), Bytes::from(huge)).await.status,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    // Bayeux-level errors: 200 with unsuccessful replies.
    let cases = [
        r#"[{"channel":"/meta/subscribe"}]"#.to_owned(),
        format!(r#"[{{"channel":"/meta/subscribe","clientId":"{id}"}}]"#),
        format!(r#"[{{"channel":"/meta/subscribe","clientId":"{id}","subscription":"bad*"}}]"#),
        format!(r#"[{{"channel":"/meta/bogus","clientId":"{id}"}}]"#),
        format!(r#"[{{"channel":"/a/*","clientId":"{id}","data":1}}]"#),
        format!(r#"[{{"channel":"/a","clientId":"{id}"}}]"#),
        r#"[{"channel":"/meta/handshake","supportedConnectionTypes":["carrier-pigeon"]}]"#
            .to_owned(),
    ];
    for body in &cases {
        let r = send(&server, body).await;
        assert_eq!(r[0].successful, Some(false), "{body}");
        assert!(r[0].error.is_some(), "{body}");
    }
    // The good client still works.
    assert!(server.deliver(&id, "/a", &raw("1")));
    let r = send(&server, &connect_body(&id, None)).await;
    assert_eq!(events(&r).len(), 1);
}

#[tokio::test]
async fn router_issues_browser_cookie_and_serves_any_path() {
    let (server, _) = server_with(config());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = server.router();
    let task = tokio::spawn(async move { axum::serve(listener, app).await });
    let http = agentload::http::HttpClient::new(&Default::default()).unwrap();
    let session = agentload::http::HttpSession::new();
    let url: hyper::Uri = format!("http://{addr}/cometd/handshake").parse().unwrap();
    let body = Bytes::from_static(br#"[{"channel":"/meta/handshake","version":"1.0","supportedConnectionTypes":["long-polling"]}]"#);
    let resp = http
        .request(
            &session,
            hyper::Method::POST,
            &url,
            Some("application/json"),
            body,
            Duration::from_secs(10),
        )
        .await
        .unwrap();
    assert_eq!(resp.status, StatusCode::OK);
    let cookie = session.cookie("BAYEUX_BROWSER").expect("cookie issued");
    assert_eq!(
        decode_messages(&resp.body).unwrap()[0].successful,
        Some(true)
    );
    let resp = http
        .request(
            &session,
            hyper::Method::POST,
            &url,
            Some("application/json"),
            Bytes::from_static(b"garbage"),
            Duration::from_secs(10),
        )
        .await
        .unwrap();
    assert_eq!(resp.status, StatusCode::BAD_REQUEST);
    assert!(
        resp.headers.get("set-cookie").is_none(),
        "cookie sent back, not reissued"
    );
    assert_eq!(session.cookie("BAYEUX_BROWSER"), Some(cookie));
    task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousands_of_held_connects_all_get_one_broadcast() {
    let _heavy = heavy::slot();
    const N: usize = 3000;
    let (server, _) = server_with(config());
    let mut ids = Vec::with_capacity(N);
    for _ in 0..N {
        ids.push(ready_client(&server, "/all").await);
    }
    let mut held = Vec::with_capacity(N);
    for id in &ids {
        let (s, body) = (server.clone(), connect_body(id, None));
        held.push(tokio::spawn(async move { send(&s, &body).await }));
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while server.stats().held_connects < N {
        assert!(
            Instant::now() < deadline,
            "only {} held",
            server.stats().held_connects
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(server.publish("/all", &raw(r#"{"b":1}"#)), N);
    for h in held {
        let r = tokio::time::timeout(Duration::from_secs(30), h)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            events(&r),
            vec![("/all".to_owned(), r#"{"b":1}"#.to_owned())]
        );
    }
    assert_eq!(server.stats().held_connects, 0);
    assert_eq!(server.stats().sessions, N);
}
