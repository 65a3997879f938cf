//! `agentload serve`: the embedded GWS v2 simulator on its own.

use std::time::Duration;

use crate::cli::ServeArgs;
use crate::error::{Error, Outcome};
use crate::sim::process::{LISTENING, STATS};
use crate::sim::{NodeSlice, Simulator, SimulatorConfig};

/// Reads the config file (if any) and applies the flags over it.
pub fn resolve_config(args: &ServeArgs) -> Result<SimulatorConfig, Error> {
    let mut config = match &args.config {
        None if args.supervised => supervised_config()?,
        None => SimulatorConfig::default(),
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                Error::input(format!(
                    "cannot read the simulator config {}: {e}",
                    path.display()
                ))
            })?;
            toml::from_str(&text).map_err(|e| {
                Error::input(format!(
                    "invalid simulator config {}: {e}(the file has the schema of a profile's [simulator] table)",
                    path.display()
                ))
            })?
        }
    };
    if let Some(n) = args.agents {
        config.users = n;
    }
    if let Some(p) = &args.password {
        config.password = p.clone();
    }
    if let Some(t) = args.invite_timeout {
        config.invite_timeout = t;
    }
    if let Some(node) = args.node {
        if args.node_first == 0 {
            return Err(Error::input(
                "--node-first must be at least 1 (the user number of pool index 0)",
            ));
        }
        config.node = NodeSlice {
            first: args.node_first,
            ..node
        };
    }
    if config.users == 0 {
        return Err(Error::input("--agents must be at least 1"));
    }
    if config.invite_timeout.0.is_zero() {
        return Err(Error::input(
            "the invite timeout must be above zero, e.g. --invite-timeout 30s",
        ));
    }
    // The same bounds as a profile's [simulator] table, so serve refuses what it cannot do.
    crate::profile::bounds::check_simulator(&config).map_err(|e| {
        let origin = args
            .config
            .as_ref()
            .map_or("the simulator settings".to_string(), |p| {
                p.display().to_string()
            });
        Error::input(format!("{origin}: {e}"))
    })?;
    Ok(config)
}

/// The settings `agentload run` writes as one JSON line on stdin.
fn supervised_config() -> Result<SimulatorConfig, Error> {
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| Error::input(format!("--supervised: cannot read the settings line: {e}")))?;
    serde_json::from_str(&line).map_err(|e| {
        Error::input(format!(
            "--supervised expects the simulator settings as one JSON line on stdin: {e}"
        ))
    })
}

/// Runs the simulator until Ctrl-C or SIGTERM, then prints the final counts;
/// with `--nodes K` above 1 (or the config's `nodes`) as K node processes.
pub fn run(args: ServeArgs) -> Result<Outcome, Error> {
    let config = resolve_config(&args)?;
    if !args.supervised && args.node.is_none() {
        let limit = crate::nofile::raise(0)
            .or_else(|_| crate::nofile::current())
            .map_or(u64::MAX, |l| l.hard);
        let nodes = args
            .nodes
            .unwrap_or(config.nodes)
            .resolve(config.users, limit);
        if nodes > 1 {
            return super::serve_nodes::run(&args, &config, nodes);
        }
    }
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(crate::sim::tls::acceptor(cert, key)?),
        _ => None,
    };
    // Every logged-in agent holds its long-poll here, plus a share of REST
    // connections; a node holds only its own agents'.
    let owned = config.users.div_ceil(config.node.count.max(1));
    let needed = crate::nofile::simulator_descriptors(owned);
    if let Ok(limit) = crate::nofile::raise(needed)
        && limit.soft < needed
    {
        crate::errln!(
            "warning: {owned} users may need {needed} open files but only {} are allowed; raise it with `ulimit -n {needed}`{}",
            limit.soft,
            if config.node.is_whole() {
                ", or split the simulator with --nodes"
            } else {
                ""
            }
        );
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::run(format!("cannot start the runtime: {e}")))?;
    let result = runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.listen).await.map_err(|e| {
            Error::run(format!("cannot listen on {}: {e}; pick another address with --listen", args.listen))
        })?;
        let (users, node) = (config.users, config.node);
        let stop = stop_signal()?;
        let sim = Simulator::start_with_tls(config, listener, tls).await?;
        if args.supervised {
            crate::outln!("{LISTENING}{}", sim.url());
            flush_stdout();
            tokio::select! {
                () = stop => {}
                () = stdin_closed() => {}
            }
            let stats = sim.shutdown(Duration::from_secs(1)).await;
            let json = serde_json::to_string(&stats)
                .map_err(|e| Error::run(format!("cannot encode the final counts: {e}")))?;
            crate::outln!("{STATS}{json}");
            flush_stdout();
            return Ok(Outcome::Passed);
        }
        let node = if node.is_whole() {
            String::new()
        } else {
            format!(" as node {node} (its agents only)")
        };
        crate::outln!(
            "GWS v2 simulator listening on {}{node} (users agent1..agent{users}); stats at {}/sim/stats; Ctrl-C to stop",
            sim.url(),
            sim.url()
        );
        stop.await;
        let stats = sim.shutdown(Duration::from_secs(1)).await;
        crate::outln!("final stats: {stats}");
        Ok(Outcome::Passed)
    });
    // A supervised simulator stopped by a signal still has a thread blocked
    // reading stdin; it must not hold the exit.
    runtime.shutdown_timeout(Duration::from_millis(100));
    result
}

