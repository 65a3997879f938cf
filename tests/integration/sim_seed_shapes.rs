//! The simulator's notifications carry every field of the GWS 8.5.0 samples
//! in tests/fixtures/interaction-notifications.txt (a copy of the seed):
//! same keys, same capabilities per state, same JSON types.

use std::time::Duration;

use crate::support::sim::{TestAgent, config, logged_in, start};
use serde_json::{Map, Value, json};

// ------------------------------------------------ Python-repr sample parser

/// Parses the seed's Python-repr values (`u'..'`, `None`, `True`/`False`,
/// strings wrapped across lines) into JSON.
struct Repr<'a> {
    s: &'a [u8],
    i: usize,
}

impl Repr<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        self.ws();
        if self.s.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn value(&mut self) -> Value {
        self.ws();
        match self.s[self.i] {
            b'[' => {
                self.i += 1;
                let mut items = Vec::new();
                while !self.eat(b']') {
                    items.push(self.value());
                    self.eat(b',');
                }
                Value::Array(items)
            }
            b'{' => {
                self.i += 1;
                let mut map = Map::new();
                while !self.eat(b'}') {
                    let Value::String(k) = self.value() else {
                        panic!("non-string key at {}", self.i)
                    };
                    assert!(self.eat(b':'), "missing ':' after {k}");
                    let v = self.value();
                    map.insert(k, v);
                    self.eat(b',');
                }
                Value::Object(map)
            }
            b'u' if self.s.get(self.i + 1) == Some(&b'\'') => {
                self.i += 1;
                self.value()
            }
            b'\'' => {
                self.i += 1;
                let start = self.i;
                while self.s[self.i] != b'\'' {
                    self.i += 1;
                }
                let raw = std::str::from_utf8(&self.s[start..self.i]).unwrap();
                self.i += 1;
                // Line wraps of the page split long strings: join them.
                Value::String(raw.split('\n').map(str::trim).collect::<Vec<_>>().join(""))
            }
            c if c.is_ascii_digit() || c == b'-' => {
                let start = self.i;
                while self.i < self.s.len()
                    && (self.s[self.i].is_ascii_digit() || b"-.".contains(&self.s[self.i]))
                {
                    self.i += 1;
                }
                serde_json::from_str(std::str::from_utf8(&self.s[start..self.i]).unwrap()).unwrap()
            }
            _ => {
                for (word, v) in [
                    ("None", Value::Null),
                    ("True", json!(true)),
                    ("False", json!(false)),
                ] {
                    if self.s[self.i..].starts_with(word.as_bytes()) {
                        self.i += word.len();
                        return v;
                    }
                }
                panic!(
                    "unexpected input at byte {}: {:?}",
                    self.i,
                    String::from_utf8_lossy(&self.s[self.i..self.i + 20])
                );
            }
        }
    }
}

/// Every sample of the seed (a `[event, connect reply]` array), in page
/// order; the page's prose and headers between samples are skipped.
fn seed_samples() -> Vec<Value> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/interaction-notifications.txt"
    ))
    .unwrap();
    let mut out = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if line.trim() == "[" {
            let mut p = Repr {
                s: text.as_bytes(),
                i: offset,
            };
            out.push(p.value());
        }
        offset += line.len();
    }
    out
}

