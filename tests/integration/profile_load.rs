//! Loading profiles: the shipped ones, defaults, and every kind of error
//! naming the file, the line and the field.

use std::path::{Path, PathBuf};
use std::time::Duration;

use agentload::profile::{
    ArrivalKind, Channel, Csrf, MessageModel, OnStop, Overrides, Profile, ProfileError,
};
use agentload::units::HumanDuration;

const MINIMAL: &str = r#"
name = "mini"

[agents]
count = 10

[[stages]]
duration = "5s"
agents = 10
"#;

fn parse(text: &str) -> Result<Profile, ProfileError> {
    Profile::parse(Path::new("test.toml"), text)
}

fn parse_err(text: &str) -> ProfileError {
    match parse(text) {
        Ok(_) => panic!("expected an error for:\n{text}"),
        Err(e) => e,
    }
}

/// The 1-based line of the first occurrence of `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    let at = text.find(needle).expect("needle in text");
    text[..at].matches('\n').count() + 1
}

/// The error names the file, the line and the field in its first line.
fn assert_points_at(err: &ProfileError, line: usize, field: &str) {
    let text = err.to_string();
    let first = text.lines().next().unwrap_or("");
    assert!(
        first.starts_with(&format!("test.toml:{line}:")),
        "expected test.toml:{line}: in {text}"
    );
    assert!(
        first.contains(&format!("`{field}`")),
        "expected `{field}` in {text}"
    );
    assert_eq!(err.location.as_ref().map(|l| l.line), Some(line));
    assert_eq!(err.field.as_deref(), Some(field));
}

fn shipped() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_shipped_profile_loads_and_validates() {
    let files = shipped();
    let names: Vec<String> = files
        .iter()
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    for wanted in ["smoke", "ramp", "soak", "spike", "reject-storm"] {
        assert!(
            names.iter().any(|n| n == wanted),
            "profiles/{wanted}.toml missing"
        );
    }
    for file in files {
        let p = Profile::load(&file).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            p.name,
            file.file_stem().unwrap().to_string_lossy(),
            "name of {}",
            file.display()
        );
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(
            text.starts_with('#'),
            "{} starts with a comment",
            file.display()
        );
    }
}

#[test]
fn every_field_of_a_shipped_profile_is_commented() {
    for file in shipped() {
        let text = std::fs::read_to_string(&file).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let l = line.trim();
            if l.is_empty() || l.starts_with('#') || l.starts_with('[') {
                continue;
            }
            let previous = if i > 0 { lines[i - 1].trim() } else { "" };
            assert!(
                previous.starts_with('#'),
                "{}:{}: `{l}` has no comment above it",
                file.display(),
                i + 1
            );
        }
    }
}

#[test]
fn smoke_is_small_and_quick() {
    let p =
        Profile::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles/smoke.toml")).unwrap();
    assert!(p.target.is_embedded());
    assert!(p.agents.has(Channel::Email) && p.agents.has(Channel::Chat));
    assert!((150..=250).contains(&p.peak_agents()));
    assert!(p.total_duration() < Duration::from_secs(50));
}

#[test]
fn a_minimal_profile_gets_the_defaults() {
    let p = parse(MINIMAL).unwrap();
    assert_eq!(p.agents.username(0), "agent1");
    assert_eq!(p.agents.username(9), "agent10");
    assert_eq!(p.agents.channels, vec![Channel::Email, Channel::Chat]);
    assert_eq!(p.target.notifications_path, "/api/v2/notifications");
    assert_eq!(p.target.csrf, Csrf::Auto);
    assert_eq!(p.target.message_model, MessageModel::V851);
    assert_eq!(p.traffic.arrival, ArrivalKind::Poisson);
    assert_eq!(p.behaviour.on_stop, OnStop::Finish);
    assert_eq!(p.report.interval, HumanDuration(Duration::from_secs(1)));
    assert_eq!(p.report.percentiles, vec![50.0, 90.0, 95.0, 99.0, 99.9]);
    assert!(p.ramp.max_handshakes_per_second > 0.0);
    assert!(!p.ramp.stampede);
    assert!(p.gates.is_empty());
}

