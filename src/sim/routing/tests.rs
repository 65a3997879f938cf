use super::*;
use crate::sim::chat::ChatSession;
use crate::sim::interaction::EmailContent;
use crate::units::DelaySpec;

pub(crate) fn routing(users: u32, capacity: [u32; 2]) -> Routing {
    Routing::new(
        users,
        RoutingRules {
            capacity,
            routing_delay: DelaySpec::ZERO,
        },
    )
}

pub(crate) fn email() -> Content {
    Content::Email(EmailContent {
        from_address: "c@x".into(),
        to_address: "support@sim".into(),
        subject: "s".into(),
        text: "t".into(),
    })
}

pub(crate) fn chat() -> Content {
    Content::Chat(ChatSession {
        nickname: "Cust".into(),
        customer_user_id: "00CU".into(),
        secure_key: "k".into(),
        alias: "117".into(),
        events: Vec::new(),
        ended: false,
    })
}

/// (agent, state) of every interaction notification in `fx`.
fn invites(fx: &[Effect]) -> Vec<(u32, String)> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Notify { agent, topic, data } if *topic == INTERACTIONS_TOPIC => {
                let v: serde_json::Value = serde_json::from_str(data.get()).unwrap();
                Some((*agent, v["state"].as_str().unwrap().to_string()))
            }
            _ => None,
        })
        .collect()
}

pub(crate) fn ready(r: &mut Routing, agent: u32, ch: MediaChannel) {
    let mut fx = Vec::new();
    r.start_session(agent).unwrap();
    r.set_ready(agent, ch, true, &mut fx).unwrap();
}

fn offer_of(fx: &[Effect]) -> (Arc<str>, u64) {
    fx.iter()
        .find_map(|e| match e {
            Effect::InviteTimer { id, offer } => Some((id.clone(), *offer)),
            _ => None,
        })
        .unwrap()
}

#[test]
fn queued_until_an_agent_is_ready_then_offered() {
    let mut r = routing(2, [1, 1]);
    let mut fx = Vec::new();
    let id = r.inject(MediaChannel::Email, email(), &[], &mut fx);
    assert!(invites(&fx).is_empty());
    assert_eq!(r.counts().queued, 1);
    r.start_session(0).unwrap();
    r.set_ready(0, MediaChannel::Chat, true, &mut fx).unwrap();
    assert!(
        invites(&fx).is_empty(),
        "chat readiness must not get an email"
    );
    fx.clear();
    r.set_ready(0, MediaChannel::Email, true, &mut fx).unwrap();
    assert_eq!(invites(&fx), vec![(0, "Invited".to_string())]);
    assert_eq!(offer_of(&fx).0, id);
    let c = r.counts();
    assert_eq!((c.queued, c.offering, c.offered), (0, 1, 1));
    assert!(c.add_up());
}

#[test]
fn capacity_limits_offers_and_finishing_frees_it() {
    let mut r = routing(1, [1, 2]);
    ready(&mut r, 0, MediaChannel::Email);
    let mut fx = Vec::new();
    let a = r.inject(MediaChannel::Email, email(), &[], &mut fx);
    let _b = r.inject(MediaChannel::Email, email(), &[], &mut fx);
    assert_eq!(invites(&fx).len(), 1);
    assert_eq!(r.counts().queued, 1);
    fx.clear();
    r.accept(0, &a, None, &mut fx).unwrap();
    assert_eq!(invites(&fx), vec![(0, "Accepted".to_string())]);
    assert_eq!(
        r.accept(0, &a, None, &mut fx).unwrap_err().status,
        StatusCode::INVALID_STATE
    );
    fx.clear();
    r.finish(0, &a, &mut fx).unwrap();
    assert_eq!(
        invites(&fx),
        vec![(0, "Completed".to_string()), (0, "Invited".to_string())]
    );
    let c = r.counts();
    assert_eq!((c.completed, c.offering, c.queued), (1, 1, 0));
    assert!(c.add_up());
    assert_eq!(
        r.finish(0, &a, &mut fx).unwrap_err().status,
        StatusCode::NOT_FOUND
    );
}