fn flush_stdout() {
    use std::io::Write;
    // The supervisor reads line by line; nothing to do if it is gone.
    let _ = std::io::stdout().flush();
}

/// Resolves when stdin reaches its end: the supervising run is done or gone.
async fn stdin_closed() {
    let _ =
        tokio::task::spawn_blocking(|| std::io::copy(&mut std::io::stdin(), &mut std::io::sink()))
            .await;
}

/// Ctrl-C or SIGTERM, registered now (before the address is printed) so a
/// supervisor that signals right after start-up is honoured.
pub(super) fn stop_signal() -> Result<impl std::future::Future<Output = ()>, Error> {
    #[cfg(unix)]
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| Error::run(format!("cannot watch SIGTERM: {e}")))?;
    Ok(async move {
        #[cfg(unix)]
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn args(config: Option<PathBuf>) -> ServeArgs {
        ServeArgs {
            listen: "127.0.0.1:0".parse().unwrap(),
            agents: None,
            password: None,
            invite_timeout: None,
            config,
            tls_cert: None,
            tls_key: None,
            nodes: None,
            node: None,
            node_first: 1,
            supervised: false,
        }
    }

    #[test]
    fn flags_override_the_config_file() {
        let path =
            std::env::temp_dir().join(format!("agentload-serve-{}.toml", std::process::id()));
        std::fs::write(
            &path,
            "users = 7\npassword = \"x\"\ninvite_timeout = \"9s\"\n",
        )
        .unwrap();
        let from_file = resolve_config(&args(Some(path.clone()))).unwrap();
        assert_eq!((from_file.users, from_file.password.as_str()), (7, "x"));
        let mut a = args(Some(path.clone()));
        a.agents = Some(3);
        a.invite_timeout = Some("2s".parse().unwrap());
        let c = resolve_config(&a).unwrap();
        assert_eq!((c.users, c.invite_timeout.0.as_secs()), (3, 2));
        std::fs::write(&path, "user = 7\n").unwrap();
        let err = resolve_config(&args(Some(path.clone()))).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(err.to_string().contains("user"), "{err}");
        std::fs::remove_file(&path).unwrap();
        let missing =
            resolve_config(&args(Some(PathBuf::from("/nonexistent/x.toml")))).unwrap_err();
        assert!(missing.to_string().contains("cannot read"), "{missing}");
    }

    #[test]
    fn a_config_out_of_bounds_is_refused_naming_the_field() {
        let path = std::env::temp_dir().join(format!(
            "agentload-serve-bounds-{}.toml",
            std::process::id()
        ));
        std::fs::write(&path, "connect_timeout = \"500000000000y\"\n").unwrap();
        let err = resolve_config(&args(Some(path.clone()))).unwrap_err();
        std::fs::remove_file(&path).unwrap();
        assert_eq!(err.exit_code(), 2);
        assert!(err.to_string().contains("connect_timeout"), "{err}");
    }
}
