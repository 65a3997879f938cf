//! What the agent's state machine asks of the task that runs it: REST
//! actions to start, and measurements for the run's sinks; and what a
//! finished action reports back. Plain data, so the decisions that produce
//! them are tested without a network or a clock.

use std::time::{Duration, Instant};

use crate::gws::OperationName;
use crate::gws::calls::CallError;
use crate::metrics::{Cause, Counter, ErrorKind, Gauge, Measure, Step};

/// Something the task must do after one step of the agent.
#[derive(Debug)]
pub enum Effect {
    /// Run `Action` concurrently; it reports back as a [`Done`].
    Start(Action),
    /// Abort every action in flight (work abandoned on stop). Each still
    /// reports back, as its `Done` if it had ended or as lost.
    AbortActions,
    /// Hand a measurement to the run's sinks.
    Measured(Measurement),
}

/// One REST call (with the wait before it) that runs beside the agent's loop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// After `after`, answer invite `id` with `op` (Accept or Reject).
    Answer {
        /// The interaction.
        id: String,
        /// `Accept` or `Reject`.
        op: OperationName,
        /// The answer delay drawn for this invite.
        after: Duration,
    },
    /// Work on accepted interaction `id` for `handle_time`, sending
    /// `chat_messages` messages spread evenly over it, then finish it with the
    /// message model's finishing operation.
    Finish {
        /// The interaction.
        id: String,
        /// The handle time drawn for it.
        handle_time: Duration,
        /// Messages to send into it (0 unless it is a chat).
        chat_messages: u32,
    },
    /// Set `channel` Ready or NotReady.
    SetReadiness {
        /// `email`, `chat`, ... as on the wire.
        channel: &'static str,
        /// Ready when true, NotReady when false.
        ready: bool,
    },
    /// Start the contact-center session again (after a re-handshake).
    Rejoin,
}

/// What an [`Action`] reports when it ends.
#[derive(Debug)]
pub enum Done {
    /// An [`Action::Answer`] got its reply.
    Answered {
        /// The interaction.
        id: String,
        /// `Accept` or `Reject`.
        op: OperationName,
        /// The answer (sent after the answer delay).
        call: Call,
    },
    /// An [`Action::Finish`] sent its finishing call.
    Finished {
        /// The interaction.
        id: String,
        /// The finishing call.
        call: Call,
    },
    /// An [`Action::SetReadiness`] ended.
    Readiness {
        /// The final outcome.
        result: Result<(), CallError>,
    },
    /// An [`Action::Rejoin`] ended.
    Rejoined {
        /// The final outcome.
        result: Result<(), CallError>,
    },
}

/// One timed REST call, retries included.
#[derive(Debug)]
pub struct Call {
    /// When it was first sent.
    pub sent: Instant,
    /// When its final reply came (or it failed).
    pub replied: Instant,
    /// The final outcome.
    pub result: Result<(), CallError>,
}

impl Call {
    /// How long it took, from first sent to final reply.
    pub fn took(&self) -> Duration {
        self.replied.saturating_duration_since(self.sent)
    }
}

/// A measurement an agent made, in the names of the output schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Measurement {
    /// A latency sample.
    Record(Measure, Duration),
    /// Adds to a counter.
    Count(Counter, u64),
    /// Moves a gauge by a delta.
    Gauge(Gauge, i64),
    /// Counts one error of a kind (`answer_http_503`, `accept_unconfirmed`, ...).
    Error(ErrorKind),
    /// Interaction `seq` was offered to an agent of this process for the
    /// first time; `delivery_us` is its `invite_delivery` sample as recorded
    /// (negative: its intended time was after the receipt, a clock skew).
    /// Only a shard keeps it (for its `seqs.log`).
    FirstOffer {
        /// The interaction's sequence number.
        seq: u64,
        /// The delivery latency in µs, signed.
        delivery_us: i64,
    },
}

impl Measurement {
    /// The error of a failed step, named `<step>_<cause>`
    /// (`answer_http_503`, `complete_timeout`, `login_gws_status_2`, ...).
    pub fn error(step: Step, cause: Cause) -> Measurement {
        Measurement::Error(ErrorKind::Step(step, cause))
    }
}