#[test]
fn the_embedded_simulator_follows_the_agents() {
    let text = r#"
name = "fit"
[agents]
count = 12000
first = 101
password = "s3cret"
capacity = { email = 3, chat = 2 }
[[stages]]
duration = "5s"
agents = 12000
"#;
    let p = parse(text).unwrap();
    assert_eq!(p.simulator.users, 12_100);
    assert_eq!(p.simulator.password, "s3cret");
    assert_eq!(
        (p.simulator.capacity.email, p.simulator.capacity.chat),
        (3, 2)
    );
    assert_eq!(p.agents.username(0), "agent101");
}

#[test]
fn a_full_profile_parses_every_section() {
    let text = r#"
name = "full"
description = "all of it"
seed = 9
[target]
url = "https://gws.example.com"
base_path = "/gws"
notifications_path = "/api/v2/notifications"
csrf = "on"
message_model = "8.5.0"
tls = { insecure = true }
[agents]
count = 20
username = "load{n}@example"
first = 5
password = "pw"
place = "P{n}"
channels = ["chat"]
capacity = { email = 0, chat = 3 }
[[stages]]
duration = "10s"
agents = 20
rate_scale = 0.5
[[stages]]
duration = "1m"
agents = 20
chat_rate = 7.5
[ramp]
max_handshakes_per_second = 5
stampede = true
[behaviour]
accept_probability = 0.5
answer_delay = "1s"
no_answer_probability = 0.25
handle_time = "2s..4s"
chat_messages = 4
not_ready = { every = "30s..1m", duration = "5s" }
on_stop = "abandon"
[traffic]
chat_rate = 2.0
arrival = "constant"
drain = "3s"
[report]
interval = "500ms"
percentiles = [50, 99]
[[gates]]
rule = "invite_delivery.p99 < 250ms"
"#;
    let p = parse(text).unwrap();
    assert_eq!(p.seed, Some(9));
    assert_eq!(p.target.url.as_deref(), Some("https://gws.example.com"));
    assert!(p.embedded_simulator().is_none());
    assert_eq!(p.agents.username(0), "load5@example");
    assert_eq!(p.agents.place(1).as_deref(), Some("P6"));
    assert_eq!(p.stage_rate(0, Channel::Chat), 1.0);
    assert_eq!(p.stage_rate(1, Channel::Chat), 7.5);
    assert_eq!(p.stage_rate(1, Channel::Email), 0.0);
    assert_eq!(p.behaviour.chat_messages.min, 4);
    assert!((p.behaviour.reject_probability() - 0.25).abs() < 1e-9);
    assert_eq!(p.behaviour.on_stop, OnStop::Abandon);
    assert_eq!(p.total_duration(), Duration::from_secs(73));
    assert_eq!(p.gates[0].rule, "invite_delivery.p99 < 250ms");
}

#[test]
fn unknown_field_lists_the_valid_ones_and_its_line() {
    let text = format!("{MINIMAL}\n[ramp]\nstampeed = true\n");
    let err = parse_err(&text);
    assert_points_at(&err, line_of(&text, "stampeed"), "ramp.stampeed");
    let msg = err.to_string();
    assert!(msg.contains("unknown field `stampeed`"), "{msg}");
    assert!(
        msg.contains("max_handshakes_per_second") && msg.contains("stampede"),
        "{msg}"
    );
    // The snippet shows the line with a caret under the key.
    assert!(msg.contains("| stampeed = true\n"), "{msg}");
    assert!(msg.contains("| ^^^^^^^^"), "{msg}");
}

#[test]
fn unknown_top_level_field_lists_the_sections() {
    let text = format!("bogus = 1\n{MINIMAL}");
    let err = parse_err(&text);
    assert_points_at(&err, 1, "bogus");
    assert!(err.to_string().contains("`behaviour`"), "{err}");
}

#[test]
fn duration_without_unit_is_explained() {
    let text = format!("{MINIMAL}\n[behaviour]\nanswer_delay = \"30\"\n");
    let err = parse_err(&text);
    assert_points_at(
        &err,
        line_of(&text, "answer_delay"),
        "behaviour.answer_delay",
    );
    assert!(
        err.message.contains("expected a number with a unit"),
        "{err}"
    );
}