/// The `data` of the sample in `channel`/`state`; `nth` picks among several.
fn seed(samples: &[Value], channel: &str, state: &str, nth: usize) -> Value {
    samples
        .iter()
        .map(|s| s[0]["data"].clone())
        .filter(|d| d["channel"] == channel && d["state"] == state)
        .nth(nth)
        .unwrap_or_else(|| panic!("no seed sample {channel}/{state}/{nth}"))
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Asserts `ours` has every key of `theirs` with the same JSON type,
/// recursively in objects (and in the first element of arrays of objects).
fn covers(path: &str, theirs: &Value, ours: &Value) {
    assert_eq!(
        kind(theirs),
        kind(ours),
        "{path}: seed has {theirs}, simulator has {ours}"
    );
    match (theirs, ours) {
        (Value::Object(t), Value::Object(o)) => {
            for (k, tv) in t {
                let ov = o.get(k).unwrap_or_else(|| {
                    panic!(
                        "{path}.{k} missing; simulator sent keys {:?}",
                        o.keys().collect::<Vec<_>>()
                    )
                });
                covers(&format!("{path}.{k}"), tv, ov);
            }
        }
        (Value::Array(t), Value::Array(o)) => {
            if let Some(tv) = t.first()
                && tv.is_object()
            {
                let ov = o
                    .first()
                    .unwrap_or_else(|| panic!("{path}: the seed has entries, the simulator none"));
                covers(&format!("{path}[0]"), tv, ov);
            }
        }
        _ => {}
    }
}

/// Same top-level keys, same capabilities, every nested field covered.
fn same_shape(name: &str, theirs: &Value, ours: &Value) {
    let keys = |v: &Value| {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(keys(theirs), keys(ours), "{name}: top-level keys differ");
    assert_eq!(
        theirs["capabilities"], ours["capabilities"],
        "{name}: capabilities differ"
    );
    for k in [
        "messageType",
        "state",
        "channel",
        "interactionType",
        "interactionSubType",
    ] {
        assert_eq!(theirs[k], ours[k], "{name}: {k} differs");
    }
    if let Some(eo) = theirs.get("email_object") {
        let mut a: Vec<_> = eo.as_object().unwrap().keys().collect();
        let binding = ours["email_object"].clone();
        let mut b: Vec<_> = binding.as_object().unwrap().keys().collect();
        a.sort();
        b.sort();
        assert_eq!(a, b, "{name}: email_object keys differ");
    }
    covers(name, theirs, ours);
}

#[test]
fn seed_parser_reads_all_seven_samples() {
    let samples = seed_samples();
    assert_eq!(samples.len(), 7);
    for s in &samples {
        assert_eq!(s[0]["channel"], "/v2/me/interactions");
        assert_eq!(s[1]["channel"], "/meta/connect");
        assert_eq!(s[0]["data"]["messageType"], "InteractionStateMessage");
    }
    let email = seed(&samples, "email", "Accepted", 0);
    // A string wrapped across two lines of the page is joined.
    assert_eq!(
        email["userData"]["Header_Content-Type"],
        "multipart/mixed;boundary=\"===============1840393583==\""
    );
    assert_eq!(email["userData"]["RRequestedSkills"], Value::Null);
    assert_eq!(email["userData"]["_AutoReplyCount"], 0);
}

#[tokio::test]
async fn invite_revoke_accept_and_chat_message_match_the_seed() {
    let samples = seed_samples();
    let sim = start(config(1, Duration::from_millis(500))).await;
    let base = sim.url();
    let mut a = logged_in(&base, 1, &["email", "chat"]).await;
    let mut gms = TestAgent::new(&base, None);

    let r = gms
        .form(
            "/genesys/2/email/inbound",
            &[
                ("fromAddress", "Customer1@example.com"),
                ("subject", "test_reply"),
                ("text", "body"),
                ("userData[run]", "r"),
            ],
        )
        .await;
    let email_id = r.json["interactionId"].as_str().unwrap().to_string();
    let invited = a.wait_interaction("Invited").await;
    same_shape(
        "email Invited",
        &seed(&samples, "email", "Invited", 0),
        &invited,
    );
    let revoked = a.wait_interaction("Revoked").await;
    same_shape(
        "email Revoked",
        &seed(&samples, "email", "Revoked", 0),
        &revoked,
    );
    a.wait_interaction("Invited").await;
    a.on_interaction(&email_id, "Accept").await;
    let accepted = a.wait_interaction("Accepted").await;
    same_shape(
        "email Accepted",
        &seed(&samples, "email", "Accepted", 0),
        &accepted,
    );

    let r = gms
        .form(
            "/genesys/2/chat/support",
            &[("nickname", "CustomerName"), ("subject", "Customersupport")],
        )
        .await;
    let chat_id = r.json["chatId"].as_str().unwrap().to_string();
    let key = r.json["secureKey"].as_str().unwrap().to_string();
    let invited = a.wait_interaction("Invited").await;
    same_shape(
        "chat Invited",
        &seed(&samples, "chat", "Invited", 0),
        &invited,
    );
    let revoked = a.wait_interaction("Revoked").await;
    same_shape(
        "chat Revoked",
        &seed(&samples, "chat", "Revoked", 0),
        &revoked,
    );
    a.wait_interaction("Invited").await;
    gms.form(
        &format!("/genesys/2/chat/support/{chat_id}/send"),
        &[("message", "testmessage1fromclient"), ("secureKey", &key)],
    )
    .await;
    a.on_interaction(&chat_id, "Accept").await;
    let accepted = a.wait_interaction("Accepted").await;
    same_shape(
        "chat Accepted",
        &seed(&samples, "chat", "Accepted", 0),
        &accepted,
    );
    // Every kind of transcript event the seed shows has the seed's fields.
    let seed_accept = seed(&samples, "chat", "Accepted", 0);
    for seed_ev in seed_accept["chat_notifications"].as_array().unwrap() {
        let ours = accepted["chat_notifications"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| {
                e["MessageType"] == seed_ev["MessageType"] && e["UserType"] == seed_ev["UserType"]
            })
            .unwrap_or_else(|| {
                panic!(
                    "no {} event from {}",
                    seed_ev["MessageType"], seed_ev["UserType"]
                )
            });
        covers("chat event", seed_ev, ours);
    }
    let ids: Vec<u64> = accepted["chat_notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["EventId"].as_u64().unwrap())
        .collect();
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "EventId must increase: {ids:?}"
    );

    gms.form(
        &format!("/genesys/2/chat/support/{chat_id}/send"),
        &[("message", "testmessage2fromclient"), ("secureKey", &key)],
    )
    .await;
    let note = a.wait_interaction("Accepted").await;
    same_shape(
        "chat notification",
        &seed(&samples, "chat", "Accepted", 1),
        &note,
    );
    assert_eq!(note["chat_notifications"].as_array().unwrap().len(), 1);
    sim.shutdown(Duration::from_millis(100)).await;
}
