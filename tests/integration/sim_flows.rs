//! End-to-end agent flows against the simulator over real HTTP on 127.0.0.1.

use std::time::Duration;

use crate::support::sim::{
    TestAgent, agent, assert_counts_add_up, config, holder, inject_email, logged_in,
    logged_in_agents, start, stats,
};
use serde_json::json;

#[tokio::test]
async fn email_invite_accept_stop_processing_with_user_data_round_trip() {
    let sim = start(config(3, Duration::from_secs(30))).await;
    let base = sim.url();
    let mut a = logged_in(&base, 1, &["email"]).await;
    let id = inject_email(
        &base,
        &[
            ("userData[agentload_run]", "run-7"),
            ("userData[agentload_seq]", "12"),
            ("userData[agentload_t0_us]", "1732456789123456"),
            ("userData[odd key = & ]", "v&=1 ü"),
        ],
    )
    .await;
    let invite = a.wait_interaction("Invited").await;
    assert_eq!(invite["id"], id.as_str());
    assert_eq!(invite["channel"], "email");
    assert_eq!(invite["capabilities"], json!(["Accept", "Reject"]));
    let ud = &invite["userData"];
    assert_eq!(ud["agentload_run"], "run-7");
    assert_eq!(ud["agentload_seq"], "12");
    assert_eq!(ud["agentload_t0_us"], "1732456789123456");
    assert_eq!(ud["odd key = & "], "v&=1 ü");
    assert_eq!(invite["email_object"], json!({"interactionId": id}));

    let r = a.on_interaction(&id, "Accept").await;
    assert_eq!(r.json["statusCode"], 0);
    let accepted = a.wait_interaction("Accepted").await;
    assert_eq!(accepted["email_object"]["text"], "Where is my order?");
    assert_eq!(accepted["email_object"]["subject"], "Order 42");
    assert_eq!(
        accepted["email_object"]["fromAddress"],
        "customer@example.com"
    );
    assert_eq!(accepted["userData"]["agentload_seq"], "12");
    let r = a.on_interaction(&id, "StopProcessing").await;
    assert_eq!(r.json["statusCode"], 0);
    let s = stats(&base).await;
    assert_eq!(
        (
            s["injected"].as_u64(),
            s["accepted"].as_u64(),
            s["completed"].as_u64(),
            s["in_progress"].as_u64()
        ),
        (Some(1), Some(1), Some(1), Some(0))
    );
    assert_counts_add_up(&s);
    // Finished: further operations on it are "not found".
    let r = a.on_interaction(&id, "Complete").await;
    assert_eq!(r.json["statusCode"], 6);
    sim.shutdown(Duration::from_millis(100)).await;
}

