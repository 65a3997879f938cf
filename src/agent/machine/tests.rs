//! Every path of the agent with a fake clock: an `Instant` taken once plus
//! offsets, no runtime, no sleeping.

use super::*;
use crate::agent::effect::Call;
use crate::agent::settings::AgentSettings;
use crate::gws::MessageModel;
use crate::profile::{Agents, Behaviour, Channel, CountRange, NotReady};
use crate::units::{DelaySpec, Probability};

const START_UNIX_US: u64 = 1_700_000_000_000_000;
const GRACE: Duration = Duration::from_secs(10);
const ANSWER_DELAY: Duration = Duration::from_millis(300);
const HANDLE_TIME: Duration = Duration::from_secs(2);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Accepts every invite after 300 ms, handles it 2 s, sends 2 chat messages.
fn accepting() -> Behaviour {
    Behaviour {
        accept_probability: Probability::ALWAYS,
        answer_delay: DelaySpec::fixed(ANSWER_DELAY),
        no_answer_probability: Probability::NEVER,
        handle_time: DelaySpec::fixed(HANDLE_TIME),
        chat_messages: CountRange { min: 2, max: 2 },
        not_ready: None,
        on_stop: OnStop::Finish,
    }
}

fn rejecting() -> Behaviour {
    Behaviour {
        accept_probability: Probability::NEVER,
        ..accepting()
    }
}

fn ignoring() -> Behaviour {
    Behaviour {
        no_answer_probability: Probability::ALWAYS,
        ..accepting()
    }
}

/// One agent on email and chat, its clock at `t0`, its measurements read
/// from the effects of each step.
struct Desk {
    agent: Agent,
    ledger: Arc<OfferLedger>,
    run: SharedSettings,
    t0: Instant,
}

impl Desk {
    fn new(behaviour: Behaviour) -> Desk {
        let t0 = Instant::now();
        let run = Arc::new(AgentSettings {
            run_id: "run".into(),
            start: t0,
            start_unix_us: START_UNIX_US,
            agents: Agents {
                count: 2,
                username: "agent{n}".into(),
                first: 1,
                password: "password".into(),
                password_env: None,
                password_file: None,
                place: None,
                channels: vec![Channel::Email, Channel::Chat],
                capacity: Default::default(),
            },
            behaviour,
            model: MessageModel::V851,
            channels: vec!["email", "chat"],
            stop_grace: GRACE,
            seed: 7,
        });
        let ledger = Arc::new(OfferLedger::new(100));
        Desk {
            agent: Agent::new(run.clone(), ledger.clone(), 0),
            ledger,
            run,
            t0,
        }
    }

    /// A started agent whose Ready actions reported back.
    fn working(behaviour: Behaviour) -> Desk {
        let mut desk = Desk::new(behaviour);
        let fx = desk.start();
        for _ in actions(&fx) {
            desk.done(readiness(Ok(())));
        }
        desk
    }

    fn at(&self, ms: u64) -> Instant {
        self.t0 + Duration::from_millis(ms)
    }

    fn start(&mut self) -> Vec<Effect> {
        let mut fx = Vec::new();
        self.agent.start(self.t0, &mut fx);
        fx
    }

    fn notice(&mut self, notice: Notice<'_>, at_ms: u64) -> Vec<Effect> {
        let mut fx = Vec::new();
        self.agent.on_notice(notice, self.at(at_ms), &mut fx);
        fx
    }

    /// An invite for email `id` marked as the run's interaction `seq`,
    /// intended at `t0`, received at `at_ms`.
    fn invite(&mut self, id: &str, seq: u64, at_ms: u64) -> Vec<Effect> {
        let marker = Some(Marker {
            seq,
            created_us: START_UNIX_US,
        });
        let invite = Notice::Invited {
            id,
            chat: false,
            marker,
        };
        self.notice(invite, at_ms)
    }

    fn done(&mut self, done: Done) -> Vec<Effect> {
        let mut fx = Vec::new();
        self.agent.on_action_done(done, &mut fx);
        fx
    }

