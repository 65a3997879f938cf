//! Invites and their answers: accept (both orders of reply and notice), reject,
//! no answer, accepts never confirmed, answers after a revoke, duplicates,
//! foreign invites, re-offers, failures, and the random draws behind them.

use super::*;

#[test]
fn accept_confirmed_after_its_reply_is_measured_from_the_accept_sent() {
    let mut desk = Desk::working(accepting());
    let fx = desk.invite("A", 0, 40);
    assert_eq!(counted(&fx, Counter::InvitesOffered), 1);
    assert_eq!(recorded(&fx, Measure::InviteDelivery), vec![ms(40)]);
    assert_eq!(actions(&fx), vec![answer("A", OperationName::Accept)]);

    let fx = desk.answered("A", OperationName::Accept, 340, 360);
    assert!(fx.is_empty(), "{fx:?}");
    assert_eq!(
        desk.agent.next_deadline(),
        Some(desk.at(340) + ACCEPT_CONFIRM_WAIT),
        "the confirmation is awaited"
    );

    let fx = desk.notice(Notice::Accepted { id: "A" }, 390);
    assert_eq!(recorded(&fx, Measure::Accept), vec![ms(50)]);
    assert_eq!(counted(&fx, Counter::InvitesAccepted), 1);
    assert_eq!(moved(&fx, Gauge::InteractionsInProgress), 1);
    assert_eq!(
        actions(&fx),
        vec![finish("A", 0)],
        "an email gets no messages"
    );

    let fx = desk.finished("A", Ok(()));
    assert_eq!(recorded(&fx, Measure::Complete), vec![ms(25)]);
    assert_eq!(counted(&fx, Counter::InteractionsCompleted), 1);
    assert_eq!(moved(&fx, Gauge::InteractionsInProgress), -1);

    // The check finds nothing overdue and disarms.
    let fx = desk.timer(340 + 5_000);
    assert!(fx.is_empty(), "{fx:?}");
    assert_eq!(desk.agent.next_deadline(), None);
}

#[test]
fn accept_confirmed_before_its_reply_is_measured_from_the_accept_sent() {
    let mut desk = Desk::working(accepting());
    let chat = Notice::Invited {
        id: "C",
        chat: true,
        marker: Some(Marker {
            seq: 0,
            created_us: START_UNIX_US,
        }),
    };
    desk.notice(chat, 40);
    let fx = desk.notice(Notice::Accepted { id: "C" }, 355);
    assert!(
        fx.is_empty(),
        "handled once the reply says when it was sent"
    );

    let fx = desk.answered("C", OperationName::Accept, 340, 370);
    assert_eq!(recorded(&fx, Measure::Accept), vec![ms(15)]);
    assert_eq!(counted(&fx, Counter::InvitesAccepted), 1);
    assert_eq!(
        actions(&fx),
        vec![finish("C", 2)],
        "a chat gets its messages"
    );
    assert_eq!(desk.agent.next_deadline(), None, "nothing to check");

    let fx = desk.notice(Notice::Accepted { id: "C" }, 900);
    assert!(fx.is_empty(), "later Accepted notices carry chat updates");
}

#[test]
fn a_reject_is_counted_and_timed_from_its_action() {
    let mut desk = Desk::working(rejecting());
    let fx = desk.invite("R", 0, 40);
    assert_eq!(actions(&fx), vec![answer("R", OperationName::Reject)]);
    let fx = desk.answered("R", OperationName::Reject, 340, 385);
    assert_eq!(recorded(&fx, Measure::Reject), vec![ms(45)]);
    assert_eq!(counted(&fx, Counter::InvitesRejected), 1);
    assert!(actions(&fx).is_empty());
    // Forgotten: its re-offer is a new offer, not a duplicate.
    let fx = desk.invite("R", 0, 900);
    assert_eq!(counted(&fx, Counter::InvitesOffered), 1);
    assert_eq!(counted(&fx, Counter::InvitesDuplicate), 0);
}

