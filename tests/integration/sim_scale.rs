//! Scale measurement of `agentload serve` (ignored by default; run in release):
//!
//! ```text
//! cargo test --release --test integration sim_scale -- --ignored --nocapture
//! AGENTLOAD_SCALE_AGENTS=19900 AGENTLOAD_SCALE_INVITES=500 cargo test --release --test integration sim_scale -- --ignored --nocapture
//! ```
//!
//! Starts the simulator as a child process, logs in N agents (each on its
//! own keep-alive connection from 127.0.0.2..9 so ephemeral ports do not run
//! out), sets them Ready and keeps them long-polling; then reads the
//! simulator's RSS from /proc and injects emails one by one, timing each from
//! the injection request to the invite arriving at the agent whose connect
//! was held. Bounded: the ramp, the settle and the invites each have a deadline.

use std::io::{BufRead, BufReader as StdBufReader};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::heavy;
use base64::Engine as _;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpSocket, TcpStream};

type Conn = BufReader<TcpStream>;

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn raise_nofile() -> u64 {
    // SAFETY: plain getrlimit/setrlimit on a local struct.
    unsafe {
        let mut l = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut l);
        l.rlim_cur = l.rlim_max;
        libc::setrlimit(libc::RLIMIT_NOFILE, &l);
        l.rlim_cur
    }
}

async fn open(server: SocketAddr, source: u8) -> std::io::Result<Conn> {
    let sock = TcpSocket::new_v4()?;
    sock.bind(SocketAddr::new(
        IpAddr::V4(Ipv4Addr::new(127, 0, 0, source)),
        0,
    ))?;
    let stream = sock.connect(server).await?;
    stream.set_nodelay(true)?;
    Ok(BufReader::with_capacity(4096, stream))
}

/// One HTTP/1.1 request on a keep-alive connection; returns status, the
/// cookies it set (`name=value; ...`, empty if none), and the body.
async fn http(
    conn: &mut Conn,
    method: &str,
    path: &str,
    auth: Option<&str>,
    cookie: Option<&str>,
    content_type: &str,
    body: &[u8],
) -> std::io::Result<(u16, Option<String>, Vec<u8>)> {
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: sim\r\nContent-Length: {}\r\n",
        body.len()
    );
    if let Some(a) = auth {
        head.push_str(&format!("Authorization: {a}\r\n"));
    }
    if let Some(c) = cookie {
        head.push_str(&format!("Cookie: {c}\r\n"));
    }
    if !content_type.is_empty() {
        head.push_str(&format!("Content-Type: {content_type}\r\n"));
    }
    head.push_str("\r\n");
    let mut req = head.into_bytes();
    req.extend_from_slice(body);
    conn.get_mut().write_all(&req).await?;
    let mut line = String::new();
    conn.read_line(&mut line).await?;
    let status: u16 = line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut len = 0usize;
    let mut browser: Option<String> = None;
    loop {
        line.clear();
        if conn.read_line(&mut line).await? == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "closed",
            ));
        }
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        let (k, v) = l.split_once(':').unwrap_or((l, ""));
        if k.eq_ignore_ascii_case("content-length") {
            len = v.trim().parse().unwrap_or(0);
        } else if k.eq_ignore_ascii_case("set-cookie") {
            let pair = v.trim().split(';').next().unwrap_or("");
            browser = Some(match browser {
                Some(b) => format!("{b}; {pair}"),
                None => pair.to_string(),
            });
        }
    }
    let mut body = vec![0; len];
    conn.read_exact(&mut body).await?;
    Ok((status, browser, body))
}

struct Shared {
    server: SocketAddr,
    base: Instant,
    latencies_us: Mutex<Vec<u64>>,
    stop: AtomicBool,
    failed: AtomicU64,
    logins: tokio::sync::Semaphore,
}

