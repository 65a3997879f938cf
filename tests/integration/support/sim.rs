//! Test-side helpers: a simulator on an ephemeral port and a minimal agent
//! client (Basic auth, its own cookie jar, CSRF, Bayeux long-polling).

use std::collections::HashMap;
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};

use agentload::sim::{SimTask, Simulator, SimulatorConfig};

/// Starts a simulator on 127.0.0.1:0.
pub async fn start(config: SimulatorConfig) -> SimTask {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    Simulator::start(config, listener).await.unwrap()
}

/// A small config: `users` agents, short timeouts.
pub fn config(users: u32, invite_timeout: Duration) -> SimulatorConfig {
    SimulatorConfig {
        users,
        invite_timeout: invite_timeout.into(),
        connect_timeout: Duration::from_secs(5).into(),
        ..SimulatorConfig::default()
    }
}

/// An HTTP reply: status, headers that matter, JSON body (Null when not JSON).
pub struct Reply {
    /// The HTTP status.
    pub status: u16,
    /// The response headers.
    pub headers: hyper::HeaderMap,
    /// The body as JSON, Null when it is not JSON.
    pub json: Value,
}

/// One simulated agent (or the injector, with no user).
pub struct TestAgent {
    base: String,
    auth: Option<String>,
    client: Client<HttpConnector, Full<Bytes>>,
    cookies: HashMap<String, String>,
    csrf: Option<String>,
    /// The Bayeux clientId of its last handshake in [`TestAgent::log_in`].
    pub client_id: Option<String>,
}

impl TestAgent {
    /// A client of `base` sending Basic credentials for `user`, or none
    /// (the injector, a customer, an anonymous caller).
    pub fn new(base: &str, user: Option<(&str, &str)>) -> Self {
        TestAgent {
            base: base.to_string(),
            auth: user.map(|(u, p)| {
                format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"))
                )
            }),
            client: Client::builder(TokioExecutor::new()).build_http(),
            cookies: HashMap::new(),
            csrf: None,
            client_id: None,
        }
    }

    /// One request; the cookies and CSRF token it sets are kept for the next.
    pub async fn request(
        &mut self,
        method: &str,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> Reply {
        let mut req = Request::builder()
            .method(method)
            .uri(format!("{}{}", self.base, path));
        if let Some(a) = &self.auth {
            req = req.header("Authorization", a);
        }
        if !self.cookies.is_empty() {
            let c: Vec<String> = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            req = req.header("Cookie", c.join("; "));
        }
        if let Some(t) = &self.csrf {
            req = req.header("X-CSRF-TOKEN", t);
        }
        if !content_type.is_empty() {
            req = req.header("Content-Type", content_type);
        }
        let resp = tokio::time::timeout(
            Duration::from_secs(20),
            self.client
                .request(req.body(Full::new(Bytes::from(body))).unwrap()),
        )
        .await
        .expect("request timed out")
        .expect("request failed");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        for v in headers.get_all("set-cookie") {
            let v = v.to_str().unwrap();
            let pair = v.split(';').next().unwrap();
            let (k, val) = pair.split_once('=').unwrap();
            self.cookies.insert(k.to_string(), val.to_string());
        }
        if let Some(t) = headers.get("x-csrf-token") {
            self.csrf = Some(t.to_str().unwrap().to_string());
        }
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            json,
        }
    }

    /// Drops the CSRF token, as a client that never read it.
    pub fn forget_csrf(&mut self) {
        self.csrf = None;
    }

    /// `GET path`.
    pub async fn get(&mut self, path: &str) -> Reply {
        self.request("GET", path, "", Vec::new()).await
    }

    /// `POST path` with a JSON body.
    pub async fn post(&mut self, path: &str, body: Value) -> Reply {
        self.request(
            "POST",
            path,
            "application/json",
            body.to_string().into_bytes(),
        )
        .await
    }

    /// `POST path` with a form body.
    pub async fn form(&mut self, path: &str, fields: &[(&str, &str)]) -> Reply {
        let body = fields
            .iter()
            .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
            .collect::<Vec<_>>()
            .join("&");
        self.request(
            "POST",
            path,
            "application/x-www-form-urlencoded",
            body.into_bytes(),
        )
        .await
    }

    /// `{"operationName": op}` on `path`.
    pub async fn op(&mut self, path: &str, op: &str) -> Reply {
        self.post(path, json!({ "operationName": op })).await
    }

    /// Bayeux messages to the notifications endpoint; the reply's messages.
    pub async fn bayeux(&mut self, msgs: Value) -> Vec<Value> {
        let r = self.post("/api/v2/notifications", msgs).await;
        assert_eq!(r.status, 200, "bayeux reply {:?}", r.json);
        r.json.as_array().cloned().unwrap_or_default()
    }

    /// Login, handshake, subscribe to `/v2/me/*`, start the session, Ready on `channels`.
    pub async fn log_in(&mut self, channels: &[&str]) {
        let me = self.get("/api/v2/me").await;
        assert_eq!(me.json["statusCode"], 0, "{:?}", me.json);
        let hs = self.handshake().await;
        assert_eq!(hs[0]["successful"], true, "{hs:?}");
        self.client_id = Some(hs[0]["clientId"].as_str().unwrap().to_string());
        let sub = self
            .bayeux(json!([{"channel": "/meta/subscribe", "clientId": self.client_id, "subscription": "/v2/me/*"}]))
            .await;
        assert_eq!(sub[0]["successful"], true, "{sub:?}");
        // First connect returns at once.
        self.connect().await;
        let r = self.post("/api/v2/me", json!({"operationName": "StartContactCenterSession", "channels": ["email", "chat"]})).await;
        assert_eq!(r.json["statusCode"], 0, "{:?}", r.json);
        for ch in channels {
            let r = self.op(&format!("/api/v2/me/channels/{ch}"), "Ready").await;
            assert_eq!(r.json["statusCode"], 0, "{:?}", r.json);
        }
    }

    /// A `/meta/handshake` for long-polling; the reply's messages.
    pub async fn handshake(&mut self) -> Vec<Value> {
        self.bayeux(json!([{"channel": "/meta/handshake", "version": "1.0", "supportedConnectionTypes": ["long-polling"]}]))
            .await
    }

    /// `op` on interaction `id`: Accept, Reject, StopProcessing, Complete...
    pub async fn on_interaction(&mut self, id: &str, op: &str) -> Reply {
        self.op(&format!("/api/v2/me/interactions/{id}"), op).await
    }

    /// One `/meta/connect`; the events it carried.
    pub async fn connect(&mut self) -> Vec<Value> {
        let msgs = self
            .bayeux(json!([{"channel": "/meta/connect", "clientId": self.client_id, "connectionType": "long-polling"}]))
            .await;
        msgs.into_iter()
            .filter(|m| m["channel"] != "/meta/connect")
            .collect()
    }

    /// Connects until an interaction notification in `state` arrives (bounded).
    pub async fn wait_interaction(&mut self, state: &str) -> Value {
        for _ in 0..10 {
            for ev in self.connect().await {
                if ev["channel"] == "/v2/me/interactions" && ev["data"]["state"] == state {
                    return ev["data"].clone();
                }
            }
        }
        panic!("no {state} notification within 10 connects");
    }

    /// Every event of one connect that returns early or after the hold.
    pub async fn events(&mut self) -> Vec<Value> {
        self.connect().await
    }
}

