//! The shards' union is the one-process run, disjointly: for random small
//! profiles, seeds and shard counts, the agents each shard launches and the
//! (seq, media, offset) arrivals each creates add up to the whole plan.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use proptest::prelude::*;

use super::ShardSpec;
use crate::engine::plan::Plan;
use crate::engine::schedule::{Arrival, Schedule};
use crate::profile::{ArrivalKind, Profile, Stage};
use crate::units::HumanDuration;

fn smoke() -> Profile {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles/smoke.toml");
    Profile::load(&path).expect("the shipped smoke profile loads")
}

/// A small profile: up to three stages of up to 40 agents and 20 s, rates
/// up to 8/s per channel, either arrival kind, any handshake rate.
fn small_profile() -> impl Strategy<Value = Profile> {
    let stage = (1u64..20, 0u32..40, any::<bool>());
    (
        prop::collection::vec(stage, 1..4),
        0.0f64..8.0,
        0.0f64..8.0,
        any::<bool>(),
        1.0f64..50.0,
    )
        .prop_map(|(stages, email, chat, poisson, handshakes)| {
            let mut profile = smoke();
            profile.stages = stages
                .into_iter()
                .map(|(secs, agents, stampede)| Stage {
                    duration: HumanDuration(Duration::from_secs(secs)),
                    agents,
                    stampede: Some(stampede),
                    rate_scale: None,
                    email_rate: None,
                    chat_rate: None,
                    publish_rate: None,
                })
                .collect();
            profile.traffic.email_rate = email;
            profile.traffic.chat_rate = chat;
            profile.traffic.arrival = if poisson {
                ArrivalKind::Poisson
            } else {
                ArrivalKind::Constant
            };
            profile.ramp.max_handshakes_per_second = handshakes;
            profile
        })
}

type Session = (u32, Duration, Option<Duration>);

fn sessions(plan: &Plan) -> Vec<Session> {
    plan.login_spans()
        .iter()
        .map(|s| (s.agent, s.start, s.stop))
        .collect()
}

fn key(a: &Arrival) -> (u64, &'static str, Duration) {
    (a.seq, a.media.name(), a.offset)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn the_shards_together_are_the_one_process_run(
        profile in small_profile(),
        seed in any::<u64>(),
        count in 1u32..6,
    ) {
        let whole_plan = Plan::from_profile(&profile);
        let whole_sessions: BTreeSet<Session> = sessions(&whole_plan).into_iter().collect();
        let whole_arrivals: Vec<_> = Schedule::of(&profile, seed).map(|a| key(&a)).collect();
        // Numbered 0, 1, 2, ... in schedule order.
        prop_assert!(whole_arrivals.iter().enumerate().all(|(i, a)| a.0 == i as u64));
        prop_assert!(whole_arrivals.windows(2).all(|w| w[0].2 <= w[1].2));
        let mut sessions_union = BTreeSet::new();
        let mut arrivals_union = BTreeSet::new();
        let mut session_total = 0;
        let mut arrival_total = 0;
        for index in 0..count {
            let spec = ShardSpec { index, count };
            let part = Plan::from_profile(&profile).for_shard(spec);
            for s in sessions(&part) {
                prop_assert!(spec.owns(u64::from(s.0)), "shard {spec} runs agent {}", s.0);
                session_total += 1;
                sessions_union.insert(s);
            }
            // The shard's events are its sessions' starts and stops only.
            let events = part.events().len();
            let stops = part.login_spans().iter().filter(|s| s.stop.is_some()).count();
            prop_assert_eq!(events, part.login_spans().len() + stops);
            for a in Schedule::of(&profile, seed).owned_by(spec) {
                prop_assert!(spec.owns(a.seq));
                arrival_total += 1;
                arrivals_union.insert(key(&a));
            }
        }
        prop_assert_eq!(session_total, whole_sessions.len(), "sessions overlap");
        prop_assert_eq!(&sessions_union, &whole_sessions);
        prop_assert_eq!(arrival_total, whole_arrivals.len(), "arrivals overlap");
        let whole: BTreeSet<_> = whole_arrivals.into_iter().collect();
        prop_assert_eq!(arrivals_union, whole);
    }
}

#[test]
fn a_shards_targets_are_its_share() {
    let profile = smoke();
    let whole = Plan::from_profile(&profile);
    let shares: u32 = (0..3)
        .map(|index| {
            Plan::from_profile(&profile)
                .for_shard(ShardSpec { index, count: 3 })
                .peak()
        })
        .sum();
    assert_eq!(shares, whole.peak());
    let end = whole.stages_end();
    let at_end: u32 = (0..3)
        .map(|index| {
            Plan::from_profile(&profile)
                .for_shard(ShardSpec { index, count: 3 })
                .target_at(end)
        })
        .sum();
    assert_eq!(at_end, whole.target_at(end));
}
