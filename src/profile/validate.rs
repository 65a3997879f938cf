//! Semantic checks that the schema alone cannot express. Each problem names
//! the field it is about, so the loader can point at its line.

use std::collections::HashSet;

use super::secrets::{has_userinfo, url_without_userinfo};
use super::{Channel, Csrf, Profile, Target};
use crate::units::DelaySpec;

/// One problem found in a profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Issue {
    /// The field path, e.g. `stages[1].agents`.
    pub(crate) field: String,
    /// What is wrong and what was expected.
    pub(crate) message: String,
}

pub(crate) fn issue(field: impl Into<String>, message: impl Into<String>) -> Result<(), Issue> {
    Err(Issue {
        field: field.into(),
        message: message.into(),
    })
}

/// Checks the whole profile; returns the first problem. The bounds come
/// first: the checks after them add and multiply values.
pub(crate) fn validate(p: &Profile) -> Result<(), Issue> {
    super::bounds::check(p)?;
    name(p)?;
    target(p)?;
    agents(p)?;
    stages(p)?;
    behaviour(p)?;
    traffic(p)?;
    simulator(p)?;
    report(p)?;
    super::bayeux::validate(p)?;
    Ok(())
}

fn name(p: &Profile) -> Result<(), Issue> {
    let ok = !p.name.is_empty()
        && p.name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !ok {
        return issue(
            "name",
            format!(
                "invalid name {:?}: expected letters, digits, `-`, `_` or `.` (it becomes part of the output folder name)",
                p.name
            ),
        );
    }
    Ok(())
}

/// Userinfo in a URL is refused, never used: the agents log in with their
/// own credentials, and a URL is printed and stored.
fn no_userinfo(field: &str, url: &str) -> Result<(), Issue> {
    if has_userinfo(url) {
        return issue(
            field,
            format!(
                "{:?} has credentials in it (USER:PASSWORD@): agentload never sends them; each agent logs in as agents.username with the agents' password (password, password_env or password_file in [agents], or --password-env), so remove them from the URL",
                url_without_userinfo(url)
            ),
        );
    }
    Ok(())
}

fn ca_file(t: &Target) -> Result<(), Issue> {
    let Some(ca) = &t.tls.ca_file else {
        return Ok(());
    };
    if !ca.is_file() {
        return issue(
            "target.tls.ca_file",
            format!(
                "no such file {}: expected a PEM file of CA certificates (a relative path is taken from the profile's folder)",
                ca.display()
            ),
        );
    }
    // Read now, as the run will: a file that is not PEM fails here, not at the start.
    crate::http::check_ca_file(ca).or_else(|e| issue("target.tls.ca_file", e.to_string()))
}

fn target(p: &Profile) -> Result<(), Issue> {
    let t = &p.target;
    if let Some(url) = &t.injector_url {
        no_userinfo("target.injector_url", url)?;
    }
    if !t.base_path.is_empty() && (!t.base_path.starts_with('/') || t.base_path.ends_with('/')) {
        return issue(
            "target.base_path",
            format!(
                "invalid base path {:?}: expected a path starting with `/` and not ending with `/` (e.g. \"/gws\"), or \"\"",
                t.base_path
            ),
        );
    }
    if !t.notifications_path.starts_with('/') {
        return issue(
            "target.notifications_path",
            format!(
                "invalid path {:?}: expected a path starting with `/`, e.g. \"/api/v2/notifications\"",
                t.notifications_path
            ),
        );
    }
    node_urls(p)?;
    match &t.url {
        Some(url) => base_url(t, "target.url", url)?,
        None if t.urls.is_empty() => base_url(t, "target.url", "http://127.0.0.1:1")?,
        None => {
            for (i, url) in t.urls.iter().enumerate() {
                base_url(t, &format!("target.urls[{i}]"), url)?;
            }
        }
    }
    ca_file(t)
}

/// `target.urls`: instead of `url`, for the GWS scenario, each URL once.
fn node_urls(p: &Profile) -> Result<(), Issue> {
    let t = &p.target;
    if t.urls.is_empty() {
        return Ok(());
    }
    if t.url.is_some() {
        return issue(
            "target.urls",
            "is set together with target.url: expected one of them (url for one node, urls = [\"http://h1:8080\", \"http://h2:8080\"] for several)",
        );
    }
    if p.scenario == super::Scenario::Bayeux {
        return issue(
            "target.urls",
            "the bayeux scenario talks to one endpoint: set target.url instead",
        );
    }
    let max = crate::sim::node::MAX_NODES as usize;
    if t.urls.len() > max {
        return issue(
            "target.urls",
            format!(
                "{} URLs is too many: expected at most {max} nodes",
                t.urls.len()
            ),
        );
    }
    let mut seen = HashSet::new();
    for (i, url) in t.urls.iter().enumerate() {
        if !seen.insert(url.trim_end_matches('/')) {
            return issue(
                format!("target.urls[{i}]"),
                format!(
                    "{:?} is listed twice: expected each node once",
                    url_without_userinfo(url)
                ),
            );
        }
    }
    Ok(())
}

