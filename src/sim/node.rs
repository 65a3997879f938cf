//! The simulator split into nodes, like a GWS cluster whose agents are pinned
//! to nodes: one process holds at most its open-file limit of long-polls, so
//! tens of thousands of agents need several. Node `j` of `K` owns the agents
//! whose pool index is `j` modulo `K` (the pool starting at `agents.first`,
//! `agent1` unless told otherwise) and creates only the interactions injected
//! into it; its routing offers them to its own agents only.
//!
//! Pure decisions here (who owns an agent, how many nodes `auto` means, the
//! nodes' summed counts); [`super::cluster`] starts the processes.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::app::SimStats;
use super::routing::Counts;

/// Most agents' long-polls one node is planned for by `nodes = "auto"`:
/// their sockets, a share of REST connections and the process's own files
/// stay below a 20,000 open-file limit.
pub const AGENTS_PER_NODE: u32 = 14_000;

/// Most nodes a simulator may be split into.
pub const MAX_NODES: u32 = 64;

/// Which agents one node owns: those whose pool index modulo `count` is
/// `index`. The whole simulator is node 0 of 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeSlice {
    /// This node's number, `0..count`.
    pub index: u32,
    /// How many nodes share the agents.
    pub count: u32,
    /// The user number of pool index 0 (`agents.first`): user `agentU` has
    /// pool index `U - first`.
    pub first: u32,
}

impl Default for NodeSlice {
    fn default() -> Self {
        NodeSlice::WHOLE
    }
}

impl NodeSlice {
    /// One node owning every agent.
    pub const WHOLE: NodeSlice = NodeSlice {
        index: 0,
        count: 1,
        first: 1,
    };

    /// Node `index` of `count`, for a pool starting at `agent1`.
    pub fn new(index: u32, count: u32) -> NodeSlice {
        NodeSlice {
            index,
            count,
            first: 1,
        }
    }

    /// Whether the simulator's agent `agent` (0-based: `agent1` is 0) is this node's.
    pub fn owns(&self, agent: u32) -> bool {
        if self.count <= 1 {
            return true;
        }
        let pool_index = i64::from(agent) + 1 - i64::from(self.first);
        pool_index.rem_euclid(i64::from(self.count)) == i64::from(self.index)
    }

    /// True when the node owns every agent.
    pub fn is_whole(&self) -> bool {
        self.count <= 1
    }
}

/// `J/K` as `--node` takes it: node `J` (0-based) of `K`.
impl FromStr for NodeSlice {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let expected = || {
            format!(
                "invalid node {text:?}: expected J/K with 0 <= J < K <= {MAX_NODES}, e.g. 0/2 for the first of two nodes"
            )
        };
        let (j, k) = text.trim().split_once('/').ok_or_else(expected)?;
        let (j, k): (u32, u32) = (
            j.trim().parse().map_err(|_| expected())?,
            k.trim().parse().map_err(|_| expected())?,
        );
        if k == 0 || j >= k || k > MAX_NODES {
            return Err(expected());
        }
        Ok(NodeSlice::new(j, k))
    }
}

impl fmt::Display for NodeSlice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// How many nodes the simulator runs as: `[simulator] nodes`, `serve
/// --nodes`, `run --simulator-nodes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NodeCount {
    /// Enough that no node holds more than [`AGENTS_PER_NODE`] agents or
    /// more files than its limit: one for small runs.
    #[default]
    Auto,
    /// Exactly this many (1 to [`MAX_NODES`]).
    Fixed(u32),
}

impl NodeCount {
    /// True for `auto`.
    pub fn is_auto(&self) -> bool {
        matches!(self, NodeCount::Auto)
    }

    /// The number of nodes for `agents` agents when each process may open
    /// `file_limit` files (see [`auto_nodes`]).
    pub fn resolve(self, agents: u32, file_limit: u64) -> u32 {
        match self {
            NodeCount::Fixed(k) => k.clamp(1, MAX_NODES),
            NodeCount::Auto => auto_nodes(agents, file_limit),
        }
    }
}

/// The fewest nodes such that none holds more than [`AGENTS_PER_NODE`]
/// agents nor needs more than `file_limit` open files
/// ([`crate::nofile::simulator_descriptors`]); at least one, at most
/// [`MAX_NODES`].
pub fn auto_nodes(agents: u32, file_limit: u64) -> u32 {
    (1..=MAX_NODES)
        .find(|&k| {
            let per_node = agents.div_ceil(k);
            per_node <= AGENTS_PER_NODE
                && crate::nofile::simulator_descriptors(per_node) <= file_limit
        })
        .unwrap_or(MAX_NODES)
}

impl FromStr for NodeCount {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("auto") {
            return Ok(NodeCount::Auto);
        }
        match text.parse::<u32>() {
            Ok(k) if (1..=MAX_NODES).contains(&k) => Ok(NodeCount::Fixed(k)),
            _ => Err(format!(
                "invalid node count {text:?}: expected \"auto\" or a number from 1 to {MAX_NODES}"
            )),
        }
    }
}

impl fmt::Display for NodeCount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NodeCount::Auto => f.write_str("auto"),
            NodeCount::Fixed(k) => write!(f, "{k}"),
        }
    }
}

impl Serialize for NodeCount {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            NodeCount::Auto => s.serialize_str("auto"),
            NodeCount::Fixed(k) => s.serialize_u32(*k),
        }
    }
}

