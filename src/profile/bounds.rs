//! The bounds of every number, duration and text of a profile, checked
//! before any other check adds or multiplies them: what `run` cannot do
//! (overflowing sums, a simulator too big for memory, arrivals too many to
//! track), `check` refuses, naming the field and the limit.

use std::time::Duration;

use super::Profile;
use super::run::MAX_THREADS;
use super::secrets::MAX_PASSWORD_BYTES;
use super::validate::{Issue, issue};
use crate::sim::SimulatorConfig;
use crate::units::{DelaySpec, format_duration};

/// Agents in one pool (a generator of many thousands needs several source addresses already).
pub const MAX_AGENTS: u32 = 1_000_000;
/// Users of the embedded simulator, which keeps state for every one.
pub const MAX_SIMULATOR_USERS: u64 = 1_000_000;
/// Stages of one plan.
pub const MAX_STAGES: usize = 1_000;
/// Logins over the whole plan (each is a planned session kept in memory).
pub const MAX_LOGINS: u64 = 2_000_000;
/// Stages plus drain: a year (as humantime counts it, so it prints as `1year`).
pub const MAX_RUN: Duration = Duration::from_secs(31_557_600);
/// Interactions per second of one channel (each is an HTTP request).
pub const MAX_RATE: f64 = 10_000.0;
/// Largest `rate_scale` of a stage.
pub const MAX_RATE_SCALE: f64 = 1_000.0;
/// Interactions expected over a run, both channels (each has a bit in two ledgers).
pub const MAX_INTERACTIONS: f64 = 200_000_000.0;
/// Slowest and fastest `ramp.max_handshakes_per_second`.
pub const HANDSHAKE_RATES: (f64, f64) = (0.01, 1_000_000.0);
/// Longest delay of behaviour and simulator settings (answers, handling, NotReady, faults).
pub const MAX_DELAY: Duration = Duration::from_secs(24 * 3600);
/// Shortest and longest `ramp.login_deadline`.
pub const LOGIN_DEADLINES: (Duration, Duration) =
    (Duration::from_secs(1), Duration::from_secs(24 * 3600));
/// Most `ramp.failed_logins_to_stop`.
pub const MAX_FAILED_LOGINS_TO_STOP: u32 = 1_000_000;
/// Shortest and longest `report.interval`.
pub const INTERVALS: (Duration, Duration) = (Duration::from_millis(100), Duration::from_secs(3600));
/// Shortest and longest `simulator.connect_timeout` (a held connect).
pub const CONNECT_TIMEOUTS: (Duration, Duration) =
    (Duration::from_millis(100), Duration::from_secs(600));
/// Shortest and longest `simulator.max_interval`.
pub const MAX_INTERVALS: (Duration, Duration) = (Duration::from_secs(1), Duration::from_secs(3600));
/// Interactions an agent or simulated user handles at once on one channel.
pub const MAX_CAPACITY: u32 = 1_000;
/// Chat messages an agent sends into one chat.
pub const MAX_CHAT_MESSAGES: u32 = 1_000;
/// Largest `target.max_body_mib`.
pub const MAX_BODY_MIB: u32 = 1_024;

/// Longest texts: a name that becomes a folder name, templates, URLs, descriptions.
const MAX_NAME: usize = 100;
const MAX_TEMPLATE: usize = 200;
const MAX_URL: usize = 2_048;
const MAX_DESCRIPTION: usize = 10_000;
const MAX_GATES: usize = 1_000;
const MAX_PERCENTILES: usize = 32;

/// Checks every bound; returns the first value out of its range.
pub(crate) fn check(p: &Profile) -> Result<(), Issue> {
    texts(p)?;
    agents(p)?;
    stages(p)?;
    rates(p)?;
    behaviour(p)?;
    threads(p)?;
    if p.target.is_embedded() {
        simulator("simulator", &p.simulator)?;
    }
    report(p)
}

fn threads(p: &Profile) -> Result<(), Issue> {
    match p.run.threads {
        Some(n) if n.get() > MAX_THREADS => issue(
            "run.threads",
            format!(
                "{n} worker threads: expected 1 to {MAX_THREADS} \
                 (spread a wider run over processes instead)"
            ),
        ),
        _ => Ok(()),
    }
}

fn text_len(field: &str, text: &str, max: usize) -> Result<(), Issue> {
    let n = text.chars().count();
    if n > max {
        return issue(
            field,
            format!("{n} characters is too long: expected at most {max}"),
        );
    }
    Ok(())
}

