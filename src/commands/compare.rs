//! `agentload compare BASELINE NEW [--max-regression 10%]`: fails (exit 1)
//! when the new run's latencies regressed against the baseline's.

use crate::cli::CompareArgs;
use crate::error::{Error, Outcome};
use crate::report::compare::{self, CompareOptions};
use crate::report::console;

/// Runs `agentload compare`.
pub fn run(args: &CompareArgs) -> Result<Outcome, Error> {
    let options = CompareOptions {
        max_regression: args.max_regression,
        ..CompareOptions::default()
    };
    let baseline = compare::load(&args.baseline)?;
    let new = compare::load(&args.new)?;
    let result = compare::compare(
        &baseline,
        &new,
        &args.baseline.display().to_string(),
        &options,
    );
    crate::out!("{}", console::comparison(&result));
    Ok(if result.passed {
        Outcome::Passed
    } else {
        Outcome::GateFailed
    })
}
