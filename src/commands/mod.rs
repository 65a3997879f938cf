//! One file per subcommand: each turns parsed arguments into library calls
//! and returns an [`Outcome`] or an [`Error`] (which `main` maps to an exit code).

pub mod compare;
pub mod report;

use crate::cli::{Cli, Command};
use crate::error::{Error, Outcome};

/// Runs the parsed command line.
pub fn dispatch(cli: Cli) -> Result<Outcome, Error> {
    match cli.command {
        Command::Run(_) => Err(Error::input(
            "`agentload run` is not available in this build yet",
        )),
        Command::Serve(_) => Err(Error::input(
            "`agentload serve` is not available in this build yet",
        )),
        Command::Check(_) => Err(Error::input(
            "`agentload check` is not available in this build yet",
        )),
        Command::Report(args) => report::run(&args),
        Command::Compare(args) => compare::run(&args),
    }
}
