//! `agentload run` on invalid input: exit 2 before anything starts (no
//! output folder, no simulator), with a message that names the file, line and
//! field of a profile error, or the rule and column of a bad `--gate`.

use std::process::Command;

use crate::support::run::{BIN, Dir, run_file};

/// A valid profile; each case appends to it or replaces one line.
const VALID: &str = r#"name = "bad"
description = "invalid profiles"

[agents]
count = 5
channels = ["email"]

[[stages]]
duration = "2s"
agents = 5
"#;

struct Refused {
    stderr: String,
    file: String,
}

/// Runs `profile_text` with `extra` flags, asserting exit code 2, nothing on
/// stdout, and no output folder.
fn refused(name: &str, profile_text: &str, extra: &[&str]) -> Refused {
    let dir = Dir::new(&format!("profile-errors-{name}"));
    let file = dir.join(&format!("{name}.toml"));
    std::fs::write(&file, profile_text).unwrap();
    let out = dir.join("out");
    let output = run_file(&file, &out, extra);
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    assert_eq!(output.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(
        !out.exists(),
        "nothing may start on invalid input, yet {} exists",
        out.display()
    );
    assert!(stdout.is_empty(), "no run output: {stdout}");
    Refused {
        stderr,
        file: format!("{name}.toml"),
    }
}

fn assert_mentions(stderr: &str, wanted: &[&str]) {
    for w in wanted {
        assert!(stderr.contains(w), "missing {w:?} in:\n{stderr}");
    }
}

#[test]
fn the_valid_base_profile_is_accepted_by_check() {
    // Guards the cases below: each is refused for its one defect.
    let dir = Dir::new("profile-errors-valid");
    let file = dir.join("valid.toml");
    std::fs::write(&file, VALID).unwrap();
    let output = Command::new(BIN).arg("check").arg(&file).output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn an_unknown_field_names_file_line_field_and_the_known_fields() {
    let text = format!("{VALID}\n[traffic]\nemail_rate = 1.0\nemail_rtae = 3.0\n");
    let r = refused("unknown", &text, &[]);
    assert_mentions(
        &r.stderr,
        &[
            &format!("{}:14:1", r.file),
            "traffic.email_rtae",
            "unknown field `email_rtae`",
            "email_rate",
            "chat_rate",
            "email_rtae = 3.0",
        ],
    );
}

#[test]
fn a_duration_without_unit_names_the_stage_and_asks_for_a_unit() {
    let text = format!("{VALID}\n[[stages]]\nduration = \"30\"\nagents = 5\n");
    let r = refused("duration", &text, &[]);
    assert_mentions(
        &r.stderr,
        &[
            &format!("{}:13:12", r.file),
            "stages[1].duration",
            "invalid duration \"30\"",
            "30s",
        ],
    );
}

#[test]
fn a_negative_rate_names_the_field_and_the_expected_range() {
    let text = format!("{VALID}\n[traffic]\nchat_rate = -2.5\n");
    let r = refused("rate", &text, &[]);
    assert_mentions(
        &r.stderr,
        &[
            &format!("{}:13:13", r.file),
            "traffic.chat_rate",
            "-2.5",
            ">= 0",
        ],
    );
}

#[test]
fn a_malformed_gate_in_the_profile_names_its_line_and_column() {
    let text = format!(
        "{VALID}\n[[gates]]\nrule = \"errors == 0\"\n\n[[gates]]\nrule = \"invite_delivery.p99 < 250 parsecs\"\n"
    );
    let r = refused("gate-line", &text, &[]);
    assert_mentions(
        &r.stderr,
        &[
            &format!("{}:16:8", r.file),
            "gates[1].rule",
            "column 26",
            "duration unit",
        ],
    );
}

#[test]
fn a_path_that_makes_no_url_is_refused_before_the_run() {
    let text = VALID.replace(
        "[agents]",
        "[target]\nnotifications_path = \"/api/v2/notif ications\"\n\n[agents]",
    );
    let r = refused("bad-path", &text, &[]);
    assert_mentions(
        &r.stderr,
        &[
            &format!("{}:5:22", r.file),
            "target.notifications_path",
            "is not a valid URL",
        ],
    );
}

#[test]
fn a_malformed_gate_flag_names_the_rule_and_the_column() {
    let r = refused(
        "gate-unit",
        VALID,
        &["--gate", "invite_delivery.p99 < 2 parsecs"],
    );
    assert_mentions(
        &r.stderr,
        &[
            "--gate: invalid gate \"invite_delivery.p99 < 2 parsecs\"",
            "column 24",
            "duration unit",
            "\"parsecs\"",
        ],
    );
    let r = refused("gate-name", VALID, &["--gate", "invite_dleivery.p99 < 2s"]);
    assert_mentions(
        &r.stderr,
        &[
            "invalid gate \"invite_dleivery.p99 < 2s\"",
            "column 1",
            "invite_delivery",
        ],
    );
    let r = refused("gate-end", VALID, &["--gate", "invite_delivery.p99 <"]);
    assert_mentions(&r.stderr, &["column 22", "end of the rule"]);
}

#[test]
fn a_bad_duration_flag_is_refused_like_the_profile_field() {
    let r = refused("duration-flag", VALID, &["--duration", "30"]);
    assert_mentions(&r.stderr, &["--duration", "invalid duration \"30\""]);
}
