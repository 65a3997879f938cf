//! `agentload run` against the embedded simulator with every fault of
//! `[simulator.faults]` on at moderate rates: agents survive, errors are
//! counted by kind, sessions are re-handshaken, and nothing is lost.

use crate::support::heavy;
use crate::support::profile::{Behaviour, Faults, Profile, Simulator, Traffic};
use crate::support::run::{Dir, count, counter, errors, run, sim_figure};
use serde_json::Value;

/// 40 agents, 9 s of stages and a 7 s drain, every fault on.
fn profile() -> Profile {
    Profile {
        description: Some("bounded run with every simulator fault on"),
        seed: 5,
        behaviour: Behaviour {
            handle_time: "200ms..600ms",
            ..Behaviour::default()
        },
        traffic: Traffic {
            email_rate: 5.0,
            chat_rate: 5.0,
            drain: "7s",
            ..Traffic::default()
        },
        simulator: Simulator {
            invite_timeout: Some("2s"),
            connect_timeout: Some("2s"),
            faults: Some(Faults {
                rest_503: 0.05,
                rest_latency: "0ms..30ms",
                delivery_latency: "0ms..50ms",
                reset_connect: 0.05,
                forget_session: 0.03,
                pause_every: "4s",
                pause_duration: "300ms",
            }),
            ..Simulator::default()
        },
        ..Profile::bounded("faults", 40, "2s", "7s")
    }
}

fn error_kinds(summary: &Value) -> Vec<(String, u64)> {
    summary["errors"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_u64().unwrap_or(0)))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn agents_survive_every_fault_and_nothing_is_lost() {
    let _heavy = heavy::slot();
    let dir = Dir::new("faults");
    let ran = run(&profile(), &dir.0, &[]);
    let (summary, log) = (ran.summary(), &ran.log);
    assert_eq!(ran.code, 0, "{log}");

    let injected = counter(summary, "interactions_injected");
    assert!(injected > 40, "10/s over 9 s: {injected}\n{log}");
    // Invites lost with a forgotten session are revoked and offered again,
    // so every interaction still reaches an agent, once measured.
    assert_eq!(counter(summary, "interactions_lost"), 0, "{log}");
    assert_eq!(count(summary, "invite_delivery"), injected, "{log}");
    // ... and is accepted and completed: a 503 on Accept, Ready or Complete
    // is retried, and an accept whose notification was lost is handled anyway.
    let accepted = counter(summary, "invites_accepted");
    assert_eq!(accepted, injected, "{log}");
    assert_eq!(
        counter(summary, "interactions_completed"),
        accepted,
        "{log}"
    );
    assert!(
        count(summary, "accept") <= accepted,
        "an accept latency is only recorded when observed: {log}"
    );
    // The simulator agrees: nothing left open or waiting.
    assert_eq!(sim_figure(log, "accepted"), accepted, "{log}");
    assert_eq!(sim_figure(log, "completed"), accepted, "{log}");
    assert_eq!(sim_figure(log, "queued"), 0, "{log}");
    assert_eq!(sim_figure(log, "in_progress"), 0, "in progress: {log}");

    // The faults happened and were counted by kind.
    let kinds = error_kinds(summary);
    let with = |suffix: &str| -> u64 {
        kinds
            .iter()
            .filter(|(k, _)| k.ends_with(suffix))
            .map(|(_, n)| n)
            .sum()
    };
    assert!(with("http_503") > 0, "rest_503 = 0.05: {kinds:?}\n{log}");
    assert!(
        errors(summary, "unknown_client") > 0,
        "forgotten sessions answer 402::Unknown client: {kinds:?}"
    );
    assert!(
        counter(summary, "rehandshakes") > 0,
        "forget_session = 0.03: {log}"
    );
    assert!(
        count(summary, "handshake") > 40,
        "every re-handshake is measured: {log}"
    );
    assert!(count(summary, "connect_cycle") > 0, "{log}");
    assert_eq!(summary["passed"], Value::Bool(true), "{log}");
}
