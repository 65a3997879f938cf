//! [`GooseAgents`]: agentload's agents as a Goose [`Scenario`], with the
//! `test_start`/`test_stop` hooks that run agentload's side of the attack.
//!
//! Each user of the scenario starts one agent in its on-start transaction
//! (the agent runs as its own tokio task, so a held long-poll never blocks
//! Goose), reports the agent's latencies to Goose every 0.5-1 s as rows
//! `agent <measurement>` (`agent invite_delivery`, `agent connect_cycle`,
//! ...), and in its on-stop transaction stops the agent (bounded) and reports
//! what is left.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use ::goose::config::{GooseDefault, GooseDefaultType};
use ::goose::metrics::GooseCoordinatedOmissionMitigation;
use ::goose::prelude::{
    GooseAttack, GooseError, GooseUser, Scenario, Transaction, TransactionError, TransactionResult,
};

use super::run::{AgentReport, AgentRun, Plans};
use super::tap::AgentTap;
use crate::error::Error;
use crate::http::{HttpClient, TlsOptions};
use crate::metrics::Measure;
use crate::profile::Profile;
use crate::report::gate;

/// The method of every agent row in Goose's metrics: `agent invite_delivery`.
pub const ROW_METHOD: &str = "agent";

/// The name of the agents' scenario in Goose.
pub const SCENARIO_NAME: &str = "agentload agents";

/// agentload's agents for a Goose attack, built from a profile: its
/// `[agents]`, `[behaviour]`, `[target]` and `[traffic]` (the interactions'
/// arrival rates over its stages); Goose decides how many agents run and
/// when (its users of [`SCENARIO_NAME`]).
#[derive(Clone)]
pub struct GooseAgents {
    run: Arc<AgentRun>,
    weight: usize,
}

impl GooseAgents {
    /// Agents of `profile` against the GWS deployment at `target` (a base
    /// URL; the embedded simulator's URL works too), agentload's outputs in
    /// `out_dir` (put Goose's report there too). Interactions go to the
    /// profile's `injector_url`, else to `target`.
    pub fn new(mut profile: Profile, target: &str, out_dir: &Path) -> Result<GooseAgents, Error> {
        let tls = TlsOptions {
            insecure: profile.target.tls.insecure,
            ca_file: profile.target.tls.ca_file.clone(),
        };
        let http = HttpClient::new(&tls)
            .map(|c| c.with_max_body(profile.target.max_body()))
            .map_err(|e| Error::input(format!("TLS settings of [target.tls]: {e}")))?;
        let gates = gate::parse_all(profile.gates.iter().map(|g| g.rule.as_str()))?;
        let seed = profile.seed_or_new();
        let target = target.trim_end_matches('/').to_string();
        let plans = Plans {
            injector: profile
                .target
                .injector_url
                .clone()
                .unwrap_or_else(|| target.clone()),
            out_dir: out_dir.to_path_buf(),
            target,
            http,
            gates,
            seed,
            profile,
        };
        Ok(GooseAgents {
            run: Arc::new(AgentRun::new(plans)),
            weight: 1,
        })
    }

    /// The agents scenario's Goose weight (1 unless set): with a plain HTTP
    /// scenario of weight 1 beside it, weight 10 makes 10 of every 11 users
    /// agents.
    pub fn weight(self, weight: usize) -> GooseAgents {
        GooseAgents { weight, ..self }
    }

    /// The folder agentload's outputs go to.
    pub fn out_dir(&self) -> &Path {
        &self.run.plans.out_dir
    }

    /// The shortest Goose run time in which every interaction the profile
    /// plans can be offered: its stages (the injection) plus its drain.
    pub fn min_run_time(&self) -> Duration {
        let profile = &self.run.plans.profile;
        profile.stages_duration() + profile.traffic.drain.0
    }

