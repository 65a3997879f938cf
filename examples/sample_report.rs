//! Writes the report files of the deterministic example run into a folder
//! (default `target/sample-report`), to look at them or render them in a
//! browser: `cargo run --example sample_report -- [DIR]`.

use std::path::PathBuf;
use std::process::ExitCode;

use agentload::report::{RunResults, html, junit, markdown};

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
rule = "invite_delivery.p99 < 60ms over 5s"   # <script>alert("escaped")</script>
"#;

fn main() -> ExitCode {
    let dir = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target/sample-report"));
    let results = RunResults::example();
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