#[test]
fn bare_number_for_a_duration_is_explained() {
    let text = MINIMAL.replace("duration = \"5s\"", "duration = 5");
    let err = parse_err(&text);
    assert_points_at(&err, line_of(&text, "duration = 5"), "stages[0].duration");
    assert!(err.message.contains("a string with a unit"), "{err}");
}

#[test]
fn negative_rate_is_rejected() {
    let text = format!("{MINIMAL}\n[traffic]\nemail_rate = -1.5\n");
    let err = parse_err(&text);
    assert_points_at(&err, line_of(&text, "email_rate"), "traffic.email_rate");
    assert!(err.message.contains(">= 0"), "{err}");
}

#[test]
fn negative_stage_rate_is_rejected() {
    let text = format!("{MINIMAL}chat_rate = -3.0\n");
    let err = parse_err(&text);
    assert_points_at(&err, line_of(&text, "chat_rate"), "stages[0].chat_rate");
}

#[test]
fn wrong_enum_value_lists_the_choices() {
    let text = format!("{MINIMAL}\n[traffic]\narrival = \"bursty\"\n");
    let err = parse_err(&text);
    assert_points_at(&err, line_of(&text, "arrival"), "traffic.arrival");
    assert!(err.message.contains("`poisson` or `constant`"), "{err}");

    let text = MINIMAL.replace("count = 10", "count = 10\nchannels = [\"fax\"]");
    let err = parse_err(&text);
    assert_points_at(&err, line_of(&text, "channels"), "agents.channels[0]");
    assert!(err.message.contains("`email` or `chat`"), "{err}");
}

#[test]
fn empty_stages_are_rejected() {
    let text = "name = \"mini\"\nstages = []\n\n[agents]\ncount = 10\n";
    let err = parse_err(text);
    assert_points_at(&err, line_of(text, "stages = []"), "stages");
    assert!(err.message.contains("at least one stage"), "{err}");

    // No stages at all: no line to point at, but the file and field are named.
    let text = MINIMAL.replace("[[stages]]\nduration = \"5s\"\nagents = 10\n", "");
    let err = parse_err(&text);
    let msg = err.to_string();
    assert!(msg.starts_with("test.toml: in `stages`"), "{msg}");
}

#[test]
fn missing_required_field_names_it() {
    let text = MINIMAL.replace("count = 10\n", "");
    let err = parse_err(&text);
    assert_points_at(&err, line_of(&text, "[agents]"), "agents.count");
    assert!(err.message.contains("required"), "{err}");
}

#[test]
fn missing_top_level_field_names_it_without_a_misleading_line() {
    let text = MINIMAL.replace("name = \"mini\"\n", "");
    let err = parse_err(&text);
    assert_eq!(err.field.as_deref(), Some("name"));
    assert!(err.location.is_none(), "{err}");
    assert!(
        err.to_string()
            .starts_with("test.toml: in `name`: required field"),
        "{err}"
    );
}

#[test]
fn semantic_errors_point_at_their_field() {
    let cases = [
        (
            "agents = 10\n",
            "agents = 11\n",
            "agents = 11",
            "stages[0].agents",
        ),
        (
            "count = 10",
            "count = 10\nusername = \"agent\"",
            "username",
            "agents.username",
        ),
        (
            "count = 10",
            "count = 10\nchannels = [\"chat\", \"chat\"]",
            "channels",
            "agents.channels[1]",
        ),
        (
            "duration = \"5s\"",
            "duration = \"0s\"",
            "duration",
            "stages[0].duration",
        ),
        ("name = \"mini\"", "name = \"has space\"", "name", "name"),
    ];
    for (from, to, needle, field) in cases {
        let text = MINIMAL.replace(from, to);
        let err = parse_err(&text);
        assert_points_at(&err, line_of(&text, needle), field);
    }
    let text =
        format!("{MINIMAL}\n[behaviour]\naccept_probability = 0.8\nno_answer_probability = 0.3\n");
    let err = parse_err(&text);
    assert_points_at(
        &err,
        line_of(&text, "no_answer_probability"),
        "behaviour.no_answer_probability",
    );
    let text = format!("{MINIMAL}\n[behaviour]\naccept_probability = 1.5\n");
    let err = parse_err(&text);
    assert_points_at(
        &err,
        line_of(&text, "accept_probability"),
        "behaviour.accept_probability",
    );
}

