//! The agent's decisions as a state machine: plain data and functions, no
//! runtime. Every input (a notice, an action's result, a timer, a
//! re-handshake, the stop) mutates the state and pushes [`Effect`]s (REST
//! actions to start, measurements) that the [task](super::task) carries out;
//! every timer is a deadline the task sleeps until ([`Agent::next_deadline`]).
//! So each path is tested with a fake clock (`machine/tests.rs`).
//!
//! Waits that belong to one action (the answer delay, the handle time) run
//! inside that action: an answer decided is sent even if the invite is
//! revoked meanwhile, which is what `answer_after_revoke` counts.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::SeedableRng;
use rand::rngs::SmallRng;

use super::effect::{Action, Done, Effect, Measurement};
use super::ledger::OfferLedger;
use super::marker::Marker;
use super::notice::Notice;
use super::settings::SharedSettings;
use crate::gws::OperationName;
use crate::gws::StatusCode as GwsStatus;
use crate::gws::calls::CallError;
use crate::metrics::{Cause, Counter, ErrorKind, Gauge, Measure, Step};
use crate::profile::{Answer, OnStop};

/// How long after a successful Accept the agent waits for the `Accepted`
/// notification before handling the interaction anyway: a notification lost
/// with a forgotten Bayeux session must not leave it open forever.
pub const ACCEPT_CONFIRM_WAIT: Duration = Duration::from_secs(5);

/// A `StartContactCenterSession` refused as "invalid state" found the session
/// already started (a retry after a lost reply, a rejoin the server did not
/// need): that is success.
pub fn session_started(result: Result<(), CallError>) -> Result<(), CallError> {
    match result {
        Err(CallError::Refused {
            code: GwsStatus::INVALID_STATE,
            ..
        }) => Ok(()),
        other => other,
    }
}

/// Where one interaction offered to this agent stands.
#[derive(Debug)]
enum Phase {
    /// Invited and deliberately not answered: the server will revoke it.
    Ignored,
    /// A Reject is on its way.
    Rejecting,
    /// Accept POSTed (at `sent`, once the action reports) and/or confirmed by
    /// the `Accepted` notification (at `notified`).
    Accepting {
        sent: Option<Instant>,
        notified: Option<Instant>,
    },
    /// Being handled; a finishing action runs.
    Handling,
    /// Its answer failed with `cause` while it was still held: the server
    /// may have revoked it meanwhile (the `Revoked` notice racing the
    /// refusal), so its outcome waits for that notice until `until`.
    Refused { cause: Cause, until: Instant },
}

/// One interaction offered to this agent.
#[derive(Debug)]
struct Held {
    chat: bool,
    /// Not this run's (another run's marker, or none): answered and handled
    /// as the behaviour says, but kept out of the run's counts and latencies.
    foreign: bool,
    phase: Phase,
}

/// The next NotReady timer: not work in hand, so a stop drops it.
#[derive(Debug, Clone, Copy)]
enum Spell {
    /// Go NotReady at `at` for `length`.
    Due { at: Instant, length: Duration },
    /// Go Ready again at `at`.
    Over { at: Instant },
}

impl Spell {
    fn at(self) -> Instant {
        match self {
            Spell::Due { at, .. } | Spell::Over { at } => at,
        }
    }
}

/// How far a stop has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    /// Not asked to stop.
    Working,
    /// Finishing (or abandoning) work in hand until `grace_until` at the latest.
    Draining { grace_until: Instant },
    /// The grace ran out: log out now.
    GraceOver,
}

/// One agent's state: the interactions offered to it, its readiness, its
/// NotReady spells, its stop, and every deadline.
#[derive(Debug)]
pub struct Agent {
    run: SharedSettings,
    ledger: Arc<OfferLedger>,
    rng: SmallRng,
    interactions: HashMap<String, Held>,
    /// When Ready was sent, per channel not yet confirmed Ready.
    ready_sent: HashMap<&'static str, Instant>,
    ready_channels: usize,
    /// On the `agents_ready` gauge.
    counted_ready: bool,
    spell: Option<Spell>,
    stop: Stop,
    /// When to look for accepts whose `Accepted` notification never came.
    accept_check: Option<Instant>,
    /// Actions started and not reported back yet.
    in_flight: usize,
    /// Finishing actions on the `interactions_in_progress` gauge.
    handling: usize,
}

