//! `agentload report RUN_DIR [--gate ...]`: rebuilds every output of a run
//! from its `summary.json` and `histograms.hlog`, judging the gates again.

use crate::cli::ReportArgs;
use crate::error::{Error, Outcome};
use crate::report::{self, gate};

/// Runs `agentload report`.
pub fn run(args: &ReportArgs) -> Result<Outcome, Error> {
    let extra = gate::parse_all(args.gates.iter().map(String::as_str))?;
    if !args.run_dir.is_dir() {
        return Err(Error::input(format!(
            "{} is not a folder; give the output folder of an agentload run",
            args.run_dir.display()
        )));
    }
    // Without the log there are no intervals to write: leave the live files
    // (a time series of a killed run, say) as they are.
    let had_log = args.run_dir.join(report::hlog::FILE_NAME).is_file();
    let results = report::rebuild(&args.run_dir, &extra)?;
    if had_log {
        report::write_all(&args.run_dir, &results)?;
    } else {
        report::write_final(&args.run_dir, &results)?;
    }
    crate::out!("{}", report::console::summary(&results));
    crate::outln!("rewrote every output in {}", args.run_dir.display());
    Ok(if results.passed {
        Outcome::Passed
    } else {
        Outcome::GateFailed
    })
}
