//! A dedicated HTTP/1.1 connection for one agent's held `/meta/connect`.
//!
//! Why not the pool: ten thousand agents each hold a long-poll nearly all the
//! time, and hyper keeps about 25 KiB of buffers and channels per connection
//! (docs/measurements/scale-10k.md), more than the whole agent. This
//! connection does one exchange at a time, allocates its read buffer only once
//! the answer starts to arrive and frees it after, so a held connect costs the
//! socket and the waiting future.

use std::io::{self, Write as _};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use hyper::header::{HeaderMap, HeaderName, HeaderValue};
use hyper::{StatusCode, Uri};
use rustls::pki_types::ServerName;
use tokio::io::{AsyncReadExt, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpSocket, TcpStream};
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use super::{HttpError, HttpResponse, HttpSession};

/// First read buffer: a connect reply carrying an invite is 1-2 KB.
const FIRST_READ: usize = 2048;
/// A response head larger than this is refused (hyper's default is 400 KiB
/// for a whole buffer; Bayeux servers send a handful of headers).
const MAX_HEAD: usize = 64 * 1024;
/// Headers parsed per response.
const MAX_HEADERS: usize = 64;
/// Largest single reservation while reading a body, so a lying
/// Content-Length cannot make us allocate it up front.
const MAX_RESERVE: usize = 1 << 20;
/// Largest chunk size line believed: beyond it the framing is nonsense (a
/// protocol error) rather than a body that is merely too large.
const MAX_CHUNK: usize = 64 << 20;
/// Same bound as the pool's connector.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// One keep-alive HTTP/1.1 connection to one endpoint, opened on first use
/// and again whenever the previous one closed or failed. Not shared: the
/// owner sends one request at a time.
pub struct LongPollConnection {
    target: Target,
    tls: Option<TlsConnector>,
    stream: Option<Stream>,
    /// Largest body accepted, in bytes, however it is framed.
    max_body: usize,
    /// The local address every connection is bound to (port chosen at
    /// connect), when the run spreads its agents over several.
    source: Option<IpAddr>,
}

impl std::fmt::Debug for LongPollConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LongPollConnection")
            .field("authority", &self.target.authority)
            .field("path", &self.target.path)
            .field("tls", &self.tls.is_some())
            .field("open", &self.stream.is_some())
            .finish()
    }
}

/// Where the requests go, split once from the URL.
struct Target {
    /// Host to resolve (IPv6 literals without brackets).
    host: String,
    port: u16,
    /// The `Host` header: host and port, never userinfo.
    authority: String,
    /// Path and query of the request line.
    path: String,
}

enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl LongPollConnection {
    /// A connection for `url` (`http` or `https`); `tls` is the pool's TLS
    /// setup, used when the scheme is `https`; a response body over
    /// `max_body` bytes is an error and closes the connection.
    pub(crate) fn new(
        url: &Uri,
        tls: &Arc<rustls::ClientConfig>,
        max_body: usize,
    ) -> Result<Self, HttpError> {
        let secure = match url.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            other => {
                return Err(HttpError::InvalidRequest(format!(
                    "{url}: scheme {other:?} is not supported; use http:// or https://"
                )));
            }
        };
        let Some(authority) = url.authority() else {
            return Err(HttpError::InvalidRequest(format!("{url}: no host")));
        };
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let port = authority
            .port_u16()
            .unwrap_or(if secure { 443 } else { 80 });
        let path = url.path_and_query().map_or("/", |p| p.as_str()).to_owned();
        // Userinfo is never sent, least of all in clear in every request's Host.
        let host_port = authority.as_str().rsplit('@').next().unwrap_or_default();
        Ok(Self {
            target: Target {
                host,
                port,
                authority: host_port.to_owned(),
                path,
            },
            tls: secure.then(|| TlsConnector::from(tls.clone())),
            stream: None,
            max_body,
            source: None,
        })
    }

    /// The same connection, bound to the local address `source` before
    /// each connect (see [`super::SourceAddresses`]).
    pub fn bound_to(mut self, source: Option<IpAddr>) -> Self {
        self.source = source;
        self
    }

    /// POSTs `body` with the session's cookies and headers, absorbs the
    /// response's cookies and returns it (any status). The whole exchange,
    /// connecting included, is bounded by `timeout`; after any failure the
    /// connection is closed and the next call opens a new one. A request
    /// that fails on a kept connection before any byte of an answer (the
    /// server closed it as the request went out) goes once more on a new one.
    pub async fn post(
        &mut self,
        session: &HttpSession,
        content_type: &str,
        body: &[u8],
        timeout: Duration,
    ) -> Result<HttpResponse, HttpError> {
        let result =
            match tokio::time::timeout(timeout, self.exchange(session, content_type, body)).await {
                Ok(result) => result,
                Err(_) => Err(HttpError::Timeout(timeout)),
            };
        match result {
            Ok((response, stream)) => {
                self.stream = stream;
                session.absorb(&response.headers);
                Ok(response)
            }
            Err(e) => {
                self.stream = None;
                Err(e)
            }
        }
    }

    /// Whether a connection is open and kept for the next request.
    pub fn is_open(&self) -> bool {
        self.stream.is_some()
    }

    async fn exchange(
        &mut self,
        session: &HttpSession,
        content_type: &str,
        body: &[u8],
    ) -> Result<(HttpResponse, Option<Stream>), HttpError> {
        if let Some(kept) = self.stream.take().filter(Stream::still_open) {
            match self.send(kept, session, content_type, body).await {
                // The server closed the idle connection as the request went
                // out (its keep-alive timer won the race): no byte of an
                // answer came, so sending once more on a fresh connection is
                // safe, as hyper and browsers do.
                Err(Failure::Unanswered(_)) => {}
                Err(Failure::Answered(e)) => return Err(e),
                Ok(done) => return Ok(done),
            }
        }
        // Boxed here and below: a held connect's future is as big as its
        // biggest step, and opening (TLS included) or parsing a reply is
        // brief next to the hold every agent keeps.
        let fresh = Box::pin(self.open()).await?;
        match self.send(fresh, session, content_type, body).await {
            Err(Failure::Unanswered(e) | Failure::Answered(e)) => Err(e),
            Ok(done) => Ok(done),
        }
    }

    /// Writes the request on `stream` and reads its response.
    async fn send(
        &self,
        mut stream: Stream,
        session: &HttpSession,
        content_type: &str,
        body: &[u8],
    ) -> Result<(HttpResponse, Option<Stream>), Failure> {
        let request = self.request(session, content_type, body);
        let written = stream.write_all(&request).await;
        // Not kept through the hold: a held connect costs no request buffer.
        drop(request);
        written.map_err(|e| Failure::Unanswered(HttpError::from_io(e)))?;
        let buf = first_read(&mut stream).await.map_err(Failure::Unanswered)?;
        let (response, reusable) = Box::pin(read_response(&mut stream, buf, self.max_body))
            .await
            .map_err(Failure::Answered)?;
        Ok((response, reusable.then_some(stream)))
    }

    fn request(&self, session: &HttpSession, content_type: &str, body: &[u8]) -> Vec<u8> {
        let t = &self.target;
        let mut out = Vec::with_capacity(256 + body.len());
        out.extend_from_slice(b"POST ");
        out.extend_from_slice(t.path.as_bytes());
        out.extend_from_slice(b" HTTP/1.1\r\nHost: ");
        out.extend_from_slice(t.authority.as_bytes());
        out.extend_from_slice(b"\r\nContent-Type: ");
        out.extend_from_slice(content_type.as_bytes());
        // Through io::Write: no String for the number on every connect.
        let _ = write!(out, "\r\nContent-Length: {}\r\n", body.len());
        session.write_headers(&mut out);
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(body);
        out
    }

    /// A TCP connection to the target, from the source address when set.
    async fn connect_tcp(&self) -> io::Result<TcpStream> {
        let t = &self.target;
        match self.source {
            None => TcpStream::connect((t.host.as_str(), t.port)).await,
            Some(source) => connect_from(source, &t.host, t.port).await,
        }
    }

    async fn open(&self) -> Result<Stream, HttpError> {
        let t = &self.target;
        let tcp = tokio::time::timeout(CONNECT_TIMEOUT, self.connect_tcp())
            .await
            .map_err(|_| {
                HttpError::Connect(format!(
                    "{}: no connection within {CONNECT_TIMEOUT:?}",
                    t.authority
                ))
            })?
            .map_err(|e| HttpError::Connect(format!("{}: {e}", t.authority)))?;
        // Small writes (a connect request) must not wait for Nagle.
        tcp.set_nodelay(true)
            .map_err(|e| HttpError::Connect(format!("{}: {e}", t.authority)))?;
        let Some(tls) = &self.tls else {
            return Ok(Stream::Plain(tcp));
        };
        let name = ServerName::try_from(t.host.clone()).map_err(|e| {
            HttpError::InvalidRequest(format!("{}: not a TLS server name: {e}", t.host))
        })?;
        let stream = tls
            .connect(name, tcp)
            .await
            .map_err(|e| HttpError::Tls(format!("{}: {e}", t.authority)))?;
        Ok(Stream::Tls(Box::new(stream)))
    }
}

