//! `agentload run` over HTTPS against `agentload serve --tls-cert/--tls-key`
//! with a self-signed certificate: trusted through `--ca-file`, accepted with
//! `--insecure`, and refused (counted as TLS errors) with neither.

use std::time::Duration;

use crate::support::heavy;
use crate::support::profile::{Profile, Simulator, Traffic};
use crate::support::run::{Dir, Served, count, counter, errors, run, sim_stats};
use serde_json::Value;

/// 50 agents, about 8 s of stages and a short drain, email and chat.
fn profile() -> Profile {
    Profile {
        description: Some("bounded run over HTTPS"),
        seed: 11,
        traffic: Traffic {
            email_rate: 6.0,
            chat_rate: 6.0,
            drain: "3s",
            ..Traffic::default()
        },
        // The target is `agentload serve`: no embedded simulator to set up.
        simulator: Simulator::default(),
        ..Profile::bounded("tls", 50, "2s", "6s")
    }
}

/// A self-signed certificate for 127.0.0.1 and localhost, and its key, as PEM files in `dir`.
fn self_signed(dir: &Dir) -> (String, String) {
    let ck =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()]).unwrap();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert, ck.cert.pem()).unwrap();
    std::fs::write(&key, ck.signing_key.serialize_pem()).unwrap();
    (
        cert.to_string_lossy().into_owned(),
        key.to_string_lossy().into_owned(),
    )
}

fn serve_tls(cert: &str, key: &str) -> Served {
    let served = Served::start(&["--tls-cert", cert, "--tls-key", key]);
    assert!(served.url.starts_with("https://"), "{}", served.url);
    served
}

/// Nothing lost, every interaction offered and accepted, counts consistent.
fn assert_complete_run(summary: &Value, log: &str) {
    let injected = counter(summary, "interactions_injected");
    assert!(
        injected > 30,
        "12/s over 8 s injects well over 30: {injected}\n{log}"
    );
    assert_eq!(counter(summary, "interactions_lost"), 0, "{log}");
    assert_eq!(count(summary, "invite_delivery"), injected, "{log}");
    let (offered, accepted, rejected, revoked, abandoned) = (
        counter(summary, "invites_offered"),
        counter(summary, "invites_accepted"),
        counter(summary, "invites_rejected"),
        counter(summary, "invites_revoked"),
        counter(summary, "invites_abandoned"),
    );
    // Each offer ends once, whatever order the server's replies and notices
    // come in under load.
    assert_eq!(offered, accepted + rejected + revoked + abandoned, "{log}");
    assert_eq!(accepted, injected, "rejects are re-offered: {log}");
    assert_eq!(
        counter(summary, "interactions_completed"),
        accepted,
        "{log}"
    );
    assert_eq!(
        count(summary, "ready"),
        100,
        "50 agents x 2 channels: {log}"
    );
    assert!(count(summary, "connect_cycle") > 0, "{log}");
    let tls_errors: u64 = summary["errors"]
        .as_object()
        .map(|e| {
            e.iter()
                .filter(|(k, _)| k.contains("tls"))
                .filter_map(|(_, v)| v.as_u64())
                .sum()
        })
        .unwrap_or(0);
    assert_eq!(tls_errors, 0, "{log}");
    assert_eq!(summary["passed"], Value::Bool(true), "{log}");
}

#[test]
fn a_run_trusting_the_servers_ca_file_completes_over_https() {
    let _heavy = heavy::slot();
    let dir = Dir::new("tls-ca");
    let (cert, key) = self_signed(&dir);
    let served = serve_tls(&cert, &key);
    let ran = run(
        &profile(),
        &dir.0,
        &["--target", &served.url, "--ca-file", &cert],
    );
    assert_eq!(ran.code, 0, "{}", ran.log);
    assert_complete_run(ran.summary(), &ran.log);
    assert!(
        ran.summary()["run"]["target"]
            .as_str()
            .is_some_and(|t| t.starts_with("https://")),
        "{}",
        ran.summary()
    );
    // The simulator served it all over TLS and agrees with the run's counts.
    let stats = sim_stats(&served.url, Some(&cert));
    let summary = ran.summary();
    for (sim, run) in [
        ("injected", "interactions_injected"),
        ("offered", "invites_offered"),
        ("accepted", "invites_accepted"),
        ("rejected", "invites_rejected"),
        ("completed", "interactions_completed"),
    ] {
        assert_eq!(
            stats[sim].as_u64(),
            Some(counter(summary, run)),
            "{sim}: {stats}"
        );
    }
    assert_eq!(
        stats["agents_logged_in"], 0,
        "every agent ended its session: {stats}"
    );
}

#[test]
fn an_insecure_run_completes_over_https() {
    let _heavy = heavy::slot();
    let dir = Dir::new("tls-insecure");
    let (cert, key) = self_signed(&dir);
    let served = serve_tls(&cert, &key);
    let ran = run(&profile(), &dir.0, &["--target", &served.url, "--insecure"]);
    assert_eq!(ran.code, 0, "{}", ran.log);
    assert_complete_run(ran.summary(), &ran.log);
}

#[test]
fn an_untrusted_server_is_reported_as_tls_errors_and_the_run_still_ends() {
    let _heavy = heavy::slot();
    let dir = Dir::new("tls-untrusted");
    let (cert, key) = self_signed(&dir);
    let served = serve_tls(&cert, &key);
    let started = std::time::Instant::now();
    let ran = run(&profile(), &dir.0, &["--target", &served.url]);
    let elapsed = started.elapsed();
    let summary = ran.summary();
    // The run ends by itself at the end of its plan (8 s + 3 s drain) even
    // though no agent ever logged in: retries stop with the plan.
    assert!(
        elapsed < Duration::from_secs(40),
        "took {elapsed:?}\n{}",
        ran.log
    );
    assert_eq!(
        ran.code, 3,
        "nobody could log in: the run could not be carried out: {}",
        ran.log
    );
    assert!(ran.log.contains("no agent could log in"), "{}", ran.log);
    // Every agent's login failed on the certificate, at least once, and
    // every injection too: both are counted under a kind that says TLS.
    assert!(errors(summary, "login_tls") >= 50, "{}\n{summary}", ran.log);
    // No interaction could be created: none counts as injected, every one
    // asked for as not created (an `inject_tls` error each), none as
    // created and never offered.
    let not_created = counter(summary, "interactions_not_created");
    assert_eq!(errors(summary, "inject_tls"), not_created, "{summary}");
    assert!(not_created > 0, "{summary}");
    assert_eq!(counter(summary, "interactions_injected"), 0, "{summary}");
    assert_eq!(
        counter(summary, "interactions_never_offered"),
        0,
        "{summary}"
    );
    assert_eq!(
        counter(summary, "interactions_lost"),
        not_created,
        "{summary}"
    );
    let kinds = summary["errors"].as_object().unwrap();
    assert!(
        kinds.keys().all(|k| k.ends_with("_tls")),
        "only TLS failures: {summary}"
    );
    assert!(
        ran.log.contains("login_tls"),
        "named on stdout: {}",
        ran.log
    );
    // Nobody got far enough to be offered anything.
    assert_eq!(count(summary, "ready"), 0, "{summary}");
    assert_eq!(count(summary, "handshake"), 0, "{summary}");
    assert_eq!(count(summary, "invite_delivery"), 0, "{summary}");
    assert_eq!(counter(summary, "invites_offered"), 0, "{summary}");
}
