//! The catalogue of error kinds: every error a run counts is one
//! [`ErrorKind`], and its [`name`](ErrorKind::name) is the key under `errors`
//! in every output and in `errors.<kind>` gates. The names are an interface
//! (users' gates, golden files), so they never change; the README's "Error
//! kinds" table lists them and a test keeps the two in step.
//!
//! Most kinds are a [`Step`] that failed and the [`Cause`] why
//! (`answer_http_503`, `login_timeout`); a failed Bayeux exchange is counted
//! by its cause alone (`unknown_client`); the rest stand alone
//! (`accept_unconfirmed`).

use std::borrow::Cow;
use std::fmt;

/// A step of an agent's (or the injector's) work whose failure is counted
/// as `<step>_<cause>`. The log-in's handshake and subscribes are not steps:
/// they are Bayeux exchanges, counted once by their cause alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Step {
    /// `GET /api/v2/me` with the agent's credentials.
    Login,
    /// `StartContactCenterSession` (channels, place).
    SessionStart,
    /// Accepting or rejecting an invite.
    Answer,
    /// Completing (or ending) a handled interaction.
    Complete,
    /// Setting the agent Ready again.
    Readiness,
    /// Starting the contact-center session again after a re-handshake.
    Rejoin,
    /// Sending a chat message while handling.
    SendMessage,
    /// Ending the contact-center session at log-out.
    SessionEnd,
    /// The injector creating an interaction.
    Inject,
}

impl Step {
    /// Every step, in the README's order.
    pub const ALL: [Step; 9] = [
        Step::Login,
        Step::SessionStart,
        Step::Answer,
        Step::Complete,
        Step::Readiness,
        Step::Rejoin,
        Step::SendMessage,
        Step::SessionEnd,
        Step::Inject,
    ];

    /// The step's part of an error-kind name.
    pub fn name(self) -> &'static str {
        match self {
            Step::Login => "login",
            Step::SessionStart => "session_start",
            Step::Answer => "answer",
            Step::Complete => "complete",
            Step::Readiness => "readiness",
            Step::Rejoin => "rejoin",
            Step::SendMessage => "send_message",
            Step::SessionEnd => "session_end",
            Step::Inject => "inject",
        }
    }
}

/// Why a step or a Bayeux exchange failed: what the HTTP layer, the GWS
/// calls and the Bayeux client report as their error's `kind()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cause {
    /// The exchange exceeded its timeout.
    Timeout,
    /// The TCP connection could not be established.
    Connect,
    /// The TLS handshake failed.
    Tls,
    /// The connection broke while sending or receiving.
    Io,
    /// The peer violated HTTP or closed mid-message.
    HttpProtocol,
    /// The request could not be built (bad URL, header).
    InvalidRequest,
    /// The TLS configuration could not be built.
    TlsConfig,
    /// A Bayeux exchange got an HTTP 5xx.
    Status5xx,
    /// A Bayeux exchange got an HTTP 4xx.
    Status4xx,
    /// A Bayeux exchange got another non-2xx status.
    StatusOther,
    /// A response body was over the run's cap (`[target] max_body_mib`); the connection was dropped.
    BodyTooLarge,
    /// A GWS call or an injection got this HTTP error status.
    HttpStatus(u16),
    /// A GWS call was answered 2xx with this `statusCode` (not 0 or 7).
    GwsStatus(u32),
    /// The reply is not what the protocol says (not a GWS status, not Bayeux JSON).
    BadReply,
    /// The Bayeux reply did not answer the request.
    NoReply,
    /// The server refused the Bayeux handshake.
    HandshakeRefused,
    /// The server refused a Bayeux subscribe.
    SubscribeRefused,
    /// The server refused a Bayeux unsubscribe.
    UnsubscribeRefused,
    /// The server refused a Bayeux publish.
    PublishRefused,
    /// The server refused a Bayeux connect.
    ConnectRefused,
    /// The server refused a Bayeux disconnect.
    DisconnectRefused,
    /// The server no longer knows the Bayeux clientId.
    UnknownClient,
    /// A Bayeux request was made before any handshake succeeded.
    NotHandshaken,
    /// The server advised `reconnect: none`.
    ReconnectNone,
    /// The server disconnected the client (a `/meta/disconnect` on its held connect); it stops.
    ServerDisconnect,
}

impl Cause {
    /// Every cause, the parametrised ones with an example value.
    pub const ALL: [Cause; 25] = [
        Cause::Timeout,
        Cause::Connect,
        Cause::Tls,
        Cause::Io,
        Cause::HttpProtocol,
        Cause::InvalidRequest,
        Cause::TlsConfig,
        Cause::Status5xx,
        Cause::Status4xx,
        Cause::StatusOther,
        Cause::BodyTooLarge,
        Cause::HttpStatus(503),
        Cause::GwsStatus(2),
        Cause::BadReply,
        Cause::NoReply,
        Cause::HandshakeRefused,
        Cause::SubscribeRefused,
        Cause::UnsubscribeRefused,
        Cause::PublishRefused,
        Cause::ConnectRefused,
        Cause::DisconnectRefused,
        Cause::UnknownClient,
        Cause::NotHandshaken,
        Cause::ReconnectNone,
        Cause::ServerDisconnect,
    ];

