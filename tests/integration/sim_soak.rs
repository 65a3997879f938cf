//! Many agents answering at random (accept, reject, ignore, log out) while
//! email and chat arrive concurrently: every interaction is completed in the
//! end and the counts add up at every observation. Bounded in count and time.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::support::heavy;
use crate::support::sim::{TestAgent, assert_counts_add_up, config, logged_in, start, stats};
use rand::Rng;
use serde_json::Value;

const AGENTS: u32 = 12;
const INTERACTIONS: usize = 120;

async fn run_agent(base: String, n: u32, stop: Arc<AtomicBool>) {
    let mut a = logged_in(&base, n, &["email", "chat"]).await;
    let mut logged_out = false;
    while !stop.load(Ordering::Relaxed) {
        let events = a.events().await;
        for ev in events {
            let d: &Value = &ev["data"];
            if ev["channel"] != "/v2/me/interactions" || d["state"] != "Invited" {
                continue;
            }
            let path = format!("/api/v2/me/interactions/{}", d["id"].as_str().unwrap());
            let roll: u32 = rand::rng().random_range(0..100);
            if roll < 60 {
                let r = a.op(&path, "Accept").await;
                // A revoke may have won the race; anything else is a bug.
                if r.json["statusCode"] == 0 {
                    assert_eq!(a.op(&path, "StopProcessing").await.json["statusCode"], 0);
                } else {
                    assert_eq!(r.json["statusCode"], 6, "{:?}", r.json);
                }
            } else if roll < 80 {
                let r = a.op(&path, "Reject").await;
                assert!(
                    r.json["statusCode"] == 0 || r.json["statusCode"] == 6,
                    "{:?}",
                    r.json
                );
            } else if roll < 83 && !logged_out && n.is_multiple_of(3) {
                // Log out holding the invite, then come back: it must be requeued.
                a.op("/api/v2/me", "EndContactCenterSession").await;
                a.log_in(&["email", "chat"]).await;
                logged_out = true;
            }
            // Otherwise: ignore it; the invite timeout revokes it.
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_answers_lose_nothing_and_counts_add_up() {
    let _heavy = heavy::slot();
    let mut cfg = config(AGENTS, Duration::from_millis(300));
    cfg.connect_timeout = Duration::from_millis(500).into();
    cfg.capacity.email = 2;
    let sim = start(cfg).await;
    let base = sim.url();
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for n in 1..=AGENTS {
        tasks.push(tokio::spawn(run_agent(base.clone(), n, stop.clone())));
    }
    let injector = {
        let base = base.clone();
        tokio::spawn(async move {
            let mut gms = TestAgent::new(&base, None);
            for i in 0..INTERACTIONS {
                let seq = i.to_string();
                let r = if i.is_multiple_of(2) {
                    gms.form(
                        "/genesys/2/email/soak",
                        &[("fromAddress", "c@example.com"), ("userData[seq]", &seq)],
                    )
                    .await
                } else {
                    gms.form(
                        "/genesys/2/chat/soak",
                        &[("nickname", "c"), ("userData[seq]", &seq)],
                    )
                    .await
                };
                assert_eq!(r.json["statusCode"], 0);
            }
        })
    };
    injector.await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut last = stats(&base).await;
    while last["completed"].as_u64() != Some(INTERACTIONS as u64) && Instant::now() < deadline {
        assert_counts_add_up(&last);
        tokio::time::sleep(Duration::from_millis(100)).await;
        last = stats(&base).await;
    }
    stop.store(true, Ordering::Relaxed);
    eprintln!("final: {last}");
    assert_counts_add_up(&last);
    assert!(
        last["rejected"].as_u64() > Some(0) && last["revoked"].as_u64() > Some(0),
        "the mix must include rejects and revokes: {last}"
    );
    assert_eq!(
        last["completed"].as_u64(),
        Some(INTERACTIONS as u64),
        "not all completed: {last}"
    );
    assert_eq!(last["injected"].as_u64(), Some(INTERACTIONS as u64));
    assert_eq!(last["accepted"], last["completed"]);
    // Each agent's asserts ran in its task: a panic there must fail the test.
    for t in tasks {
        tokio::time::timeout(Duration::from_secs(10), t)
            .await
            .expect("an agent did not stop")
            .expect("an agent task failed");
    }
    sim.shutdown(Duration::from_millis(100)).await;
}
