//! Over a hundred malformed profiles, written by `tests/malformed_profiles.py`
//! (syntax, encoding, a 10 MB file, types, unknown and missing fields, enums,
//! out-of-range numbers, huge and overflowing durations, rates, simulator
//! settings, URLs, gates, secrets), each through `agentload check` and
//! `agentload run`: exit 2 with the file, the line and the field, no panic,
//! no signal, no hang, nothing started and no secret echoed.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::support::run::{BIN, Dir};
use serde_json::Value;

/// Longest a refusal may take: the 10 MB profiles on a debug build on a busy machine.
const BOUND: Duration = Duration::from_secs(60);

/// One malformed profile and what its error must say.
struct Case {
    file: PathBuf,
    field: Option<String>,
    line: Option<u64>,
    secret: Option<String>,
}

fn generate(dir: &Path) -> Vec<Case> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/malformed_profiles.py");
    let status = Command::new("python3")
        .arg(&script)
        .arg(dir)
        .stdout(Stdio::null())
        .status()
        .expect("python3 runs tests/malformed_profiles.py");
    assert!(status.success(), "{} failed", script.display());
    let manifest: Vec<Value> =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    let text = |c: &Value, key: &str| c[key].as_str().map(str::to_string);
    manifest
        .iter()
        .map(|c| Case {
            file: dir.join(c["file"].as_str().unwrap()),
            field: text(c, "field"),
            line: c["line"].as_u64(),
            secret: text(c, "secret"),
        })
        .collect()
}

/// How one command ended.
struct Ended {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    took: Duration,
}

/// Runs `agentload ARGS`, killing it after [`BOUND`].
fn run_bounded(args: &[&std::ffi::OsStr], logs: &Path) -> Ended {
    let out = logs.with_extension("stdout");
    let err = logs.with_extension("stderr");
    let started = Instant::now();
    let mut child = Command::new(BIN)
        .args(args)
        .env_remove("AGENTLOAD_SURELY_UNSET_VARIABLE")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap())
        .spawn()
        .unwrap();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > BOUND {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let read = |p: &Path| String::from_utf8_lossy(&std::fs::read(p).unwrap()).into_owned();
    Ended {
        code: status.and_then(|s| s.code()),
        stdout: read(&out),
        stderr: read(&err),
        took: started.elapsed(),
    }
}

/// What is wrong with how `command` refused `case`, if anything.
fn judge(case: &Case, command: &str, ended: &Ended) -> Option<String> {
    let path = case.file.display().to_string();
    let first = ended.stderr.lines().next().unwrap_or_default();
    let mut wrong = Vec::new();
    match ended.code {
        Some(2) => {}
        Some(101) => wrong.push("panicked (exit 101)".to_string()),
        Some(code) => wrong.push(format!("exit {code}, expected 2")),
        None if ended.took > BOUND => wrong.push(format!("still running after {BOUND:?}")),
        None => wrong.push("killed by a signal".to_string()),
    }
    if ended.stderr.contains("panicked") {
        wrong.push("a panic message".into());
    }
    let place = match case.line {
        Some(line) => format!("error: {path}:{line}:"),
        None => format!("error: {path}: "),
    };
    if !first.starts_with(&place) {
        wrong.push(format!("the first line does not start with {place:?}"));
    }
    if let Some(field) = &case.field
        && !first.contains(&format!("`{field}`"))
    {
        wrong.push(format!("the field `{field}` is not named"));
    }
    if let Some(secret) = &case.secret
        && (ended.stderr.contains(secret) || ended.stdout.contains(secret))
    {
        wrong.push(format!("the secret {secret:?} is echoed"));
    }
    if !ended.stdout.is_empty() {
        wrong.push("output on stdout".into());
    }
    (!wrong.is_empty()).then(|| {
        format!(
            "{command} {}: {}\n{}",
            case.file.display(),
            wrong.join("; "),
            ended.stderr.chars().take(800).collect::<String>()
        )
    })
}

#[test]
fn every_malformed_profile_is_refused_with_its_file_line_and_field() {
    let dir = Dir::new("malformed");
    let cases = generate(&dir.0);
    assert!(cases.len() >= 100, "only {} profiles", cases.len());
    let ten_mb = cases
        .iter()
        .filter(|c| std::fs::metadata(&c.file).unwrap().len() >= 10_000_000)
        .count();
    assert!(ten_mb >= 1, "a 10 MB profile is among them");

    let failures = Mutex::new(Vec::new());
    let next = Mutex::new(cases.iter().enumerate());
    std::thread::scope(|scope| {
        for _ in 0..3 {
            scope.spawn(|| {
                loop {
                    let Some((i, case)) = next.lock().unwrap().next() else {
                        return;
                    };
                    let logs = dir.join(&format!("{i:03}"));
                    let out_dir = dir.join(&format!("out-{i:03}"));
                    let check = run_bounded(&["check".as_ref(), case.file.as_os_str()], &logs);
                    let run = run_bounded(
                        &[
                            "run".as_ref(),
                            case.file.as_os_str(),
                            "--out".as_ref(),
                            out_dir.as_os_str(),
                        ],
                        &logs,
                    );
                    let mut found = failures.lock().unwrap();
                    found.extend(judge(case, "check", &check));
                    found.extend(judge(case, "run", &run));
                    if out_dir.exists() {
                        found.push(format!(
                            "run {}: started (created --out)",
                            case.file.display()
                        ));
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(
        failures.is_empty(),
        "{} of {} refusals are wrong:\n\n{}",
        failures.len(),
        2 * cases.len(),
        failures.join("\n\n")
    );
}