/// Connects from `source` (port 0: any free one) to the first address of
/// `host` of the same family.
async fn connect_from(source: IpAddr, host: &str, port: u16) -> io::Result<TcpStream> {
    let peer = tokio::net::lookup_host((host, port))
        .await?
        .find(|a| a.is_ipv4() == source.is_ipv4())
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::AddrNotAvailable,
                format!("{host} has no address of the source address {source}'s family"),
            )
        })?;
    let socket = if source.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    defer_port_choice(&socket);
    socket
        .bind(SocketAddr::new(source, 0))
        .map_err(|e| io::Error::new(e.kind(), format!("cannot bind to {source}: {e}")))?;
    socket.connect(peer).await
}

/// Lets the kernel choose the local port at connect rather than at bind,
/// so each (source, target) pair has the whole ephemeral range rather than
/// every target sharing one source's ports (Linux's IP_BIND_ADDRESS_NO_PORT).
fn defer_port_choice(socket: &TcpSocket) {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        use std::os::fd::AsRawFd;
        let on: libc::c_int = 1;
        // SAFETY: setsockopt reads `on` for its given size on a socket we own;
        // failing (an old kernel) only loses the optimisation.
        unsafe {
            libc::setsockopt(
                socket.as_raw_fd(),
                libc::IPPROTO_IP,
                libc::IP_BIND_ADDRESS_NO_PORT,
                std::ptr::from_ref(&on).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            );
        }
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let _ = socket;
}

impl Stream {
    fn tcp(&self) -> &TcpStream {
        match self {
            Stream::Plain(s) => s,
            Stream::Tls(s) => s.get_ref().0,
        }
    }

    /// Whether a kept connection can carry the next request: the server may
    /// have closed it while it was idle (as hyper's pool notices by reading).
    fn still_open(&self) -> bool {
        let mut probe = [0u8; 1];
        let mut buf = ReadBuf::new(&mut probe);
        let mut cx = Context::from_waker(Waker::noop());
        match self.tcp().poll_peek(&mut cx, &mut buf) {
            Poll::Pending => true,
            Poll::Ready(Ok(0) | Err(_)) => false,
            // TLS records between exchanges (session tickets) are rustls's
            // business; plain bytes nobody asked for mean the framing is lost.
            Poll::Ready(Ok(_)) => matches!(self, Stream::Tls(_)),
        }
    }

