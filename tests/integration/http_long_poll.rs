//! The dedicated long-poll connection against raw HTTP/1.1 servers on
//! loopback that answer with every framing a Bayeux server may use:
//! Content-Length, chunked (split across writes, with trailers), close-
//! delimited; keep-alive reuse, `Connection: close`, a server closing an idle
//! connection, truncated bodies, timeouts, and cookies both ways.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use agentload::http::{HttpClient, HttpError, HttpSession, LongPollConnection, TlsOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One request as the server read it.
#[derive(Debug)]
struct Seen {
    head: String,
    body: Vec<u8>,
}

/// Reads one request (head + Content-Length body); `None` at a clean close.
async fn read_request(sock: &mut TcpStream) -> Option<Seen> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 1024];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = sock.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8(buf[..head_end].to_vec()).expect("ASCII head");
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("Content-Length: "))
        .and_then(|v| v.trim().parse().ok())
        .expect("the client always sends Content-Length");
    let mut body = buf[head_end..].to_vec();
    while body.len() < length {
        let n = sock.read(&mut chunk).await.ok()?;
        assert!(n > 0, "client closed mid-request");
        body.extend_from_slice(&chunk[..n]);
    }
    Some(Seen { head, body })
}

/// A server whose `answer` writes the raw bytes of each reply, given the
/// request and its index on the connection; it returns `false` to close the
/// connection after answering. Counts accepted connections.
struct Server {
    url: String,
    accepted: Arc<AtomicUsize>,
}

