//! Full connect cycles against our own server on loopback: the server queues
//! an event, the held connect returns with it, the client decodes it, hands
//! it to its agent and sends the next connect (which the server holds).
//! Reports cycles/s and the process CPU (client + server, getrusage) per cycle.
//!
//! Then the resident memory per idle agent with a held connect.
//!
//! Run: `cargo bench --bench bayeux_cycle` (AGENTLOAD_BENCH_CYCLES=N to change
//! the fixed count, default 20000 per scenario; AGENTLOAD_BENCH_IDLE_AGENTS,
//! default 4000; needs twice as many file descriptors).

use std::sync::Arc;
use std::time::{Duration, Instant};

use agentload::bayeux::{
    BayeuxClient, BayeuxServer, ClientConfig, Deliveries, Delivery, NoopListener, NoopObserver,
    ServerConfig,
};
use agentload::http::{HttpClient, HttpSession};
use serde_json::value::RawValue;
use tokio_util::sync::CancellationToken;

const EVENT: &str = r#"{"messageType":"InteractionStateMessage","state":"Invited","id":"0000Ja8V814907JM","channel":"email","interactionType":"Inbound","capabilities":["Accept","Reject"],"userData":{"Subject":"test_reply","ContactId":"0000Ha8S2A7X000N"}}"#;

fn cpu_time() -> Duration {
    // SAFETY: getrusage only writes into the zeroed struct we pass.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: RUSAGE_SELF with a valid pointer.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    assert_eq!(rc, 0, "getrusage failed");
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

struct Agent {
    client: BayeuxClient,
    rx: Deliveries,
    id: String,
}

async fn agent(
    server: &BayeuxServer,
    http: &HttpClient,
    url: &str,
    stop: &CancellationToken,
) -> Agent {
    let config = ClientConfig::new(url.parse().expect("url"));
    let (client, rx) = BayeuxClient::new(
        http.clone(),
        Arc::new(HttpSession::new()),
        config,
        Arc::new(NoopObserver),
    );
    client.handshake().await.expect("handshake");
    client
        .subscribe("/v2/me/interactions")
        .await
        .expect("subscribe");
    let id = client.client_id().expect("client id");
    let (c, s) = (client.clone(), stop.clone());
    tokio::spawn(async move { c.run_connect_loop(&s).await });
    let _ = server;
    Agent { client, rx, id }
}

/// `agents` agents each run `cycles / agents` deliver-and-receive cycles.
async fn scenario(agents: usize, cycles: usize) {
    let server = BayeuxServer::new(ServerConfig::default(), Arc::new(NoopListener));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/cometd", listener.local_addr().expect("addr"));
    let app = server.router();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let http = HttpClient::new(&Default::default()).expect("http client");
    let stop = CancellationToken::new();
    let mut all = Vec::with_capacity(agents);
    for _ in 0..agents {
        all.push(agent(&server, &http, &url, &stop).await);
    }
    let data: Box<RawValue> = RawValue::from_string(EVENT.to_owned()).expect("json");
    let data: Arc<RawValue> = Arc::from(data);
    let per_agent = cycles / agents;
    // Warm-up: every agent's connect is held before timing starts.
    while server.stats().held_connects < agents {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let cpu0 = cpu_time();
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for mut a in all {
        let (server, data) = (server.clone(), data.clone());
        tasks.push(tokio::spawn(async move {
            for _ in 0..per_agent {
                // Retry until the connect is back in the server's hands.
                while !server.deliver(&a.id, "/v2/me/interactions", &data) {
                    tokio::task::yield_now().await;
                }
                match tokio::time::timeout(Duration::from_secs(30), a.rx.recv()).await {
                    Ok(Some(Delivery::Message { .. })) => {}
                    other => panic!("cycle failed: {other:?}"),
                }
            }
            a
        }));
    }
    let mut done = Vec::new();
    for t in tasks {
        done.push(t.await.expect("agent task"));
    }
    let wall = t0.elapsed();
    let cpu = cpu_time() - cpu0;
    let total = per_agent * agents;
    println!(
        "{agents:>4} agent(s), {total} cycles: {:>8.0} cycles/s, {:>6.1} us per-agent cycle, CPU {:>5.1} us/cycle (client+server, {:.0}% of one core)",
        total as f64 / wall.as_secs_f64(),
        wall.as_secs_f64() * 1e6 / total as f64 * agents as f64,
        cpu.as_secs_f64() * 1e6 / total as f64,
        cpu.as_secs_f64() / wall.as_secs_f64() * 100.0,
    );
    stop.cancel();
    for a in done {
        let _ = a.client.disconnect().await;
    }
}

fn rss_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: usize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    pages * page.max(0) as usize
}

/// Resident memory per idle agent whose connect is held (client and server
/// in one process, both ends of each loopback connection).
async fn idle_memory(agents: usize) {
    let server = BayeuxServer::new(ServerConfig::default(), Arc::new(NoopListener));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/cometd", listener.local_addr().expect("addr"));
    let app = server.router();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let http = HttpClient::new(&Default::default()).expect("http client");
    let stop = CancellationToken::new();
    // One warm agent first, so one-off allocations are not counted.
    let warm = agent(&server, &http, &url, &stop).await;
    while server.stats().held_connects < 1 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let before = rss_bytes();
    let mut all = Vec::with_capacity(agents);
    for _ in 0..agents {
        all.push(agent(&server, &http, &url, &stop).await);
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while server.stats().held_connects < agents + 1 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let after = rss_bytes();
    println!(
        "{agents} idle agents with held connects: {:.1} KiB RSS per agent (client + server + both connection ends)",
        (after.saturating_sub(before)) as f64 / 1024.0 / agents as f64
    );
    stop.cancel();
    drop(all);
    drop(warm);
}

fn main() {
    let cycles: usize = std::env::var("AGENTLOAD_BENCH_CYCLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    for (threads, agents) in [(1, 1), (2, 1), (2, 100)] {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .enable_all()
            .build()
            .expect("runtime");
        print!("{threads} worker thread(s): ");
        rt.block_on(scenario(agents, cycles));
    }
    let idle: usize = std::env::var("AGENTLOAD_BENCH_IDLE_AGENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(idle_memory(idle));
}