#[test]
fn embedded_simulator_must_know_the_agents() {
    let text = format!("{MINIMAL}\n[simulator]\nusers = 5\n");
    let err = parse_err(&text);
    assert_eq!(err.field.as_deref(), Some("agents.count"));
    assert!(err.message.contains("simulator.users"), "{err}");
    let text = MINIMAL.replace("count = 10", "count = 10\nusername = \"user{n}\"");
    assert_eq!(parse_err(&text).field.as_deref(), Some("agents.username"));
    // Against a real target any template goes.
    let text = text.replace(
        "name = \"mini\"",
        "name = \"mini\"\n[target]\nurl = \"http://127.0.0.1:1\"",
    );
    assert!(parse(&text).is_ok());
}

#[test]
fn syntax_errors_carry_line_and_column() {
    let text = "name = \"x\"\n[agents\ncount = 1\n";
    let err = parse_err(text);
    let loc = err.location.clone().expect("a location");
    assert_eq!(loc.line, 2);
    assert!(err.to_string().starts_with("test.toml:2:"), "{err}");
}

#[test]
fn unreadable_file_is_an_input_error() {
    let err = Profile::load(Path::new("/nonexistent/profile.toml")).unwrap_err();
    assert!(
        err.to_string().contains("/nonexistent/profile.toml"),
        "{err}"
    );
    let err: agentload::error::Error = err.into();
    assert_eq!(err.exit_code(), 2);
}

#[test]
fn agents_override_scales_to_the_new_peak() {
    let text = r#"
name = "o"
[agents]
count = 100
[[stages]]
duration = "10s"
agents = 50
[[stages]]
duration = "20s"
agents = 100
[[stages]]
duration = "10s"
agents = 0
"#;
    let mut p = parse(text).unwrap();
    p.apply_overrides(&Overrides {
        agents: Some(15_000),
        ..Overrides::default()
    })
    .unwrap();
    let agents: Vec<u32> = p.stages.iter().map(|s| s.agents).collect();
    assert_eq!(agents, vec![7_500, 15_000, 0]);
    assert_eq!(p.agents.count, 15_000);
    // The embedded simulator grows with the pool when its users were not written.
    assert!(p.simulator.users >= 15_000);

    let err = p
        .apply_overrides(&Overrides {
            agents: Some(0),
            ..Overrides::default()
        })
        .unwrap_err();
    assert_eq!(err.exit_code(), 2);
}

#[test]
fn duration_override_stretches_the_stages() {
    let mut p = parse(&MINIMAL.replace(
        "agents = 10\n",
        "agents = 10\n[[stages]]\nduration = \"15s\"\nagents = 10\n",
    ))
    .unwrap();
    let drain = p.traffic.drain;
    p.apply_overrides(&Overrides {
        duration: Some(HumanDuration(Duration::from_secs(60))),
        seed: Some(42),
        target: Some("http://127.0.0.1:9".into()),
        gates: vec!["connect_cycle.p99 < 1s".into()],
        ..Overrides::default()
    })
    .unwrap();
    assert_eq!(p.stages_duration(), Duration::from_secs(60));
    assert_eq!(p.stages[0].duration.0, Duration::from_secs(15));
    assert_eq!(p.stages[1].duration.0, Duration::from_secs(45));
    assert_eq!(p.traffic.drain, drain);
    assert_eq!(p.seed, Some(42));
    assert!(!p.target.is_embedded());
    assert_eq!(p.gates.len(), 1);

    let err = p
        .apply_overrides(&Overrides {
            target: Some("gws.example.com".into()),
            ..Overrides::default()
        })
        .unwrap_err();
    assert!(err.to_string().contains("target.url"), "{err}");
}
