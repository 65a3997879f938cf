//! `agentload serve --nodes K`: the simulator as K node processes, one line
//! per node, until Ctrl-C or SIGTERM (or a node dies), then each node's and
//! the summed final counts.

use std::time::Duration;

use super::serve::stop_signal;
use crate::cli::ServeArgs;
use crate::error::{Error, Outcome};
use crate::sim::{SimCluster, SimulatorConfig};

/// How often the nodes are looked at for one that ended by itself.
const WATCH_EVERY: Duration = Duration::from_millis(250);

/// The first line of this form lists every node's URL for scripts:
/// `nodes URL URL ...`.
pub const NODES: &str = "nodes ";

/// Starts `count` nodes of `config` and serves until stopped.
pub(super) fn run(
    args: &ServeArgs,
    config: &SimulatorConfig,
    count: u32,
) -> Result<Outcome, Error> {
    let tls = args.tls_cert.clone().zip(args.tls_key.clone());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::run(format!("cannot start the runtime: {e}")))?;
    let stop = runtime.block_on(async { stop_signal() })?;
    let mut cluster = SimCluster::start(config, count, 1, args.listen, tls)?;
    let urls = cluster.urls();
    for (j, (url, pid)) in urls.iter().zip(cluster.pids()).enumerate() {
        crate::outln!(
            "GWS v2 simulator node {} of {count} listening on {url} (pid {pid}; agents agent{}, agent{}, ... of agent1..agent{}: pool index % {count} == {j}); stats at {url}/sim/stats",
            j + 1,
            j + 1,
            j + 1 + count as usize,
            config.users
        );
    }
    crate::outln!("{NODES}{}", urls.join(" "));
    crate::outln!("Ctrl-C to stop all {count} nodes");
    flush_stdout();
    let died = runtime.block_on(async {
        tokio::pin!(stop);
        let mut tick = tokio::time::interval(WATCH_EVERY);
        loop {
            tokio::select! {
                () = &mut stop => return None,
                _ = tick.tick() => {
                    if let Some(dead) = cluster.dead_node() {
                        return Some(dead);
                    }
                }
            }
        }
    });
    if let Some((node, status)) = &died {
        crate::errln!(
            "agentload serve: simulator node {} of {count} ({}) ended by itself ({status}); stopping the others",
            node + 1,
            urls[*node as usize]
        );
    }
    let stats = cluster.stop();
    for (j, node) in stats.nodes.iter().enumerate() {
        if let Some(node) = node {
            crate::outln!("node {} of {count} final stats: {node}", j + 1);
        }
    }
    crate::outln!(
        "final stats (sum of {} of {count} nodes): {}",
        stats.nodes.iter().flatten().count(),
        stats.total()
    );
    match died {
        Some((node, status)) => Err(Error::run(format!(
            "simulator node {} of {count} ended by itself ({status}); its messages are above",
            node + 1
        ))),
        None => Ok(Outcome::Passed),
    }
}

fn flush_stdout() {
    use std::io::Write;
    let _ = std::io::stdout().flush();
}
