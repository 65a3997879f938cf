//! The process-wide pooled HTTP client.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::header::{CONTENT_TYPE, HeaderMap, HeaderValue};
use hyper::{Method, Request, StatusCode, Uri};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};

use super::{HttpError, HttpSession, LongPollConnection, TlsOptions, tls};

/// One pooled HTTP/1.1 client (http and https) shared by every agent of a
/// process. Cheap to clone: every agent holds one, so the pool's client
/// (about 300 bytes) is shared rather than copied.
#[derive(Clone, Debug)]
pub struct HttpClient {
    inner: Arc<Client<HttpsConnector<HttpConnector>, Full<Bytes>>>,
    /// The same TLS setup, for [`LongPollConnection`]s.
    tls: Arc<rustls::ClientConfig>,
    /// Largest response body accepted, in bytes (see [`HttpClient::with_max_body`]).
    max_body: usize,
}

/// Default cap on a response body: a GWS or Bayeux reply is kilobytes, so
/// this is generous, yet a few agents at the cap stay within a few hundred MiB.
pub const DEFAULT_MAX_BODY: usize = 16 << 20;

/// A complete response: status, headers and the collected body.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    /// The HTTP status.
    pub status: StatusCode,
    /// The response headers (Set-Cookie already absorbed by the session).
    pub headers: HeaderMap,
    /// The whole body.
    pub body: Bytes,
}

/// Read buffer of each pooled connection. Hyper's adaptive default reserves
/// 8 KiB per connection; GWS REST replies are a few hundred bytes, and up to
/// [`POOL_MAX_IDLE_PER_HOST`] connections sit idle. (Held long-polls do not use
/// the pool at all: see [`LongPollConnection`].)
const READ_BUFFER: usize = 4096;

/// Idle connections kept per host (see [`HttpClient::new`]).
pub const POOL_MAX_IDLE_PER_HOST: usize = 512;

impl HttpClient {
    /// Builds the pool. Any agent's request may use any idle connection
    /// (sessions ride in headers, not connections), so beyond the long-polls
    /// in flight a few hundred idle connections serve every agent's REST
    /// calls; capping them keeps a 10,000-agent run within the open-file limit.
    pub fn new(tls_options: &TlsOptions) -> Result<Self, HttpError> {
        let config = tls::client_config(tls_options)?;
        let tls = Arc::new(config.clone());
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(Some(Duration::from_secs(10)));
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(config)
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let inner = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .pool_timer(TokioTimer::new())
            .pool_max_idle_per_host(POOL_MAX_IDLE_PER_HOST)
            .http1_read_buf_exact_size(READ_BUFFER)
            .build(connector);
        Ok(Self {
            inner: Arc::new(inner),
            tls,
            max_body: DEFAULT_MAX_BODY,
        })
    }

    /// The same client with another cap on every response body, pooled and
    /// long-poll alike: a body over it is [`HttpError::BodyTooLarge`], and
    /// its connection is dropped unread.
    pub fn with_max_body(mut self, bytes: usize) -> Self {
        self.max_body = bytes;
        self
    }

    /// A dedicated connection to `url` for a held long-poll, outside the
    /// pool, with the pool's TLS setup (see [`LongPollConnection`] for why).
    pub fn long_poll(&self, url: &Uri) -> Result<LongPollConnection, HttpError> {
        LongPollConnection::new(url, &self.tls, self.max_body)
    }

    /// Sends one request with the session's cookies and headers, absorbs the
    /// response's cookies, and collects the body; the whole exchange is
    /// bounded by `timeout`. Any status is `Ok`: callers decide.
    pub async fn request(
        &self,
        session: &HttpSession,
        method: Method,
        url: &Uri,
        content_type: Option<&'static str>,
        body: Bytes,
        timeout: Duration,
    ) -> Result<HttpResponse, HttpError> {
        let mut req = Request::new(Full::new(body));
        *req.method_mut() = method;
        *req.uri_mut() = url.clone();
        let headers = req.headers_mut();
        session.apply(headers);
        if let Some(ct) = content_type {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static(ct));
        }
        let exchange = async {
            let resp = self
                .inner
                .request(req)
                .await
                .map_err(HttpError::from_client)?;
            let (parts, body) = resp.into_parts();
            session.absorb(&parts.headers);
            // A declared length over the cap is refused before reading; an
            // undeclared one is counted as it arrives.
            let declared = parts
                .headers
                .get(hyper::header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok()?.trim().parse::<u64>().ok());
            if declared.is_some_and(|n| n > self.max_body as u64) {
                return Err(HttpError::BodyTooLarge {
                    limit: self.max_body,
                });
            }
            let body = Limited::new(body, self.max_body)
                .collect()
                .await
                .map_err(|e| HttpError::from_body(e, self.max_body))?
                .to_bytes();
            Ok(HttpResponse {
                status: parts.status,
                headers: parts.headers,
                body,
            })
        };
        match tokio::time::timeout(timeout, exchange).await {
            Ok(result) => result,
            Err(_) => Err(HttpError::Timeout(timeout)),
        }
    }
}
