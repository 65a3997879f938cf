//! `agentload check` run as the built binary: exit codes and output.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn check(profile: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_agentload"))
        .arg("check")
        .arg(profile)
        .output()
        .expect("run agentload")
}

fn write_profile(name: &str, text: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("check-{name}.toml"));
    std::fs::write(&path, text).unwrap();
    path
}

fn smoke() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles/smoke.toml")
}

#[test]
fn a_valid_profile_prints_its_plan_and_exits_0() {
    let out = check(&smoke());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for wanted in [
        "profile    smoke",
        "embedded simulator on 127.0.0.1 (free port)",
        "0 -> 200",
        "hold",
        "drain",
        "peak 200 agents",
        "email/s",
        "expected interactions",
        "invite_delivery.p99 < 2s",
        "percentiles p50 p90 p95 p99 p99.9",
        "invite_timeout",
        "is valid",
    ] {
        assert!(stdout.contains(wanted), "missing {wanted:?} in:\n{stdout}");
    }
}

#[test]
fn every_shipped_profile_checks() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|x| x == "toml") {
            let out = check(&path);
            assert_eq!(
                out.status.code(),
                Some(0),
                "{}: {}",
                path.display(),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

#[test]
fn a_real_target_is_shown_instead_of_the_simulator() {
    let text = std::fs::read_to_string(smoke()).unwrap().replace(
        "# url = \"https://gws.example.com\"",
        "url = \"https://gws.example.com\"",
    );
    let path = write_profile("remote", &text);
    let out = check(&path);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("target     https://gws.example.com"),
        "{stdout}"
    );
    assert!(!stdout.contains("127.0.0.1 (free port)"), "{stdout}");
    // The [simulator] table does not apply to a real target, so it is not shown.
    assert!(!stdout.contains("invite_timeout"), "{stdout}");
}

#[test]
fn an_invalid_profile_exits_2_naming_file_line_and_field() {
    let text = std::fs::read_to_string(smoke()).unwrap().replace(
        "answer_delay = \"100ms..500ms\"",
        "answer_delay = \"100..500ms\"",
    );
    let line = text[..text.find("answer_delay = \"100..").unwrap()]
        .matches('\n')
        .count()
        + 1;
    let path = write_profile("bad-delay", &text);
    let out = check(&path);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        out.stdout.is_empty(),
        "nothing printed on stdout for an invalid profile"
    );
    assert!(
        stderr.contains(&format!("{}:{line}:", path.display())),
        "expected file:line in {stderr}"
    );
    assert!(stderr.contains("`behaviour.answer_delay`"), "{stderr}");
    assert!(stderr.contains("expected a number with a unit"), "{stderr}");
}

#[test]
fn a_missing_file_exits_2() {
    let out = check(Path::new("/nonexistent/x.toml"));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/x.toml"));
}
