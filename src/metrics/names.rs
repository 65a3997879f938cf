//! The names of every measurement and counter. They are part of the output
//! schema (`summary.json`, CSV columns, hlog tags): renaming one breaks users'
//! gates and dashboards.

/// A latency measurement, recorded into an HdrHistogram in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Measure {
    /// `/meta/handshake` sent -> its reply.
    Handshake,
    /// `/meta/subscribe` sent -> its reply.
    Subscribe,
    /// `StartContactCenterSession` sent -> its reply.
    SessionStart,
    /// Channel `Ready` POST sent -> the `/v2/me/channels` notification confirming it.
    Ready,
    /// `/meta/connect` sent -> its reply, whatever the outcome.
    ConnectCycle,
    /// `/meta/connect` sent -> an empty reply at the server's timeout (hold accuracy).
    ConnectHeld,
    /// A connect reply -> the next connect sent.
    ConnectGap,
    /// The interaction's intended creation time -> its `Invited` notification received.
    InviteDelivery,
    /// `Accept` POST sent -> `Accepted` notification received.
    Accept,
    /// `Reject` POST sent -> its reply.
    Reject,
    /// `StopProcessing`/`Complete` POST sent -> its reply.
    Complete,
    /// The interaction's intended creation time -> its creation request sent
    /// (how far the injector fell behind its schedule).
    InjectionLag,
    /// A pub/sub message's intended publish time -> received by a subscriber
    /// (once per expected delivery).
    MessageDelivery,
    /// A publish sent -> its reply.
    Publish,
    /// A pub/sub message's first receipt -> its last (every expected
    /// subscriber reached).
    FanoutSpread,
}

impl Measure {
    /// Every measurement, in report order.
    pub const ALL: [Measure; 15] = [
        Measure::InviteDelivery,
        Measure::ConnectCycle,
        Measure::ConnectHeld,
        Measure::ConnectGap,
        Measure::Accept,
        Measure::Reject,
        Measure::Complete,
        Measure::Ready,
        Measure::Handshake,
        Measure::Subscribe,
        Measure::SessionStart,
        Measure::InjectionLag,
        Measure::MessageDelivery,
        Measure::Publish,
        Measure::FanoutSpread,
    ];

    /// The schema name (`invite_delivery`, `connect_cycle`, ...).
    pub const fn name(self) -> &'static str {
        match self {
            Measure::Handshake => "handshake",
            Measure::Subscribe => "subscribe",
            Measure::SessionStart => "session_start",
            Measure::Ready => "ready",
            Measure::ConnectCycle => "connect_cycle",
            Measure::ConnectHeld => "connect_held",
            Measure::ConnectGap => "connect_gap",
            Measure::InviteDelivery => "invite_delivery",
            Measure::Accept => "accept",
            Measure::Reject => "reject",
            Measure::Complete => "complete",
            Measure::InjectionLag => "injection_lag",
            Measure::MessageDelivery => "message_delivery",
            Measure::Publish => "publish",
            Measure::FanoutSpread => "fanout_spread",
        }
    }

    /// A dense index, `0..Measure::ALL.len()`, for array-backed recorders.
    pub const fn index(self) -> usize {
        self as usize
    }

    /// Looks a measurement up by its schema name.
    pub fn from_name(name: &str) -> Option<Measure> {
        Measure::ALL.into_iter().find(|m| m.name() == name)
    }
}

/// A monotonically increasing count over the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Counter {
    /// Interactions the injector created.
    InteractionsInjected,
    /// Invites received by agents (first invite of an interaction to an agent).
    InvitesOffered,
    /// Invites the agents accepted (confirmed by an `Accepted` notification).
    InvitesAccepted,
    /// Invites the agents rejected.
    InvitesRejected,
    /// Invites the server revoked (not answered in time).
    InvitesRevoked,
    /// A second invite for an interaction the agent already had.
    InvitesDuplicate,
    /// Offered invites an agent let go of with no other outcome: invited
    /// while it stopped, unanswered at its stop, work abandoned at the
    /// grace's end, or an answer that failed with no revoke following.
    InvitesAbandoned,
    /// Asked for and never offered to any agent: `interactions_not_created`
    /// plus `interactions_never_offered`.
    InteractionsLost,
    /// Creation requests that failed or got no answer (each also an
    /// `inject_*` error), and that no agent was offered either.
    InteractionsNotCreated,
    /// Created (injected), but never offered to any agent by the end of the drain period.
    InteractionsNeverOffered,
    /// Invites whose marker belongs to another run, or that have none
    /// (left queued on the target by someone else): answered as the
    /// behaviour says, but kept out of this run's offers, answers and latencies.
    InvitesForeign,
    /// Interactions finished with `StopProcessing`/`Complete`.
    InteractionsCompleted,
    /// Bayeux re-handshakes (server forgot the session, transport failures).
    Rehandshakes,
    /// Log-in attempts that failed, at whichever step (`GET /me`, handshake,
    /// subscribe, session start); each one's error is counted once, under its kind.
    LoginsFailed,
    /// Pub/sub messages whose publish the server acknowledged.
    MessagesPublished,
    /// Deliveries expected: the room's subscribers at each publish.
    MessagesExpected,
    /// Expected deliveries received (the first receipt of each).
    MessagesDelivered,
    /// Expected deliveries never received by the end of the run.
    MessagesLost,
    /// A message received again by a subscriber that already had it.
    MessagesDuplicate,
}