/// One base URL of the target (`field` names it): http(s), no userinfo,
/// and every URL the run builds from it parses, so a run never starts only
/// to find that its agents or its injector have nowhere to go.
fn base_url(t: &Target, field: &str, url: &str) -> Result<(), Issue> {
    no_userinfo(field, url)?;
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return issue(
            field,
            format!(
                "invalid URL {url:?}: expected http://HOST[:PORT] or https://HOST[:PORT]; leave it out to use the embedded simulator"
            ),
        );
    }
    let base = url.trim_end_matches('/');
    let injector = t
        .injector_url
        .as_deref()
        .unwrap_or(base)
        .trim_end_matches('/');
    let urls = [
        (field, base.to_string()),
        ("target.base_path", format!("{base}{}", t.base_path)),
        (
            "target.notifications_path",
            format!("{base}{}{}", t.base_path, t.notifications_path),
        ),
        ("target.injector_url", injector.to_string()),
        (
            "target.injector_service",
            format!(
                "{injector}{}",
                crate::gws::paths::gms_email(&t.injector_service)
            ),
        ),
    ];
    for (field, url) in urls {
        if let Err(e) = url.parse::<hyper::Uri>() {
            return issue(
                field,
                format!(
                    "{url:?} is not a valid URL ({e}): use only URL characters, e.g. no spaces"
                ),
            );
        }
    }
    Ok(())
}

fn template(field: &str, text: &str) -> Result<(), Issue> {
    let without = text.replace("{n}", "");
    if !text.contains("{n}") || without.contains('{') || without.contains('}') {
        return issue(
            field,
            format!(
                "invalid template {text:?}: expected text with exactly the placeholder {{n}} for the agent number, e.g. \"agent{{n}}\""
            ),
        );
    }
    Ok(())
}

fn agents(p: &Profile) -> Result<(), Issue> {
    let a = &p.agents;
    if a.count == 0 {
        return issue("agents.count", "expected at least 1 agent");
    }
    template("agents.username", &a.username)?;
    if let Some(place) = &a.place {
        template("agents.place", place)?;
    }
    if a.channels.is_empty() {
        return issue(
            "agents.channels",
            "expected at least one channel: [\"email\"], [\"chat\"] or [\"email\", \"chat\"]",
        );
    }
    let mut seen = HashSet::new();
    for (i, c) in a.channels.iter().enumerate() {
        if !seen.insert(c) {
            return issue(
                format!("agents.channels[{i}]"),
                format!("channel {c} is listed twice; list each channel once"),
            );
        }
    }
    for c in &a.channels {
        if a.capacity.of(*c) == 0 {
            return issue(
                format!("agents.capacity.{c}"),
                format!(
                    "the agents log in to {c} with capacity 0, so they could never take one; expected at least 1"
                ),
            );
        }
    }
    Ok(())
}

fn stages(p: &Profile) -> Result<(), Issue> {
    if p.stages.is_empty() {
        return issue(
            "stages",
            "expected at least one stage, e.g.\n[[stages]]\nduration = \"30s\"\nagents = 100",
        );
    }
    for (i, s) in p.stages.iter().enumerate() {
        if s.duration.0.is_zero() {
            return issue(
                format!("stages[{i}].duration"),
                "expected a duration above zero; for a sudden step use a short stage (e.g. \"1s\") with ramp.stampede = true",
            );
        }
        if s.agents > p.agents.count {
            return issue(
                format!("stages[{i}].agents"),
                format!(
                    "{} agents is more than the pool of agents.count = {}; raise agents.count or lower this stage",
                    s.agents, p.agents.count
                ),
            );
        }
        for (field, value) in [
            ("rate_scale", s.rate_scale),
            ("email_rate", s.email_rate),
            ("chat_rate", s.chat_rate),
        ] {
            if let Some(v) = value
                && !(v.is_finite() && v >= 0.0)
            {
                return issue(
                    format!("stages[{i}].{field}"),
                    format!("invalid value {v}: expected a number >= 0"),
                );
            }
        }
    }
    if p.peak_agents() == 0 {
        return issue(
            "stages",
            "every stage has 0 agents; expected at least one stage with agents > 0",
        );
    }
    let r = p.ramp.max_handshakes_per_second;
    if !(r.is_finite() && r > 0.0) {
        return issue(
            "ramp.max_handshakes_per_second",
            format!(
                "invalid rate {r}: expected a number of logins per second above 0 (use ramp.stampede = true for no limit)"
            ),
        );
    }
    Ok(())
}