impl Agent {
    /// Agent `index` (0-based in the profile's pool) of `run`; its random
    /// choices come from its own stream of the run's seed.
    pub fn new(run: SharedSettings, ledger: Arc<OfferLedger>, index: u32) -> Agent {
        let seed = run.seed ^ (u64::from(index) + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        Agent {
            run,
            ledger,
            rng: SmallRng::seed_from_u64(seed),
            interactions: HashMap::new(),
            ready_sent: HashMap::new(),
            ready_channels: 0,
            counted_ready: false,
            spell: None,
            stop: Stop::Working,
            accept_check: None,
            in_flight: 0,
            handling: 0,
        }
    }

    /// Logged in: go Ready on every channel and plan the first NotReady spell.
    pub fn start(&mut self, now: Instant, fx: &mut Vec<Effect>) {
        self.go_ready(now, fx);
        self.plan_spell(now);
    }

    /// A notice received at `at` (stamped when its reply was decoded).
    pub fn on_notice(&mut self, notice: Notice<'_>, at: Instant, fx: &mut Vec<Effect>) {
        match notice {
            Notice::Invited { id, chat, marker } => self.invited(id, chat, marker, at, fx),
            Notice::Revoked { id } => self.revoked(id, fx),
            Notice::Accepted { id } => self.accept_notified(id, at, fx),
            Notice::ChannelReady { channel } => self.channel_ready(channel, at, fx),
        }
    }

    /// An action started by an [`Effect::Start`] ended.
    pub fn on_action_done(&mut self, done: Done, fx: &mut Vec<Effect>) {
        self.in_flight = self.in_flight.saturating_sub(1);
        match done {
            Done::Answered { id, op, call } => {
                self.answered(id, op == OperationName::Accept, call, fx);
            }
            Done::Finished { id, call } => {
                let foreign = self
                    .interactions
                    .remove(&id)
                    .is_some_and(|held| held.foreign);
                if self.handling > 0 {
                    self.handling -= 1;
                    gauge(fx, Gauge::InteractionsInProgress, -1);
                }
                match call.result {
                    Ok(()) if foreign => {}
                    Ok(()) => {
                        record(fx, Measure::Complete, call.took());
                        count(fx, Counter::InteractionsCompleted);
                    }
                    Err(e) => error(fx, Measurement::error(Step::Complete, e.kind())),
                }
            }
            Done::Readiness { result } => {
                if let Err(e) = result {
                    error(fx, Measurement::error(Step::Readiness, e.kind()));
                }
            }
            Done::Rejoined { result } => {
                if let Err(e) = session_started(result) {
                    error(fx, Measurement::error(Step::Rejoin, e.kind()));
                }
            }
        }
    }

    /// An action ended without reporting (aborted, or it panicked).
    pub fn on_action_lost(&mut self) {
        self.in_flight = self.in_flight.saturating_sub(1);
    }

    /// The clock reached [`next_deadline`](Self::next_deadline): handles every
    /// deadline due at `now`.
    pub fn on_timer(&mut self, now: Instant, fx: &mut Vec<Effect>) {
        if let Stop::Draining { grace_until } = self.stop
            && grace_until <= now
        {
            self.stop = Stop::GraceOver;
            return;
        }
        if self.accept_check.is_some_and(|at| at <= now) {
            self.confirm_overdue_accepts(now, fx);
        }
        match self.spell {
            Some(Spell::Due { at, length }) if at <= now => {
                self.go_not_ready(fx);
                self.spell = Some(Spell::Over { at: now + length });
            }
            Some(Spell::Over { at }) if at <= now => {
                self.go_ready(now, fx);
                self.plan_spell(now);
            }
            _ => {}
        }
    }

    /// The Bayeux client handshook again: notifications queued on the
    /// forgotten session are gone, and the server may have ended the
    /// contact-center session with it.
    pub fn on_rehandshake(&mut self, now: Instant, fx: &mut Vec<Effect>) {
        // Every accept sent so far waits for a notification that is gone.
        self.confirm_overdue_accepts(now + ACCEPT_CONFIRM_WAIT, fx);
        if self.is_stopping() {
            return;
        }
        self.start_action(Action::Rejoin, fx);
        self.forget_readiness(fx);
        self.go_ready(now, fx);
    }

    /// Asked to stop at `now`: NotReady on every channel, then finish or
    /// abandon work in hand as the profile says, for the run's stop grace at most.
    pub fn stop(&mut self, now: Instant, fx: &mut Vec<Effect>) {
        if self.is_stopping() {
            return;
        }
        self.stop = Stop::Draining {
            grace_until: now + self.run.stop_grace,
        };
        self.spell = None;
        if self.run.behaviour.on_stop == OnStop::Finish {
            // Answers and handling in flight run to their end; invites left
            // unanswered are the server's to revoke (or to requeue at the
            // log-out), no longer this agent's to count.
            self.let_go(|held| !matches!(held.phase, Phase::Ignored), fx);
        } else {
            self.abandon(fx);
        }
        self.go_not_ready(fx);
    }

    /// Gives up every action and interaction in hand (a stop that abandons
    /// work, a grace that ran out, a connect loop that ended), taking the
    /// ones being handled off the in-progress gauge.
    pub fn abandon(&mut self, fx: &mut Vec<Effect>) {
        self.settle_refused(None, fx);
        if self.in_flight > 0 {
            fx.push(Effect::AbortActions);
        }
        if self.handling > 0 {
            gauge(fx, Gauge::InteractionsInProgress, -(self.handling as i64));
            self.handling = 0;
        }
        self.let_go(|_| false, fx);
    }

    /// Drops the interactions `keep` does not keep; each of the run's own
    /// that had no outcome yet (not accepted) counts as `invites_abandoned`,
    /// so every offer ends counted once.
    fn let_go(&mut self, keep: impl Fn(&Held) -> bool, fx: &mut Vec<Effect>) {
        let mut abandoned = 0;
        self.interactions.retain(|_, held| {
            let kept = keep(held);
            if !kept && !held.foreign && !matches!(held.phase, Phase::Handling) {
                abandoned += 1;
            }
            kept
        });
        if abandoned > 0 {
            fx.push(Effect::Measured(Measurement::Count(
                Counter::InvitesAbandoned,
                abandoned,
            )));
        }
    }

    /// Logged out: no channel is Ready any more.
    pub fn logged_out(&mut self, fx: &mut Vec<Effect>) {
        self.forget_readiness(fx);
    }

    /// True once asked to stop.
    pub fn is_stopping(&self) -> bool {
        self.stop != Stop::Working
    }

    /// True once a stop has run its course (no interaction or action left, or
    /// the grace ran out): log out now.
    pub fn stopped(&self) -> bool {
        match self.stop {
            Stop::Working => false,
            Stop::Draining { .. } => self.interactions.is_empty() && self.in_flight == 0,
            Stop::GraceOver => true,
        }
    }

    /// The earliest deadline to wake [`on_timer`](Self::on_timer) for.
    pub fn next_deadline(&self) -> Option<Instant> {
        let grace = match self.stop {
            Stop::Draining { grace_until } => Some(grace_until),
            Stop::Working | Stop::GraceOver => None,
        };
        [grace, self.accept_check, self.spell.map(Spell::at)]
            .into_iter()
            .flatten()
            .min()
    }

    fn invited(
        &mut self,
        id: &str,
        chat: bool,
        marker: Option<Marker>,
        at: Instant,
        fx: &mut Vec<Effect>,
    ) {
        let foreign = marker.is_none();
        if let Some(held) = self.interactions.get(id) {
            if !held.foreign {
                count(fx, Counter::InvitesDuplicate);
            }
            return;
        }
        count(
            fx,
            if foreign {
                Counter::InvitesForeign
            } else {
                Counter::InvitesOffered
            },
        );
        // Delivery is measured on an interaction's first offer only: a
        // re-offer after a reject or revoke would add the first agent's
        // answer time to what is meant to be the server's delivery latency.
        if let Some(marker) = marker
            && self.ledger.offered(marker.seq)
        {
            let intended = self.run.instant_of_unix_us(marker.created_us);
            let delivery_us = match at.checked_duration_since(intended) {
                Some(latency) => {
                    record(fx, Measure::InviteDelivery, latency);
                    i64::try_from(latency.as_micros()).unwrap_or(i64::MAX)
                }
                // Stamped on another process's clock, ahead of this one's: a
                // zero sample would hide the skew, so it is an error instead.
                None => {
                    fx.push(Effect::Measured(Measurement::Error(ErrorKind::ClockSkew)));
                    let ahead = intended.duration_since(at).as_micros();
                    -i64::try_from(ahead).unwrap_or(i64::MAX)
                }
            };
            fx.push(Effect::Measured(Measurement::FirstOffer {
                seq: marker.seq,
                delivery_us,
            }));
        }
        if self.is_stopping() {
            // Leave it: the server revokes it and offers it to a working agent.
            if !foreign {
                count(fx, Counter::InvitesAbandoned);
            }
            return;
        }
        let behaviour = &self.run.behaviour;
        let (op, phase) = match behaviour.answer(&mut self.rng) {
            Answer::NoAnswer => {
                let phase = Phase::Ignored;
                let held = Held {
                    chat,
                    foreign,
                    phase,
                };
                self.interactions.insert(id.to_owned(), held);
                return;
            }
            Answer::Accept => (
                OperationName::Accept,
                Phase::Accepting {
                    sent: None,
                    notified: None,
                },
            ),
            Answer::Reject => (OperationName::Reject, Phase::Rejecting),
        };
        let after = behaviour.answer_delay.sample(&mut self.rng);
        let held = Held {
            chat,
            foreign,
            phase,
        };
        self.interactions.insert(id.to_owned(), held);
        let id = id.to_owned();
        self.start_action(Action::Answer { id, op, after }, fx);
    }

    fn accept_notified(&mut self, id: &str, at: Instant, fx: &mut Vec<Effect>) {
        match self.interactions.get_mut(id).map(|h| &mut h.phase) {
            Some(Phase::Accepting {
                sent: Some(sent), ..
            }) => {
                let latency = at.saturating_duration_since(*sent);
                self.handle(id, Some(latency), fx);
            }
            Some(Phase::Accepting { notified, .. }) => *notified = Some(at),
            // Later `Accepted` notifications carry chat updates: nothing to do.
            _ => {}
        }
    }

    /// An accepted interaction: counts it and handles it; `latency` is the
    /// `accept` measurement when the confirmation was observed.
    fn handle(&mut self, id: &str, latency: Option<Duration>, fx: &mut Vec<Effect>) {
        let Some(held) = self.interactions.get_mut(id) else {
            return;
        };
        held.phase = Phase::Handling;
        let chat = held.chat;
        if !held.foreign {
            if let Some(latency) = latency {
                record(fx, Measure::Accept, latency);
            }
            count(fx, Counter::InvitesAccepted);
        }
        self.handling += 1;
        gauge(fx, Gauge::InteractionsInProgress, 1);
        let behaviour = &self.run.behaviour;
        let handle_time = behaviour.handle_time.sample(&mut self.rng);
        let messages = behaviour.chat_messages.sample(&mut self.rng);
        let action = Action::Finish {
            id: id.to_owned(),
            handle_time,
            chat_messages: if chat { messages } else { 0 },
        };
        self.start_action(action, fx);
    }

    fn channel_ready(&mut self, channel: &str, at: Instant, fx: &mut Vec<Effect>) {
        // Only channels this agent sent Ready on and has not seen Ready yet.
        let Some(sent) = self.ready_sent.remove(channel) else {
            return;
        };
        record(fx, Measure::Ready, at.saturating_duration_since(sent));
        self.ready_channels += 1;
        if self.ready_channels == self.run.channels.len() && !self.counted_ready {
            self.counted_ready = true;
            gauge(fx, Gauge::AgentsReady, 1);
        }
    }

    fn go_ready(&mut self, now: Instant, fx: &mut Vec<Effect>) {
        for &channel in &self.run.channels {
            self.ready_sent.insert(channel, now);
        }
        self.set_readiness(true, fx);
    }

    fn go_not_ready(&mut self, fx: &mut Vec<Effect>) {
        self.forget_readiness(fx);
        self.set_readiness(false, fx);
    }

    fn set_readiness(&mut self, ready: bool, fx: &mut Vec<Effect>) {
        for i in 0..self.run.channels.len() {
            let channel = self.run.channels[i];
            self.start_action(Action::SetReadiness { channel, ready }, fx);
        }
    }

    fn forget_readiness(&mut self, fx: &mut Vec<Effect>) {
        self.ready_sent.clear();
        self.ready_channels = 0;
        if self.counted_ready {
            self.counted_ready = false;
            gauge(fx, Gauge::AgentsReady, -1);
        }
    }

    /// Plans the next NotReady spell from `now`, if the profile asks for them.
    fn plan_spell(&mut self, now: Instant) {
        self.spell = self.run.behaviour.not_ready.as_ref().map(|spells| {
            let wait = spells.every.sample(&mut self.rng);
            let length = spells.duration.sample(&mut self.rng);
            Spell::Due {
                at: now + wait,
                length,
            }
        });
    }

    fn start_action(&mut self, action: Action, fx: &mut Vec<Effect>) {
        self.in_flight += 1;
        fx.push(Effect::Start(action));
    }
}

fn record(fx: &mut Vec<Effect>, measure: Measure, latency: Duration) {
    fx.push(Effect::Measured(Measurement::Record(measure, latency)));
}

fn count(fx: &mut Vec<Effect>, counter: Counter) {
    fx.push(Effect::Measured(Measurement::Count(counter, 1)));
}

fn gauge(fx: &mut Vec<Effect>, gauge: Gauge, delta: i64) {
    fx.push(Effect::Measured(Measurement::Gauge(gauge, delta)));
}

fn error(fx: &mut Vec<Effect>, error: Measurement) {
    fx.push(Effect::Measured(error));
}

mod answers;
#[cfg(test)]
mod tests;