#[test]
fn reject_goes_to_another_agent_and_back_only_when_alone() {
    let mut r = routing(2, [1, 1]);
    ready(&mut r, 0, MediaChannel::Email);
    ready(&mut r, 1, MediaChannel::Email);
    let mut fx = Vec::new();
    let id = r.inject(MediaChannel::Email, email(), &[], &mut fx);
    let first = invites(&fx)[0].0;
    let other = 1 - first;
    fx.clear();
    r.reject(first, &id, &mut fx).unwrap();
    assert_eq!(invites(&fx), vec![(other, "Invited".to_string())]);
    fx.clear();
    r.reject(other, &id, &mut fx).unwrap();
    // Both declined: it goes to whichever is free rather than waiting forever.
    assert_eq!(invites(&fx).len(), 1);
    let c = r.counts();
    assert_eq!((c.rejected, c.offered), (2, 3));
    assert!(c.add_up());
}

#[test]
fn timeout_revokes_and_reoffers_elsewhere_stale_timer_ignored() {
    let mut r = routing(2, [1, 1]);
    ready(&mut r, 0, MediaChannel::Email);
    ready(&mut r, 1, MediaChannel::Email);
    let mut fx = Vec::new();
    r.inject(MediaChannel::Email, email(), &[], &mut fx);
    let first = invites(&fx)[0].0;
    let (id, offer) = offer_of(&fx);
    fx.clear();
    r.invite_expired(&id, offer, &mut fx);
    assert_eq!(
        invites(&fx),
        vec![
            (first, "Revoked".to_string()),
            (1 - first, "Invited".to_string())
        ]
    );
    let mut again = Vec::new();
    r.invite_expired(&id, offer, &mut again);
    assert!(again.is_empty(), "a stale timer must do nothing");
    assert_eq!(r.counts().revoked, 1);
    assert!(r.counts().add_up());
}

#[test]
fn not_ready_stops_offers_and_session_end_requeues() {
    let mut r = routing(2, [1, 1]);
    ready(&mut r, 0, MediaChannel::Chat);
    let mut fx = Vec::new();
    r.set_ready(0, MediaChannel::Chat, false, &mut fx).unwrap();
    fx.clear();
    let id = r.inject(MediaChannel::Chat, chat(), &[], &mut fx);
    assert!(invites(&fx).is_empty());
    r.set_ready(0, MediaChannel::Chat, true, &mut fx).unwrap();
    fx.clear();
    r.accept(0, &id, None, &mut fx).unwrap();
    assert_eq!(r.counts().in_progress, 1);
    fx.clear();
    r.end_session(0, &mut fx);
    let c = r.counts();
    assert_eq!(
        (c.in_progress, c.queued, c.requeued, c.agents_logged_in),
        (0, 1, 1, 0)
    );
    assert!(c.add_up());
    ready(&mut r, 1, MediaChannel::Chat);
    assert_eq!(r.counts().offering, 1);
    assert_eq!(
        r.set_ready(0, MediaChannel::Chat, true, &mut fx)
            .unwrap_err()
            .status,
        StatusCode::INVALID_STATE
    );
}

#[test]
fn place_in_queue_offers_what_waits_to_the_freed_agent_at_once() {
    let mut r = Routing::new(
        1,
        RoutingRules {
            capacity: [1, 1],
            routing_delay: DelaySpec::fixed(Duration::from_millis(100)),
        },
    );
    ready(&mut r, 0, MediaChannel::Email);
    let mut fx = Vec::new();
    let a = r.inject(MediaChannel::Email, email(), &[], &mut fx);
    r.make_routable(&a, &mut fx);
    r.accept(0, &a, None, &mut fx).unwrap();
    let b = r.inject(MediaChannel::Email, email(), &[], &mut fx);
    r.make_routable(&b, &mut fx);
    fx.clear();
    r.place_in_queue(0, &a, None, &mut fx).unwrap();
    // `a` waits out its routing delay again; `b` was waiting already.
    assert_eq!(
        invites(&fx),
        vec![(0, "Revoked".to_string()), (0, "Invited".to_string())]
    );
    assert_eq!(offer_of(&fx).0, b);
    assert!(r.counts().add_up());
}