    /// The cause's part of an error-kind name (`http_503`, `gws_status_2`).
    pub fn name(self) -> Cow<'static, str> {
        Cow::Borrowed(match self {
            Cause::Timeout => "timeout",
            Cause::Connect => "connect",
            Cause::Tls => "tls",
            Cause::Io => "io",
            Cause::HttpProtocol => "http_protocol",
            Cause::InvalidRequest => "invalid_request",
            Cause::TlsConfig => "tls_config",
            Cause::Status5xx => "status_5xx",
            Cause::Status4xx => "status_4xx",
            Cause::StatusOther => "status_other",
            Cause::BodyTooLarge => "body_too_large",
            Cause::HttpStatus(status) => return Cow::Owned(format!("http_{status}")),
            Cause::GwsStatus(code) => return Cow::Owned(format!("gws_status_{code}")),
            Cause::BadReply => "bad_reply",
            Cause::NoReply => "no_reply",
            Cause::HandshakeRefused => "handshake_refused",
            Cause::SubscribeRefused => "subscribe_refused",
            Cause::UnsubscribeRefused => "unsubscribe_refused",
            Cause::PublishRefused => "publish_refused",
            Cause::ConnectRefused => "connect_refused",
            Cause::DisconnectRefused => "disconnect_refused",
            Cause::UnknownClient => "unknown_client",
            Cause::NotHandshaken => "not_handshaken",
            Cause::ReconnectNone => "reconnect_none",
            Cause::ServerDisconnect => "server_disconnect",
        })
    }
}

/// One kind of error a run counts. Cheap to record: plain data, named only
/// when an interval is collected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// A step failed: `<step>_<cause>` (`answer_http_503`).
    Step(Step, Cause),
    /// A Bayeux exchange (handshake, subscribe, connect...) failed, counted
    /// for every exchange, the connect loop's included: `<cause>`
    /// (`unknown_client`, `timeout`).
    Exchange(Cause),
    /// An answer sent after the invite was revoked was refused (the answer
    /// delay racing the invite timeout, not a server fault).
    AnswerAfterRevoke,
    /// An accept succeeded but its `Accepted` notification never came; the
    /// agent handled the interaction anyway.
    AcceptUnconfirmed,
    /// A Bayeux message's data is not a notification the agent can read.
    BadNotification,
    /// An agent ended with a failure (its connect loop gave up).
    AgentFailed,
    /// Agents still running at the stop's bound were aborted.
    AgentStopTimeout,
    /// The notifications URL derived from the target is not a valid URL.
    BadNotificationsUrl,
    /// The injector's creation URL derived from the target is not a valid URL.
    InjectBadUrl,
    /// An interaction's creation request still had no answer when the run
    /// settled its totals (the injection API stalled): not created.
    InjectUnanswered,
    /// A delivery's intended time (stamped by another process, another
    /// machine's clock) is after its receipt: the clocks disagree, so no
    /// latency is recorded for it.
    ClockSkew,
}

impl ErrorKind {
    /// The kinds that stand alone (neither a step nor an exchange).
    pub const STANDALONE: [ErrorKind; 9] = [
        ErrorKind::AnswerAfterRevoke,
        ErrorKind::AcceptUnconfirmed,
        ErrorKind::BadNotification,
        ErrorKind::AgentFailed,
        ErrorKind::AgentStopTimeout,
        ErrorKind::BadNotificationsUrl,
        ErrorKind::InjectBadUrl,
        ErrorKind::InjectUnanswered,
        ErrorKind::ClockSkew,
    ];

    /// The stable name under `errors` in every output and in gates.
    pub fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed(match self {
            ErrorKind::Step(step, cause) => {
                return Cow::Owned(format!("{}_{}", step.name(), cause.name()));
            }
            ErrorKind::Exchange(cause) => return cause.name(),
            ErrorKind::AnswerAfterRevoke => "answer_after_revoke",
            ErrorKind::AcceptUnconfirmed => "accept_unconfirmed",
            ErrorKind::BadNotification => "bad_notification",
            ErrorKind::AgentFailed => "agent_failed",
            ErrorKind::AgentStopTimeout => "agent_stop_timeout",
            ErrorKind::BadNotificationsUrl => "bad_notifications_url",
            ErrorKind::InjectBadUrl => "inject_bad_url",
            ErrorKind::InjectUnanswered => "inject_unanswered",
            ErrorKind::ClockSkew => "clock_skew",
        })
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

#[cfg(test)]
mod tests;
