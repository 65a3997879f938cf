//! One file per subcommand: each turns parsed arguments into library calls
//! and returns an [`Outcome`] or an [`Error`] (which `main` maps to an exit code).

pub mod check;
pub mod compare;
pub mod merge;
pub mod report;
pub mod run;
pub mod serve;
mod serve_nodes;

use crate::cli::{Cli, Command};
use crate::error::{Error, Outcome};

/// Runs the parsed command line.
pub fn dispatch(cli: Cli) -> Result<Outcome, Error> {
    match cli.command {
        Command::Run(args) => run::run(&args),
        Command::Serve(args) => serve::run(args),
        Command::Check(args) => check::run(&args),
        Command::Report(args) => report::run(&args),
        Command::Compare(args) => compare::run(&args),
        Command::Merge(args) => merge::run(&args),
    }
}
