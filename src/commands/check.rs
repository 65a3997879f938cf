//! `agentload check PROFILE`: validate a profile and print the resolved plan
//! without running anything.

use std::fmt::Write as _;

use crate::cli::CheckArgs;
use crate::engine::arrivals::{expected_count, segments, segments_by};
use crate::engine::plan::Plan;
use crate::error::{Error, Outcome};
use crate::nofile;
use crate::profile::{Channel, Profile, Scenario};
use crate::units::format_duration;

/// Width of the agents-over-time sparkline, in characters.
const SPARKLINE_WIDTH: usize = 60;

/// Loads and validates the profile, then prints its plan to stdout.
pub fn run(args: &CheckArgs) -> Result<Outcome, Error> {
    let profile = Profile::load(&args.profile)?;
    let plan = Plan::from_profile(&profile);
    crate::out!("{}", describe(&profile, &plan));
    // What fits this machine is no part of the plan itself: to stderr.
    let allowance = crate::preflight::this_machine();
    let processes = (profile.run).generator_processes(plan.peak(), allowance.files_per_process);
    let demand = crate::preflight::Demand::of_profile(&profile, processes, &allowance);
    for finding in crate::preflight::check(&demand, &allowance).findings {
        let severity = if finding.sure_to_fail {
            "error (`run` refuses)"
        } else {
            "warning"
        };
        crate::errln!("{severity}: {}", finding.message);
    }
    crate::outln!("\n{} is valid.", args.profile.display());
    Ok(Outcome::Passed)
}

/// The resolved plan as text: target, agents, stages, traffic, behaviour,
/// simulator, report settings and gates.
pub fn describe(p: &Profile, plan: &Plan) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "profile    {}", p.name);
    if !p.description.is_empty() {
        let _ = writeln!(out, "           {}", p.description.trim());
    }
    if p.scenario == Scenario::Bayeux {
        pubsub_target(&mut out, p);
        stages(&mut out, p, plan);
        publishing(&mut out, p);
    } else {
        target(&mut out, p);
        agents(&mut out, p);
        stages(&mut out, p, plan);
        traffic(&mut out, p);
        behaviour(&mut out, p);
        simulator(&mut out, p);
    }
    report(&mut out, p);
    let _ = writeln!(
        out,
        "seed       {}",
        p.seed.map_or_else(
            || "new for every run (set `seed` or --seed to repeat a run)".into(),
            |s| s.to_string()
        )
    );
    open_files(&mut out, p);
    out
}

fn target(out: &mut String, p: &Profile) {
    let t = &p.target;
    if !t.urls.is_empty() {
        node_urls(out, p);
    }
    match &t.url {
        None if !t.urls.is_empty() => {}
        None => {
            let _ = writeln!(
                out,
                "target     embedded simulator on 127.0.0.1 (free port)"
            );
            let limit = nofile::current().map_or(u64::MAX, |l| l.hard);
            let k = p.simulator.nodes.resolve(p.peak_agents(), limit);
            if k > 1 {
                let _ = writeln!(
                    out,
                    "           as {k} node processes (simulator.nodes = {}): agent n on node n % {k}, interaction k created on node k % {k}",
                    p.simulator.nodes
                );
            }
        }
        Some(url) => {
            let _ = writeln!(
                out,
                "target     {}{}",
                crate::profile::url_without_userinfo(url),
                t.base_path
            );
            let _ = writeln!(
                out,
                "           notifications at {}{}",
                t.base_path, t.notifications_path
            );
            if url.starts_with("https://") {
                let ca = t.tls.ca_file.as_ref().map_or_else(
                    || "system roots".to_string(),
                    |f| format!("system roots + {}", f.display()),
                );
                let _ = writeln!(
                    out,
                    "           TLS: {}{ca}",
                    if t.tls.insecure {
                        "any certificate accepted (insecure); "
                    } else {
                        ""
                    }
                );
            }
        }
    }
    if let Some(sources) = &t.source_addresses {
        let _ = writeln!(
            out,
            "           long-polls from {} source addresses {sources} (each node's agents take them in turn)",
            sources.len(),
        );
    }
    let _ = writeln!(
        out,
        "           CSRF {}, message model {}",
        t.csrf, t.message_model
    );
}

/// `target.urls`: the nodes and how agents and interactions spread over them.
fn node_urls(out: &mut String, p: &Profile) {
    let t = &p.target;
    let k = t.urls.len();
    let _ = writeln!(
        out,
        "target     {k} nodes: agent n uses node n % {k}, interaction k is created on node k % {k}"
    );
    for (j, url) in t.urls.iter().enumerate() {
        let _ = writeln!(
            out,
            "           node {}: {}{}",
            j + 1,
            crate::profile::url_without_userinfo(url),
            t.base_path
        );
    }
    let _ = writeln!(
        out,
        "           notifications at {}{}",
        t.base_path, t.notifications_path
    );
}