async fn serve<F>(answer: F) -> Server
where
    F: Fn(Seen, usize) -> (Vec<Vec<u8>>, bool) + Send + Sync + 'static,
{
    {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!(
            "http://{}/cometd/connect",
            listener.local_addr().expect("addr")
        );
        let accepted = Arc::new(AtomicUsize::new(0));
        let count = accepted.clone();
        let answer = Arc::new(answer);
        tokio::spawn(async move {
            while let Ok((mut sock, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                let answer = answer.clone();
                tokio::spawn(async move {
                    let mut index = 0;
                    while let Some(seen) = read_request(&mut sock).await {
                        let (writes, keep) = answer(seen, index);
                        index += 1;
                        for w in writes {
                            if sock.write_all(&w).await.is_err() {
                                return;
                            }
                            // Separate segments, so the client sees partial reads.
                            tokio::time::sleep(Duration::from_millis(5)).await;
                        }
                        if !keep {
                            return;
                        }
                    }
                });
            }
        });
        Server { url, accepted }
    }
}

fn connection(url: &str) -> LongPollConnection {
    let http = HttpClient::new(&TlsOptions::default()).expect("client");
    http.long_poll(&url.parse().expect("url"))
        .expect("connection")
}

const T: Duration = Duration::from_secs(5);

fn fixed(body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

#[tokio::test]
async fn content_length_replies_reuse_one_connection() {
    let server = serve(|seen, i| {
        assert!(
            seen.head.starts_with("POST /cometd/connect HTTP/1.1\r\n"),
            "{}",
            seen.head
        );
        assert!(seen.head.contains("\r\nHost: 127.0.0.1:"), "{}", seen.head);
        assert!(
            seen.head
                .contains("Content-Type: application/json;charset=UTF-8")
        );
        let echo = String::from_utf8(seen.body).expect("utf8");
        (
            vec![fixed(&format!("[{{\"n\":{i},\"echo\":{echo}}}]"))],
            true,
        )
    })
    .await;
    let mut c = connection(&server.url);
    let session = HttpSession::new();
    for i in 0..3 {
        let r = c
            .post(&session, "application/json;charset=UTF-8", b"[1]", T)
            .await
            .expect("exchange");
        assert_eq!(r.status, 200);
        assert_eq!(
            &r.body[..],
            format!("[{{\"n\":{i},\"echo\":[1]}}]").as_bytes()
        );
        assert!(c.is_open());
    }
    assert_eq!(
        server.accepted.load(Ordering::SeqCst),
        1,
        "one kept-alive connection"
    );
}

#[tokio::test]
async fn chunked_replies_split_across_writes_with_trailers() {
    let server = serve(|_, _| {
        let writes = vec![
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n".to_vec(),
            b"Content-Type: application/json\r\n\r\n5\r\n[{\"a\"".to_vec(),
            b"\r\n".to_vec(),
            b"B;ext=1\r\n:1},{\"b\":2}\r\n".to_vec(),
            b"1\r\n]\r\n0\r\nX-Trailer: t\r\n".to_vec(),
            b"\r\n".to_vec(),
        ];
        (writes, true)
    })
    .await;
    let mut c = connection(&server.url);
    let session = HttpSession::new();
    for _ in 0..2 {
        let r = c
            .post(&session, "application/json", b"[]", T)
            .await
            .expect("exchange");
        assert_eq!(&r.body[..], br#"[{"a":1},{"b":2}]"#);
        assert!(c.is_open(), "a chunked reply keeps the connection");
    }
    assert_eq!(server.accepted.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn connection_close_and_http10_open_a_new_connection_next_time() {
    let server = serve(|_, i| {
        let reply = if i == 0 {
            b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\n[]".to_vec()
        } else {
            unreachable!("the client must not reuse a closed connection")
        };
        (vec![reply], false)
    })
    .await;
    let mut c = connection(&server.url);
    let session = HttpSession::new();
    for _ in 0..2 {
        let r = c
            .post(&session, "application/json", b"[]", T)
            .await
            .expect("exchange");
        assert_eq!(&r.body[..], b"[]");
        assert!(!c.is_open());
    }
    assert_eq!(server.accepted.load(Ordering::SeqCst), 2);

    // HTTP/1.0 without a length: the body ends with the connection.
    let old = serve(|_, _| {
        let reply =
            b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n[{\"x\":1}]".to_vec();
        (vec![reply], false)
    })
    .await;
    let mut c = connection(&old.url);
    let r = c
        .post(&session, "application/json", b"[]", T)
        .await
        .expect("exchange");
    assert_eq!(&r.body[..], br#"[{"x":1}]"#);
    assert!(!c.is_open());
}

#[tokio::test]
async fn a_connection_the_server_closed_while_idle_is_replaced() {
    // Keep-alive advertised, but the server closes after each reply, as an
    // idle timeout would between two connects.
    let server = serve(|_, _| (vec![fixed("[]")], false)).await;
    let mut c = connection(&server.url);
    let session = HttpSession::new();
    c.post(&session, "application/json", b"[]", T)
        .await
        .expect("first");
    assert!(c.is_open(), "the reply said nothing about closing");
    // Let the FIN arrive.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let r = c.post(&session, "application/json", b"[]", T).await;
    assert!(
        r.is_ok(),
        "the closed connection was noticed before sending: {r:?}"
    );
    assert_eq!(server.accepted.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_truncated_reply_is_an_error_and_the_next_exchange_recovers() {
    let cut = AtomicBool::new(false);
    let server = serve(move |_, i| {
        if i == 0 && !cut.swap(true, Ordering::SeqCst) {
            (
                vec![b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n[{\"cut".to_vec()],
                false,
            )
        } else {
            (vec![fixed("[]")], true)
        }
    })
    .await;
    let mut c = connection(&server.url);
    let session = HttpSession::new();
    let err = c
        .post(&session, "application/json", b"[]", T)
        .await
        .expect_err("truncated");
    assert!(matches!(err, HttpError::Protocol(_)), "{err:?}");
    assert_eq!(err.kind().name(), "http_protocol");
    assert!(!c.is_open());
    let r = c
        .post(&session, "application/json", b"[]", T)
        .await
        .expect("recovers");
    assert_eq!(&r.body[..], b"[]");
}

#[tokio::test]
async fn an_absurd_chunk_size_is_a_protocol_error() {
    let server = serve(|_, _| {
        let reply = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFF\r\n[]\r\n0\r\n\r\n";
        (vec![reply.to_vec()], true)
    })
    .await;
    let mut c = connection(&server.url);
    let err = c
        .post(&HttpSession::new(), "application/json", b"[]", T)
        .await
        .expect_err("no such chunk");
    assert!(matches!(err, HttpError::Protocol(_)), "{err:?}");
    assert!(err.to_string().contains("at most"), "{err}");
}

#[tokio::test]
async fn a_reply_that_never_comes_times_out() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/cometd", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        let (mut sock, _) = listener.accept().await.expect("accept");
        let _ = read_request(&mut sock).await;
        tokio::time::sleep(Duration::from_secs(10)).await;
    });
    let mut c = connection(&url);
    let err = c
        .post(
            &HttpSession::new(),
            "application/json",
            b"[]",
            Duration::from_millis(200),
        )
        .await
        .expect_err("no reply");
    assert!(matches!(err, HttpError::Timeout(_)), "{err:?}");
    assert!(!c.is_open());
}

#[tokio::test]
async fn cookies_are_absorbed_and_sent_back_with_session_headers() {
    let server = serve(|seen, i| {
        let reply = if i == 0 {
            assert!(!seen.head.contains("cookie:"), "{}", seen.head);
            b"HTTP/1.1 200 OK\r\nSet-Cookie: BAYEUX_BROWSER=b1; Path=/\r\nContent-Length: 2\r\n\r\n[]"
                .to_vec()
        } else {
            assert!(seen.head.contains("\r\ncookie: BAYEUX_BROWSER=b1\r\n"), "{}", seen.head);
            fixed("[]")
        };
        assert!(seen.head.contains("\r\nx-csrf-token: t0\r\n"), "{}", seen.head);
        (vec![reply], true)
    })
    .await;
    let mut c = connection(&server.url);
    let session = HttpSession::new();
    session.set_header(
        hyper::header::HeaderName::from_static("x-csrf-token"),
        hyper::header::HeaderValue::from_static("t0"),
    );
    c.post(&session, "application/json", b"[]", T)
        .await
        .expect("first");
    assert_eq!(session.cookie("BAYEUX_BROWSER").as_deref(), Some("b1"));
    c.post(&session, "application/json", b"[]", T)
        .await
        .expect("second");
}

#[tokio::test]
async fn nobody_listening_is_a_connect_error_and_bad_urls_are_refused() {
    // Bind then drop, so the port is very likely closed.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let mut c = connection(&format!("http://127.0.0.1:{port}/cometd"));
    let err = c
        .post(&HttpSession::new(), "application/json", b"[]", T)
        .await
        .expect_err("refused");
    assert_eq!(err.kind().name(), "connect", "{err:?}");

    let http = HttpClient::new(&TlsOptions::default()).expect("client");
    let err = http
        .long_poll(&"ftp://127.0.0.1/cometd".parse().expect("uri"))
        .expect_err("scheme");
    assert!(err.to_string().contains("use http:// or https://"), "{err}");
}
