use std::collections::HashSet;

use super::*;

/// Every catalogue entry and its name: the names are an interface, so a
/// change here is a change users' gates see.
#[test]
fn every_entry_has_its_stable_name() {
    let steps: Vec<&str> = Step::ALL.iter().map(|s| s.name()).collect();
    assert_eq!(
        steps,
        [
            "login",
            "session_start",
            "answer",
            "complete",
            "readiness",
            "rejoin",
            "send_message",
            "session_end",
            "inject",
        ]
    );
    let causes: Vec<String> = Cause::ALL.iter().map(|c| c.name().into_owned()).collect();
    assert_eq!(
        causes,
        [
            "timeout",
            "connect",
            "tls",
            "io",
            "http_protocol",
            "invalid_request",
            "tls_config",
            "status_5xx",
            "status_4xx",
            "status_other",
            "body_too_large",
            "http_503",
            "gws_status_2",
            "bad_reply",
            "no_reply",
            "handshake_refused",
            "subscribe_refused",
            "unsubscribe_refused",
            "publish_refused",
            "connect_refused",
            "disconnect_refused",
            "unknown_client",
            "not_handshaken",
            "reconnect_none",
            "server_disconnect",
        ]
    );
    let standalone: Vec<String> = ErrorKind::STANDALONE
        .iter()
        .map(|k| k.name().into_owned())
        .collect();
    assert_eq!(
        standalone,
        [
            "answer_after_revoke",
            "accept_unconfirmed",
            "bad_notification",
            "agent_failed",
            "agent_stop_timeout",
            "bad_notifications_url",
            "inject_bad_url",
            "inject_unanswered",
            "clock_skew",
        ]
    );
}

#[test]
fn composite_names_join_step_and_cause() {
    let kind = ErrorKind::Step(Step::Answer, Cause::HttpStatus(503));
    assert_eq!(kind.name(), "answer_http_503");
    assert_eq!(kind.to_string(), "answer_http_503");
    assert_eq!(
        ErrorKind::Step(Step::Login, Cause::GwsStatus(2)).name(),
        "login_gws_status_2"
    );
    assert_eq!(
        ErrorKind::Step(Step::Inject, Cause::Timeout).name(),
        "inject_timeout"
    );
    assert_eq!(
        ErrorKind::Exchange(Cause::UnknownClient).name(),
        "unknown_client"
    );
}

/// Every kind the catalogue can name, parametrised causes with their example.
fn every_kind() -> Vec<ErrorKind> {
    let mut kinds: Vec<ErrorKind> = Step::ALL
        .iter()
        .flat_map(|&s| Cause::ALL.iter().map(move |&c| ErrorKind::Step(s, c)))
        .collect();
    kinds.extend(Cause::ALL.iter().map(|&c| ErrorKind::Exchange(c)));
    kinds.extend(ErrorKind::STANDALONE);
    kinds
}

#[test]
fn names_are_unique() {
    let mut seen = HashSet::new();
    for kind in every_kind() {
        let name = kind.name();
        assert!(seen.insert(name.clone()), "{name} names two kinds");
    }
}

/// The README's "Error kinds" section, up to the next section.
fn readme_section() -> &'static str {
    let readme = include_str!("../../../README.md");
    let start = readme
        .find("\n## Error kinds")
        .expect("README.md has an \"## Error kinds\" section");
    let rest = &readme[start + 1..];
    let end = rest[3..].find("\n## ").map_or(rest.len(), |i| i + 3);
    &rest[..end]
}

/// The names in the first column of the section's table rows.
fn readme_names() -> Vec<String> {
    readme_section()
        .lines()
        .filter_map(|line| line.strip_prefix("| `"))
        .filter_map(|rest| rest.split_once('`'))
        .map(|(name, _)| name.to_owned())
        .collect()
}

/// How the README writes a cause: parametrised ones with a placeholder.
fn readme_cause(cause: Cause) -> String {
    match cause {
        Cause::HttpStatus(_) => "http_<status>".to_owned(),
        Cause::GwsStatus(_) => "gws_status_<code>".to_owned(),
        other => other.name().into_owned(),
    }
}

#[test]
fn readme_table_lists_the_catalogue() {
    let mut expected: Vec<String> = Step::ALL.iter().map(|s| s.name().to_owned()).collect();
    expected.extend(Cause::ALL.iter().map(|&c| readme_cause(c)));
    expected.extend(ErrorKind::STANDALONE.iter().map(|k| k.name().into_owned()));
    assert_eq!(readme_names(), expected);
}
