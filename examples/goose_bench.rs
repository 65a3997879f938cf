//! bench/run's Goose column: one agentload agent per Goose user, through the
//! Goose adapter ([`GooseAgents`]), against a running GWS target (bench/run's
//! `agentload serve`), with agentload's HdrHistogram interval log
//! (`histograms.hlog`: `connect_cycle`, `invite_delivery`, ...) in DIR.
//!
//!     cargo build --release --locked --features goose --example goose_bench
//!     target/release/examples/goose_bench PROFILE --target URL --out DIR -- <goose flags>
//!
//! PROFILE is an agentload profile (bench/run writes one per measurement);
//! its `[agents] count` must cover Goose's `--users`. Goose's flags go after
//! `--` (`--users 200 --increase-rate 50 --run-time 300s`). Goose's own
//! metrics, report and controllers are off (`--no-metrics`, no telnet): the
//! figures come from agentload's outputs, so Goose only schedules the users.
//!
//! SIGINT (Goose's own handler) and SIGTERM stop the attack gracefully: the
//! users stop their agents and agentload writes its final interval and
//! outputs. Exit status: 0 when the attack ran, 2 on bad input (flags,
//! profile, target URL), 3 when the attack or agentload's run failed.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use agentload::error::Error;
use agentload::goose::GooseAgents;
use agentload::metrics::Counter;
use agentload::profile::Profile;
use goose::config::{GooseConfiguration, GooseDefault, GooseDefaultType};
use goose::prelude::*;

const USAGE: &str = "usage: goose_bench PROFILE --target URL --out DIR -- <goose flags>";

/// The command line: agentload's part, then Goose's.
struct Args {
    profile: PathBuf,
    target: String,
    out: PathBuf,
    goose: Vec<String>,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, Error> {
    let (mut profile, mut target, mut out) = (None, None, None);
    let mut goose = Vec::new();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--" => {
                goose.extend(args.by_ref());
                break;
            }
            "--target" | "--out" => {
                let value = args
                    .next()
                    .ok_or_else(|| Error::input(format!("{arg} needs a value\n{USAGE}")))?;
                let slot = if arg == "--target" {
                    &mut target
                } else {
                    &mut out
                };
                *slot = Some(value);
            }
            "-h" | "--help" => return Err(Error::input(USAGE)),
            flag if flag.starts_with('-') => {
                return Err(Error::input(format!(
                    "unknown flag {flag} (Goose's flags go after --)\n{USAGE}"
                )));
            }
            _ if profile.is_none() => profile = Some(PathBuf::from(arg)),
            _ => {
                return Err(Error::input(format!(
                    "unexpected argument {arg:?}\n{USAGE}"
                )));
            }
        }
    }
    let missing = |what: &str| Error::input(format!("{what} is missing\n{USAGE}"));
    let target = target.ok_or_else(|| missing("--target URL"))?;
    if !(target.starts_with("http://") || target.starts_with("https://")) {
        return Err(Error::input(format!(
            "--target {target:?} is not an http:// or https:// URL"
        )));
    }
    Ok(Args {
        profile: profile.ok_or_else(|| missing("PROFILE"))?,
        target,
        out: PathBuf::from(out.ok_or_else(|| missing("--out DIR"))?),
        goose,
    })
}

#[tokio::main]
async fn main() -> ExitCode {
    match bench(std::env::args().skip(1)).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("goose_bench: {e}");
            e.into()
        }
    }
}

async fn bench(args: impl Iterator<Item = String>) -> Result<(), Error> {
    let args = parse_args(args)?;
    let profile = Profile::load(&args.profile).map_err(|e| Error::input(e.to_string()))?;
    let pool = profile.agents.count as usize;
    let config = GooseConfiguration::parse_args_default(&args.goose)
        .map_err(|e| Error::input(format!("Goose's flags: {}", goose_error(&e))))?;
    if let Some(users) = config.users.filter(|&users| users > pool) {
        return Err(Error::input(format!(
            "Goose's --users {users} is more than the profile's {pool} agents ([agents] count in {})",
            args.profile.display()
        )));
    }
    let agents = GooseAgents::new(profile, &args.target, &args.out)?;
    let attack = GooseAttack::initialize_with_config(config)
        .and_then(|attack| agents.register(attack))
        .and_then(quiet)
        .map_err(|e| Error::input(format!("Goose's settings: {}", goose_error(&e))))?;
    tokio::spawn(stop_on_sigterm());
    let goose = attack.execute().await;
    let report = agents.report()?;
    if let Err(e) = goose {
        return Err(Error::run(format!(
            "the Goose attack failed: {}",
            goose_error(&e)
        )));
    }
    let results = &report.results;
    println!(
        "goose_bench: {} interactions injected, {} invites accepted, {} lost; outputs in {}",
        results.counter(Counter::InteractionsInjected),
        results.counter(Counter::InvitesAccepted),
        results.counter(Counter::InteractionsLost),
        report.out_dir.display()
    );
    Ok(())
}

/// Goose's own overhead off where Goose allows it: no metrics (so no report,
/// no printed tables, no thresholds), no controllers. Flags given after `--`
/// still win over these defaults.
fn quiet(attack: GooseAttack) -> Result<GooseAttack, GooseError> {
    attack
        .set_default(GooseDefault::NoMetrics, true)?
        .set_default(GooseDefault::NoTelnet, true)
        .map(|attack| *attack)
}

/// A Goose error with what Goose says about it (its Display alone only
/// names the kind).
fn goose_error(e: &GooseError) -> String {
    match e {
        GooseError::InvalidOption {
            option,
            value,
            detail,
        } => {
            format!("{option} {value:?}: {detail}")
        }
        other => format!("{other} ({other:?})"),
    }
}

/// SIGTERM stops the attack as Goose's own SIGINT handler does (Goose's
/// killswitch). Goose clears the killswitch when its attack starts, so it is
/// set again every 200 ms until the process ends: a SIGTERM that came early
/// stops the attack too.
async fn stop_on_sigterm() {
    use tokio::signal::unix::{SignalKind, signal};
    let Ok(mut term) = signal(SignalKind::terminate()) else {
        eprintln!("goose_bench: cannot listen for SIGTERM; SIGINT still stops the attack");
        return;
    };
    if term.recv().await.is_none() {
        return;
    }
    loop {
        goose::trigger_killswitch("SIGTERM received");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