/// The simulator's user `agent{n}` (password `password`), not logged in.
pub fn agent(base: &str, n: u32) -> TestAgent {
    TestAgent::new(base, Some((&format!("agent{n}"), "password")))
}

/// `agent{n}` logged in and Ready on `channels` ([`TestAgent::log_in`]).
pub async fn logged_in(base: &str, n: u32, channels: &[&str]) -> TestAgent {
    let mut a = agent(base, n);
    a.log_in(channels).await;
    a
}

/// `agent1` .. `agent{count}`, each logged in and Ready on `channels`.
pub async fn logged_in_agents(base: &str, count: u32, channels: &[&str]) -> Vec<TestAgent> {
    let mut agents = Vec::new();
    for n in 1..=count {
        agents.push(logged_in(base, n, channels).await);
    }
    agents
}

/// Injects an email (from customer@example.com, "Order 42") with `extra`
/// form fields such as `userData[k]`; its interaction id.
pub async fn inject_email(base: &str, extra: &[(&str, &str)]) -> String {
    let mut fields = vec![
        ("fromAddress", "customer@example.com"),
        ("subject", "Order 42"),
        ("text", "Where is my order?"),
    ];
    fields.extend_from_slice(extra);
    let r = TestAgent::new(base, None)
        .form("/genesys/2/email/inbound", &fields)
        .await;
    assert_eq!(r.json["statusCode"], 0, "{:?}", r.json);
    r.json["interactionId"].as_str().unwrap().to_string()
}

/// Which of `agents` holds interaction `id`, by their GET /api/v2/me/interactions.
pub async fn holder(agents: &mut [TestAgent], id: &str) -> Option<usize> {
    for (i, a) in agents.iter_mut().enumerate() {
        let r = a.get("/api/v2/me/interactions").await;
        if r.json["interactions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["id"] == id)
        {
            return Some(i);
        }
    }
    None
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `/sim/stats`.
pub async fn stats(base: &str) -> Value {
    TestAgent::new(base, None).get("/sim/stats").await.json
}

/// Asserts injected = queued + offering + in_progress + completed.
pub fn assert_counts_add_up(s: &Value) {
    let n = |k: &str| {
        s[k].as_u64()
            .unwrap_or_else(|| panic!("{k} missing in {s}"))
    };
    assert_eq!(
        n("injected"),
        n("queued") + n("offering") + n("in_progress") + n("completed"),
        "counts do not add up: {s}"
    );
}
