//! The small text outputs a user reads, as reviewed: the plan `agentload
//! check` prints for every shipped profile, and the console summary of
//! `agentload report` on the fixed example run. What depends on the machine
//! (its open-file limits, the temp folder) is redacted.
//!
//! After an intended change: `INSTA_UPDATE=always cargo test --test integration
//! text_outputs`, then review the `.snap` diff in `tests/integration/snapshots/`.

use std::path::Path;
use std::process::Command;

use agentload::report::{self, RunResults};

use crate::support::run::{BIN, Dir};

/// stdout of `agentload ARGS` run in the crate's folder, which must exit 0.
fn stdout_of(args: &[&str]) -> String {
    let out = Command::new(BIN)
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(
        out.status.code(),
        Some(0),
        "agentload {args:?}:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// The plan with this machine's open-file limits left out: they follow
/// `ulimit -n`, not the profile.
fn without_machine_limits(plan: &str) -> String {
    plan.lines()
        .map(|line| {
            // `[run] processes = "auto"` follows the open-file limit too.
            if line.starts_with("processes  ") {
                return "processes  [from run.processes and this machine's limits]".to_string();
            }
            match line.strip_prefix("open files about ") {
                Some(rest) if rest.contains("each generator process") => {
                    "open files [per generator process: this machine's limits]".to_string()
                }
                Some(rest) => {
                    let needed = rest.split(" needed").next().unwrap_or(rest);
                    format!("open files about {needed} needed [this machine's limits]")
                }
                None => line.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_plans_of_the_shipped_profiles() {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles");
    let mut names: Vec<String> = std::fs::read_dir(folder)
        .unwrap()
        .filter_map(|entry| {
            let name = entry.unwrap().file_name().into_string().ok()?;
            name.strip_suffix(".toml").map(str::to_string)
        })
        .collect();
    names.sort();
    assert!(names.contains(&"smoke".to_string()), "{names:?}");
    for name in names {
        let plan = stdout_of(&["check", &format!("profiles/{name}.toml")]);
        insta::assert_snapshot!(format!("check_{name}"), without_machine_limits(&plan));
    }
}

#[test]
fn the_console_summary_of_the_example_run() {
    let dir = Dir::new("snapshot-summary");
    let mut results = RunResults::example();
    results.set_verdicts(Vec::new(), None);
    report::write_all(&dir.0, &results).unwrap();
    let folder = dir.0.to_string_lossy();
    let summary = stdout_of(&["report", &folder]).replace(&*folder, "[run folder]");
    insta::assert_snapshot!(summary);
}