fn texts(p: &Profile) -> Result<(), Issue> {
    text_len("name", &p.name, MAX_NAME)?;
    text_len("description", &p.description, MAX_DESCRIPTION)?;
    let t = &p.target;
    for (field, text) in [
        ("target.url", t.url.as_deref()),
        ("target.injector_url", t.injector_url.as_deref()),
        ("target.base_path", Some(t.base_path.as_str())),
        (
            "target.notifications_path",
            Some(t.notifications_path.as_str()),
        ),
        ("target.injector_service", Some(t.injector_service.as_str())),
    ] {
        text_len(field, text.unwrap_or_default(), MAX_URL)?;
    }
    for (i, url) in t.urls.iter().enumerate() {
        text_len(&format!("target.urls[{i}]"), url, MAX_URL)?;
    }
    if !(1..=MAX_BODY_MIB).contains(&t.max_body_mib) {
        return issue(
            "target.max_body_mib",
            format!(
                "invalid size {} MiB: expected 1 to {MAX_BODY_MIB} (a GWS reply is kilobytes)",
                t.max_body_mib
            ),
        );
    }
    let a = &p.agents;
    text_len("agents.username", &a.username, MAX_TEMPLATE)?;
    text_len(
        "agents.place",
        a.place.as_deref().unwrap_or_default(),
        MAX_TEMPLATE,
    )?;
    if a.password.len() > MAX_PASSWORD_BYTES {
        return issue(
            "agents.password",
            format!("too long: expected at most {MAX_PASSWORD_BYTES} bytes"),
        );
    }
    Ok(())
}

fn at_most(field: &str, value: u32, max: u32, what: &str) -> Result<(), Issue> {
    if value > max {
        return issue(
            field,
            format!("{value} {what} is too many: expected at most {max}"),
        );
    }
    Ok(())
}

fn agents(p: &Profile) -> Result<(), Issue> {
    let a = &p.agents;
    at_most("agents.count", a.count, MAX_AGENTS, "agents")?;
    at_most(
        "agents.capacity.email",
        a.capacity.email,
        MAX_CAPACITY,
        "emails at once",
    )?;
    at_most(
        "agents.capacity.chat",
        a.capacity.chat,
        MAX_CAPACITY,
        "chats at once",
    )?;
    if !p.target.is_embedded() {
        return Ok(());
    }
    if a.first == 0 {
        return issue(
            "agents.first",
            "the embedded simulator's users are agent1..agentN, so there is no agent0; expected 1 or more",
        );
    }
    if a.last_number() > MAX_SIMULATOR_USERS {
        return issue(
            "agents.first",
            format!(
                "agents up to agent{} would need the embedded simulator to hold {} users, more than the {MAX_SIMULATOR_USERS} it can; lower agents.first or agents.count (or set target.url)",
                a.last_number(),
                a.last_number()
            ),
        );
    }
    Ok(())
}

fn duration_at_most(field: &str, d: Duration, max: Duration) -> Result<(), Issue> {
    if d > max {
        return issue(
            field,
            format!(
                "{} is too long: expected at most {}",
                format_duration(d),
                format_duration(max)
            ),
        );
    }
    Ok(())
}

fn stages(p: &Profile) -> Result<(), Issue> {
    if p.stages.len() > MAX_STAGES {
        return issue(
            "stages",
            format!(
                "{} stages are too many: expected at most {MAX_STAGES}",
                p.stages.len()
            ),
        );
    }
    let mut total = Duration::ZERO;
    let mut logins = 0u64;
    let mut before = 0u32;
    for (i, s) in p.stages.iter().enumerate() {
        let field = format!("stages[{i}].duration");
        duration_at_most(&field, s.duration.0, MAX_RUN)?;
        total += s.duration.0;
        duration_at_most_total(&field, total)?;
        logins += u64::from(s.agents.saturating_sub(before));
        before = s.agents;
        if logins > MAX_LOGINS {
            return issue(
                format!("stages[{i}].agents"),
                format!(
                    "the stages up to here log agents in {logins} times, more than the {MAX_LOGINS} one plan may hold; use fewer or smaller ramps"
                ),
            );
        }
    }
    duration_at_most("traffic.drain", p.traffic.drain.0, MAX_RUN)?;
    duration_at_most_total("traffic.drain", total + p.traffic.drain.0)
}

fn duration_at_most_total(field: &str, total: Duration) -> Result<(), Issue> {
    if total > MAX_RUN {
        return issue(
            field,
            format!(
                "the run would last {} (stages and drain), longer than the {} a run may last",
                format_duration(total),
                format_duration(MAX_RUN)
            ),
        );
    }
    Ok(())
}