fn positive_delay(field: &str, d: &DelaySpec) -> Result<(), Issue> {
    if d.min.is_zero() {
        return issue(
            field,
            format!("invalid delay {d}: expected a delay above zero, e.g. \"30s\" or \"10s..1m\""),
        );
    }
    Ok(())
}

fn behaviour(p: &Profile) -> Result<(), Issue> {
    let b = &p.behaviour;
    let sum = b.accept_probability.get() + b.no_answer_probability.get();
    if sum > 1.0 + 1e-9 {
        return issue(
            "behaviour.no_answer_probability",
            format!(
                "accept_probability ({}) + no_answer_probability ({}) = {sum}, above 1; they are shares of the same invites (the rest is rejected), so expected a sum <= 1",
                b.accept_probability.get(),
                b.no_answer_probability.get()
            ),
        );
    }
    if let Some(nr) = &b.not_ready {
        positive_delay("behaviour.not_ready.every", &nr.every)?;
        positive_delay("behaviour.not_ready.duration", &nr.duration)?;
    }
    Ok(())
}

fn traffic(p: &Profile) -> Result<(), Issue> {
    let t = &p.traffic;
    for (channel, field, rate) in [
        (Channel::Email, "traffic.email_rate", t.email_rate),
        (Channel::Chat, "traffic.chat_rate", t.chat_rate),
    ] {
        if !(rate.is_finite() && rate >= 0.0) {
            return issue(
                field,
                format!("invalid rate {rate}: expected interactions per second, a number >= 0"),
            );
        }
        let any_stage = (0..p.stages.len()).any(|i| p.stage_rate(i, channel) > 0.0);
        if any_stage && !p.agents.has(channel) {
            let field = if rate > 0.0 {
                field.to_string()
            } else {
                "stages".to_string()
            };
            return issue(
                field,
                format!(
                    "{channel} interactions arrive but agents.channels has no {channel}, so nobody could take them; set the rate to 0 or add \"{channel}\" to agents.channels"
                ),
            );
        }
    }
    Ok(())
}

fn simulator(p: &Profile) -> Result<(), Issue> {
    let Some(sim) = p.embedded_simulator() else {
        return Ok(());
    };
    if p.agents.username != "agent{n}" {
        return issue(
            "agents.username",
            format!(
                "the embedded simulator's users are agent1..agentN, but the template is {:?}; expected \"agent{{n}}\" (or set target.url)",
                p.agents.username
            ),
        );
    }
    if p.agents.last_number() > u64::from(sim.users) {
        return issue(
            "agents.count",
            format!(
                "agents up to agent{} need more users than the embedded simulator's simulator.users = {}; raise simulator.users (or leave it out to fit the pool)",
                p.agents.last_number(),
                sim.users
            ),
        );
    }
    if p.agents.password != sim.password {
        return issue(
            "agents.password",
            "differs from simulator.password, so every login would fail; make them equal (or leave simulator.password out)",
        );
    }
    if p.target.csrf == Csrf::On && !sim.csrf {
        return issue(
            "target.csrf",
            "is \"on\" but simulator.csrf = false, so the simulator offers no token; set simulator.csrf = true or target.csrf = \"auto\"",
        );
    }
    if p.target.csrf == Csrf::Off && sim.csrf {
        return issue(
            "target.csrf",
            "is \"off\" but simulator.csrf = true, so every request would be refused; use target.csrf = \"auto\"",
        );
    }
    Ok(())
}

fn report(p: &Profile) -> Result<(), Issue> {
    if p.report.percentiles.is_empty() {
        return issue(
            "report.percentiles",
            "expected at least one percentile, e.g. [50, 99]",
        );
    }
    for (i, q) in p.report.percentiles.iter().enumerate() {
        if !(*q > 0.0 && *q <= 100.0) {
            return issue(
                format!("report.percentiles[{i}]"),
                format!("invalid percentile {q}: expected a number above 0 and at most 100"),
            );
        }
    }
    for (i, g) in p.gates.iter().enumerate() {
        if g.rule.trim().is_empty() {
            return issue(
                format!("gates[{i}].rule"),
                "expected a rule such as \"invite_delivery.p99 < 250ms\"",
            );
        }
        // Parsed here too (the run parses them again) so a bad rule is
        // reported with its line, like every other profile error.
        if let Err(e) = crate::report::gate::Gate::parse(&g.rule) {
            return issue(format!("gates[{i}].rule"), e.to_string());
        }
        if g.abort_after.is_some() && !g.abort_on_fail {
            return issue(
                format!("gates[{i}].abort_after"),
                "abort_after is the grace of an aborting gate: set abort_on_fail = true too, or remove it",
            );
        }
    }
    Ok(())
}