    fn answered(
        &mut self,
        id: &str,
        op: OperationName,
        sent_ms: u64,
        replied_ms: u64,
    ) -> Vec<Effect> {
        let call = Call {
            sent: self.at(sent_ms),
            replied: self.at(replied_ms),
            result: Ok(()),
        };
        let done = Done::Answered {
            id: id.into(),
            op,
            call,
        };
        self.done(done)
    }

    fn answer_failed(&mut self, id: &str, op: OperationName, error: CallError) -> Vec<Effect> {
        let call = Call {
            sent: self.at(300),
            replied: self.at(310),
            result: Err(error),
        };
        let done = Done::Answered {
            id: id.into(),
            op,
            call,
        };
        self.done(done)
    }

    fn finished(&mut self, id: &str, result: Result<(), CallError>) -> Vec<Effect> {
        let call = Call {
            sent: self.at(2_300),
            replied: self.at(2_325),
            result,
        };
        let done = Done::Finished {
            id: id.into(),
            call,
        };
        self.done(done)
    }

    fn timer(&mut self, at_ms: u64) -> Vec<Effect> {
        let mut fx = Vec::new();
        self.agent.on_timer(self.at(at_ms), &mut fx);
        fx
    }

    fn stop(&mut self, at_ms: u64) -> Vec<Effect> {
        let mut fx = Vec::new();
        self.agent.stop(self.at(at_ms), &mut fx);
        fx
    }

    fn rehandshake(&mut self, at_ms: u64) -> Vec<Effect> {
        let mut fx = Vec::new();
        self.agent.on_rehandshake(self.at(at_ms), &mut fx);
        fx
    }

    fn abandon(&mut self) -> Vec<Effect> {
        let mut fx = Vec::new();
        self.agent.abandon(&mut fx);
        fx
    }

    /// Brings invite `id` to Handling: accepted, confirmed, its Finish started.
    fn handling(&mut self, id: &str, seq: u64) -> Vec<Effect> {
        self.invite(id, seq, 10);
        self.answered(id, OperationName::Accept, 310, 330);
        self.notice(Notice::Accepted { id }, 340)
    }
}

fn readiness(result: Result<(), CallError>) -> Done {
    Done::Readiness { result }
}

fn http(status: u16) -> CallError {
    CallError::Status {
        what: "Accept",
        status,
    }
}

fn actions(fx: &[Effect]) -> Vec<Action> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Start(action) => Some(action.clone()),
            _ => None,
        })
        .collect()
}

/// What `pick` picks from the measurements in `fx`.
fn measured<T>(fx: &[Effect], pick: impl Fn(&Measurement) -> Option<T>) -> Vec<T> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Measured(m) => pick(m),
            _ => None,
        })
        .collect()
}

fn counted(fx: &[Effect], counter: Counter) -> u64 {
    let counts = measured(fx, |m| match m {
        Measurement::Count(c, n) if *c == counter => Some(*n),
        _ => None,
    });
    counts.iter().sum()
}

fn recorded(fx: &[Effect], measure: Measure) -> Vec<Duration> {
    measured(fx, |m| match m {
        Measurement::Record(r, d) if *r == measure => Some(*d),
        _ => None,
    })
}

fn moved(fx: &[Effect], gauge: Gauge) -> i64 {
    let deltas = measured(fx, |m| match m {
        Measurement::Gauge(g, d) if *g == gauge => Some(*d),
        _ => None,
    });
    deltas.iter().sum()
}

fn errors(fx: &[Effect]) -> Vec<String> {
    measured(fx, |m| match m {
        Measurement::Error(kind) => Some(kind.name().into_owned()),
        _ => None,
    })
}

fn answer(id: &str, op: OperationName) -> Action {
    Action::Answer {
        id: id.into(),
        op,
        after: ANSWER_DELAY,
    }
}

fn finish(id: &str, chat_messages: u32) -> Action {
    Action::Finish {
        id: id.into(),
        handle_time: HANDLE_TIME,
        chat_messages,
    }
}

fn set_readiness(ready: bool) -> Vec<Action> {
    ["email", "chat"]
        .map(|channel| Action::SetReadiness { channel, ready })
        .to_vec()
}

fn ready_on_both(desk: &mut Desk, at_ms: u64) {
    for channel in ["email", "chat"] {
        desk.notice(Notice::ChannelReady { channel }, at_ms);
    }
}

mod invites;
mod readiness;
mod stop;