    async fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        match self {
            Stream::Plain(s) => s.write_all(data).await,
            Stream::Tls(s) => {
                s.write_all(data).await?;
                s.flush().await
            }
        }
    }

    /// Waits until the socket has something to read, without a buffer: this
    /// is where a held connect spends its time.
    async fn readable(&self) -> io::Result<()> {
        self.tcp().readable().await
    }

    /// Reads more into `buf` with room for `want` more bytes; `0` at the
    /// end of the stream.
    async fn read_into(&mut self, buf: &mut BytesMut, want: usize) -> Result<usize, HttpError> {
        if buf.capacity() - buf.len() < want {
            buf.reserve(want.min(MAX_RESERVE));
        }
        match self {
            Stream::Plain(s) => s.read_buf(buf).await,
            Stream::Tls(s) => s.read_buf(buf).await,
        }
        .map_err(HttpError::from_io)
    }

    /// Like [`Stream::read_into`], where the end of the stream is an error:
    /// the response is not complete yet.
    async fn read_more(&mut self, buf: &mut BytesMut, want: usize) -> Result<(), HttpError> {
        if self.read_into(buf, want).await? == 0 {
            return Err(HttpError::Protocol(
                "connection closed before the response was complete".into(),
            ));
        }
        Ok(())
    }
}

/// The status line and headers of a response.
struct Head {
    status: StatusCode,
    headers: HeaderMap,
    keep_alive: bool,
}

/// How the body of a response ends.
enum Framing {
    Length(usize),
    Chunked,
    /// No length: the body ends when the server closes the connection.
    Close,
    Empty,
}

/// How a request failed on one connection.
enum Failure {
    /// Writing it, or before the first byte of an answer.
    Unanswered(HttpError),
    /// While reading the answer.
    Answered(HttpError),
}

/// Waits for the first bytes of the answer and reads them into a new buffer.
async fn first_read(stream: &mut Stream) -> Result<BytesMut, HttpError> {
    stream.readable().await.map_err(HttpError::from_io)?;
    let mut buf = BytesMut::with_capacity(FIRST_READ);
    stream.read_more(&mut buf, FIRST_READ).await?;
    Ok(buf)
}

/// Reads one response with a body of at most `max_body` bytes, whose first
/// bytes are in `buf`; `true` when the connection can carry another.
async fn read_response(
    stream: &mut Stream,
    mut buf: BytesMut,
    max_body: usize,
) -> Result<(HttpResponse, bool), HttpError> {
    let head = loop {
        if let Some(head) = parse_head(&mut buf)? {
            // Interim answers (100 Continue) precede the real one.
            if !head.status.is_informational() {
                break head;
            }
            continue;
        }
        if buf.len() > MAX_HEAD {
            return Err(HttpError::Protocol(format!(
                "response head larger than {MAX_HEAD} bytes"
            )));
        }
        stream.read_more(&mut buf, FIRST_READ).await?;
    };
    let too_large = HttpError::BodyTooLarge { limit: max_body };
    let (body, clean_end) = match framing(&head)? {
        Framing::Empty => (Bytes::new(), true),
        Framing::Length(n) if n > max_body => return Err(too_large),
        Framing::Length(n) => {
            while buf.len() < n {
                let missing = n - buf.len();
                stream.read_more(&mut buf, missing).await?;
            }
            (buf.split_to(n).freeze(), true)
        }
        Framing::Chunked => (read_chunked(stream, &mut buf, max_body).await?, true),
        Framing::Close => {
            while stream.read_into(&mut buf, FIRST_READ).await? > 0 {
                if buf.len() > max_body {
                    return Err(too_large);
                }
            }
            (buf.split().freeze(), false)
        }
    };
    // Bytes beyond the response were never asked for: do not reuse.
    let reusable = clean_end && head.keep_alive && buf.is_empty();
    Ok((
        HttpResponse {
            status: head.status,
            headers: head.headers,
            body,
        },
        reusable,
    ))
}

