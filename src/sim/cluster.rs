//! The simulator as several node processes ([`super::node`]): each an
//! `agentload serve --supervised --node J/K` child ([`SimChild`]) with its
//! own port, its own routing and its own open-file limit. Used by `agentload
//! serve --nodes K` and by a run's embedded simulator with `nodes` above 1.

use std::net::SocketAddr;
use std::path::PathBuf;

use super::node::{NodeSlice, sum_stats};
use super::process::{ChildOptions, SimChild};
use super::{SimStats, SimulatorConfig};
use crate::error::Error;

/// Running node processes; dropping the cluster kills them.
#[derive(Debug)]
pub struct SimCluster {
    nodes: Vec<SimChild>,
}

/// What a stopped cluster counted.
#[derive(Debug, Clone)]
pub struct ClusterStats {
    /// Each node's final `/sim/stats`, in node order (`None`: lost).
    pub nodes: Vec<Option<SimStats>>,
}

impl ClusterStats {
    /// Every node's counts added up (the lost ones left out).
    pub fn total(&self) -> SimStats {
        sum_stats(self.nodes.iter().flatten())
    }

    /// True when every node reported its counts.
    pub fn complete(&self) -> bool {
        self.nodes.iter().all(Option::is_some)
    }
}

/// The address of node `index`: `base`'s port plus the node's number, or a
/// free port for each when `base` asks for one (port 0).
pub fn node_address(base: SocketAddr, index: u32) -> Result<SocketAddr, Error> {
    if base.port() == 0 {
        return Ok(base);
    }
    let port = u16::try_from(u32::from(base.port()) + index).map_err(|_| {
        Error::input(format!(
            "--listen {base}: node {index} would need a port above 65535; pick a lower port"
        ))
    })?;
    Ok(SocketAddr::new(base.ip(), port))
}

impl SimCluster {
    /// Starts `count` nodes of `config` for a pool starting at user number
    /// `first`, node `j` on [`node_address`]`(listen, j)`, and waits until
    /// every one listens (a node that fails stops the ones started).
    pub fn start(
        config: &SimulatorConfig,
        count: u32,
        first: u32,
        listen: SocketAddr,
        tls: Option<(PathBuf, PathBuf)>,
    ) -> Result<SimCluster, Error> {
        let mut nodes = Vec::with_capacity(count as usize);
        for index in 0..count {
            let options = ChildOptions {
                listen: node_address(listen, index)?,
                node: NodeSlice {
                    index,
                    count,
                    first,
                },
                tls: tls.clone(),
            };
            let child = SimChild::spawn_with(config, &options)
                .map_err(|e| Error::run(format!("simulator node {} of {count}: {e}", index + 1)))?;
            nodes.push(child);
        }
        Ok(SimCluster { nodes })
    }

    /// Each node's base URL, in node order.
    pub fn urls(&self) -> Vec<String> {
        self.nodes.iter().map(|n| n.url().to_string()).collect()
    }

    /// Each node's process id, in node order.
    pub fn pids(&self) -> Vec<u32> {
        self.nodes.iter().map(SimChild::id).collect()
    }

    /// The first node found to have ended by itself: its number (0-based)
    /// and how it ended.
    pub fn dead_node(&mut self) -> Option<(u32, String)> {
        self.nodes
            .iter_mut()
            .enumerate()
            .find_map(|(i, n)| n.exited().map(|status| (i as u32, status.to_string())))
    }

    /// Stops every node and collects its final counts; a node whose counts
    /// are lost is warned about and left out.
    pub fn stop(self) -> ClusterStats {
        let count = self.nodes.len();
        let nodes = self
            .nodes
            .into_iter()
            .enumerate()
            .map(|(i, node)| match node.stop() {
                Ok(stats) => Some(stats),
                Err(e) => {
                    crate::errln!("warning: simulator node {} of {count}: {e}", i + 1);
                    None
                }
            })
            .collect();
        ClusterStats { nodes }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_listen_on_consecutive_ports_or_free_ones() {
        let base: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        assert_eq!(node_address(base, 2).unwrap().port(), 8082);
        let free: SocketAddr = "127.0.0.1:0".parse().unwrap();
        assert_eq!(node_address(free, 3).unwrap(), free);
        let high: SocketAddr = "127.0.0.1:65535".parse().unwrap();
        let err = node_address(high, 1).unwrap_err();
        assert_eq!(err.exit_code(), 2);
    }
}
