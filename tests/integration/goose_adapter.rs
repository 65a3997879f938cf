//! The Goose adapter (feature `goose`): a short Goose attack of agentload's
//! agents against the embedded simulator. Goose's metrics hold the agent
//! rows with exactly agentload's counts, no interaction is lost, and a Goose
//! threshold on an agent row passes or fails as its numbers say.
//!
//! One attack only in this binary: Goose keeps process-wide state (its
//! killswitch, its Ctrl-C handler, its logger).

use std::path::Path;
use std::time::Duration;

use agentload::goose::{GooseAgents, ROW_METHOD};
use agentload::metrics::{Counter, Measure};
use agentload::profile::Profile;
use goose::config::{GooseConfiguration, GooseDefault, GooseDefaultType};
use goose::prelude::*;

use crate::support::heavy;
use crate::support::run::Dir;

/// 8 agents; 6 s of arrivals (3 email and 3 chat a second), a 3 s drain.
const PROFILE: &str = r#"
name = "goose-adapter"
seed = 3

[agents]
count = 8
channels = ["email", "chat"]

[[stages]]
duration = "6s"
agents = 8

[behaviour]
accept_probability = 0.8
answer_delay = "20ms..100ms"
no_answer_probability = 0.0
handle_time = "200ms..600ms"

[traffic]
email_rate = 3.0
chat_rate = 3.0
arrival = "poisson"
drain = "3s"

[simulator]
invite_timeout = "3s"
connect_timeout = "3s"
"#;

/// Can never pass: no connect cycle over HTTP takes under a microsecond.
const FAILING: &str = "max<1us for agent connect_cycle";
/// Passes on any machine that runs the test: delivery on loopback takes milliseconds.
const PASSING: &str = "p99<30s for agent invite_delivery";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agents_in_a_goose_attack_report_to_goose_and_to_agentload() {
    let _slot = heavy::slot();
    let dir = Dir::new("goose-adapter");
    let profile = Profile::parse(Path::new("goose_adapter.toml"), PROFILE).unwrap();
    let config = profile.embedded_simulator().cloned().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let simulator = agentload::sim::Simulator::start(config, listener)
        .await
        .unwrap();
    let agents = GooseAgents::new(profile, &simulator.url(), &dir.0).unwrap();
    let run_time = agents.min_run_time() + Duration::from_secs(2);
    let attack = agents
        .register(GooseAttack::initialize_with_config(GooseConfiguration::default()).unwrap())
        .unwrap()
        .set_default(GooseDefault::Users, 8)
        .unwrap()
        .set_default(GooseDefault::IncreaseRate, "8")
        .unwrap()
        .set_default(GooseDefault::RunTime, run_time.as_secs() as usize)
        .unwrap()
        .set_default(GooseDefault::NoPrintMetrics, true)
        .unwrap()
        .set_default(GooseDefault::NoTelnet, true)
        .unwrap()
        // Judged at the end only, so the failing rule does not cut the run short.
        .set_default(GooseDefault::NoThresholdAbort, true)
        .unwrap()
        .set_default(GooseDefault::Threshold, PASSING)
        .unwrap()
        .set_default(GooseDefault::Threshold, FAILING)
        .unwrap();
    let ended = tokio::time::timeout(run_time + Duration::from_secs(60), attack.execute())
        .await
        .expect("the attack ends within its run time and the agents' bounded stop");
    simulator.shutdown(Duration::from_secs(1)).await;

    let Err(GooseError::ThresholdsFailed { failed, metrics }) = ended else {
        panic!("the threshold {FAILING:?} must fail the attack");
    };
    let failed: Vec<&str> = failed.iter().map(|r| r.rule.as_str()).collect();
    assert_eq!(failed, [FAILING]);
    let passing = metrics.thresholds.iter().find(|r| r.rule == PASSING);
    assert!(passing.is_some_and(|r| r.passed), "{PASSING} passes");

    let report = agents.report().unwrap();
    let results = &report.results;
    assert!(results.counter(Counter::InteractionsInjected) > 0);
    assert_eq!(
        results.counter(Counter::InteractionsLost),
        0,
        "nothing lost"
    );
    assert_eq!(report.not_in_goose, 0, "every latency reached Goose");
    for measure in Measure::ALL {
        // The injector's lag is no agent's: it stays in agentload's outputs.
        let ours = match measure {
            Measure::InjectionLag => 0,
            _ => results.percentiles(measure).count,
        };
        let row = format!("{ROW_METHOD} {}", measure.name());
        let goose = metrics
            .requests
            .get(&row)
            .map_or(0, |r| r.raw_data.counter as u64);
        assert_eq!(
            goose, ours,
            "{row}: Goose counts what agentload's histogram counts"
        );
    }
    for row in ["invite_delivery", "connect_cycle", "accept", "handshake"] {
        let row = format!("{ROW_METHOD} {row}");
        assert!(
            metrics.requests.contains_key(&row),
            "{row} in Goose's metrics"
        );
    }
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["counters"]["interactions_lost"], 0, "{summary}");
    assert!(summary["counters"]["interactions_injected"].as_u64() > Some(0));
    assert!(dir.join("histograms.hlog").exists() && dir.join("report.html").exists());
}
