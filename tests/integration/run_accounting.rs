//! The run's accounting against targets that make it hard: an injection API
//! that never answers (each creation an error that names itself, and counted
//! as not created rather than lost in transit), and a simulator holding
//! interactions queued by an earlier run (answered, counted apart as
//! `invites_foreign`, kept out of this run's offers, answers and latencies).

use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::support::heavy;
use crate::support::profile::{Profile, Simulator, Traffic};
use crate::support::run::{Dir, Served, count, counter, errors, run, run_text, sim_stats};
use crate::support::sim::inject_email;
use serde_json::Value;

/// A TCP server that accepts connections and never answers: each socket is
/// held open, unread, until the server is dropped.
struct Silent {
    url: String,
    stop: Arc<AtomicBool>,
}

impl Silent {
    fn start() -> Silent {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        std::thread::spawn(move || {
            let mut held: Vec<TcpStream> = Vec::new();
            // Bounded: the test drops it within a minute; 600 s at most.
            for _ in 0..120_000 {
                if stopped.load(Ordering::Relaxed) {
                    break;
                }
                match listener.accept() {
                    Ok((sock, _)) => held.push(sock),
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Silent { url, stop }
    }
}

impl Drop for Silent {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

#[test]
fn an_injection_api_that_never_answers_is_an_error_and_nothing_created() {
    let _heavy = heavy::slot();
    let silent = Silent::start();
    let dir = Dir::new("accounting-silent-injector");
    let profile = format!(
        r#"name = "silent-injector"
[target]
injector_url = "{}"
[agents]
count = 4
channels = ["email", "chat"]
[[stages]]
duration = "1s"
agents = 4
[[stages]]
duration = "2s"
agents = 4
[traffic]
email_rate = 3.0
chat_rate = 3.0
drain = "1s"
"#,
        silent.url
    );
    let ran = run_text(&profile, &dir.0, &[]);
    drop(silent);
    let (summary, log) = (ran.summary(), &ran.log);
    let not_created = counter(summary, "interactions_not_created");
    assert!(
        not_created > 5,
        "6/s for 3 s were asked for: {summary}\n{log}"
    );
    assert_eq!(counter(summary, "interactions_injected"), 0, "{log}");
    assert_eq!(counter(summary, "interactions_never_offered"), 0, "{log}");
    assert_eq!(counter(summary, "interactions_lost"), not_created, "{log}");
    // Each creation is one error that says what happened to it.
    assert_eq!(
        errors(summary, "inject_unanswered"),
        not_created,
        "{summary}"
    );
    let total: u64 = summary["errors"]
        .as_object()
        .map(|e| e.values().filter_map(Value::as_u64).sum())
        .unwrap_or(0);
    assert_eq!(total, not_created, "nothing else failed: {summary}");
    let md = std::fs::read_to_string(dir.join("out/summary.md")).unwrap();
    assert!(
        md.contains(&format!("{not_created} not created, 0 never offered")),
        "{md}"
    );
}

/// Queues `n` emails on the simulator at `url` before the run, marked as
/// another run's (or, `marked` false, with no marker at all).
fn queue_earlier_emails(url: &str, n: u32, marked: bool) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        for seq in 0..n {
            let seq = seq.to_string();
            let fields: Vec<(&str, &str)> = if marked {
                vec![
                    ("userData[AgentloadRun]", "an-earlier-run"),
                    ("userData[AgentloadSeq]", &seq),
                    ("userData[AgentloadCreatedUs]", "1700000000000000"),
                ]
            } else {
                vec![("userData[Note]", "left by someone else")]
            };
            inject_email(url, &fields).await;
        }
    });
}

#[test]
fn interactions_left_queued_by_an_earlier_run_are_answered_and_counted_apart() {
    let _heavy = heavy::slot();
    let served = Served::start(&[]);
    queue_earlier_emails(&served.url, 4, true);
    queue_earlier_emails(&served.url, 2, false);
    let dir = Dir::new("accounting-foreign");
    let profile = Profile {
        description: Some("a run on a target with another run's interactions queued"),
        traffic: Traffic {
            email_rate: 3.0,
            chat_rate: 3.0,
            drain: "4s",
            ..Traffic::default()
        },
        // The target is `agentload serve`.
        simulator: Simulator::default(),
        ..Profile::bounded("foreign", 8, "1s", "4s")
    };
    let ran = run(&profile, &dir.0, &["--target", &served.url]);
    let (summary, log) = (ran.summary(), &ran.log);
    assert_eq!(ran.code, 0, "{log}");

    let injected = counter(summary, "interactions_injected");
    assert!(injected > 5, "6/s for 5 s: {injected}\n{log}");
    // The six queued earlier were offered (some more than once, after a
    // reject) and counted apart ...
    assert!(counter(summary, "invites_foreign") >= 6, "{summary}");
    // ... so this run's accounting is its own interactions' only.
    let (offered, accepted, rejected, revoked, abandoned) = (
        counter(summary, "invites_offered"),
        counter(summary, "invites_accepted"),
        counter(summary, "invites_rejected"),
        counter(summary, "invites_revoked"),
        counter(summary, "invites_abandoned"),
    );
    assert_eq!(
        offered,
        accepted + rejected + revoked + abandoned,
        "{summary}"
    );
    assert_eq!(accepted, injected, "{summary}");
    assert_eq!(counter(summary, "interactions_lost"), 0, "{summary}");
    assert_eq!(count(summary, "invite_delivery"), injected, "{summary}");
    assert!(count(summary, "accept") <= accepted, "{summary}");
    // The agents answered them as the behaviour says: the simulator saw
    // them accepted and completed, beside the run's own.
    let stats = sim_stats(&served.url, None);
    let sim = |k: &str| stats[k].as_u64().unwrap_or_else(|| panic!("{k}: {stats}"));
    assert_eq!(sim("injected"), injected + 6, "{stats}");
    assert_eq!(
        sim("completed"),
        counter(summary, "interactions_completed") + 6,
        "{stats}\n{summary}"
    );
    // And the summary warns about them.
    let md = std::fs::read_to_string(dir.join("out/summary.md")).unwrap();
    assert!(md.contains("invites were not this run's"), "{md}");
    let html = std::fs::read_to_string(dir.join("out/report.html")).unwrap();
    assert!(html.contains("Invites of another run"), "report.html warns");
}