/// The pub/sub scenario's endpoint, subscribers and rooms.
fn pubsub_target(out: &mut String, p: &Profile) {
    let b = &p.bayeux;
    let url = p.target.url.as_deref().map_or_else(
        || "none yet: `run` needs --target URL (the full endpoint)".to_string(),
        crate::profile::url_without_userinfo,
    );
    let _ = writeln!(out, "scenario   bayeux: publish/subscribe against {url}");
    let _ = writeln!(
        out,
        "           ack extension {}; handshake ext {}; {} extra headers",
        if b.ack { "on" } else { "off" },
        if b.ext.is_some() {
            "set (values ***)"
        } else {
            "none"
        },
        b.headers.len()
    );
    let _ = writeln!(
        out,
        "subscribers pool of {}, each in {} of {} rooms ({}), channel {}",
        p.agents.count, b.rooms_per_subscriber, b.rooms, b.assignment, b.channel
    );
}

/// The pub/sub scenario's publishing schedule.
fn publishing(out: &mut String, p: &Profile) {
    let b = &p.bayeux;
    let _ = writeln!(
        out,
        "
publish    {} publishers, {} gaps, rooms {:?}, messages of {} bytes, none during the {} drain",
        b.publishers,
        b.arrival,
        b.room_choice,
        if b.message_bytes == 0 {
            "minimal".to_string()
        } else {
            b.message_bytes.to_string()
        },
        format_duration(p.traffic.drain.0)
    );
    let _ = writeln!(out, "  {:>3}  {:>10}", "#", "messages/s");
    for i in 0..p.stages.len() {
        let _ = writeln!(out, "  {:>3}  {:>10.2}", i + 1, p.stage_publish_rate(i));
    }
    let total = expected_count(&segments_by(p, |i| p.stage_publish_rate(i)));
    let _ = writeln!(out, "  expected messages: {total:.0}");
}

fn agents(out: &mut String, p: &Profile) {
    let a = &p.agents;
    let channels: Vec<String> = a
        .channels
        .iter()
        .map(|c| format!("{c} (capacity {})", a.capacity.of(*c)))
        .collect();
    let _ = writeln!(
        out,
        "agents     pool of {}: {} .. {}{}",
        a.count,
        a.username(0),
        a.username(a.count.saturating_sub(1)),
        a.place(0)
            .map_or_else(String::new, |pl| format!(", places {pl} .."))
    );
    let _ = writeln!(out, "           channels {}", channels.join(", "));
}

fn stages(out: &mut String, p: &Profile, plan: &Plan) {
    let _ = writeln!(
        out,
        "\nplan       {} in total: {} of stages + {} drain; peak {} agents",
        format_duration(plan.total()),
        format_duration(plan.stages_end()),
        format_duration(plan.drain()),
        plan.peak()
    );
    out.push_str(&plan.render(SPARKLINE_WIDTH));
    let herds: Vec<String> = p
        .stages
        .iter()
        .enumerate()
        .filter(|(_, s)| s.stampede.unwrap_or(p.ramp.stampede))
        .map(|(i, _)| (i + 1).to_string())
        .collect();
    if !herds.is_empty() {
        let _ = writeln!(
            out,
            "  logins: stampede in stage {}: its new agents all start at its first instant",
            herds.join(", ")
        );
    }
    if herds.len() < p.stages.len() {
        let _ = writeln!(
            out,
            "  logins: at most {}/s (ramp.max_handshakes_per_second)",
            p.ramp.max_handshakes_per_second
        );
        if plan.ramp_lag() >= std::time::Duration::from_secs(1) {
            let _ = writeln!(
                out,
                "  note: the login rate delays some logins by up to {} behind the stages",
                format_duration(plan.ramp_lag())
            );
        }
    }
    if plan.skipped() > 0 {
        let _ = writeln!(
            out,
            "  warning: {} logins do not fit the login rate before their stage ends and are skipped; raise ramp.max_handshakes_per_second or lengthen the ramp",
            plan.skipped()
        );
    }
}

fn traffic(out: &mut String, p: &Profile) {
    let _ = writeln!(
        out,
        "\ntraffic    {} arrivals, none during the {} drain",
        p.traffic.arrival,
        format_duration(p.traffic.drain.0)
    );
    let _ = writeln!(out, "  {:>3}  {:>9}  {:>9}", "#", "email/s", "chat/s");
    for i in 0..p.stages.len() {
        let _ = writeln!(
            out,
            "  {:>3}  {:>9.2}  {:>9.2}",
            i + 1,
            p.stage_rate(i, Channel::Email),
            p.stage_rate(i, Channel::Chat)
        );
    }
    let email = expected_count(&segments(p, Channel::Email));
    let chat = expected_count(&segments(p, Channel::Chat));
    let _ = writeln!(
        out,
        "  expected interactions: {:.0} email + {:.0} chat = {:.0}",
        email,
        chat,
        email + chat
    );
}

