//! Readiness: Ready latency and the `agents_ready` gauge, NotReady spells,
//! and what a re-handshake redoes.

use super::*;

#[test]
fn ready_is_timed_per_channel_and_the_agent_counted_ready_once_all_are() {
    let mut desk = Desk::new(accepting());
    let fx = desk.start();
    assert_eq!(actions(&fx), set_readiness(true));

    let fx = desk.notice(Notice::ChannelReady { channel: "email" }, 40);
    assert_eq!(recorded(&fx, Measure::Ready), vec![ms(40)]);
    assert_eq!(moved(&fx, Gauge::AgentsReady), 0, "chat is not Ready yet");
    assert!(
        desk.notice(Notice::ChannelReady { channel: "email" }, 45)
            .is_empty()
    );
    assert!(
        desk.notice(Notice::ChannelReady { channel: "voice" }, 50)
            .is_empty()
    );

    let fx = desk.notice(Notice::ChannelReady { channel: "chat" }, 60);
    assert_eq!(recorded(&fx, Measure::Ready), vec![ms(60)]);
    assert_eq!(moved(&fx, Gauge::AgentsReady), 1);
    assert!(
        desk.notice(Notice::ChannelReady { channel: "chat" }, 70)
            .is_empty()
    );

    let mut fx = Vec::new();
    desk.agent.logged_out(&mut fx);
    assert_eq!(moved(&fx, Gauge::AgentsReady), -1);
}

#[test]
fn not_ready_spells_come_and_go_until_the_stop() {
    let mut desk = Desk::new(Behaviour {
        not_ready: Some(NotReady {
            every: DelaySpec::fixed(Duration::from_secs(10)),
            duration: DelaySpec::fixed(Duration::from_secs(2)),
        }),
        ..accepting()
    });
    desk.start();
    ready_on_both(&mut desk, 50);
    assert_eq!(desk.agent.next_deadline(), Some(desk.at(10_000)));

    let fx = desk.timer(10_000);
    assert_eq!(actions(&fx), set_readiness(false));
    assert_eq!(moved(&fx, Gauge::AgentsReady), -1);
    assert_eq!(desk.agent.next_deadline(), Some(desk.at(12_000)));
    assert!(
        desk.notice(Notice::ChannelReady { channel: "email" }, 11_000)
            .is_empty(),
        "no Ready was asked for"
    );

    let fx = desk.timer(12_000);
    assert_eq!(actions(&fx), set_readiness(true));
    assert_eq!(
        desk.agent.next_deadline(),
        Some(desk.at(22_000)),
        "the next spell"
    );
    ready_on_both(&mut desk, 12_050);

    desk.stop(15_000);
    assert_eq!(
        desk.agent.next_deadline(),
        Some(desk.at(15_000) + GRACE),
        "only the grace is left"
    );
    let fx = desk.timer(22_000);
    assert!(actions(&fx).is_empty(), "no spell once stopping: {fx:?}");
}

#[test]
fn a_rehandshake_rejoins_redoes_readiness_and_handles_accepts_left_waiting() {
    let mut desk = Desk::working(accepting());
    ready_on_both(&mut desk, 50);
    desk.invite("A", 0, 100);
    desk.answered("A", OperationName::Accept, 400, 420);
    desk.invite("B", 1, 500);

    let fx = desk.rehandshake(1_000);
    assert_eq!(errors(&fx), vec!["accept_unconfirmed"]);
    let mut expected = vec![finish("A", 0), Action::Rejoin];
    expected.extend(set_readiness(true));
    assert_eq!(actions(&fx), expected, "B's accept has not been sent yet");
    assert_eq!(moved(&fx, Gauge::AgentsReady), -1);
    assert_eq!(desk.agent.next_deadline(), None, "no accept left to check");

    let fx = desk.notice(Notice::ChannelReady { channel: "email" }, 1_030);
    assert_eq!(recorded(&fx, Measure::Ready), vec![ms(30)]);
    let fx = desk.notice(Notice::ChannelReady { channel: "chat" }, 1_040);
    assert_eq!(moved(&fx, Gauge::AgentsReady), 1);

    let refused = CallError::Refused {
        what: "StartContactCenterSession",
        code: GwsStatus::INVALID_STATE,
    };
    let fx = desk.done(Done::Rejoined {
        result: Err(refused),
    });
    assert!(fx.is_empty(), "already started is fine");
    let fx = desk.done(Done::Rejoined {
        result: Err(http(500)),
    });
    assert_eq!(errors(&fx), vec!["rejoin_http_500"]);
}

#[test]
fn a_rehandshake_while_stopping_does_not_rejoin() {
    let mut desk = Desk::working(accepting());
    desk.invite("A", 0, 100);
    desk.answered("A", OperationName::Accept, 400, 420);
    desk.stop(1_000);
    let fx = desk.rehandshake(1_500);
    assert_eq!(actions(&fx), vec![finish("A", 0)]);
}
