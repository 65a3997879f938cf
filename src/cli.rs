//! Command-line definitions (clap). Only definitions live here; the logic of
//! each command is in `commands/`.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::profile::Processes;
use crate::report::compare::{Percent, parse_percent};
use crate::shard::ShardSpec;
use crate::sim::{NodeCount, NodeSlice};
use crate::units::HumanDuration;

/// Load and soak testing for CometD/Bayeux long-polling push services,
/// first of all the Genesys Web Services v2 agent API.
#[derive(Debug, Parser)]
#[command(name = "agentload", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a load profile against a target, or against the embedded simulator when none is given.
    Run(RunArgs),
    /// Run the embedded GWS v2 simulator on its own.
    Serve(ServeArgs),
    /// Validate a profile and print the resolved plan without running it.
    Check(CheckArgs),
    /// Regenerate every output of a run folder from its summary.json and histograms.hlog.
    Report(ReportArgs),
    /// Compare two runs' summaries and fail on regression.
    Compare(CompareArgs),
    /// Merge the shards of one run (`run --shard I/N`) into the run's outputs, judged once.
    Merge(MergeArgs),
}

/// `agentload run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The load profile (TOML), e.g. profiles/smoke.toml.
    pub profile: PathBuf,
    /// Base URL of the GWS deployment (e.g. https://gws.example.com), or its nodes separated by commas; default: the embedded simulator.
    #[arg(long)]
    pub target: Option<String>,
    /// Number of agents (overrides the profile's peak).
    #[arg(long)]
    pub agents: Option<u32>,
    /// Total duration of the stages (overrides the profile, stretching its plan).
    #[arg(long)]
    pub duration: Option<HumanDuration>,
    /// Output folder (default: reports/<profile>-<UTC timestamp>/).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Seed for every random choice, for repeatable runs.
    #[arg(long)]
    pub seed: Option<u64>,
    /// A pass/fail rule, e.g. "invite_delivery.p99 < 250ms"; repeatable.
    #[arg(long = "gate")]
    pub gates: Vec<String>,
    /// A previous run's folder or summary.json to compare against.
    #[arg(long)]
    pub baseline: Option<PathBuf>,
    /// Largest relative slowdown against the baseline that still passes, e.g. 10% or 2.5%.
    #[arg(long, default_value = "10%", value_name = "PERCENT", value_parser = parse_percent)]
    pub max_regression: Percent,
    /// Accept any TLS certificate (self-signed test servers).
    #[arg(long)]
    pub insecure: bool,
    /// A PEM file of CA certificates to trust in addition to the system roots.
    #[arg(long)]
    pub ca_file: Option<PathBuf>,
    /// The environment variable holding the agents' password (wins over the profile's).
    #[arg(long, value_name = "NAME")]
    pub password_env: Option<String>,
    /// A file holding the agents' password on its one line (wins over the profile's).
    #[arg(long, value_name = "PATH", conflicts_with = "password_env")]
    pub password_file: Option<PathBuf>,
    /// Where the embedded simulator runs: `thread` (in this process), `child`
    /// (its own process, so each side has the whole open-file limit), or
    /// `auto` (a thread unless both ends of every connection would not fit).
    #[arg(long, value_enum, default_value_t = SimulatorProcess::Auto)]
    pub simulator_process: SimulatorProcess,
    /// How many node processes the embedded simulator runs as (agent n on
    /// node n % K): K, or `auto` (one per 14,000 agents, so 1 for small
    /// runs). Default: the profile's `[simulator] nodes`.
    #[arg(long, value_name = "K|auto")]
    pub simulator_nodes: Option<NodeCount>,
    /// Local addresses the agents' long-polls bind to (each node's agents
    /// take them in turn): a range such as 127.0.0.2-127.0.0.20 or a comma list.
    #[arg(long, value_name = "LIST")]
    pub source_addresses: Option<String>,
    /// Print only the final summary.
    #[arg(long, short, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Add per-error-kind lines to the live view.
    #[arg(long, short)]
    pub verbose: bool,
    /// Run shard I of N (0-based): the agents whose pool index % N == I and
    /// the interactions whose sequence number % N == I; needs --run-id,
    /// --seed and a target. `agentload merge` joins the shards' folders.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<ShardSpec>,
    /// The run id stamped into every interaction (the same for every shard of a run).
    #[arg(long, value_name = "ID")]
    pub run_id: Option<String>,
    /// Wait until this UTC instant (RFC 3339, e.g. 2026-12-02T11:00:00Z) and
    /// start the run then; more than one interval late exits 3.
    #[arg(long, value_name = "TIME")]
    pub start_at: Option<String>,
    /// Spread the run over this many generator processes on this machine
    /// (shards merged at the end into one result), or `auto`: as few as the
    /// open-file limit allows for the peak agents (wins over `[run] processes`).
    #[arg(long, value_name = "N|auto", conflicts_with_all = ["shard", "run_id", "start_at"])]
    pub processes: Option<Processes>,
    /// Worker threads of each generator process (default 1, or `[run]
    /// threads`); more cores are better used with --processes.
    #[arg(long, value_name = "N")]
    pub threads: Option<std::num::NonZeroUsize>,
}

