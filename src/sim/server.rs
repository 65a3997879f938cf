//! Running the simulator: the handles to start and stop it in-process or on
//! its own runtime, and the accept loop that serves each connection.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::response::Response;
use hyper::server::conn::http1::Builder;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;

pub use super::app::{App, SimStats, router};
use super::config::SimulatorConfig;
use super::timeouts::{BodyDeadline, http1};
use crate::error::Error;

/// The simulator, started on the current tokio runtime.
pub struct Simulator;

impl Simulator {
    /// Serves `config` on `listener` (already bound) until the handle is shut down.
    pub async fn start(config: SimulatorConfig, listener: TcpListener) -> Result<SimTask, Error> {
        Simulator::start_with_tls(config, listener, None).await
    }

    /// [`Simulator::start`] serving HTTPS through `tls` when given (see
    /// [`super::tls::acceptor`]), plain HTTP otherwise.
    pub async fn start_with_tls(
        config: SimulatorConfig,
        listener: TcpListener,
        tls: Option<TlsAcceptor>,
    ) -> Result<SimTask, Error> {
        let addr = listener.local_addr().map_err(|e| {
            Error::run(format!(
                "cannot read the simulator's listening address: {e}"
            ))
        })?;
        let http = http1(config.idle_timeout.0);
        let body_timeout = config.body_timeout.0;
        let app = App::new(config);
        let stop = CancellationToken::new();
        let routes = router(app.clone());
        let stopped = stop.clone();
        let scheme = if tls.is_some() { "https" } else { "http" };
        let task = tokio::spawn(accept_loop(
            listener,
            routes,
            http,
            body_timeout,
            tls,
            stopped,
        ));
        Ok(SimTask {
            addr,
            scheme,
            app,
            stop,
            task,
        })
    }
}

/// Accepts connections until `stop`; each is served over HTTP/1.1 (what
/// long-polling clients speak) and dropped at once when `stop` fires, so a
/// held connect never delays shutdown. A plain HTTP/1 connection (no
/// protocol sniffing) keeps the per-agent memory of idle long-polls low.
/// With `tls`, each connection's handshake runs in its own task (bounded by
/// [`TLS_HANDSHAKE_TIMEOUT`]) so a slow or failing client never holds the loop.
/// `http` carries the idle timeout; `body_timeout` bounds each request body.
async fn accept_loop(
    listener: TcpListener,
    routes: Router,
    http: Builder,
    body_timeout: Duration,
    tls: Option<TlsAcceptor>,
    stop: CancellationToken,
) {
    loop {
        let accepted = tokio::select! {
            _ = stop.cancelled() => return,
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(_) => {
                // Out of file descriptors or a transient accept error: back off
                // instead of spinning; established connections keep working.
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let service = BodyDeadline {
            service: hyper_util::service::TowerToHyperService::new(routes.clone()),
            limit: body_timeout,
        };
        let stop = stop.clone();
        let http = http.clone();
        match &tls {
            None => {
                tokio::spawn(serve_connection(http, stream, service, stop));
            }
            Some(acceptor) => {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let handshake =
                        tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(stream));
                    let stream = tokio::select! {
                        _ = stop.cancelled() => return,
                        done = handshake => match done {
                            Ok(Ok(stream)) => stream,
                            // A client that does not trust the certificate
                            // aborts here; that is its error to report.
                            _ => return,
                        },
                    };
                    serve_connection(http, stream, service, stop).await;
                });
            }
        }
    }
}

/// How long a client may take to complete its TLS handshake.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves one connection over HTTP/1.1 until it closes or `stop` fires.
async fn serve_connection<S, Svc>(http: Builder, stream: S, service: Svc, stop: CancellationToken)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    Svc: hyper::service::Service<
            hyper::Request<hyper::body::Incoming>,
            Response = Response,
            Error = std::convert::Infallible,
        > + Send
        + 'static,
    Svc::Future: Send + 'static,
{
    let conn = http.serve_connection(hyper_util::rt::TokioIo::new(stream), service);
    tokio::select! {
        _ = conn => {}
        _ = stop.cancelled() => {}
    }
}

/// A running simulator on the caller's runtime.
pub struct SimTask {
    addr: SocketAddr,
    scheme: &'static str,
    app: Arc<App>,
    stop: CancellationToken,
    task: tokio::task::JoinHandle<()>,
}

impl SimTask {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR` (or `https://ADDR` when serving TLS), the base URL for clients.
    pub fn url(&self) -> String {
        format!("{}://{}", self.scheme, self.addr)
    }

    /// Current counts.
    pub fn stats(&self) -> SimStats {
        self.app.stats()
    }

    /// Stops accepting and closes every connection (held connects included),
    /// waiting at most `grace` for the accept loop, and returns the final counts.
    pub async fn shutdown(self, grace: Duration) -> SimStats {
        self.stop.cancel();
        self.app.bayeux.shutdown();
        let mut task = self.task;
        if tokio::time::timeout(grace, &mut task).await.is_err() {
            task.abort();
        }
        self.app.stats()
    }
}

/// A simulator on its own multi-thread runtime in its own thread
/// (so it shares cores with the load generator but not a scheduler).
pub struct SimThread {
    url: String,
    addr: SocketAddr,
    app: Arc<App>,
    stop: CancellationToken,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// Starts the simulator on a dedicated runtime bound to `addr` (port 0 picks
/// a free one), with half the machine's cores as workers (at least one): the
/// load generator in the same process keeps the rest.
pub fn spawn_on_own_runtime(config: SimulatorConfig, addr: SocketAddr) -> Result<SimThread, Error> {
    spawn_on_own_runtime_with(config, addr, default_worker_threads())
}

/// Worker threads of a simulator on its own runtime: half the cores.
pub fn default_worker_threads() -> usize {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    (cores / 2).max(1)
}

/// [`spawn_on_own_runtime`] with an explicit number of worker threads.
pub fn spawn_on_own_runtime_with(
    config: SimulatorConfig,
    addr: SocketAddr,
    worker_threads: usize,
) -> Result<SimThread, Error> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(worker_threads.max(1))
        .thread_name("agentload-sim")
        .enable_all()
        .build()
        .map_err(|e| Error::run(format!("cannot start the simulator's runtime: {e}")))?;
    let listener = runtime.block_on(TcpListener::bind(addr)).map_err(|e| {
        Error::run(format!(
            "cannot listen on {addr}: {e}; pick another address or port"
        ))
    })?;
    let handle = runtime.block_on(Simulator::start(config, listener))?;
    let (url, bound, app, stop) = (
        handle.url(),
        handle.addr(),
        handle.app.clone(),
        handle.stop.clone(),
    );
    let thread = std::thread::Builder::new()
        .name("agentload-sim".to_string())
        .spawn(move || {
            runtime.block_on(async move {
                handle.stop.cancelled().await;
                handle.shutdown(Duration::from_millis(500)).await;
            });
            runtime.shutdown_timeout(Duration::from_millis(200));
        })
        .map_err(|e| Error::run(format!("cannot start the simulator's thread: {e}")))?;
    Ok(SimThread {
        url,
        addr: bound,
        app,
        stop,
        thread: Some(thread),
    })
}

impl SimThread {
    /// `http://ADDR`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Current counts.
    pub fn stats(&self) -> SimStats {
        self.app.stats()
    }

    /// Stops it (blocking until its runtime is down) and returns the final counts.
    pub fn stop(mut self) -> SimStats {
        self.stop.cancel();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        self.app.stats()
    }
}

impl Drop for SimThread {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}