#[test]
fn a_failed_reject_is_an_answer_error() {
    let mut desk = Desk::working(rejecting());
    desk.invite("R", 0, 40);
    let fx = desk.answer_failed("R", OperationName::Reject, http(500));
    assert_eq!(errors(&fx), vec!["answer_http_500"]);
    assert_eq!(counted(&fx, Counter::InvitesRejected), 0);
    assert!(recorded(&fx, Measure::Reject).is_empty());
}

#[test]
fn an_unanswered_invite_waits_for_its_revoke() {
    let mut desk = Desk::working(ignoring());
    let fx = desk.invite("N", 0, 40);
    assert_eq!(counted(&fx, Counter::InvitesOffered), 1);
    assert!(actions(&fx).is_empty(), "no answer is sent");
    let fx = desk.notice(Notice::Revoked { id: "N" }, 15_000);
    assert_eq!(counted(&fx, Counter::InvitesRevoked), 1);
    let fx = desk.notice(Notice::Revoked { id: "N" }, 15_001);
    assert!(
        fx.is_empty(),
        "a revoke of what it does not hold is not counted"
    );
}

#[test]
fn an_accept_never_confirmed_is_handled_after_the_wait_without_a_latency() {
    let mut desk = Desk::working(accepting());
    desk.invite("A", 0, 40);
    desk.invite("B", 1, 1_040);
    desk.answered("A", OperationName::Accept, 340, 360);
    desk.answered("B", OperationName::Accept, 1_340, 1_360);
    assert_eq!(desk.agent.next_deadline(), Some(desk.at(5_340)));

    assert!(desk.timer(5_339).is_empty(), "not due yet");
    let fx = desk.timer(5_340);
    assert_eq!(errors(&fx), vec!["accept_unconfirmed"]);
    assert_eq!(counted(&fx, Counter::InvitesAccepted), 1);
    assert!(recorded(&fx, Measure::Accept).is_empty(), "never observed");
    assert_eq!(moved(&fx, Gauge::InteractionsInProgress), 1);
    assert_eq!(actions(&fx), vec![finish("A", 0)]);
    assert_eq!(
        desk.agent.next_deadline(),
        Some(desk.at(6_340)),
        "re-armed for the other"
    );

    let fx = desk.timer(6_340);
    assert_eq!(actions(&fx), vec![finish("B", 0)]);
    assert_eq!(desk.agent.next_deadline(), None);
    let fx = desk.notice(Notice::Accepted { id: "A" }, 7_000);
    assert!(
        fx.is_empty(),
        "a confirmation after the fact changes nothing"
    );
}

#[test]
fn an_answer_refused_after_its_revoke_is_not_a_server_error() {
    let mut desk = Desk::working(accepting());
    desk.invite("A", 0, 40);
    let fx = desk.notice(Notice::Revoked { id: "A" }, 200);
    assert_eq!(counted(&fx, Counter::InvitesRevoked), 1);
    let refused = CallError::Refused {
        what: "Accept",
        code: GwsStatus(6),
    };
    let fx = desk.answer_failed("A", OperationName::Accept, refused);
    assert_eq!(errors(&fx), vec!["answer_after_revoke"]);

    // The same failure on an invite still held is the server's; the invite
    // is held on so that its revoke, when it comes, is still counted.
    desk.invite("B", 1, 400);
    let fx = desk.answer_failed("B", OperationName::Accept, http(503));
    assert_eq!(errors(&fx), vec!["answer_http_503"]);
    let fx = desk.notice(Notice::Revoked { id: "B" }, 900);
    assert_eq!(counted(&fx, Counter::InvitesRevoked), 1);
    assert!(errors(&fx).is_empty(), "counted once, when refused");
}