fn rate_at_most(field: &str, rate: f64, max: f64, what: &str) -> Result<(), Issue> {
    // NaN and negative values are the semantic checks' to explain.
    if rate > max {
        return issue(
            field,
            format!(
                "{} {what} is too high: expected at most {max}",
                number(rate)
            ),
        );
    }
    Ok(())
}

/// A number as a person reads it: `1e-300`, not three hundred zeros.
fn number(x: f64) -> String {
    if x != 0.0 && x.is_finite() && !(1e-4..1e15).contains(&x.abs()) {
        format!("{x:e}")
    } else {
        x.to_string()
    }
}

fn rates(p: &Profile) -> Result<(), Issue> {
    let t = &p.traffic;
    rate_at_most(
        "traffic.email_rate",
        t.email_rate,
        MAX_RATE,
        "emails per second",
    )?;
    rate_at_most(
        "traffic.chat_rate",
        t.chat_rate,
        MAX_RATE,
        "chats per second",
    )?;
    let mut expected = 0.0;
    for (i, s) in p.stages.iter().enumerate() {
        rate_at_most(
            &format!("stages[{i}].rate_scale"),
            s.rate_scale.unwrap_or(0.0),
            MAX_RATE_SCALE,
            "times the traffic",
        )?;
        for (name, explicit, base) in [
            ("email", s.email_rate, t.email_rate),
            ("chat", s.chat_rate, t.chat_rate),
        ] {
            let field = match (explicit, s.rate_scale) {
                (Some(_), _) => format!("stages[{i}].{name}_rate"),
                (None, Some(_)) => format!("stages[{i}].rate_scale"),
                (None, None) => format!("traffic.{name}_rate"),
            };
            let rate = explicit.unwrap_or(base * s.rate_scale.unwrap_or(1.0));
            rate_at_most(&field, rate, MAX_RATE, &format!("{name}s per second"))?;
            if rate.is_finite() && rate > 0.0 {
                expected += rate * s.duration.0.as_secs_f64();
            }
        }
        if expected > MAX_INTERACTIONS {
            return issue(
                format!("stages[{i}].duration"),
                format!(
                    "about {expected:.0} interactions would arrive by the end of this stage, more than the {MAX_INTERACTIONS} one run can track; lower the rates or shorten the stages"
                ),
            );
        }
    }
    let (slowest, fastest) = HANDSHAKE_RATES;
    let r = p.ramp.max_handshakes_per_second;
    if r.is_finite() && !(slowest..=fastest).contains(&r) {
        return issue(
            "ramp.max_handshakes_per_second",
            format!(
                "invalid rate {}: expected {slowest} to {fastest} logins per second (use ramp.stampede = true for no limit)",
                number(r)
            ),
        );
    }
    within(
        "ramp.login_deadline",
        p.ramp.login_deadline.0,
        LOGIN_DEADLINES,
    )?;
    if p.ramp.failed_logins_to_stop > MAX_FAILED_LOGINS_TO_STOP {
        return issue(
            "ramp.failed_logins_to_stop",
            format!(
                "{} is too many: expected 0 (never) to {MAX_FAILED_LOGINS_TO_STOP}",
                p.ramp.failed_logins_to_stop
            ),
        );
    }
    Ok(())
}

fn delay_at_most(field: &str, d: &DelaySpec, max: Duration) -> Result<(), Issue> {
    duration_at_most(field, d.max, max)
}

fn behaviour(p: &Profile) -> Result<(), Issue> {
    let b = &p.behaviour;
    delay_at_most("behaviour.answer_delay", &b.answer_delay, MAX_DELAY)?;
    delay_at_most("behaviour.handle_time", &b.handle_time, MAX_DELAY)?;
    if let Some(nr) = &b.not_ready {
        delay_at_most("behaviour.not_ready.every", &nr.every, MAX_DELAY)?;
        delay_at_most("behaviour.not_ready.duration", &nr.duration, MAX_DELAY)?;
    }
    at_most(
        "behaviour.chat_messages",
        b.chat_messages.max,
        MAX_CHAT_MESSAGES,
        "chat messages",
    )
}

fn within(field: &str, d: Duration, (min, max): (Duration, Duration)) -> Result<(), Issue> {
    if d < min || d > max {
        return issue(
            field,
            format!(
                "invalid duration {}: expected {} to {}",
                format_duration(d),
                format_duration(min),
                format_duration(max)
            ),
        );
    }
    Ok(())
}

