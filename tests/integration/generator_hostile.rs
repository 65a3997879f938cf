//! The generator against servers that misbehave on purpose, on 127.0.0.1:
//! replies of a gigabyte (chunked, with a Content-Length, close-delimited)
//! to the held connect and to the pooled REST calls, a login answered by an
//! HTML page, and a target URL with userinfo. Each is bounded in time; the
//! gigabyte is streamed, never allocated by the server.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::support::run::Dir;
use agentload::http::{
    DEFAULT_MAX_BODY, HttpClient, HttpError, HttpResponse, HttpSession, TlsOptions,
};
use bytes::Bytes;
use hyper::Method;

const GIB: u64 = 1 << 30;
/// Longest any exchange here may take.
const T: Duration = Duration::from_secs(60);

/// Tests that measure the process's peak memory run one at a time.
static MEMORY: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// How a reply's body is framed.
#[derive(Clone, Copy)]
enum Framing {
    Chunked,
    Length,
    Close,
}

/// A raw HTTP/1.1 server: each connection's first request is read, its head
/// kept, and `reply` writes the answer (write errors end it: the client may
/// hang up mid-body). Stops accepting when dropped.
struct Server {
    url: String,
    heads: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
}

impl Server {
    fn start(
        reply: impl Fn(&str, &mut TcpStream) -> std::io::Result<()> + Send + Sync + 'static,
    ) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let heads = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let reply = Arc::new(reply);
        let (seen, stopped) = (heads.clone(), stop.clone());
        std::thread::spawn(move || {
            while !stopped.load(Ordering::Relaxed) {
                let Ok((mut sock, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(5));
                    continue;
                };
                let (reply, seen) = (reply.clone(), seen.clone());
                std::thread::spawn(move || {
                    sock.set_nonblocking(false).unwrap();
                    sock.set_read_timeout(Some(T)).unwrap();
                    let Some(head) = read_head(&mut sock) else {
                        return;
                    };
                    let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
                    seen.lock().unwrap().push(head);
                    let _ = reply(&path, &mut sock);
                });
            }
        });
        Server { url, heads, stop }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// The request head, its body (by Content-Length) read and dropped.
fn read_head(sock: &mut TcpStream) -> Option<String> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        if sock.read(&mut byte).ok()? == 0 || buf.len() > 65_536 {
            return None;
        }
        buf.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&buf).into_owned();
    let length: u64 = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .unwrap_or(0);
    std::io::copy(&mut sock.take(length), &mut std::io::sink()).ok()?;
    Some(head)
}

/// Streams `total` bytes of body in 1 MiB pieces with the given framing.
fn stream_body(sock: &mut TcpStream, framing: Framing, total: u64) -> std::io::Result<()> {
    let head = match framing {
        Framing::Chunked => "Transfer-Encoding: chunked\r\n".to_string(),
        Framing::Length => format!("Content-Length: {total}\r\n"),
        Framing::Close => "Connection: close\r\n".to_string(),
    };
    write!(
        sock,
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n{head}\r\n"
    )?;
    let piece = vec![b' '; 1 << 20];
    let mut sent = 0;
    while sent < total {
        if let Framing::Chunked = framing {
            write!(sock, "{:x}\r\n", piece.len())?;
        }
        sock.write_all(&piece)?;
        if let Framing::Chunked = framing {
            sock.write_all(b"\r\n")?;
        }
        sent += piece.len() as u64;
    }
    if let Framing::Chunked = framing {
        sock.write_all(b"0\r\n\r\n")?;
    }
    Ok(())
}

/// The process's peak resident memory so far (VmHWM), in bytes.
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/self/status");
    kib * 1024
}

fn client() -> HttpClient {
    HttpClient::new(&TlsOptions::default()).unwrap()
}

/// `GET url` through the pool of `client`.
async fn get(client: &HttpClient, url: &str) -> Result<HttpResponse, HttpError> {
    let url = url.parse().unwrap();
    let session = HttpSession::new();
    client
        .request(&session, Method::GET, &url, None, Bytes::new(), T)
        .await
}

