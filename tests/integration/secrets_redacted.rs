//! A canary password, given literally, through the environment, through a
//! file, and in a target URL's userinfo, appears in no output: not in any
//! file a run writes, not on its stdout or stderr, not in `check`'s plan,
//! neither as text nor in base64 (the form a Basic auth header carries).

use std::path::Path;
use std::process::Command;

use crate::support::run::{BIN, Dir};
use base64::Engine as _;

const CANARY: &str = "Canary-Pw-3141";
const ENV: &str = "AGENTLOAD_TEST_CANARY_PASSWORD";

/// A short run against the embedded simulator; `password` is the line(s)
/// saying where the password is.
fn profile(password: &str) -> String {
    format!(
        r#"name = "canary"
seed = 7
[agents]
count = 3
channels = ["email"]
{password}
[[stages]]
duration = "2s"
agents = 3
[traffic]
email_rate = 5.0
drain = "1s"
"#
    )
}

/// The forms the canary could take in an output.
fn forms() -> Vec<String> {
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let mut forms = vec![CANARY.to_string(), b64(CANARY)];
    forms.extend((1..=3).map(|n| b64(&format!("agent{n}:{CANARY}"))));
    forms
}

/// Fails naming every place one of the canary's forms shows up.
fn assert_nowhere(what: &str, texts: &[(String, Vec<u8>)]) {
    let mut found = Vec::new();
    for (place, bytes) in texts {
        let text = String::from_utf8_lossy(bytes);
        for form in forms() {
            if text.contains(&form) {
                found.push(format!("{place} holds {form:?}"));
            }
        }
    }
    assert!(found.is_empty(), "{what}: {}", found.join("; "));
}

/// Every file under `dir`, by path.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            out.push((path.display().to_string(), std::fs::read(&path).unwrap()));
        }
    }
    out
}

/// Runs `agentload ARGS` with `envs`; its exit code, stdout and stderr.
fn agentload(args: &[&str], envs: &[(&str, &str)]) -> (i32, Vec<(String, Vec<u8>)>) {
    let out = Command::new(BIN)
        .args(args)
        .env_remove(ENV)
        .envs(envs.iter().copied())
        .output()
        .unwrap();
    let streams = vec![("stdout".into(), out.stdout), ("stderr".into(), out.stderr)];
    (out.status.code().unwrap_or(-1), streams)
}

/// `check` then `run` of `text`: both succeed and neither leaks.
fn check_and_run(name: &str, text: &str, envs: &[(&str, &str)], flags: &[&str]) {
    let _heavy = crate::support::heavy::slot();
    let dir = Dir::new(&format!("canary-{name}"));
    std::fs::write(dir.join("pw.txt"), format!("{CANARY}\n")).unwrap();
    let file = dir.join("canary.toml");
    std::fs::write(&file, text).unwrap();
    let file = file.to_str().unwrap();
    let (code, streams) = agentload(&["check", file], envs);
    assert_eq!(
        code,
        0,
        "check {name}: {:?}",
        String::from_utf8_lossy(&streams[1].1)
    );
    assert!(
        String::from_utf8_lossy(&streams[0].1).contains("password = \"***\""),
        "the plan shows the simulator's password redacted"
    );
    assert_nowhere(&format!("check {name}"), &streams);

    let out = dir.join("out");
    let mut args = vec!["run", file, "--out", out.to_str().unwrap()];
    args.extend_from_slice(flags);
    let (code, mut texts) = agentload(&args, envs);
    assert_eq!(
        code,
        0,
        "run {name}: {:?}",
        String::from_utf8_lossy(&texts[1].1)
    );
    let written = files(&out);
    for wanted in [
        "summary.json",
        "report.html",
        "junit.xml",
        "summary.md",
        "histograms.hlog",
    ] {
        assert!(
            written.iter().any(|(p, _)| p.ends_with(wanted)),
            "run {name} wrote {wanted}"
        );
    }
    let summary = std::fs::read_to_string(out.join("summary.json")).unwrap();
    assert!(
        summary.contains("password = \\\"***\\\""),
        "the stored profile is redacted"
    );
    texts.extend(written);
    assert_nowhere(&format!("run {name}"), &texts);
}