/// The bounds of the simulator's settings, with field names under `prefix`
/// (`simulator` in a profile).
/// The bounds of a simulator's settings on their own (`agentload serve
/// --config FILE` and its flags): `Err("field: what is wrong")`.
pub fn check_simulator(s: &SimulatorConfig) -> Result<(), String> {
    simulator("", s).map_err(|i| format!("{}: {}", i.field.trim_start_matches('.'), i.message))
}

pub(crate) fn simulator(prefix: &str, s: &SimulatorConfig) -> Result<(), Issue> {
    let field = |name: &str| format!("{prefix}.{name}");
    if s.users == 0 || u64::from(s.users) > MAX_SIMULATOR_USERS {
        return issue(
            field("users"),
            format!(
                "invalid number of users {}: expected 1 to {MAX_SIMULATOR_USERS}",
                s.users
            ),
        );
    }
    if s.password.len() > MAX_PASSWORD_BYTES {
        return issue(
            field("password"),
            format!("too long: expected at most {MAX_PASSWORD_BYTES} bytes"),
        );
    }
    let ms = Duration::from_millis;
    within(
        &field("invite_timeout"),
        s.invite_timeout.0,
        (ms(1), MAX_DELAY),
    )?;
    within(
        &field("connect_timeout"),
        s.connect_timeout.0,
        CONNECT_TIMEOUTS,
    )?;
    within(&field("max_interval"), s.max_interval.0, MAX_INTERVALS)?;
    delay_at_most(&field("routing_delay"), &s.routing_delay, MAX_DELAY)?;
    at_most(
        &field("capacity.email"),
        s.capacity.email,
        MAX_CAPACITY,
        "emails at once",
    )?;
    at_most(
        &field("capacity.chat"),
        s.capacity.chat,
        MAX_CAPACITY,
        "chats at once",
    )?;
    let f = &s.faults;
    delay_at_most(&field("faults.rest_latency"), &f.rest_latency, MAX_DELAY)?;
    delay_at_most(
        &field("faults.delivery_latency"),
        &f.delivery_latency,
        MAX_DELAY,
    )?;
    if let Some(every) = f.pause_every {
        within(&field("faults.pause_every"), every.0, (ms(100), MAX_DELAY))?;
    }
    duration_at_most(
        &field("faults.pause_duration"),
        f.pause_duration.0,
        MAX_DELAY,
    )
}

fn report(p: &Profile) -> Result<(), Issue> {
    within("report.interval", p.report.interval.0, INTERVALS)?;
    if p.report.percentiles.len() > MAX_PERCENTILES {
        return issue(
            "report.percentiles",
            format!(
                "{} percentiles are too many: expected at most {MAX_PERCENTILES}",
                p.report.percentiles.len()
            ),
        );
    }
    for (i, g) in p.gates.iter().enumerate() {
        if let Some(after) = g.abort_after {
            duration_at_most(&format!("gates[{i}].abort_after"), after.0, MAX_DELAY)?;
        }
    }
    if p.gates.len() > MAX_GATES {
        return issue(
            "gates",
            format!(
                "{} gates are too many: expected at most {MAX_GATES}",
                p.gates.len()
            ),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::profile::Profile;

    /// A profile at many of the limits at once.
    const AT_THE_LIMITS: &str = r#"
name = "limits"
[agents]
count = 1000000
channels = ["email"]
[[stages]]
duration = "365days"
agents = 1000000
[ramp]
max_handshakes_per_second = 0.01
[traffic]
email_rate = 6.0
drain = "6h"
[simulator]
connect_timeout = "100ms"
[report]
interval = "1h"
[run]
threads = 256
"#;

    #[test]
    fn values_at_the_limits_pass_and_one_step_beyond_is_refused() {
        let parse = |text: &str| Profile::parse(Path::new("p.toml"), text);
        if let Err(e) = parse(AT_THE_LIMITS) {
            panic!("{e}");
        }
        for (from, to, field) in [
            ("count = 1000000", "count = 1000001", "agents.count"),
            ("= 0.01", "= 0.009", "ramp.max_handshakes_per_second"),
            ("\"100ms\"", "\"99ms\"", "simulator.connect_timeout"),
            ("interval = \"1h\"", "interval = \"61m\"", "report.interval"),
            ("drain = \"6h\"", "drain = \"7h\"", "traffic.drain"),
            ("email_rate = 6.0", "email_rate = 6.5", "stages[0].duration"),
            ("threads = 256", "threads = 257", "run.threads"),
        ] {
            let text = AT_THE_LIMITS.replace(from, to);
            let err = parse(&text).expect_err(to);
            assert_eq!(err.field.as_deref(), Some(field), "{err}");
        }
    }
}