/// One connect-like POST over a long-poll connection of `client` to `url`.
async fn post(client: &HttpClient, url: &str) -> Result<HttpResponse, HttpError> {
    let mut connection = client.long_poll(&url.parse().unwrap()).unwrap();
    connection
        .post(&HttpSession::new(), "application/json", b"[]", T)
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gigabyte_connect_reply_is_refused_in_bounded_memory_whatever_its_framing() {
    let _one_at_a_time = MEMORY.lock().await;
    // The peak is the whole test binary's: no load-making test beside it.
    let _alone = tokio::task::block_in_place(crate::support::heavy::alone);
    for framing in [Framing::Chunked, Framing::Length, Framing::Close] {
        let server = Server::start(move |_, sock| stream_body(sock, framing, GIB));
        let mut connection = client()
            .long_poll(&format!("{}/cometd", server.url).parse().unwrap())
            .unwrap();
        let before = peak_rss();
        let err = connection
            .post(&HttpSession::new(), "application/json", b"[]", T)
            .await
            .expect_err("a gigabyte is over the cap");
        let grown = peak_rss().saturating_sub(before);
        assert!(matches!(err, HttpError::BodyTooLarge { .. }), "{err:?}");
        assert_eq!(err.kind().name(), "body_too_large");
        assert!(!connection.is_open(), "the connection is dropped");
        // The cap is 16 MiB; the buffer may double once past it.
        assert!(grown < 200 << 20, "peak memory grew by {} MiB", grown >> 20);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_rest_reply_is_refused_in_bounded_memory() {
    let _one_at_a_time = MEMORY.lock().await;
    // The peak is the whole test binary's: no load-making test beside it.
    let _alone = tokio::task::block_in_place(crate::support::heavy::alone);
    for framing in [Framing::Chunked, Framing::Length, Framing::Close] {
        let server = Server::start(move |_, sock| stream_body(sock, framing, 100 << 20));
        let before = peak_rss();
        let err = get(&client(), &format!("{}/api/v2/me", server.url))
            .await
            .expect_err("100 MB is over the cap");
        let grown = peak_rss().saturating_sub(before);
        assert!(matches!(err, HttpError::BodyTooLarge { .. }), "{err:?}");
        assert!(grown < 200 << 20, "peak memory grew by {} MiB", grown >> 20);
    }
    // Just under the cap still arrives whole.
    let server = Server::start(|_, sock| {
        stream_body(sock, Framing::Chunked, DEFAULT_MAX_BODY as u64 - (1 << 20))
    });
    let reply = get(&client(), &format!("{}/api/v2/me", server.url))
        .await
        .unwrap();
    assert_eq!(reply.body.len(), DEFAULT_MAX_BODY - (1 << 20));
}

#[tokio::test]
async fn the_body_cap_is_configurable_and_applies_to_the_long_poll() {
    let server = Server::start(|_, sock| stream_body(sock, Framing::Length, 3 << 20));
    let url = format!("{}/cometd", server.url);
    let err = post(&client().with_max_body(2 << 20), &url)
        .await
        .expect_err("3 MiB is over a 2 MiB cap");
    assert!(
        matches!(err, HttpError::BodyTooLarge { limit } if limit == 2 << 20),
        "{err:?}"
    );
    let reply = post(&client().with_max_body(4 << 20), &url).await.unwrap();
    assert_eq!(reply.body.len(), 3 << 20);
}

#[tokio::test]
async fn userinfo_in_a_url_never_reaches_the_host_header() {
    let server = Server::start(|_, sock| {
        sock.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n[]")
    });
    let port = server.url.rsplit(':').next().unwrap().to_string();
    let url = format!("http://agent1:Canary-pw@127.0.0.1:{port}/cometd");
    let reply = post(&client(), &url).await.unwrap();
    assert_eq!(&reply.body[..], b"[]");
    let heads = server.heads.lock().unwrap();
    assert!(
        heads[0].contains(&format!("Host: 127.0.0.1:{port}\r\n")),
        "{}",
        heads[0]
    );
    assert!(!heads[0].contains("Canary-pw"), "{}", heads[0]);
}

/// `agentload run` of two agents against `server` for two seconds: its
/// exit code and summary.json.
fn run_against(server: &Server, name: &str) -> crate::support::run::Ran {
    let _heavy = crate::support::heavy::slot();
    let dir = Dir::new(&format!("hostile-{name}"));
    let profile = format!(
        r#"name = "hostile"
[target]
url = "{}"
[agents]
count = 2
channels = ["email"]
[[stages]]
duration = "2s"
agents = 2
[traffic]
drain = "0s"
"#,
        server.url
    );
    let ran = crate::support::run::run_text(&profile, &dir.0, &[]);
    drop(dir);
    ran
}

#[test]
fn a_login_answered_by_an_html_page_is_a_login_bad_reply() {
    let server = Server::start(|_, sock| {
        let page = "<html><body>Please log in</body></html>";
        write!(
            sock,
            "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{page}",
            page.len()
        )
    });
    let ran = run_against(&server, "html");
    assert_eq!(ran.code, 3, "no agent logged in:\n{}", ran.log);
    let summary = ran.summary();
    assert!(
        crate::support::run::errors(summary, "login_bad_reply") > 0,
        "{}",
        summary["errors"]
    );
    assert_eq!(crate::support::run::count(summary, "handshake"), 0);
    let heads = server.heads.lock().unwrap();
    assert!(
        heads.iter().all(|h| h.starts_with("GET /api/v2/me")),
        "nothing but the login was tried: {heads:?}"
    );
}

#[test]
fn a_refused_handshake_is_counted_once_under_its_cause() {
    let server = Server::start(|path, sock| {
        let body = if path.starts_with("/api/v2/notifications") {
            r#"[{"channel":"/meta/handshake","successful":false,"error":"403::refused","advice":{"reconnect":"handshake"}}]"#
        } else {
            r#"{"statusCode":0}"#
        };
        write!(
            sock,
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
    });
    let ran = run_against(&server, "refused-handshake");
    let summary = ran.summary();
    let refused = crate::support::run::errors(summary, "handshake_refused");
    assert!(refused > 0, "{}\n{}", summary["errors"], ran.log);
    let handshakes = server
        .heads
        .lock()
        .unwrap()
        .iter()
        .filter(|h| h.starts_with("POST /api/v2/notifications"))
        .count() as u64;
    assert_eq!(refused, handshakes, "one error per refused handshake");
    let kinds: Vec<&String> = summary["errors"]
        .as_object()
        .map(|e| e.keys().collect())
        .unwrap_or_default();
    assert_eq!(kinds, ["handshake_refused"], "counted once, under one kind");
}

#[test]
fn a_huge_login_reply_is_a_login_body_too_large() {
    let server = Server::start(|_, sock| stream_body(sock, Framing::Chunked, 100 << 20));
    let ran = run_against(&server, "huge-me");
    assert_eq!(ran.code, 3, "no agent logged in:\n{}", ran.log);
    let summary = ran.summary();
    assert!(
        crate::support::run::errors(summary, "login_body_too_large") > 0,
        "{}",
        summary["errors"]
    );
}
