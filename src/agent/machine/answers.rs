//! How an invite's answer ends: a reject counted, an accept waiting for its
//! `Accepted` notification (or handled anyway when it never comes), and a
//! failed answer waiting for the server's `Revoked` notice, so that each
//! offered invite ends counted once: accepted, rejected, revoked, or
//! abandoned (its answer failed for good, or the agent let it go).

use std::time::Instant;

use super::{ACCEPT_CONFIRM_WAIT, Agent, Phase, count, error, record};
use crate::agent::effect::{Call, Effect, Measurement};
use crate::gws::StatusCode as GwsStatus;
use crate::metrics::{Cause, Counter, ErrorKind, Measure, Step};

/// A refusal that says the interaction is gone (not found, or no longer in
/// a state to be answered): what the server answers after a revoke.
fn gone(cause: Cause) -> bool {
    matches!(cause, Cause::HttpStatus(404)) || cause == Cause::GwsStatus(GwsStatus::INVALID_STATE.0)
}

impl Agent {
    pub(super) fn answered(&mut self, id: String, accept: bool, call: Call, fx: &mut Vec<Effect>) {
        if let Err(e) = &call.result {
            self.answer_failed(&id, e.kind(), call.replied, fx);
            return;
        }
        if !accept {
            if self
                .interactions
                .remove(&id)
                .is_some_and(|held| !held.foreign)
            {
                record(fx, Measure::Reject, call.took());
                count(fx, Counter::InvitesRejected);
            }
            return;
        }
        let sent = call.sent;
        match self.interactions.get_mut(&id).map(|h| &mut h.phase) {
            Some(Phase::Accepting {
                notified: Some(at), ..
            }) => {
                let latency = at.saturating_duration_since(sent);
                self.handle(&id, Some(latency), fx);
            }
            Some(Phase::Accepting { sent: s, .. }) => {
                *s = Some(sent);
                self.check_by(sent + ACCEPT_CONFIRM_WAIT);
            }
            _ => {}
        }
    }

    /// An answer that failed. After a revoke the server rightly refuses it,
    /// which is the profile's answer delay racing the invite timeout, not a
    /// server error. When the `Revoked` notice came first the invite is gone
    /// already. Otherwise the invite stays held, [`ACCEPT_CONFIRM_WAIT`] at
    /// most, so its revoke is still counted when it comes; a refusal saying
    /// the interaction is gone waits for that notice to be named (see
    /// [`Agent::revoked`]), any other is the server's error at once.
    fn answer_failed(&mut self, id: &str, cause: Cause, at: Instant, fx: &mut Vec<Effect>) {
        match self.interactions.get_mut(id) {
            None => error(fx, Measurement::Error(ErrorKind::AnswerAfterRevoke)),
            Some(held) => {
                if !gone(cause) {
                    error(fx, Measurement::error(Step::Answer, cause));
                }
                let until = at + ACCEPT_CONFIRM_WAIT;
                held.phase = Phase::Refused { cause, until };
                self.check_by(until);
            }
        }
    }

    /// The server took invite `id` away: counted revoked (once, and only
    /// for the run's own interactions); an answer refused meanwhile as gone
    /// was refused because of it (`answer_after_revoke`).
    pub(super) fn revoked(&mut self, id: &str, fx: &mut Vec<Effect>) {
        let Some(held) = self.interactions.remove(id) else {
            return;
        };
        if let Phase::Refused { cause, .. } = held.phase
            && gone(cause)
        {
            error(fx, Measurement::Error(ErrorKind::AnswerAfterRevoke));
        }
        if !held.foreign {
            count(fx, Counter::InvitesRevoked);
        }
    }

    /// Arms the overdue check for `due` unless it is armed earlier.
    fn check_by(&mut self, due: Instant) {
        if self.accept_check.is_none_or(|armed| due < armed) {
            self.accept_check = Some(due);
        }
    }

    /// Refused answers whose revoke did not come by `now` (every one when
    /// `now` is `None`: work abandoned) failed for good and are dropped
    /// (`invites_abandoned`); one
    /// refused as gone is counted now as the answer's error (`answer_http_404`),
    /// the others were counted when refused. Returns the earliest deadline
    /// of those still waiting.
    pub(super) fn settle_refused(
        &mut self,
        now: Option<Instant>,
        fx: &mut Vec<Effect>,
    ) -> Option<Instant> {
        let mut failed = Vec::new();
        let mut next: Option<Instant> = None;
        for (id, held) in &self.interactions {
            if let Phase::Refused { cause, until } = held.phase {
                if now.is_none_or(|now| until <= now) {
                    failed.push((id.clone(), cause));
                } else {
                    next = Some(next.map_or(until, |n| n.min(until)));
                }
            }
        }
        failed.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        for (id, cause) in failed {
            if self
                .interactions
                .remove(&id)
                .is_some_and(|held| !held.foreign)
            {
                count(fx, Counter::InvitesAbandoned);
            }
            if gone(cause) {
                error(fx, Measurement::error(Step::Answer, cause));
            }
        }
        next
    }

    /// Accepts whose Accept call succeeded at least [`ACCEPT_CONFIRM_WAIT`]
    /// before `now` but whose `Accepted` notification never came (lost with a
    /// forgotten Bayeux session or a reset connect) are handled anyway: the
    /// server holds them as accepted, so leaving them would keep them open
    /// until the agent logs out. Counted as `accept_unconfirmed`, and without
    /// an `accept` latency, which was never observed. Refused answers whose
    /// revoke did not come are settled too.
    pub(super) fn confirm_overdue_accepts(&mut self, now: Instant, fx: &mut Vec<Effect>) {
        let mut overdue = Vec::new();
        let mut next = self.settle_refused(Some(now), fx);
        for (id, held) in &self.interactions {
            if let Phase::Accepting {
                sent: Some(sent),
                notified: None,
            } = held.phase
            {
                let due = sent + ACCEPT_CONFIRM_WAIT;
                if due <= now {
                    overdue.push(id.clone());
                } else {
                    next = Some(next.map_or(due, |n| n.min(due)));
                }
            }
        }
        // In a fixed order, so a seed's draws of handle times do not depend
        // on the table's hashing.
        overdue.sort_unstable();
        for id in overdue {
            error(fx, Measurement::Error(ErrorKind::AcceptUnconfirmed));
            self.handle(&id, None, fx);
        }
        self.accept_check = next;
    }
}