fn behaviour(out: &mut String, p: &Profile) {
    let b = &p.behaviour;
    let pct = |x: f64| format!("{:.0}%", x * 100.0);
    let _ = writeln!(
        out,
        "\nbehaviour  invites: accept {}, reject {}, no answer {} (answer after {})",
        pct(b.accept_probability.get()),
        pct(b.reject_probability()),
        pct(b.no_answer_probability.get()),
        b.answer_delay
    );
    let _ = writeln!(
        out,
        "           handle time {}, chat messages {}, on stop: {}",
        b.handle_time,
        b.chat_messages,
        match b.on_stop {
            crate::profile::OnStop::Finish => "finish work in hand",
            crate::profile::OnStop::Abandon => "abandon work in hand",
        }
    );
    match &b.not_ready {
        None => {
            let _ = writeln!(out, "           always Ready");
        }
        Some(nr) => {
            let _ = writeln!(
                out,
                "           NotReady for {} every {}",
                nr.duration, nr.every
            );
        }
    }
}

fn simulator(out: &mut String, p: &Profile) {
    if !p.target.is_embedded() {
        return;
    }
    let _ = writeln!(out, "\nsimulator");
    // Printed through serde so every setting shows, whatever the schema grows to.
    match toml::to_string(&p.redacted().simulator) {
        Ok(text) => {
            for line in text.lines() {
                if line.is_empty() {
                    out.push('\n');
                } else {
                    let _ = writeln!(out, "  {line}");
                }
            }
        }
        Err(e) => {
            let _ = writeln!(out, "  (cannot print the settings: {e})");
        }
    }
}

fn report(out: &mut String, p: &Profile) {
    let qs: Vec<String> = p
        .report
        .percentiles
        .iter()
        .map(|q| format!("p{q}"))
        .collect();
    let _ = writeln!(
        out,
        "\nreport     every {}; percentiles {}",
        p.report.interval,
        qs.join(" ")
    );
    if p.gates.is_empty() {
        let _ = writeln!(out, "gates      none (the run passes when it completes)");
    } else {
        let _ = writeln!(out, "gates");
        for g in &p.gates {
            let _ = writeln!(out, "  - {}", g.rule);
        }
    }
}

fn open_files(out: &mut String, p: &Profile) {
    let hard = nofile::current().map_or(u64::MAX, |l| l.hard);
    let nodes = p.simulator.nodes.resolve(p.peak_agents(), hard);
    let processes = p.run.generator_processes(p.peak_agents(), hard);
    if processes > 1 {
        let needed = nofile::descriptors_needed(p.peak_agents().div_ceil(processes), false);
        let _ = writeln!(
            out,
            "processes  {processes} generator processes (run.processes = {}), merged at the end",
            p.run.processes.map_or_else(String::new, |c| c.to_string())
        );
        let sim = if p.target.is_embedded() {
            let per_node = nofile::simulator_descriptors(p.peak_agents().div_ceil(nodes.max(1)));
            format!(", about {per_node} by each of the {nodes} simulator processes")
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "open files about {needed} needed by each generator process{sim}; allowed here: {hard} (hard) per process"
        );
        return;
    }
    if p.target.is_embedded() && nodes > 1 {
        let needed = nofile::descriptors_needed(p.peak_agents(), false);
        let per_node = nofile::simulator_descriptors(p.peak_agents().div_ceil(nodes));
        let _ = writeln!(
            out,
            "open files about {needed} needed by the generator, about {per_node} by each of the {nodes} simulator nodes; allowed here: {hard} (hard) per process"
        );
        return;
    }
    let needed = nofile::descriptors_needed(p.peak_agents(), p.target.is_embedded());
    let apart = nofile::descriptors_apart(p.peak_agents());
    match nofile::current() {
        Ok(limit) if needed > limit.hard && p.target.is_embedded() && apart <= limit.hard => {
            let _ = writeln!(
                out,
                "open files about {needed} needed with the simulator in this process, above the hard limit {}; `run` will start the simulator as its own process (about {apart} each)",
                limit.hard
            );
        }
        Ok(limit) if needed > limit.hard => {
            let _ = writeln!(
                out,
                "open files about {needed} needed; warning: the hard limit here is {} (`run` will say how to raise it)",
                limit.hard
            );
        }
        Ok(limit) => {
            let _ = writeln!(
                out,
                "open files about {needed} needed; allowed here: {} (soft), {} (hard)",
                limit.soft, limit.hard
            );
        }
        Err(_) => {
            let _ = writeln!(out, "open files about {needed} needed");
        }
    }
}