#[tokio::test]
async fn chat_messages_both_ways_then_complete() {
    let sim = start(config(2, Duration::from_secs(30))).await;
    let base = sim.url();
    let mut a = logged_in(&base, 2, &["chat"]).await;
    let mut customer = TestAgent::new(&base, None);
    let r = customer
        .form(
            "/genesys/2/chat/customer-support",
            &[
                ("nickname", "Ann"),
                ("subject", "Help"),
                ("userData[seq]", "3"),
            ],
        )
        .await;
    assert_eq!(r.json["statusCode"], 0, "{:?}", r.json);
    let chat_id = r.json["chatId"].as_str().unwrap().to_string();
    let key = r.json["secureKey"].as_str().unwrap().to_string();
    assert_eq!(r.json["interactionId"], chat_id.as_str());
    for k in ["userId", "alias"] {
        assert!(r.json[k].is_string(), "{k} missing: {:?}", r.json);
    }
    let invite = a.wait_interaction("Invited").await;
    assert_eq!(invite["channel"], "chat");
    assert_eq!(invite["userData"]["seq"], "3");
    a.on_interaction(&chat_id, "Accept").await;
    let accepted = a.wait_interaction("Accepted").await;
    let kinds: Vec<_> = accepted["chat_notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["MessageType"].clone())
        .collect();
    assert_eq!(kinds, vec![json!("PARTY_JOINED"), json!("PARTY_JOINED")]);

    let send = format!("/genesys/2/chat/customer-support/{chat_id}/send");
    let r = customer
        .form(&send, &[("message", "hello agent"), ("secureKey", &key)])
        .await;
    assert_eq!(r.json["statusCode"], 0, "{:?}", r.json);
    let note = a.wait_interaction("Accepted").await;
    let ev = &note["chat_notifications"][0];
    assert_eq!(ev["MessageType"], "NEW_MESSAGE");
    assert_eq!(ev["MessageText"], "hello agent");
    assert_eq!(ev["EventId"], 3);
    let r = customer
        .form(&send, &[("message", "x"), ("secureKey", "wrong")])
        .await;
    assert_eq!(r.json["statusCode"], 3);

    let r = a
        .post(
            &format!("/api/v2/me/interactions/{chat_id}"),
            json!({"operationName": "SendMessage", "text": "hi Ann"}),
        )
        .await;
    assert_eq!(r.json["statusCode"], 0);
    let r = a
        .post(
            &format!("/api/v2/me/interactions/{chat_id}"),
            json!({"operationName": "SendMessage"}),
        )
        .await;
    assert_eq!(r.json["statusCode"], 1);
    let r = customer
        .form(
            &format!("/genesys/2/chat/customer-support/{chat_id}/refresh"),
            &[("secureKey", &key), ("transcriptPosition", "3")],
        )
        .await;
    let texts: Vec<_> = r.json["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["text"].clone())
        .collect();
    assert_eq!(texts, vec![json!("hello agent"), json!("hi Ann")]);
    let r = customer
        .form(
            &format!("/genesys/2/chat/customer-support/{chat_id}/disconnect"),
            &[("secureKey", &key)],
        )
        .await;
    assert_eq!(r.json["chatEnded"], true);
    let r = a.on_interaction(&chat_id, "Complete").await;
    assert_eq!(r.json["statusCode"], 0);
    let s = stats(&base).await;
    assert_eq!(s["completed"], 1);
    assert_counts_add_up(&s);
    sim.shutdown(Duration::from_millis(100)).await;
}

#[tokio::test]
async fn reject_offers_to_another_agent() {
    let sim = start(config(2, Duration::from_secs(30))).await;
    let base = sim.url();
    let mut agents = logged_in_agents(&base, 2, &["email"]).await;
    let id = inject_email(&base, &[]).await;
    let first = holder(&mut agents, &id).await.expect("offered to someone");
    let r = agents[first].on_interaction(&id, "Reject").await;
    assert_eq!(r.json["statusCode"], 0);
    let second = holder(&mut agents, &id).await.expect("offered again");
    assert_ne!(
        first, second,
        "a rejected interaction must go to the other free agent"
    );
    let invite = agents[second].wait_interaction("Invited").await;
    assert_eq!(invite["id"], id.as_str());
    let s = stats(&base).await;
    assert_eq!(
        (s["rejected"].as_u64(), s["offered"].as_u64()),
        (Some(1), Some(2))
    );
    assert_counts_add_up(&s);
    sim.shutdown(Duration::from_millis(100)).await;
}

#[tokio::test]
async fn unanswered_invite_is_revoked_and_offered_elsewhere() {
    let sim = start(config(2, Duration::from_millis(700))).await;
    let base = sim.url();
    let mut agents = logged_in_agents(&base, 2, &["email"]).await;
    let id = inject_email(&base, &[]).await;
    let first = holder(&mut agents, &id).await.expect("offered");
    agents[first].wait_interaction("Invited").await;
    let revoked = agents[first].wait_interaction("Revoked").await;
    assert_eq!(revoked["id"], id.as_str());
    assert_eq!(revoked["capabilities"], json!([]));
    let other = 1 - first;
    let invite = agents[other].wait_interaction("Invited").await;
    assert_eq!(invite["id"], id.as_str());
    let s = stats(&base).await;
    assert!(s["revoked"].as_u64().unwrap() >= 1);
    assert_counts_add_up(&s);
    sim.shutdown(Duration::from_millis(100)).await;
}

#[tokio::test]
async fn not_ready_gets_no_offers_until_ready_again() {
    let sim = start(config(1, Duration::from_secs(30))).await;
    let base = sim.url();
    let mut a = logged_in(&base, 1, &["email"]).await;
    let r = a.op("/api/v2/me/channels/email", "NotReady").await;
    assert_eq!(r.json["statusCode"], 0);
    let ch = a.get("/api/v2/me/channels").await;
    let email = ch.json["channels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["channel"] == "email")
        .unwrap()
        .clone();
    assert_eq!(email["userState"]["state"], "NotReady");
    inject_email(&base, &[]).await;
    let s = stats(&base).await;
    assert_eq!(
        (s["queued"].as_u64(), s["offered"].as_u64()),
        (Some(1), Some(0))
    );
    a.op("/api/v2/me/channels/email", "Ready").await;
    a.wait_interaction("Invited").await;
    assert_eq!(stats(&base).await["offered"], 1);
    sim.shutdown(Duration::from_millis(100)).await;
}

#[tokio::test]
async fn ready_is_confirmed_on_the_channels_topic() {
    let sim = start(config(1, Duration::from_secs(30))).await;
    let base = sim.url();
    let mut a = logged_in(&base, 1, &[]).await;
    a.op("/api/v2/me/channels/chat", "Ready").await;
    let events = a.events().await;
    let ev = events
        .iter()
        .find(|e| e["channel"] == "/v2/me/channels")
        .expect("channel notification");
    assert_eq!(ev["data"]["messageType"], "ChannelStateChangeMessageV2");
    assert_eq!(ev["data"]["channels"][0]["channel"], "chat");
    assert_eq!(ev["data"]["channels"][0]["userState"]["state"], "Ready");
    assert_eq!(
        ev["data"]["channels"][0]["userState"]["id"],
        "9430250E-0A1B-421F-B372-F29E69366DED"
    );
    sim.shutdown(Duration::from_millis(100)).await;
}

#[tokio::test]
async fn session_end_requeues_to_another_agent() {
    let sim = start(config(2, Duration::from_secs(30))).await;
    let base = sim.url();
    let mut a = logged_in(&base, 1, &["email"]).await;
    let id = inject_email(&base, &[]).await;
    a.wait_interaction("Invited").await;
    let accepted = a.on_interaction(&id, "Accept").await;
    assert_eq!(accepted.json["statusCode"], 0, "{:?}", accepted.json);
    assert_eq!(stats(&base).await["in_progress"], 1);
    let r = a.op("/api/v2/me", "EndContactCenterSession").await;
    assert_eq!(r.json["statusCode"], 0);
    let s = stats(&base).await;
    assert_eq!(
        (
            s["queued"].as_u64(),
            s["in_progress"].as_u64(),
            s["requeued"].as_u64(),
            s["agents_logged_in"].as_u64()
        ),
        (Some(1), Some(0), Some(1), Some(0))
    );
    let mut b = logged_in(&base, 2, &["email"]).await;
    let invite = b.wait_interaction("Invited").await;
    assert_eq!(invite["id"], id.as_str());
    assert_counts_add_up(&stats(&base).await);
    sim.shutdown(Duration::from_millis(100)).await;
}

#[tokio::test]
async fn bayeux_session_expiry_requeues() {
    let mut cfg = config(1, Duration::from_secs(30));
    cfg.max_interval = Duration::from_millis(300).into();
    let sim = start(cfg).await;
    let base = sim.url();
    let mut a = logged_in(&base, 1, &["email"]).await;
    let id = inject_email(&base, &[]).await;
    a.wait_interaction("Invited").await;
    let accepted = a.on_interaction(&id, "Accept").await;
    assert_eq!(accepted.json["statusCode"], 0, "{:?}", accepted.json);
    assert_eq!(stats(&base).await["in_progress"], 1);
    // Stop connecting: the session expires after max_interval and the sweep.
    let mut requeued = false;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let s = stats(&base).await;
        if s["requeued"] == 1 {
            assert_eq!(s["agents_logged_in"], 0);
            assert_counts_add_up(&s);
            requeued = true;
            break;
        }
    }
    assert!(
        requeued,
        "expired Bayeux session did not give its interaction back"
    );
    sim.shutdown(Duration::from_millis(100)).await;
}

#[tokio::test]
async fn csrf_on_and_off() {
    let mut cfg = config(2, Duration::from_secs(30));
    cfg.csrf = true;
    let sim = start(cfg).await;
    let base = sim.url();
    let mut a = agent(&base, 1);
    let r = a.get("/api/v2/me").await;
    assert_eq!(r.headers.get("x-csrf-header").unwrap(), "X-CSRF-TOKEN");
    assert!(r.headers.get("x-csrf-token").is_some());
    let r = a.op("/api/v2/me", "StartContactCenterSession").await;
    assert_eq!(r.json["statusCode"], 0, "with the token: {:?}", r.json);
    a.forget_csrf();
    let r = a.op("/api/v2/me/channels/email", "Ready").await;
    assert_eq!(r.status, 403);
    assert!(r.json["statusMessage"].as_str().unwrap().contains("Csrf"));
    sim.shutdown(Duration::from_millis(100)).await;

    let sim = start(config(1, Duration::from_secs(30))).await;
    let mut b = agent(&sim.url(), 1);
    let r = b.get("/api/v2/me").await;
    assert!(r.headers.get("x-csrf-token").is_none());
    assert!(
        r.headers
            .get("set-cookie")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("JSESSIONID=")
    );
    let r = b.op("/api/v2/me", "StartContactCenterSession").await;
    assert_eq!(r.json["statusCode"], 0);
    sim.shutdown(Duration::from_millis(100)).await;
}

#[tokio::test]
async fn wrong_or_missing_credentials_are_refused() {
    let sim = start(config(2, Duration::from_secs(30))).await;
    let base = sim.url();
    let mut bad = TestAgent::new(&base, Some(("agent1", "nope")));
    let r = bad.get("/api/v2/me").await;
    assert_eq!((r.status, r.json["statusCode"].as_u64()), (401, Some(20)));
    let r = bad.post("/api/v2/notifications", json!([{"channel": "/meta/handshake", "version": "1.0", "supportedConnectionTypes": ["long-polling"]}])).await;
    assert_eq!(r.status, 401);
    let mut nobody = TestAgent::new(&base, Some(("agent3", "password")));
    assert_eq!(nobody.get("/api/v2/me").await.status, 401);
    let mut anon = TestAgent::new(&base, None);
    assert_eq!(anon.get("/api/v2/me").await.json["statusCode"], 20);
    sim.shutdown(Duration::from_millis(100)).await;
}

#[tokio::test]
async fn bad_input_gets_status_codes_and_leaves_state_sound() {
    let sim = start(config(1, Duration::from_secs(30))).await;
    let base = sim.url();
    let mut a = agent(&base, 1);
    // Ready before a session: invalid in the current state.
    assert_eq!(
        a.op("/api/v2/me/channels/email", "Ready").await.json["statusCode"],
        2
    );
    a.log_in(&["email"]).await;
    let r = a
        .request(
            "POST",
            "/api/v2/me",
            "application/json",
            b"{not json".to_vec(),
        )
        .await;
    assert_eq!((r.status, r.json["statusCode"].as_u64()), (400, Some(1)));
    assert_eq!(a.op("/api/v2/me", "Dance").await.json["statusCode"], 1);
    assert_eq!(
        a.op("/api/v2/me/channels/fax", "Ready").await.json["statusCode"],
        6
    );
    assert_eq!(
        a.op("/api/v2/me/channels/email", "Accept").await.json["statusCode"],
        2
    );
    assert_eq!(
        a.op("/api/v2/me/interactions/0000NOSUCHTHING0", "Accept")
            .await
            .json["statusCode"],
        6
    );
    let id = inject_email(&base, &[]).await;
    a.wait_interaction("Invited").await;
    assert_eq!(
        a.on_interaction(&id, "StopProcessing").await.json["statusCode"],
        2
    );
    assert_eq!(a.on_interaction(&id, "Accept").await.json["statusCode"], 0);
    assert_eq!(a.on_interaction(&id, "Accept").await.json["statusCode"], 2);
    assert_eq!(a.on_interaction(&id, "Reject").await.json["statusCode"], 2);
    let huge = vec![b' '; 2 * 1024 * 1024];
    let r = a
        .request("POST", "/api/v2/me", "application/json", huge.clone())
        .await;
    assert_eq!(r.status, 413);
    let r = a
        .request("POST", "/api/v2/notifications", "application/json", huge)
        .await;
    assert_eq!(r.status, 413);
    let r = TestAgent::new(&base, None)
        .form("/genesys/2/email/inbound", &[("subject", "no sender")])
        .await;
    assert_eq!(r.json["statusCode"], 1);
    let r = TestAgent::new(&base, None)
        .form("/genesys/2/chat/x", &[("subject", "no nickname")])
        .await;
    assert_eq!(r.json["statusCode"], 1);
    let r = TestAgent::new(&base, None)
        .form(
            "/genesys/2/chat/x/NOPE/send",
            &[("secureKey", "k"), ("message", "m")],
        )
        .await;
    assert_eq!(r.json["statusCode"], 6);
    assert_eq!(
        TestAgent::new(&base, None).get("/nowhere").await.status,
        404
    );
    let s = stats(&base).await;
    assert_eq!(
        (s["injected"].as_u64(), s["in_progress"].as_u64()),
        (Some(1), Some(1))
    );
    assert_counts_add_up(&s);
    sim.shutdown(Duration::from_millis(100)).await;
}

#[tokio::test]
async fn a_bayeux_session_cannot_be_used_by_another_user() {
    let sim = start(config(2, Duration::from_secs(30))).await;
    let base = sim.url();
    let a = logged_in(&base, 1, &["email"]).await;
    let mut b = agent(&base, 2);
    let r = b
        .post("/api/v2/notifications", json!([{"channel": "/meta/connect", "clientId": a.client_id, "connectionType": "long-polling"}]))
        .await;
    assert_eq!(r.status, 403);
    sim.shutdown(Duration::from_millis(100)).await;
}
