//! Client errors with stable kind names.

use crate::http::HttpError;
use crate::metrics::Cause;

use super::ExchangeKind;

/// Why a client operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The HTTP exchange failed (connect, timeout, TLS, non-Bayeux status).
    #[error(transparent)]
    Http(#[from] HttpError),
    /// The reply was not a Bayeux message array.
    #[error("the server's reply is not Bayeux JSON: {0}")]
    BadReply(String),
    /// The reply did not answer the request.
    #[error("no reply to {0:?} in the server's answer")]
    NoReply(ExchangeKind),
    /// The server refused the request (`successful: false`).
    #[error("{kind:?} refused by the server: {error}")]
    Refused {
        /// Which request.
        kind: ExchangeKind,
        /// The server's `error` string (or a note that it gave none).
        error: String,
    },
    /// The server no longer knows this clientId; handshake again.
    #[error("the server no longer knows this client ({0}); it must handshake again")]
    UnknownClient(String),
    /// No handshake has succeeded yet.
    #[error("not handshaken: call handshake() or run the connect loop first")]
    NotHandshaken,
    /// The server advised `reconnect: none` (or a negative interval).
    #[error("the server advised reconnect \"none\": the session is over and must not be retried")]
    ReconnectNone,
    /// The server ended the session (a `/meta/disconnect` on the held
    /// connect, e.g. CometD's server-side `session.disconnect()`).
    #[error(
        "the server disconnected this client (a /meta/disconnect reply on its connect): \
         the session is over and is not resumed"
    )]
    Disconnected,
}

impl ClientError {
    /// Why, as the cause of an error kind in reports.
    pub fn kind(&self) -> Cause {
        match self {
            ClientError::Http(e) => e.kind(),
            ClientError::BadReply(_) => Cause::BadReply,
            ClientError::NoReply(_) => Cause::NoReply,
            ClientError::Refused { kind, .. } => match kind {
                ExchangeKind::Handshake => Cause::HandshakeRefused,
                ExchangeKind::Subscribe => Cause::SubscribeRefused,
                ExchangeKind::Unsubscribe => Cause::UnsubscribeRefused,
                ExchangeKind::Publish => Cause::PublishRefused,
                ExchangeKind::Connect => Cause::ConnectRefused,
                ExchangeKind::Disconnect => Cause::DisconnectRefused,
            },
            ClientError::UnknownClient(_) => Cause::UnknownClient,
            ClientError::NotHandshaken => Cause::NotHandshaken,
            ClientError::ReconnectNone => Cause::ReconnectNone,
            ClientError::Disconnected => Cause::ServerDisconnect,
        }
    }
}
