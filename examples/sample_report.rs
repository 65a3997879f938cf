//! Writes the report files of the deterministic example run into a folder
//! (default `target/sample-report`), to look at them or render them in a
//! browser: `cargo run --example sample_report -- [DIR [VARIANT]]`.
//!
//! VARIANT: `example` (default: one gate failed), `doubtful` (the generator
//! was saturated, with notes), `empty` (a run that measured nothing).

use std::path::PathBuf;
use std::process::ExitCode;

use agentload::report::fixtures::example_run_info;
use agentload::report::{IntervalAccumulator, RunResults, html, junit, markdown};

const PROFILE: &str = r#"# The example profile (shown verbatim, escaped, in report.html).
name = "smoke"
duration = "12s"

[[stages]]
agents = 30
ramp = "3s"

[injector]
rate = "20/s"
arrival = "poisson"

[[gates]]
rule = "interactions_lost == 0"

[[gates]]
rule = "invite_delivery.p99 < 80ms over 5s"   # <script>alert("escaped")</script>
"#;

fn main() -> ExitCode {
    let dir = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target/sample-report"));
    let variant = std::env::args()
        .nth(2)
        .unwrap_or_else(|| "example".to_owned());
    let results = match variant.as_str() {
        "example" => RunResults::example(),
        "doubtful" => {
            let mut r = RunResults::example();
            r.generator.doubtful_intervals = 5;
            r.generator.scheduler_lag_p99_us = 180_000;
            r.generator.peak_cpu_percent = 99.0;
            r.notes.push(
                "The load generator was saturated in 5 of 12 intervals: latencies may include the generator's own delay.".to_owned(),
            );
            r
        }
        "empty" => IntervalAccumulator::new().finish(example_run_info()),
        other => {
            eprintln!("error: unknown variant {other:?}; use example, doubtful or empty");
            return ExitCode::from(2);
        }
    };
    let files: [(&str, Vec<u8>); 3] = [
        ("report.html", html::write(&results, Some(PROFILE))),
        ("junit.xml", junit::write(&results)),
        ("summary.md", markdown::write(&results)),
    ];
    if let Err(e) = std::fs::create_dir_all(&dir) {
        eprintln!("error: cannot create {}: {e}", dir.display());
        return ExitCode::from(3);
    }
    for (name, bytes) in files {
        let path = dir.join(name);
        if let Err(e) = std::fs::write(&path, bytes) {
            eprintln!("error: cannot write {}: {e}", path.display());
            return ExitCode::from(3);
        }
        println!("{}", path.display());
    }
    ExitCode::SUCCESS
}