async fn agent(n: usize, shared: Arc<Shared>) -> std::io::Result<()> {
    let source = 2 + (n % 8) as u8;
    let mut c = open(shared.server, source).await?;
    let auth = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("agent{}:password", n + 1))
    );
    let auth = Some(auth.as_str());
    let json = "application/json";
    let permit = shared
        .logins
        .acquire()
        .await
        .map_err(std::io::Error::other)?;
    let hs = br#"[{"channel":"/meta/handshake","version":"1.0","supportedConnectionTypes":["long-polling"]}]"#;
    let (_, cookies, body) = http(
        &mut c,
        "POST",
        "/api/v2/notifications",
        auth,
        None,
        json,
        hs,
    )
    .await?;
    let v: Value = serde_json::from_slice(&body).map_err(std::io::Error::other)?;
    let cid = v[0]["clientId"].as_str().unwrap_or_default().to_string();
    // JSESSIONID and BAYEUX_BROWSER, sent on every later request like a browser.
    let cookie = cookies.as_deref();
    let sub = format!(
        r#"[{{"channel":"/meta/subscribe","clientId":"{cid}","subscription":"/v2/me/*"}}]"#
    );
    http(
        &mut c,
        "POST",
        "/api/v2/notifications",
        auth,
        cookie,
        json,
        sub.as_bytes(),
    )
    .await?;
    let connect = format!(
        r#"[{{"channel":"/meta/connect","clientId":"{cid}","connectionType":"long-polling"}}]"#
    );
    http(
        &mut c,
        "POST",
        "/api/v2/notifications",
        auth,
        cookie,
        json,
        connect.as_bytes(),
    )
    .await?;
    http(
        &mut c,
        "POST",
        "/api/v2/me",
        auth,
        cookie,
        json,
        br#"{"operationName":"StartContactCenterSession","channels":["email"]}"#,
    )
    .await?;
    http(
        &mut c,
        "POST",
        "/api/v2/me/channels/email",
        auth,
        cookie,
        json,
        br#"{"operationName":"Ready"}"#,
    )
    .await?;
    drop(permit);
    while !shared.stop.load(Ordering::Relaxed) {
        let (status, _, body) = http(
            &mut c,
            "POST",
            "/api/v2/notifications",
            auth,
            cookie,
            json,
            connect.as_bytes(),
        )
        .await?;
        if status != 200 {
            return Err(std::io::Error::other(format!("connect status {status}")));
        }
        let msgs: Value = serde_json::from_slice(&body).map_err(std::io::Error::other)?;
        for m in msgs.as_array().into_iter().flatten() {
            if m["channel"] == "/meta/connect" && m["successful"] != true {
                return Err(std::io::Error::other(format!("connect failed: {m}")));
            }
            if m["channel"] == "/v2/me/interactions" && m["data"]["state"] == "Invited" {
                let now = shared.base.elapsed().as_micros() as u64;
                let t0: u64 = m["data"]["userData"]["t0_us"]
                    .as_str()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(now);
                shared
                    .latencies_us
                    .lock()
                    .unwrap()
                    .push(now.saturating_sub(t0));
                let id = m["data"]["id"].as_str().unwrap_or_default().to_string();
                let path = format!("/api/v2/me/interactions/{id}");
                http(
                    &mut c,
                    "POST",
                    &path,
                    auth,
                    cookie,
                    json,
                    br#"{"operationName":"Accept"}"#,
                )
                .await?;
                http(
                    &mut c,
                    "POST",
                    &path,
                    auth,
                    cookie,
                    json,
                    br#"{"operationName":"StopProcessing"}"#,
                )
                .await?;
            }
        }
    }
    Ok(())
}

async fn sim_stats(server: SocketAddr) -> Value {
    let mut c = open(server, 1).await.unwrap();
    let (_, _, body) = http(&mut c, "GET", "/sim/stats", None, None, "", b"")
        .await
        .unwrap();
    serde_json::from_slice(&body).unwrap()
}

