//! `agentload report RUN_DIR [--gate ...] [--out DIR | --in-place]`:
//! rebuilds every output of a run from its `summary.json` and
//! `histograms.hlog`, judging the gates again. The run's folder is only
//! read unless `--in-place`; a run still going is refused.

use std::path::Path;

use crate::cli::ReportArgs;
use crate::error::{Error, Outcome};
use crate::report::{self, Verdict, gate, json};

/// Runs `agentload report`.
pub fn run(args: &ReportArgs) -> Result<Outcome, Error> {
    let extra = gate::parse_all(args.gates.iter().map(String::as_str))?;
    if !args.run_dir.is_dir() {
        return Err(Error::input(format!(
            "{} is not a folder; give the output folder of an agentload run",
            args.run_dir.display()
        )));
    }
    refuse_a_running_run(&args.run_dir)?;
    let had_log = args.run_dir.join(report::hlog::FILE_NAME).is_file();
    let results = report::rebuild(&args.run_dir, &extra)?;
    crate::out!("{}", report::console::summary(&results));
    let into = match (&args.out, args.in_place) {
        (Some(out), _) => Some(out.as_path()),
        (None, true) => Some(args.run_dir.as_path()),
        (None, false) => None,
    };
    match into {
        // Without the log there are no intervals to write: leave the live
        // files (a time series of a killed run, say) as they are.
        Some(dir) if had_log => report::write_all(dir, &results)?,
        Some(dir) => report::write_final(dir, &results)?,
        None => {}
    }
    match into {
        Some(dir) => crate::outln!("outputs written to {}", dir.display()),
        None => crate::outln!(
            "{} left as it is; write the rebuilt outputs with --out DIR (or --in-place)",
            args.run_dir.display()
        ),
    }
    Ok(if results.verdict == Verdict::Passed {
        Outcome::Passed
    } else {
        Outcome::GateFailed
    })
}

/// A folder whose run is still going (its starting summary names a live
/// process) must not be read as finished: its files are still growing.
fn refuse_a_running_run(dir: &Path) -> Result<(), Error> {
    let path = dir.join(json::FILE_NAME);
    let Ok(bytes) = std::fs::read(&path) else {
        return Ok(());
    };
    let summary = json::Summary::parse(&bytes, &path.display().to_string())?;
    if summary.is_running() {
        return Err(Error::input(format!(
            "{}: the run is still going (process {}); wait for it to end, or stop it (Ctrl-C) first",
            dir.display(),
            summary.pid.unwrap_or_default()
        )));
    }
    Ok(())
}
