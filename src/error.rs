//! The tool's top-level error and how it maps to exit codes.
//!
//! Exit codes are part of the interface CI relies on: `0` ran and every gate
//! passed, `1` a gate or a baseline comparison failed (or an abort gate
//! stopped the run), `2` invalid input (flags, profile, config), `3` the run
//! could not be carried out (target unreachable, no agent logged in, I/O
//! failure), `130`/`143` a SIGINT/SIGTERM stopped it before its plan ended.

use std::fmt;

/// What a command reports when it finishes without an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything ran and every gate passed.
    Passed,
    /// Everything ran, but at least one gate or comparison failed (or an
    /// abort gate stopped the run, or every agent died).
    GateFailed,
    /// A signal stopped the run before its plan ended: 130 after SIGINT,
    /// 143 after SIGTERM (128 + the signal's number, as shells report it).
    Interrupted(u8),
}

impl From<Outcome> for std::process::ExitCode {
    fn from(outcome: Outcome) -> Self {
        match outcome {
            Outcome::Passed => std::process::ExitCode::SUCCESS,
            Outcome::GateFailed => std::process::ExitCode::from(1),
            Outcome::Interrupted(code) => std::process::ExitCode::from(code),
        }
    }
}

/// A failure that stops a command. The message tells the user what went
/// wrong and, where there is one, what to do about it.
#[derive(Debug)]
pub enum Error {
    /// Bad flags, profile or config: exit code 2.
    Input(String),
    /// The run could not be carried out (network, I/O): exit code 3.
    Run(String),
}

impl Error {
    /// Shorthand for an invalid-input error.
    pub fn input(msg: impl Into<String>) -> Self {
        Error::Input(msg.into())
    }

    /// Shorthand for a run failure.
    pub fn run(msg: impl Into<String>) -> Self {
        Error::Run(msg.into())
    }

    /// The process exit code for this error (2 or 3).
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Input(_) => 2,
            Error::Run(_) => 3,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Input(msg) | Error::Run(msg) => f.write_str(msg),
        }
    }
}

impl std::error::Error for Error {}

impl From<Error> for std::process::ExitCode {
    fn from(err: Error) -> Self {
        std::process::ExitCode::from(err.exit_code())
    }
}