fn rss_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn pct(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[test]
#[ignore = "scale measurement: run in release with --ignored --nocapture"]
fn scale_agents_long_polling_and_invite_latency() {
    let _heavy = heavy::slot();
    let agents = env_or("AGENTLOAD_SCALE_AGENTS", 19_900);
    let invites = env_or("AGENTLOAD_SCALE_INVITES", 500);
    let limit = raise_nofile();
    assert!(
        limit as usize > agents + 50,
        "RLIMIT_NOFILE {limit} is too low for {agents} agents (one socket each)"
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut serve = Command::new(env!("CARGO_BIN_EXE_agentload"))
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--agents",
            &agents.to_string(),
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = StdBufReader::new(serve.stdout.take().unwrap()).lines();
    out.next().unwrap().unwrap();
    let pid = serve.id();
    let idle_rss = rss_kib(pid, "VmRSS");
    let server: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let shared = Arc::new(Shared {
        server,
        base: Instant::now(),
        latencies_us: Mutex::new(Vec::new()),
        stop: AtomicBool::new(false),
        failed: AtomicU64::new(0),
        logins: tokio::sync::Semaphore::new(256),
    });
    let report = rt.block_on(async {
        let ramp = Instant::now();
        for n in 0..agents {
            let s = shared.clone();
            tokio::spawn(async move {
                if let Err(e) = agent(n, s.clone()).await
                    && !s.stop.load(Ordering::Relaxed)
                    && s.failed.fetch_add(1, Ordering::Relaxed) < 5
                {
                    eprintln!("agent{} failed: {e}", n + 1);
                }
            });
        }
        // Settle: everyone Ready and holding a connect (deadline 5 min).
        let deadline = Instant::now() + Duration::from_secs(300);
        let mut stats;
        loop {
            tokio::time::sleep(Duration::from_millis(500)).await;
            stats = sim_stats(server).await;
            let ready = stats["agents_ready"].as_u64().unwrap_or(0) as usize;
            let held = stats["held_connects"].as_u64().unwrap_or(0) as usize;
            if (ready == agents && held + 10 >= agents) || Instant::now() > deadline {
                break;
            }
        }
        let ramp_time = ramp.elapsed();
        tokio::time::sleep(Duration::from_secs(2)).await;
        let rss = rss_kib(pid, "VmRSS");
        let settled = sim_stats(server).await;

        // Invites, one at a time, 10 ms apart.
        let mut inj = open(server, 1).await.unwrap();
        let mut post_us = Vec::new();
        for i in 0..invites {
            let t0 = shared.base.elapsed().as_micros() as u64;
            let body =
                format!("fromAddress=c{i}%40example.com&subject=s&text=t&userData%5Bt0_us%5D={t0}");
            let sent = Instant::now();
            let (status, _, _) = http(
                &mut inj,
                "POST",
                "/genesys/2/email/bench",
                None,
                None,
                "application/x-www-form-urlencoded",
                body.as_bytes(),
            )
            .await
            .unwrap();
            post_us.push(sent.elapsed().as_micros() as u64);
            assert_eq!(status, 200);
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        while shared.latencies_us.lock().unwrap().len() < invites && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        shared.stop.store(true, Ordering::Relaxed);
        let end = sim_stats(server).await;
        (ramp_time, rss, settled, end, post_us)
    });
    let (ramp_time, rss, settled, end, mut post_us) = report;
    let hwm = rss_kib(pid, "VmHWM");
    // SAFETY: kill(2) on our child.
    unsafe {
        libc::kill(pid as i32, libc::SIGTERM);
    }
    let _ = serve.wait();
    rt.shutdown_background();

    let mut lat = shared.latencies_us.lock().unwrap().clone();
    lat.sort_unstable();
    post_us.sort_unstable();
    println!(
        "agents {agents}, ramp {ramp_time:?}, failed agents {}",
        shared.failed.load(Ordering::Relaxed)
    );
    println!("settled stats: {settled}");
    println!(
        "simulator RSS: idle {} MiB, with agents {} MiB, peak {} MiB",
        idle_rss / 1024,
        rss / 1024,
        hwm / 1024
    );
    println!(
        "invite delivery (injection POST sent -> invite at the held agent, loopback, client included), {} invites: p50 {} us, p90 {} us, p99 {} us, max {} us",
        lat.len(),
        pct(&lat, 0.5),
        pct(&lat, 0.9),
        pct(&lat, 0.99),
        lat.last().copied().unwrap_or(0)
    );
    println!(
        "injection POST round trip: p50 {} us, p99 {} us, max {} us",
        pct(&post_us, 0.5),
        pct(&post_us, 0.99),
        post_us.last().copied().unwrap_or(0)
    );
    println!("end stats: {end}");
    assert_eq!(
        settled["agents_ready"].as_u64(),
        Some(agents as u64),
        "not every agent got Ready"
    );
    assert!(
        rss < 1024 * 1024,
        "simulator RSS {} MiB is over 1 GiB",
        rss / 1024
    );
    assert_eq!(
        lat.len(),
        invites,
        "every injected email must reach an agent"
    );
    let injected = end["injected"].as_u64().unwrap();
    assert_eq!(
        injected,
        end["queued"].as_u64().unwrap()
            + end["offering"].as_u64().unwrap()
            + end["in_progress"].as_u64().unwrap()
            + end["completed"].as_u64().unwrap()
    );
}

/// The routing engine's share of an invite: inject -> pick a Ready agent ->
/// build the `Invited` notification, with 20,000 agents Ready (no network).
#[test]
#[ignore = "measurement: run in release with --ignored --nocapture"]
fn routing_cost_per_invite_with_20000_ready_agents() {
    let _heavy = heavy::slot();
    use agentload::gws::MediaChannel;
    use agentload::sim::interaction::{Content, EmailContent};
    use agentload::sim::routing::{Routing, RoutingRules};
    let agents = 20_000u32;
    let mut r = Routing::new(
        agents,
        RoutingRules {
            capacity: [1, 1],
            routing_delay: agentload::units::DelaySpec::ZERO,
        },
    );
    let mut fx = Vec::new();
    for a in 0..agents {
        r.start_session(a).unwrap();
        r.set_ready(a, MediaChannel::Email, true, &mut fx).unwrap();
    }
    let ud = vec![
        ("run".to_string(), "r1".to_string()),
        ("t0_us".to_string(), "1732456789123456".to_string()),
    ];
    let n = 10_000u32;
    let mut samples = Vec::with_capacity(n as usize);
    for _ in 0..n {
        fx.clear();
        let content = Content::Email(EmailContent {
            from_address: "c@x".into(),
            to_address: "support@sim".into(),
            subject: "s".into(),
            text: "t".into(),
        });
        let t = Instant::now();
        r.inject(MediaChannel::Email, content, &ud, &mut fx);
        samples.push(t.elapsed().as_nanos() as u64);
    }
    assert_eq!(r.counts().offered, n as u64);
    samples.sort_unstable();
    println!(
        "routing inject+offer+notification, {n} invites over {agents} Ready agents: p50 {} ns, p99 {} ns, max {} ns",
        pct(&samples, 0.5),
        pct(&samples, 0.99),
        samples.last().copied().unwrap_or(0)
    );
}