/// Parses a complete head off the front of `buf`, or `None` if incomplete.
fn parse_head(buf: &mut BytesMut) -> Result<Option<Head>, HttpError> {
    let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut response = httparse::Response::new(&mut slots);
    let len = match response.parse(buf) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(e) => return Err(HttpError::Protocol(format!("bad response head: {e}"))),
    };
    let code = response.code.unwrap_or_default();
    let status = StatusCode::from_u16(code)
        .map_err(|_| HttpError::Protocol(format!("bad status code {code}")))?;
    let mut headers = HeaderMap::with_capacity(response.headers.len());
    let mut keep_alive = response.version == Some(1);
    for h in response.headers.iter() {
        let name = HeaderName::from_bytes(h.name.as_bytes())
            .map_err(|_| HttpError::Protocol(format!("bad header name {:?}", h.name)))?;
        let value = HeaderValue::from_bytes(h.value)
            .map_err(|_| HttpError::Protocol(format!("bad value of header {}", h.name)))?;
        if name == hyper::header::CONNECTION {
            let tokens = value.to_str().unwrap_or_default();
            if has_token(tokens, "close") {
                keep_alive = false;
            } else if has_token(tokens, "keep-alive") {
                keep_alive = true;
            }
        }
        headers.append(name, value);
    }
    buf.advance(len);
    Ok(Some(Head {
        status,
        headers,
        keep_alive,
    }))
}

fn has_token(list: &str, token: &str) -> bool {
    list.split(',')
        .any(|t| t.trim().eq_ignore_ascii_case(token))
}

fn framing(head: &Head) -> Result<Framing, HttpError> {
    if head.status == StatusCode::NO_CONTENT || head.status == StatusCode::NOT_MODIFIED {
        return Ok(Framing::Empty);
    }
    if let Some(te) = head.headers.get(hyper::header::TRANSFER_ENCODING) {
        let te = te.to_str().unwrap_or_default();
        let last = te.rsplit(',').next().unwrap_or_default().trim();
        return Ok(if last.eq_ignore_ascii_case("chunked") {
            Framing::Chunked
        } else {
            Framing::Close
        });
    }
    match head.headers.get(hyper::header::CONTENT_LENGTH) {
        Some(v) => v
            .to_str()
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .map(Framing::Length)
            .ok_or_else(|| HttpError::Protocol(format!("bad Content-Length {v:?}"))),
        None => Ok(Framing::Close),
    }
}

/// Decodes a chunked body of at most `max_body` bytes; trailers are read
/// and dropped.
async fn read_chunked(
    stream: &mut Stream,
    buf: &mut BytesMut,
    max_body: usize,
) -> Result<Bytes, HttpError> {
    let mut body = BytesMut::new();
    loop {
        let (skip, size) = loop {
            match httparse::parse_chunk_size(buf) {
                Ok(httparse::Status::Complete(found)) => break found,
                Ok(httparse::Status::Partial) => stream.read_more(buf, FIRST_READ).await?,
                Err(_) => return Err(HttpError::Protocol("bad chunk size line".into())),
            }
        };
        buf.advance(skip);
        if size == 0 {
            break;
        }
        // The size line is the server's word: bound it before any arithmetic
        // or allocation.
        let size = usize::try_from(size)
            .ok()
            .filter(|&n| n <= MAX_CHUNK)
            .ok_or_else(|| {
                HttpError::Protocol(format!("chunk of {size} bytes (at most {MAX_CHUNK})"))
            })?;
        if size > max_body - body.len() {
            return Err(HttpError::BodyTooLarge { limit: max_body });
        }
        while buf.len() < size + 2 {
            let missing = size + 2 - buf.len();
            stream.read_more(buf, missing).await?;
        }
        body.extend_from_slice(&buf[..size]);
        if &buf[size..size + 2] != b"\r\n" {
            return Err(HttpError::Protocol("chunk not followed by CRLF".into()));
        }
        buf.advance(size + 2);
    }
    // Trailer lines, then the empty line that ends the message.
    loop {
        match buf.windows(2).position(|w| w == b"\r\n") {
            Some(0) => {
                buf.advance(2);
                return Ok(body.freeze());
            }
            Some(end) => buf.advance(end + 2),
            None => stream.read_more(buf, FIRST_READ).await?,
        }
    }
}
