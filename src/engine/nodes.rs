//! Where a run's traffic goes when the target has several nodes (a GWS
//! cluster whose agents are pinned to nodes, or the embedded simulator split
//! into node processes) and the agents several source addresses: agent `n`
//! uses node `n % K` for everything (REST, Bayeux, its long-poll) and binds
//! its long-poll to source address `(n / K) % A` (so each node's agents use
//! every address, whatever `K` and `A` have in common); the interaction with sequence
//! number `k` is created on node `k % K`. Pure choices, so shards and a
//! one-process run send the same agent and the same interaction to the same
//! node.

use std::sync::Arc;

use crate::agent::AgentDeps;
use crate::http::SourceAddresses;

/// The target's nodes as the engine sees them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nodes {
    /// Base URL of each node (no trailing `/`); at least one.
    pub targets: Vec<String>,
    /// Base URL of the injection API for each node: the node itself, or
    /// `target.injector_url` for all.
    pub injectors: Vec<String>,
    /// Local addresses of the agents' long-polls; `None`: the system's choice.
    pub source_addresses: Option<SourceAddresses>,
}

impl Nodes {
    /// One node at `target`, injecting at `injector`.
    pub fn single(target: impl Into<String>, injector: impl Into<String>) -> Nodes {
        Nodes {
            targets: vec![target.into()],
            injectors: vec![injector.into()],
            source_addresses: None,
        }
    }

    /// Every node at `targets`, injecting into each node, or at `injector`
    /// when the deployment has one injection API for all.
    pub fn of(targets: Vec<String>, injector: Option<&str>) -> Nodes {
        let injectors = match injector {
            Some(url) => vec![url.trim_end_matches('/').to_string()],
            None => targets.clone(),
        };
        Nodes {
            targets,
            injectors,
            source_addresses: None,
        }
    }

    /// The first node's base URL (the only one of most runs).
    pub fn first(&self) -> &str {
        self.targets.first().map_or("", String::as_str)
    }

    /// How many nodes.
    pub fn count(&self) -> usize {
        self.targets.len().max(1)
    }
}

/// The node of agent `index` among `nodes`.
pub fn node_of_agent(index: u32, nodes: usize) -> usize {
    index as usize % nodes.max(1)
}

/// The node the interaction with sequence number `seq` is created on.
pub fn node_of_interaction(seq: u64, nodes: usize) -> usize {
    (seq % nodes.max(1) as u64) as usize
}

/// What every agent shares, one per (node, source address) pair: agent
/// `n` gets the one of node `n % K` and address `(n / K) % A`.
#[derive(Clone)]
pub struct AgentRoutes {
    by_route: Vec<Arc<AgentDeps>>,
    addresses: usize,
}

impl AgentRoutes {
    /// `by_route[node * addresses + address]` (`addresses` at least 1).
    pub fn new(by_route: Vec<Arc<AgentDeps>>, addresses: usize) -> AgentRoutes {
        AgentRoutes {
            by_route,
            addresses: addresses.max(1),
        }
    }

    /// The dependencies of agent `index`.
    pub fn for_agent(&self, index: u32) -> Arc<AgentDeps> {
        let nodes = (self.by_route.len() / self.addresses).max(1);
        let route = route_of(index, nodes, self.addresses);
        self.by_route[route.min(self.by_route.len().saturating_sub(1))].clone()
    }
}

/// The route (`node * addresses + address`) of agent `index`: the agents
/// of one node take its addresses in turn, so the ephemeral ports towards
/// that node are spread over all of them.
fn route_of(index: u32, nodes: usize, addresses: usize) -> usize {
    let per_node_rank = index as usize / nodes.max(1);
    node_of_agent(index, nodes) * addresses + per_node_rank % addresses.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agents_and_interactions_go_round_the_nodes() {
        let nodes: Vec<usize> = (0..6).map(|n| node_of_agent(n, 3)).collect();
        assert_eq!(nodes, [0, 1, 2, 0, 1, 2]);
        let created: Vec<usize> = (0..5).map(|k| node_of_interaction(k, 2)).collect();
        assert_eq!(created, [0, 1, 0, 1, 0]);
        assert_eq!(node_of_agent(7, 1), 0);
        assert_eq!(node_of_interaction(7, 0), 0);
    }

    #[test]
    fn an_agents_route_pairs_its_node_with_its_source_address() {
        // 2 nodes, 3 addresses: agent 4 is node 0's third agent, on address 2.
        assert_eq!(route_of(4, 2, 3), 2);
        assert_eq!(route_of(3, 2, 3), 3 + 1);
        for (nodes, addresses) in [(2, 3), (2, 2), (4, 2), (3, 6)] {
            let routes: std::collections::HashSet<usize> = (0..(nodes * addresses) as u32)
                .map(|n| route_of(n, nodes, addresses))
                .collect();
            assert_eq!(
                routes.len(),
                nodes * addresses,
                "{nodes} nodes, {addresses} addresses: every pair is used"
            );
        }
    }

    #[test]
    fn one_injector_serves_every_node_when_the_deployment_has_one() {
        let targets = vec!["http://a:1".to_string(), "http://b:1".to_string()];
        assert_eq!(Nodes::of(targets.clone(), None).injectors, targets);
        assert_eq!(
            Nodes::of(targets, Some("http://gms:8080/")).injectors,
            ["http://gms:8080"]
        );
        assert_eq!(
            Nodes::single("http://a:1", "http://a:1").first(),
            "http://a:1"
        );
    }
}
