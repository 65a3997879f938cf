//! A Goose load test that mixes agentload's contact-center agents with a
//! plain HTTP scenario, against agentload's embedded GWS simulator (started
//! here on 127.0.0.1), bounded to about 25 seconds. Run it with:
//!
//!     cargo run --release --features goose --example goose_agents
//!
//! Goose's flags go after `--` (`-- --users 30 --run-time 40s`); the defaults
//! below apply when none is given. At the end Goose prints its metrics (the
//! agent rows `agent invite_delivery`, `agent connect_cycle`, ... among them)
//! and writes goose.html; agentload writes its own outputs in the same folder
//! (summary.json with the counters Goose cannot show, report.html, ...) and
//! says whether any interaction was lost. Exit status: 0 when nothing was
//! lost and every Goose threshold passed.

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use agentload::goose::GooseAgents;
use agentload::metrics::Counter;
use agentload::profile::Profile;
use agentload::sim::Simulator;
use goose::config::{GooseDefault, GooseDefaultType};
use goose::prelude::*;

/// 20 agents' pool and behaviour, and the interactions' arrival rates: 12 s
/// of Poisson arrivals (4 email and 4 chat a second), then a 4 s drain.
const PROFILE: &str = r#"
name = "goose-agents"
description = "agentload agents inside a Goose attack against the embedded simulator"
seed = 1

[agents]
count = 20
channels = ["email", "chat"]

[[stages]]
duration = "12s"
agents = 20

[behaviour]
accept_probability = 0.9
answer_delay = "50ms..200ms"
no_answer_probability = 0.0
handle_time = "300ms..900ms"

[traffic]
email_rate = 4.0
chat_rate = 4.0
arrival = "poisson"
drain = "4s"

[simulator]
invite_timeout = "5s"
connect_timeout = "5s"
"#;

/// Where both reports go.
const OUT_DIR: &str = "reports/goose-agents";

/// A plain HTTP transaction beside the agents: the simulator's statistics.
async fn sim_stats(user: &mut GooseUser) -> TransactionResult {
    let _goose = user.get("/sim/stats").await?;
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    match attack().await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("goose_agents: {e}");
            ExitCode::from(2)
        }
    }
}

async fn attack() -> Result<ExitCode, Box<dyn std::error::Error>> {
    let profile = Profile::parse(Path::new("examples/goose_agents.rs (PROFILE)"), PROFILE)?;
    let config = profile.embedded_simulator().cloned().ok_or(
        "the example's profile names no target, so it runs against the embedded simulator",
    )?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let simulator = Simulator::start(config, listener).await?;
    let out_dir = Path::new(OUT_DIR);
    // Of every 11 Goose users, 10 are agents and 1 runs the plain HTTP scenario.
    let agents = GooseAgents::new(profile, &simulator.url(), out_dir)?.weight(10);
    let run_time = agents.min_run_time() + Duration::from_secs(3);
    let report_file = out_dir.join("goose.html");
    let http = scenario!("plain http")
        .set_weight(1)?
        .set_host(&simulator.url())
        .set_wait_time(Duration::from_millis(200), Duration::from_millis(500))?
        .register_transaction(transaction!(sim_stats).set_name("sim stats"));
    let attack = agents
        .register(GooseAttack::initialize()?)?
        .register_scenario(http)
        // 20 agents (the profile's pool) and 2 HTTP users.
        .set_default(GooseDefault::Users, 22)?
        .set_default(GooseDefault::IncreaseRate, "22")?
        .set_default(GooseDefault::RunTime, run_time.as_secs() as usize)?
        // No Goose controller on a fixed port: two runs at once must not clash.
        .set_default(GooseDefault::NoTelnet, true)?
        .set_default(
            GooseDefault::ReportFile,
            report_file.to_string_lossy().as_ref(),
        )?
        .set_default(GooseDefault::Threshold, "p99<5s for agent invite_delivery")?;
    let goose = attack.execute().await;
    let stats = simulator.shutdown(Duration::from_secs(1)).await;
    let report = agents.report()?;
    let results = &report.results;
    let lost = results.counter(Counter::InteractionsLost);
    println!(
        "agentload: {} interactions injected, {} invites offered, {} accepted, {} lost",
        results.counter(Counter::InteractionsInjected),
        results.counter(Counter::InvitesOffered),
        results.counter(Counter::InvitesAccepted),
        lost
    );
    println!(
        "agentload: counters, errors and gauges (agents ready, connects in flight) are in {0}/summary.json, \
         {0}/timeseries.csv and {0}/report.html; Goose's report is {1}",
        report.out_dir.display(),
        report_file.display()
    );
    println!("embedded simulator: {stats}");
    if report.not_in_goose > 0 {
        println!(
            "agentload: {} latencies were measured after their Goose user stopped and are only in agentload's outputs",
            report.not_in_goose
        );
    }
    let thresholds_passed = match goose {
        Ok(_) => true,
        Err(GooseError::ThresholdsFailed { failed, .. }) => {
            for rule in failed {
                println!(
                    "Goose threshold failed: {} (observed {})",
                    rule.rule, rule.observed
                );
            }
            false
        }
        Err(e) => return Err(e.into()),
    };
    if lost == 0 {
        println!("no interaction lost");
    } else {
        println!("{lost} interactions LOST (injected, never offered to an agent)");
    }
    Ok(if lost == 0 && thresholds_passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
