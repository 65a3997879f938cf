//! The stop: finishing or abandoning work in hand, and the grace that bounds it.

use super::*;

#[test]
fn a_finishing_stop_lets_work_in_hand_end() {
    let mut desk = Desk::working(accepting());
    ready_on_both(&mut desk, 50);
    desk.handling("H", 0);
    desk.invite("A", 1, 400);
    let fx = desk.stop(1_000);
    assert_eq!(actions(&fx), set_readiness(false));
    assert_eq!(moved(&fx, Gauge::AgentsReady), -1);
    assert!(!fx.iter().any(|e| matches!(e, Effect::AbortActions)));
    assert_eq!(moved(&fx, Gauge::InteractionsInProgress), 0);

    let fx = desk.invite("Late", 2, 1_100);
    assert_eq!(counted(&fx, Counter::InvitesOffered), 1, "counted ...");
    assert_eq!(recorded(&fx, Measure::InviteDelivery).len(), 1);
    assert!(actions(&fx).is_empty(), "... not answered");

    desk.done(readiness(Ok(())));
    desk.done(readiness(Ok(())));
    desk.answered("A", OperationName::Accept, 700, 720);
    let fx = desk.notice(Notice::Accepted { id: "A" }, 730);
    assert_eq!(
        actions(&fx),
        vec![finish("A", 0)],
        "an accept in flight is handled"
    );
    desk.finished("H", Ok(()));
    assert!(!desk.agent.stopped(), "A is still being handled");
    let fx = desk.finished("A", Ok(()));
    assert_eq!(counted(&fx, Counter::InteractionsCompleted), 1);
    assert!(desk.agent.stopped());
    assert!(desk.abandon().is_empty(), "nothing left to abandon");
}

#[test]
fn a_finishing_stop_does_not_wait_for_ignored_invites() {
    let mut desk = Desk::working(ignoring());
    desk.invite("N", 0, 40);
    desk.stop(1_000);
    desk.done(readiness(Ok(())));
    assert!(!desk.agent.stopped(), "the NotReady for chat is in flight");
    desk.done(readiness(Err(http(500))));
    assert!(desk.agent.stopped());
}

#[test]
fn an_abandoning_stop_drops_everything_and_empties_the_gauge() {
    let mut desk = Desk::working(Behaviour {
        on_stop: OnStop::Abandon,
        ..accepting()
    });
    desk.handling("H1", 0);
    desk.handling("H2", 1);
    desk.invite("A", 2, 400);
    let fx = desk.stop(1_000);
    let abort = fx
        .iter()
        .position(|e| matches!(e, Effect::AbortActions))
        .expect("actions aborted");
    let first_start = fx.iter().position(|e| matches!(e, Effect::Start(_)));
    assert!(
        first_start > Some(abort),
        "NotReady is sent after the abort"
    );
    assert_eq!(moved(&fx, Gauge::InteractionsInProgress), -2);
    assert_eq!(actions(&fx), set_readiness(false));

    // The aborted Finish of H1 and the Answer of A report as lost; H2's had
    // just ended: counted, but the gauge is already down.
    desk.agent.on_action_lost();
    desk.agent.on_action_lost();
    let fx = desk.finished("H2", Ok(()));
    assert_eq!(counted(&fx, Counter::InteractionsCompleted), 1);
    assert_eq!(moved(&fx, Gauge::InteractionsInProgress), 0);
    assert!(!desk.agent.stopped(), "the NotReady calls are in flight");
    desk.done(readiness(Ok(())));
    desk.done(readiness(Ok(())));
    assert!(desk.agent.stopped());
    assert!(desk.notice(Notice::Accepted { id: "A" }, 2_000).is_empty());
}

#[test]
fn the_stop_grace_ends_work_left_in_hand() {
    let mut desk = Desk::working(accepting());
    desk.handling("H", 0);
    assert!(desk.timer(5_310).is_empty(), "H's accept was confirmed");
    desk.stop(6_000);
    assert_eq!(desk.agent.next_deadline(), Some(desk.at(16_000)));
    assert!(desk.timer(15_999).is_empty());
    assert!(!desk.agent.stopped());
    desk.timer(16_000);
    assert!(desk.agent.stopped(), "log out now");

    let fx = desk.abandon();
    assert!(fx.iter().any(|e| matches!(e, Effect::AbortActions)));
    assert_eq!(moved(&fx, Gauge::InteractionsInProgress), -1);
    assert_eq!(
        moved(&desk.abandon(), Gauge::InteractionsInProgress),
        0,
        "already off the gauge"
    );
}