impl<'de> Deserialize<'de> for NodeCount {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Written {
            Number(i64),
            Text(String),
        }
        let text = match Written::deserialize(d).map_err(|_| {
            serde::de::Error::custom(format!(
                "expected \"auto\" or a number of nodes from 1 to {MAX_NODES}"
            ))
        })? {
            Written::Number(n) => n.to_string(),
            Written::Text(t) => t,
        };
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// The counts of several nodes added up: what one simulator of them all
/// would have counted (gauges included: each node's are disjoint).
pub fn sum_stats<'a>(nodes: impl IntoIterator<Item = &'a SimStats>) -> SimStats {
    let mut total = SimStats {
        counts: Counts::default(),
        held_connects: 0,
        bayeux_sessions: 0,
        http_sessions: 0,
        undelivered: 0,
        denied_handshakes: 0,
        denied_subscriptions: 0,
        denied_publishes: 0,
    };
    for s in nodes {
        let (t, c) = (&mut total.counts, &s.counts);
        t.injected += c.injected;
        t.offered += c.offered;
        t.accepted += c.accepted;
        t.rejected += c.rejected;
        t.revoked += c.revoked;
        t.completed += c.completed;
        t.requeued += c.requeued;
        t.queued += c.queued;
        t.offering += c.offering;
        t.in_progress += c.in_progress;
        t.agents_logged_in += c.agents_logged_in;
        t.agents_ready += c.agents_ready;
        t.refused_user_data += c.refused_user_data;
        t.refused_queue_full += c.refused_queue_full;
        total.held_connects += s.held_connects;
        total.bayeux_sessions += s.bayeux_sessions;
        total.http_sessions += s.http_sessions;
        total.undelivered += s.undelivered;
        total.denied_handshakes += s.denied_handshakes;
        total.denied_subscriptions += s.denied_subscriptions;
        total.denied_publishes += s.denied_publishes;
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_agent_has_exactly_one_node() {
        for first in [1, 5] {
            let nodes: Vec<NodeSlice> = (0..3)
                .map(|j| NodeSlice {
                    first,
                    ..NodeSlice::new(j, 3)
                })
                .collect();
            for pool_index in 0..30u32 {
                // The simulator's agent of pool index i is user first + i, 0-based.
                let agent = first - 1 + pool_index;
                let owners: Vec<u32> = nodes
                    .iter()
                    .filter(|n| n.owns(agent))
                    .map(|n| n.index)
                    .collect();
                assert_eq!(
                    owners,
                    vec![pool_index % 3],
                    "first {first}, index {pool_index}"
                );
            }
        }
        assert!((0..100).all(|a| NodeSlice::WHOLE.owns(a)));
    }

    #[test]
    fn node_slices_parse_as_j_of_k() {
        assert_eq!("1/4".parse::<NodeSlice>(), Ok(NodeSlice::new(1, 4)));
        for bad in ["4/4", "0/0", "1", "a/2", "0/65"] {
            let err = bad.parse::<NodeSlice>().unwrap_err();
            assert!(err.contains("expected J/K"), "{bad}: {err}");
        }
    }

    #[test]
    fn auto_keeps_each_node_under_its_share_and_its_file_limit() {
        assert_eq!(auto_nodes(200, 20_000), 1);
        assert_eq!(auto_nodes(14_000, 20_000), 1);
        assert_eq!(auto_nodes(14_001, 20_000), 2);
        assert_eq!(auto_nodes(50_000, 20_000), 4);
        // A low limit asks for more nodes: of 1,024 files, 768 go to the
        // server ends of the generator's idle pool and the process itself,
        // which leaves about 210 agents (1.2 files each) per node.
        assert_eq!(auto_nodes(2_000, 1_024), 10);
        assert!(crate::nofile::simulator_descriptors(2_000u32.div_ceil(10)) <= 1_024);
        assert!(crate::nofile::simulator_descriptors(2_000u32.div_ceil(9)) > 1_024);
        assert_eq!(auto_nodes(u32::MAX, 1_024), MAX_NODES);
        assert_eq!(NodeCount::Fixed(3).resolve(50_000, 20_000), 3);
    }

    #[test]
    fn node_counts_read_auto_or_a_number() {
        #[derive(Deserialize, Serialize)]
        struct T {
            nodes: NodeCount,
        }
        let t: T = toml::from_str("nodes = 3").unwrap();
        assert_eq!(t.nodes, NodeCount::Fixed(3));
        let t: T = toml::from_str("nodes = \"auto\"").unwrap();
        assert_eq!(t.nodes, NodeCount::Auto);
        for bad in ["nodes = 0", "nodes = 65", "nodes = \"many\"", "nodes = 1.5"] {
            let err = toml::from_str::<T>(bad).err().unwrap().to_string();
            assert!(err.contains("auto") && err.contains("64"), "{bad}: {err}");
        }
        assert_eq!(
            toml::to_string(&T {
                nodes: NodeCount::Fixed(2)
            })
            .unwrap()
            .trim(),
            "nodes = 2"
        );
    }

    #[test]
    fn summed_stats_add_every_count() {
        let mut a: SimStats = serde_json::from_str(
            r#"{"injected":3,"offered":4,"accepted":3,"rejected":1,"revoked":0,"completed":3,"requeued":0,"queued":0,"offering":0,"in_progress":0,"agents_logged_in":2,"agents_ready":2,"held_connects":2,"bayeux_sessions":2,"http_sessions":2,"undelivered":0}"#,
        )
        .unwrap();
        let b = a;
        a.counts.injected = 5;
        let sum = sum_stats([&a, &b]);
        assert_eq!(sum.counts.injected, 8);
        assert_eq!(sum.counts.agents_logged_in, 4);
        assert_eq!(sum.held_connects, 4);
    }
}