impl Counter {
    /// Every counter, in report order.
    pub const ALL: [Counter; 19] = [
        Counter::InteractionsInjected,
        Counter::InvitesOffered,
        Counter::InvitesAccepted,
        Counter::InvitesRejected,
        Counter::InvitesRevoked,
        Counter::InvitesDuplicate,
        Counter::InvitesAbandoned,
        Counter::InteractionsLost,
        Counter::InteractionsNotCreated,
        Counter::InteractionsNeverOffered,
        Counter::InvitesForeign,
        Counter::InteractionsCompleted,
        Counter::Rehandshakes,
        Counter::LoginsFailed,
        Counter::MessagesPublished,
        Counter::MessagesExpected,
        Counter::MessagesDelivered,
        Counter::MessagesLost,
        Counter::MessagesDuplicate,
    ];

    /// The schema name (`interactions_injected`, ...).
    pub const fn name(self) -> &'static str {
        match self {
            Counter::InteractionsInjected => "interactions_injected",
            Counter::InvitesOffered => "invites_offered",
            Counter::InvitesAccepted => "invites_accepted",
            Counter::InvitesRejected => "invites_rejected",
            Counter::InvitesRevoked => "invites_revoked",
            Counter::InvitesDuplicate => "invites_duplicate",
            Counter::InvitesAbandoned => "invites_abandoned",
            Counter::InteractionsLost => "interactions_lost",
            Counter::InteractionsNotCreated => "interactions_not_created",
            Counter::InteractionsNeverOffered => "interactions_never_offered",
            Counter::InvitesForeign => "invites_foreign",
            Counter::InteractionsCompleted => "interactions_completed",
            Counter::Rehandshakes => "rehandshakes",
            Counter::LoginsFailed => "logins_failed",
            Counter::MessagesPublished => "messages_published",
            Counter::MessagesExpected => "messages_expected",
            Counter::MessagesDelivered => "messages_delivered",
            Counter::MessagesLost => "messages_lost",
            Counter::MessagesDuplicate => "messages_duplicate",
        }
    }

    /// True for the pub/sub scenario's counters (`messages_*`).
    pub const fn is_pubsub(self) -> bool {
        matches!(
            self,
            Counter::MessagesPublished
                | Counter::MessagesExpected
                | Counter::MessagesDelivered
                | Counter::MessagesLost
                | Counter::MessagesDuplicate
        )
    }

    /// True for the GWS flow's counters (interactions and invites).
    pub const fn is_gws(self) -> bool {
        !self.is_pubsub() && !matches!(self, Counter::Rehandshakes)
    }

    /// A dense index, `0..Counter::ALL.len()`.
    pub const fn index(self) -> usize {
        self as usize
    }

    /// Looks a counter up by its schema name.
    pub fn from_name(name: &str) -> Option<Counter> {
        Counter::ALL.into_iter().find(|c| c.name() == name)
    }
}

/// A level sampled at the end of every interval (not a count).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Gauge {
    /// Agents with a live Bayeux session.
    AgentsConnected,
    /// Agents whose channels are Ready.
    AgentsReady,
    /// `/meta/connect` requests currently held or in flight.
    ConnectsInFlight,
    /// Interactions an agent has accepted and not yet completed.
    InteractionsInProgress,
}

impl Gauge {
    /// Every gauge, in report order.
    pub const ALL: [Gauge; 4] = [
        Gauge::AgentsConnected,
        Gauge::AgentsReady,
        Gauge::ConnectsInFlight,
        Gauge::InteractionsInProgress,
    ];

    /// The schema name (`agents_connected`, ...).
    pub const fn name(self) -> &'static str {
        match self {
            Gauge::AgentsConnected => "agents_connected",
            Gauge::AgentsReady => "agents_ready",
            Gauge::ConnectsInFlight => "connects_in_flight",
            Gauge::InteractionsInProgress => "interactions_in_progress",
        }
    }

    /// A dense index, `0..Gauge::ALL.len()`.
    pub const fn index(self) -> usize {
        self as usize
    }

    /// Looks a gauge up by its schema name.
    pub fn from_name(name: &str) -> Option<Gauge> {
        Gauge::ALL.into_iter().find(|g| g.name() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indexes_are_dense_and_names_round_trip() {
        let mut seen = [false; Measure::ALL.len()];
        for m in Measure::ALL {
            assert!(!seen[m.index()]);
            seen[m.index()] = true;
            assert_eq!(Measure::from_name(m.name()), Some(m));
        }
        let mut seen = [false; Counter::ALL.len()];
        for c in Counter::ALL {
            assert!(!seen[c.index()]);
            seen[c.index()] = true;
            assert_eq!(Counter::from_name(c.name()), Some(c));
        }
        for (i, g) in Gauge::ALL.into_iter().enumerate() {
            assert_eq!(g.index(), i);
            assert_eq!(Gauge::from_name(g.name()), Some(g));
        }
    }
}