#[test]
fn an_answer_refused_as_gone_before_its_revoke_arrives_is_the_revokes() {
    let mut desk = Desk::working(accepting());
    desk.invite("A", 0, 40);
    // The 404 outruns the `Revoked` notice of the same revoke.
    let fx = desk.answer_failed("A", OperationName::Accept, http(404));
    assert!(
        errors(&fx).is_empty(),
        "named when the notice comes: {fx:?}"
    );
    assert_eq!(
        desk.agent.next_deadline(),
        Some(desk.at(310) + ACCEPT_CONFIRM_WAIT)
    );
    let fx = desk.notice(Notice::Revoked { id: "A" }, 400);
    assert_eq!(counted(&fx, Counter::InvitesRevoked), 1);
    assert_eq!(errors(&fx), vec!["answer_after_revoke"]);
    let fx = desk.timer(310 + 5_000);
    assert!(fx.is_empty(), "counted once: {fx:?}");

    // No revoke by the wait: the refusal was the server's.
    desk.invite("B", 1, 6_000);
    desk.answer_failed("B", OperationName::Accept, http(404));
    let fx = desk.timer(310 + 5_000);
    assert_eq!(errors(&fx), vec!["answer_http_404"]);
    assert_eq!(counted(&fx, Counter::InvitesRevoked), 0);
    assert_eq!(
        counted(&fx, Counter::InvitesAbandoned),
        1,
        "its one outcome"
    );
    let fx = desk.notice(Notice::Revoked { id: "B" }, 20_000);
    assert!(fx.is_empty(), "settled already: {fx:?}");
}

#[test]
fn a_second_invite_for_an_interaction_in_hand_is_a_duplicate() {
    let mut desk = Desk::working(accepting());
    desk.invite("A", 0, 40);
    let fx = desk.invite("A", 0, 60);
    assert_eq!(counted(&fx, Counter::InvitesDuplicate), 1);
    assert_eq!(counted(&fx, Counter::InvitesOffered), 0);
    assert!(recorded(&fx, Measure::InviteDelivery).is_empty());
    assert!(actions(&fx).is_empty(), "answered once");
}

#[test]
fn foreign_invites_are_answered_but_kept_out_of_the_runs_counts() {
    let mut desk = Desk::working(accepting());
    let foreign = |id| Notice::Invited {
        id,
        chat: false,
        marker: None,
    };
    let fx = desk.notice(foreign("F"), 40);
    assert_eq!(counted(&fx, Counter::InvitesForeign), 1);
    assert_eq!(counted(&fx, Counter::InvitesOffered), 0);
    assert!(recorded(&fx, Measure::InviteDelivery).is_empty());
    assert_eq!(actions(&fx), vec![answer("F", OperationName::Accept)]);
    let fx = desk.notice(foreign("F"), 50);
    assert!(fx.is_empty(), "not a duplicate of the run's: {fx:?}");

    // Accepted and handled as the behaviour says, counted nowhere.
    let mut fx = desk.answered("F", OperationName::Accept, 340, 360);
    fx.extend(desk.notice(Notice::Accepted { id: "F" }, 390));
    assert_eq!(actions(&fx), vec![finish("F", 0)]);
    assert_eq!(moved(&fx, Gauge::InteractionsInProgress), 1);
    fx.extend(desk.finished("F", Ok(())));
    assert_eq!(counted(&fx, Counter::InvitesAccepted), 0);
    assert_eq!(counted(&fx, Counter::InteractionsCompleted), 0);
    assert!(recorded(&fx, Measure::Accept).is_empty());
    assert!(recorded(&fx, Measure::Complete).is_empty());

    // Rejected or revoked: neither counted.
    let mut desk = Desk::working(rejecting());
    desk.notice(foreign("G"), 40);
    let fx = desk.answered("G", OperationName::Reject, 340, 360);
    assert!(fx.is_empty(), "{fx:?}");
    let mut desk = Desk::working(ignoring());
    desk.notice(foreign("H"), 40);
    let fx = desk.notice(Notice::Revoked { id: "H" }, 15_000);
    assert!(fx.is_empty(), "{fx:?}");
}

