//! The plan and arrival schedules derived from the shipped profiles.

use std::path::Path;
use std::time::Duration;

use agentload::engine::arrivals::{Arrivals, expected_count, segments};
use agentload::engine::plan::{Event, Plan};
use agentload::profile::{Channel, Profile};

fn load(name: &str) -> Profile {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("profiles")
        .join(format!("{name}.toml"));
    Profile::load(&path).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn smoke_plan_reaches_its_peak_and_lasts_its_stages_plus_drain() {
    let p = load("smoke");
    let plan = Plan::from_profile(&p);
    assert_eq!(plan.total(), p.total_duration());
    assert_eq!(plan.peak(), p.peak_agents());
    assert_eq!(plan.agent_starts().count() as u32, plan.peak());
    assert_eq!(plan.skipped(), 0);
    let hold = p.stages[0].duration.0 + Duration::from_secs(1);
    assert_eq!(plan.running_at(hold), plan.peak());
    // Every agent of the pool is a valid index.
    assert!(plan.agent_starts().all(|(a, _)| a < p.agents.count));
}

#[test]
fn spike_plan_starts_the_herd_at_once_and_stops_it_lifo() {
    let p = load("spike");
    let plan = Plan::from_profile(&p);
    let herd_at: Duration = p.stages[..2].iter().map(|s| s.duration.0).sum();
    let herd = plan.agent_starts().filter(|(_, t)| *t == herd_at).count() as u32;
    assert_eq!(herd, p.stages[2].agents - p.stages[1].agents);
    let stops: Vec<u32> = plan.agent_stops().map(|(a, _)| a).collect();
    assert_eq!(stops.len() as u32, p.stages[2].agents - p.stages[4].agents);
    assert!(
        stops.windows(2).all(|w| w[0] > w[1]),
        "last started stops first"
    );
    // Events never start an agent that is already running.
    let mut running = vec![false; p.agents.count as usize];
    for (_, e) in plan.events() {
        match e {
            Event::Start(a) => {
                assert!(!running[a as usize], "agent {a} started twice");
                running[a as usize] = true;
            }
            Event::Stop(a) => {
                assert!(running[a as usize], "agent {a} stopped while not running");
                running[a as usize] = false;
            }
        }
    }
}

#[test]
fn smoke_arrivals_match_the_expected_count() {
    let p = load("smoke");
    for channel in [Channel::Email, Channel::Chat] {
        let expected = expected_count(&segments(&p, channel));
        let n = Arrivals::for_channel(&p, channel, 1).count() as f64;
        // Poisson: 5 standard deviations (sqrt of the mean) either side.
        let bound = 5.0 * expected.sqrt();
        assert!(
            (n - expected).abs() <= bound,
            "{channel}: {n} vs {expected}"
        );
        let last = Arrivals::for_channel(&p, channel, 1).last().unwrap();
        assert!(last < p.stages_duration(), "no arrivals in the drain");
    }
    // Channels draw from separate streams.
    let email: Vec<_> = Arrivals::for_channel(&p, Channel::Email, 1)
        .take(20)
        .collect();
    let chat: Vec<_> = Arrivals::for_channel(&p, Channel::Chat, 1)
        .take(20)
        .collect();
    assert_ne!(email, chat);
}

#[test]
fn reject_storm_constant_arrivals_are_exact() {
    let p = load("reject-storm");
    for channel in [Channel::Email, Channel::Chat] {
        let expected = expected_count(&segments(&p, channel));
        assert_eq!(
            Arrivals::for_channel(&p, channel, 0).count() as f64,
            expected
        );
        // No traffic during the login stage (rate_scale = 0).
        let first = Arrivals::for_channel(&p, channel, 0).next().unwrap();
        assert_eq!(first, p.stages[0].duration.0);
    }
}
