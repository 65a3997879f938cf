//! Errors of one HTTP exchange, with stable short kind names for reports.

use std::error::Error as StdError;

use hyper::StatusCode;

use crate::metrics::Cause;

/// Why an HTTP exchange failed.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// The whole exchange (connect, send, receive body) exceeded its timeout.
    #[error("HTTP request timed out after {0:?}")]
    Timeout(std::time::Duration),
    /// The TCP connection could not be established.
    #[error("cannot connect: {0}")]
    Connect(String),
    /// The TLS handshake failed (certificate, protocol).
    #[error("TLS failure: {0} (use --insecure for self-signed test servers, or give a CA file)")]
    Tls(String),
    /// The connection broke while sending or receiving.
    #[error("I/O error: {0}")]
    Io(String),
    /// The peer violated HTTP or closed the connection mid-message.
    #[error("HTTP protocol error: {0}")]
    Protocol(String),
    /// The request could not be built (bad URL, header).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// The TLS configuration could not be built (CA file unreadable or empty).
    #[error("TLS configuration: {0}")]
    TlsConfig(String),
    /// The server answered with a status the caller treats as an error.
    #[error("HTTP status {0}")]
    Status(StatusCode),
    /// The response body is larger than the client accepts; the connection
    /// was dropped without reading the rest.
    #[error("response body larger than {limit} bytes (target.max_body_mib)")]
    BodyTooLarge {
        /// The cap, in bytes.
        limit: usize,
    },
}

impl HttpError {
    /// Why, as the cause of an error kind in reports.
    pub fn kind(&self) -> Cause {
        match self {
            HttpError::Timeout(_) => Cause::Timeout,
            HttpError::Connect(_) => Cause::Connect,
            HttpError::Tls(_) => Cause::Tls,
            HttpError::Io(_) => Cause::Io,
            HttpError::Protocol(_) => Cause::HttpProtocol,
            HttpError::InvalidRequest(_) => Cause::InvalidRequest,
            HttpError::TlsConfig(_) => Cause::TlsConfig,
            HttpError::Status(s) if s.is_server_error() => Cause::Status5xx,
            HttpError::Status(s) if s.is_client_error() => Cause::Status4xx,
            HttpError::Status(_) => Cause::StatusOther,
            HttpError::BodyTooLarge { .. } => Cause::BodyTooLarge,
        }
    }

    /// Classifies an error of hyper-util's pooled client by walking its causes.
    pub(crate) fn from_client(err: hyper_util::client::legacy::Error) -> Self {
        let text = error_chain(&err);
        if has_cause::<rustls::Error>(&err) {
            return HttpError::Tls(text);
        }
        if err.is_connect() {
            return HttpError::Connect(text);
        }
        if has_cause::<std::io::Error>(&err) {
            return HttpError::Io(text);
        }
        HttpError::Protocol(text)
    }

    /// Classifies an I/O error of a hand-driven connection
    /// ([`super::LongPollConnection`]): TLS failures surface as I/O errors
    /// wrapping a `rustls::Error`.
    pub(crate) fn from_io(err: std::io::Error) -> Self {
        let text = error_chain(&err);
        if has_cause::<rustls::Error>(&err) {
            HttpError::Tls(text)
        } else {
            HttpError::Io(text)
        }
    }

    /// Classifies an error met while reading a response body capped at `limit`.
    pub(crate) fn from_body(err: Box<dyn StdError + Send + Sync>, limit: usize) -> Self {
        if err.is::<http_body_util::LengthLimitError>() {
            return HttpError::BodyTooLarge { limit };
        }
        let err: &(dyn StdError + 'static) = &*err;
        let text = error_chain(err);
        if has_cause::<std::io::Error>(err) {
            HttpError::Io(text)
        } else {
            HttpError::Protocol(text)
        }
    }
}

fn has_cause<T: StdError + 'static>(err: &(dyn StdError + 'static)) -> bool {
    let mut cur: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = cur {
        if e.is::<T>() {
            return true;
        }
        // io::Error::source() skips the error it wraps; look inside.
        cur = match e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => Some(inner),
            None => e.source(),
        };
    }
    false
}

fn error_chain(err: &(dyn StdError + 'static)) -> String {
    let mut text = err.to_string();
    let mut cur = err.source();
    while let Some(e) = cur {
        text.push_str(": ");
        text.push_str(&e.to_string());
        cur = e.source();
    }
    text
}