    /// Adds the agents' scenario and agentload's `test_start`/`test_stop` to
    /// `attack` (replacing any `test_start`/`test_stop` it had), and the
    /// defaults the agent rows need: metrics not reset after the ramp-up (or
    /// Goose's counts would differ from agentload's) and no coordinated
    /// omission mitigation (invite delivery is already measured from the
    /// intended time; Goose would add synthetic samples to it). A Goose
    /// `--host` needs no setting for the agents: their scenario has its own.
    pub fn register(&self, attack: GooseAttack) -> Result<GooseAttack, GooseError> {
        attack
            .register_scenario(self.scenario()?)
            .test_start(self.test_start())
            .test_stop(self.test_stop())
            .set_default(GooseDefault::NoResetMetrics, true)?
            .set_default(
                GooseDefault::CoordinatedOmissionMitigation,
                GooseCoordinatedOmissionMitigation::Disabled,
            )?
            .set_default(GooseDefault::Host, self.run.plans.target.as_str())
            .map(|attack| *attack)
    }

    /// The agents' scenario: one agent per user.
    pub fn scenario(&self) -> Result<Scenario, GooseError> {
        let (start, stop) = (self.run.clone(), self.run.clone());
        let start = Transaction::new(Arc::new(move |user| {
            let run = start.clone();
            Box::pin(async move { start_agent(&run, user).await })
        }));
        let report = Transaction::new(Arc::new(|user| Box::pin(report_latencies(user))));
        let stop = Transaction::new(Arc::new(move |user| {
            let run = stop.clone();
            Box::pin(async move { stop_agent(&run, user).await })
        }));
        let scenario = Scenario::new(SCENARIO_NAME)
            .set_host(&self.run.plans.target)
            .set_wait_time(Duration::from_millis(500), Duration::from_secs(1))?
            .set_weight(self.weight)?;
        Ok(scenario
            .register_transaction(start.set_name("agent start").set_on_start())
            .register_transaction(report.set_name("agent report"))
            .register_transaction(stop.set_name("agent stop").set_on_stop()))
    }

    /// Goose's `test_start`: agentload's metrics, interval files and
    /// injector start (an open model: Goose has none).
    pub fn test_start(&self) -> Transaction {
        let run = self.run.clone();
        Transaction::new(Arc::new(move |_user| {
            let run = run.clone();
            Box::pin(async move {
                run.start();
                Ok(())
            })
        }))
        .set_name("agentload start")
    }

    /// Goose's `test_stop`: agentload settles the injection, counts the lost
    /// interactions and writes its outputs.
    pub fn test_stop(&self) -> Transaction {
        let run = self.run.clone();
        Transaction::new(Arc::new(move |_user| {
            let run = run.clone();
            Box::pin(async move {
                run.finish().await;
                Ok(())
            })
        }))
        .set_name("agentload stop")
    }

    /// What agentload measured, once the attack has ended; an error when
    /// its run could not start or its outputs could not be written, or when
    /// the attack never ran the hooks.
    pub fn report(&self) -> Result<AgentReport, Error> {
        self.run.take_report().unwrap_or_else(|| {
            Err(Error::run(
                "agentload's run has no report: the Goose attack did not run test_start and test_stop \
                 (register them with GooseAgents::register)",
            ))
        })
    }
}

/// One agent user's own part, in its Goose session data.
#[derive(Clone)]
struct AgentUser {
    index: u32,
    tap: Arc<AgentTap>,
}

async fn start_agent(run: &AgentRun, user: &mut GooseUser) -> TransactionResult {
    let tap = Arc::new(AgentTap::default());
    let index = run.start_agent(tap.clone()).map_err(custom)?;
    user.set_session_data(AgentUser { index, tap });
    Ok(())
}

async fn report_latencies(user: &mut GooseUser) -> TransactionResult {
    let Some(agent) = user.get_session_data::<AgentUser>().cloned() else {
        return Ok(());
    };
    record(user, agent.tap.take()).await
}

async fn stop_agent(run: &AgentRun, user: &mut GooseUser) -> TransactionResult {
    let Some(agent) = user.get_session_data::<AgentUser>().cloned() else {
        return Ok(());
    };
    run.stop_agent(agent.index).await;
    record(user, agent.tap.take()).await
}

/// Hands `latencies` to Goose as rows `agent <measurement>`.
async fn record(user: &mut GooseUser, latencies: Vec<(Measure, Duration)>) -> TransactionResult {
    for (measure, latency) in latencies {
        user.record_custom_request_duration(ROW_METHOD, measure.name(), latency, true, None, None)
            .await?;
    }
    Ok(())
}

fn custom(why: String) -> Box<TransactionError> {
    Box::new(TransactionError::Custom(why))
}