/// Where `agentload run` hosts the embedded simulator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SimulatorProcess {
    /// A thread unless the open-file limit calls for a child process.
    Auto,
    /// On its own runtime in the generator's process.
    Thread,
    /// In a child process (`agentload serve`) the run starts and stops.
    Child,
}

/// `agentload serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Number of users, agent1 .. agentN (overrides the config file).
    #[arg(long)]
    pub agents: Option<u32>,
    /// Password of every user (overrides the config file).
    #[arg(long)]
    pub password: Option<String>,
    /// How long an invite waits before it is revoked (overrides the config file).
    #[arg(long)]
    pub invite_timeout: Option<HumanDuration>,
    /// A TOML file with the schema of a profile's [simulator] table.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Serve HTTPS with this PEM certificate chain (leaf first); needs --tls-key.
    #[arg(long, requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Run as K node processes (like a GWS cluster): node j listens on
    /// --listen's port + j and owns the agents whose pool index % K == j;
    /// `auto`: one node per 14,000 users. Default: the config's `nodes`, else 1.
    #[arg(long, value_name = "K|auto", conflicts_with = "node")]
    pub nodes: Option<NodeCount>,
    /// Serve as node J (from 0) of K only: just the agents whose pool index
    /// % K == J may log in (a node of a cluster started by hand, one per host).
    #[arg(long, value_name = "J/K")]
    pub node: Option<NodeSlice>,
    /// Internal: the user number of pool index 0 for --node (agents.first).
    #[arg(long, hide = true, requires = "node", default_value_t = 1)]
    pub node_first: u32,
    /// Internal, for `agentload run`: settings as one JSON line on stdin,
    /// machine-readable stdout, stop when stdin closes.
    #[arg(long, hide = true, conflicts_with_all = ["config", "nodes"])]
    pub supervised: bool,
}

/// `agentload check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The load profile (TOML).
    pub profile: PathBuf,
}

/// `agentload report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A run's output folder (read only, unless --in-place).
    pub run_dir: PathBuf,
    /// Extra pass/fail rules to evaluate; repeatable.
    #[arg(long = "gate")]
    pub gates: Vec<String>,
    /// Write the rebuilt outputs into this folder (default: only print the summary).
    #[arg(long, conflicts_with = "in_place")]
    pub out: Option<PathBuf>,
    /// Rewrite the run's own outputs in RUN_DIR (its original verdict is replaced).
    #[arg(long)]
    pub in_place: bool,
}

/// `agentload compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The baseline run (folder or summary.json).
    pub baseline: PathBuf,
    /// The new run (folder or summary.json).
    pub new: PathBuf,
    /// Largest relative slowdown that still passes, e.g. 10% or 2.5%.
    #[arg(long, default_value = "10%", value_name = "PERCENT", value_parser = parse_percent)]
    pub max_regression: Percent,
}

/// `agentload merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The shards' output folders (each holds shard.json, seqs.log, histograms.hlog).
    #[arg(required = true, value_name = "SHARD_DIR")]
    pub shard_dirs: Vec<PathBuf>,
    /// How many shards make the run (the N of --shard I/N); a missing one fails the merge (exit 3).
    #[arg(long, value_name = "N")]
    pub expect_shards: u32,
    /// Folder for the merged outputs (created when missing).
    #[arg(long)]
    pub out: PathBuf,
    /// Merge what there is when a shard is missing or failed; the result says partial and never passes.
    #[arg(long)]
    pub allow_partial: bool,
    /// A pass/fail rule judged on the merged run besides the profile's gates; repeatable.
    #[arg(long = "gate")]
    pub gates: Vec<String>,
    /// A previous run's folder or summary.json to compare the merged run against.
    #[arg(long)]
    pub baseline: Option<PathBuf>,
    /// Largest relative slowdown against the baseline that still passes, e.g. 10% or 2.5%.
    #[arg(long, default_value = "10%", value_name = "PERCENT", value_parser = parse_percent)]
    pub max_regression: Percent,
    /// Print only the final summary.
    #[arg(long, short)]
    pub quiet: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_regression_is_a_typed_percentage_for_run_and_compare() {
        let cli =
            Cli::try_parse_from(["agentload", "compare", "a", "b", "--max-regression", "2.5%"])
                .unwrap();
        let Command::Compare(args) = cli.command else {
            panic!("not compare: {:?}", cli.command);
        };
        assert_eq!(args.max_regression.get(), 2.5);
        let cli = Cli::try_parse_from(["agentload", "run", "p.toml"]).unwrap();
        let Command::Run(args) = cli.command else {
            panic!("not run: {:?}", cli.command);
        };
        assert_eq!(args.max_regression.get(), 10.0);
    }

    #[test]
    fn a_bad_max_regression_names_the_flag_and_the_expected_form() {
        for argv in [
            &["agentload", "compare", "a", "b", "--max-regression", "ten"][..],
            &[
                "agentload",
                "run",
                "p.toml",
                "--baseline",
                "a",
                "--max-regression",
                "ten",
            ],
        ] {
            let err = Cli::try_parse_from(argv).unwrap_err();
            assert_eq!(err.kind(), clap::error::ErrorKind::ValueValidation);
            assert_eq!(err.exit_code(), 2);
            let text = err.to_string();
            assert!(text.contains("--max-regression"), "{text}");
            assert!(text.contains("10%") && text.contains("2.5%"), "{text}");
        }
    }
}
