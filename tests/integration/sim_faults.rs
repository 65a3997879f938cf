//! Faults from the `[faults]` table, the config file schema, and the
//! simulator on its own runtime.

use std::time::{Duration, Instant};

use crate::support::sim::{TestAgent, config, start};
use agentload::sim::{SimulatorConfig, spawn_on_own_runtime};
use agentload::units::Probability;
use serde_json::json;

#[tokio::test]
async fn rest_503_always_answers_503_but_bayeux_and_injection_work() {
    let mut cfg = config(1, Duration::from_secs(30));
    cfg.faults.rest_503 = Probability::ALWAYS;
    let sim = start(cfg).await;
    let base = sim.url();
    let mut a = TestAgent::new(&base, Some(("agent1", "password")));
    let r = a.get("/api/v2/me").await;
    assert_eq!(r.status, 503);
    let hs = a.handshake().await;
    assert_eq!(hs[0]["successful"], true);
    let r = TestAgent::new(&base, None)
        .form("/genesys/2/email/x", &[("fromAddress", "a@b")])
        .await;
    assert_eq!(r.json["statusCode"], 0);
    sim.shutdown(Duration::from_millis(100)).await;
}

#[tokio::test]
async fn a_stop_the_world_pause_holds_the_answers() {
    let mut cfg = config(1, Duration::from_secs(30));
    // Paused over [0.5 s, 0.9 s), [1.0 s, 1.4 s), ... of the simulator's life.
    cfg.faults.pause_every = Some(Duration::from_millis(500).into());
    cfg.faults.pause_duration = Duration::from_millis(400).into();
    let sim = start(cfg).await;
    let mut a = TestAgent::new(&sim.url(), None);
    let started = Instant::now();
    let mut longest = Duration::ZERO;
    while started.elapsed() < Duration::from_millis(1500) {
        let sent = Instant::now();
        let r = a.get("/sim/stats").await;
        assert_eq!(r.status, 200);
        longest = longest.max(sent.elapsed());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // A lower bound only: some request landed early in a pause and waited it out.
    assert!(
        longest >= Duration::from_millis(200),
        "no answer was held by a pause: the longest took {longest:?}"
    );
    sim.shutdown(Duration::from_millis(100)).await;
}

#[tokio::test]
async fn forgotten_session_must_rehandshake() {
    let mut cfg = config(1, Duration::from_secs(30));
    cfg.faults.forget_session = Probability::ALWAYS;
    let sim = start(cfg).await;
    let mut a = TestAgent::new(&sim.url(), Some(("agent1", "password")));
    let hs = a.handshake().await;
    let cid = hs[0]["clientId"].clone();
    let r = a.bayeux(json!([{"channel": "/meta/connect", "clientId": cid, "connectionType": "long-polling"}])).await;
    assert_eq!(r[0]["successful"], false, "{r:?}");
    assert_eq!(r[0]["advice"]["reconnect"], "handshake", "{r:?}");
    sim.shutdown(Duration::from_millis(100)).await;
}

#[test]
fn config_file_schema_with_faults_and_defaults() {
    let cfg: SimulatorConfig = toml::from_str(
        r#"
        users = 50
        invite_timeout = "5s"
        routing_delay = "10ms..50ms"
        csrf = true
        [capacity]
        chat = 3
        [faults]
        rest_503 = 0.01
        rest_latency = "5ms"
        pause_every = "1m"
        pause_duration = "2s"
        "#,
    )
    .unwrap();
    assert_eq!(cfg.users, 50);
    assert_eq!((cfg.capacity.email, cfg.capacity.chat), (1, 3));
    assert_eq!(cfg.routing_delay.max, Duration::from_millis(50));
    let err = toml::from_str::<SimulatorConfig>("userz = 5")
        .unwrap_err()
        .to_string();
    assert!(err.contains("userz"), "{err}");
    assert!(toml::from_str::<SimulatorConfig>("[faults]\nrest_503 = 2.0").is_err());
}

#[test]
fn own_runtime_serves_and_stops_with_final_counts() {
    let sim = spawn_on_own_runtime(
        config(2, Duration::from_secs(30)),
        "127.0.0.1:0".parse().unwrap(),
    )
    .unwrap();
    let url = sim.url().to_string();
    assert!(url.starts_with("http://127.0.0.1:"));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let r = TestAgent::new(&url, None)
            .form("/genesys/2/chat/x", &[("nickname", "n")])
            .await;
        assert_eq!(r.json["statusCode"], 0);
    });
    assert_eq!(sim.stats().counts.injected, 1);
    let last = sim.stop();
    assert_eq!(last.counts.queued, 1);
    assert!(
        std::net::TcpStream::connect(url.trim_start_matches("http://")).is_err(),
        "still listening after stop"
    );
}

#[tokio::test]
async fn reset_connect_breaks_the_connect_reply() {
    use http_body_util::{BodyExt, Full};
    let mut cfg = config(1, Duration::from_secs(30));
    cfg.faults.reset_connect = Probability::ALWAYS;
    let sim = start(cfg).await;
    let mut a = TestAgent::new(&sim.url(), Some(("agent1", "password")));
    let hs = a.handshake().await;
    let connect = json!([{"channel": "/meta/connect", "clientId": hs[0]["clientId"], "connectionType": "long-polling"}]);
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<Full<bytes::Bytes>>();
    let req = hyper::Request::post(format!("{}/api/v2/notifications", sim.url()))
        .header("Authorization", "Basic YWdlbnQxOnBhc3N3b3Jk")
        .body(Full::new(bytes::Bytes::from(connect.to_string())))
        .unwrap();
    let outcome = match client.request(req).await {
        Err(_) => true,
        Ok(resp) => resp.into_body().collect().await.is_err(),
    };
    assert!(outcome, "a reset connect must not deliver a complete reply");
    sim.shutdown(Duration::from_millis(100)).await;
}

#[tokio::test]
async fn delivery_latency_holds_notifications_back() {
    let mut cfg = config(1, Duration::from_secs(30));
    cfg.faults.delivery_latency = agentload::units::DelaySpec::fixed(Duration::from_millis(300));
    let sim = start(cfg).await;
    let base = sim.url();
    let mut a = TestAgent::new(&base, Some(("agent1", "password")));
    a.log_in(&["email"]).await;
    let sent = std::time::Instant::now();
    TestAgent::new(&base, None)
        .form("/genesys/2/email/x", &[("fromAddress", "a@b")])
        .await;
    a.wait_interaction("Invited").await;
    // A lower bound only: the invite cannot arrive before the injected latency.
    assert!(
        sent.elapsed() >= Duration::from_millis(300),
        "invite after {:?}",
        sent.elapsed()
    );
    sim.shutdown(Duration::from_millis(100)).await;
}