#[test]
fn a_literal_password_reaches_no_output() {
    check_and_run(
        "literal",
        &profile(&format!("password = \"{CANARY}\"")),
        &[],
        &[],
    );
}

#[test]
fn a_password_from_the_environment_or_a_file_reaches_no_output() {
    check_and_run(
        "env",
        &profile(&format!("password_env = \"{ENV}\"")),
        &[(ENV, CANARY)],
        &[],
    );
    check_and_run("file", &profile("password_file = \"pw.txt\""), &[], &[]);
    // The flag wins over the profile's literal password.
    let dir = Dir::new("canary-flag-file");
    let flagged = dir.join("flag-pw.txt");
    std::fs::write(&flagged, CANARY).unwrap();
    let text = profile(&format!(
        "password = \"{CANARY}\"\n[simulator]\npassword = \"{CANARY}\""
    ));
    check_and_run("flag", &text, &[(ENV, CANARY)], &["--password-env", ENV]);
}

#[test]
fn the_password_flags_win_over_the_profile() {
    let _heavy = crate::support::heavy::slot();
    // A simulator whose users have the canary; the profile's own password is
    // wrong, so only the flag's password lets the agents log in.
    let served = crate::support::run::Served::start(&["--password", CANARY]);
    let dir = Dir::new("canary-flag-wins");
    let p = dir.join("p.toml");
    let text = profile("password = \"wrong\"").replace(
        "[agents]",
        &format!("[target]\nurl = \"{}\"\n[agents]", served.url),
    );
    std::fs::write(&p, text).unwrap();
    let pw = dir.join("pw");
    std::fs::write(&pw, CANARY).unwrap();
    let summary_of = |flags: &[&str], name: &str| {
        let out = dir.join(name);
        let mut args = vec![
            "run",
            p.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--quiet",
        ];
        args.extend_from_slice(flags);
        let (code, mut texts) = agentload(&args, &[(ENV, CANARY)]);
        texts.extend(files(&out));
        assert_nowhere(&format!("run {flags:?}"), &texts);
        let summary: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
        (code, crate::support::run::count(&summary, "handshake"))
    };
    assert_eq!(
        summary_of(&[], "without").1,
        0,
        "the profile's password is wrong"
    );
    for flags in [
        ["--password-file", pw.to_str().unwrap()],
        ["--password-env", ENV],
    ] {
        let (code, handshakes) = summary_of(&flags, flags[0].trim_start_matches('-'));
        assert_eq!(code, 0, "{flags:?}");
        assert!(handshakes >= 3, "{flags:?}: every agent logged in");
    }
}

#[test]
fn a_password_in_the_target_url_is_refused_without_being_echoed() {
    let dir = Dir::new("canary-url");
    let file = dir.join("canary.toml");
    std::fs::write(&file, profile("")).unwrap();
    let out = dir.join("out");
    let url = format!("http://agent1:{CANARY}@127.0.0.1:9");
    let (code, streams) = agentload(
        &[
            "run",
            file.to_str().unwrap(),
            "--target",
            &url,
            "--out",
            out.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(code, 2, "{:?}", String::from_utf8_lossy(&streams[1].1));
    let stderr = String::from_utf8_lossy(&streams[1].1).into_owned();
    assert!(
        stderr.contains("credentials") && stderr.contains("127.0.0.1:9"),
        "{stderr}"
    );
    assert!(!out.exists(), "nothing started");
    assert_nowhere("run --target with userinfo", &streams);

    let in_profile = profile("").replace(
        "[agents]",
        &format!("[target]\nurl = \"{url}\"\ninjector_url = \"{url}\"\n[agents]"),
    );
    std::fs::write(&file, in_profile).unwrap();
    let (code, streams) = agentload(&["check", file.to_str().unwrap()], &[]);
    assert_eq!(code, 2);
    assert_nowhere("check of a URL with userinfo", &streams);
}