#[test]
fn delivery_is_measured_on_the_first_offer_only() {
    let mut desk = Desk::working(rejecting());
    assert_eq!(
        recorded(&desk.invite("R", 5, 40), Measure::InviteDelivery),
        vec![ms(40)]
    );
    desk.answered("R", OperationName::Reject, 340, 350);
    let fx = desk.invite("R", 5, 2_000);
    assert_eq!(counted(&fx, Counter::InvitesOffered), 1);
    assert!(recorded(&fx, Measure::InviteDelivery).is_empty());

    // Another agent of the run shares the ledger.
    let mut other = Agent::new(desk.run.clone(), desk.ledger.clone(), 1);
    let mut fx = Vec::new();
    let marker = Some(Marker {
        seq: 5,
        created_us: START_UNIX_US,
    });
    let invite = Notice::Invited {
        id: "R",
        chat: false,
        marker,
    };
    other.on_notice(invite, desk.at(3_000), &mut fx);
    assert!(recorded(&fx, Measure::InviteDelivery).is_empty());
}

#[test]
fn failed_calls_are_named_after_their_step() {
    let mut desk = Desk::working(accepting());
    desk.handling("H", 0);
    let fx = desk.finished("H", Err(http(502)));
    assert_eq!(errors(&fx), vec!["complete_http_502"]);
    assert_eq!(counted(&fx, Counter::InteractionsCompleted), 0);
    assert!(recorded(&fx, Measure::Complete).is_empty());
    assert_eq!(moved(&fx, Gauge::InteractionsInProgress), -1);
    let fx = desk.done(readiness(Err(http(503))));
    assert_eq!(errors(&fx), vec!["readiness_http_503"]);
}

#[test]
fn each_agent_draws_from_its_own_stream_of_the_run_seed() {
    let behaviour = Behaviour {
        answer_delay: DelaySpec {
            min: ms(100),
            max: ms(2_000),
        },
        ..accepting()
    };
    let delays = |index: u32| {
        let desk = Desk::new(behaviour.clone());
        let mut agent = Agent::new(desk.run.clone(), desk.ledger.clone(), index);
        let mut fx = Vec::new();
        for id in ["A", "B", "C"] {
            let invite = Notice::Invited {
                id,
                chat: false,
                marker: None,
            };
            agent.on_notice(invite, desk.t0, &mut fx);
        }
        actions(&fx)
    };
    // The seeding of every run so far: same seed, same decisions.
    let mut rng = SmallRng::seed_from_u64(7 ^ 2u64.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let expected: Vec<Action> = ["A", "B", "C"]
        .into_iter()
        .map(|id| {
            assert_eq!(behaviour.answer(&mut rng), Answer::Accept);
            Action::Answer {
                id: id.into(),
                op: OperationName::Accept,
                after: behaviour.answer_delay.sample(&mut rng),
            }
        })
        .collect();
    assert_eq!(delays(1), expected);
    assert_ne!(delays(0), expected);
}

#[test]
fn offers_let_go_without_an_outcome_are_abandoned_once() {
    // Unanswered at the stop: the server's to revoke or requeue.
    let mut desk = Desk::working(ignoring());
    desk.invite("N", 0, 40);
    let fx = desk.stop(1_000);
    assert_eq!(counted(&fx, Counter::InvitesAbandoned), 1);
    // Invited while stopping: left alone.
    let fx = desk.invite("M", 1, 1_100);
    assert_eq!(counted(&fx, Counter::InvitesOffered), 1);
    assert_eq!(counted(&fx, Counter::InvitesAbandoned), 1);
    let fx = desk.notice(Notice::Revoked { id: "N" }, 3_000);
    assert_eq!(counted(&fx, Counter::InvitesRevoked), 0, "counted already");

    // Work in hand when the grace ran out: the accept never confirmed is
    // abandoned, the one being handled was accepted already.
    let mut desk = Desk::working(accepting());
    desk.handling("H", 0);
    desk.invite("A", 1, 50);
    let fx = desk.abandon();
    assert_eq!(counted(&fx, Counter::InvitesAbandoned), 1);
    assert_eq!(moved(&fx, Gauge::InteractionsInProgress), -1);
}
