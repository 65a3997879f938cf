//! Before a run starts: does the plan fit this machine? Every held long-poll
//! costs a file in the generator process that holds it and in the simulator
//! node it reaches, and a local port of its (source address, node address)
//! pair, of which there are only the ephemeral range (~28,000 on Linux).
//! [`check`] is pure: `check` and `run` give it the plan and the machine's
//! limits and print what it finds, with what to set; `run` refuses only what
//! is sure to fail.

use crate::nofile;
use crate::profile::Profile;

/// What the plan asks of the machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Demand {
    /// The most agents logged in at once, over every process.
    pub peak_agents: u32,
    /// Generator processes sharing them (the N of `run --shard I/N`, else 1).
    pub processes: u32,
    /// Nodes of the target: the embedded simulator's, or `target.urls`.
    pub nodes: u32,
    /// Whether the simulator nodes run on this machine (the embedded one),
    /// so their files count here too.
    pub embedded: bool,
    /// Whether the embedded simulator is a thread of the generator, so both
    /// ends of every connection are in one process.
    pub simulator_in_process: bool,
    /// Local source addresses of the long-polls (1 without `source_addresses`).
    pub source_addresses: u32,
}

/// What the machine allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Allowance {
    /// Open files one process may reach (the hard limit, which the run
    /// raises its soft limit to).
    pub files_per_process: u64,
    /// Ports of the ephemeral range, per (source, destination) pair.
    pub ephemeral_ports: u64,
}

/// What [`check`] worked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preflight {
    /// Files one generator process needs.
    pub files_per_generator: u64,
    /// Files one simulator node needs (embedded nodes in their own processes).
    pub files_per_node: Option<u64>,
    /// Connections of the busiest (source address, node address) pair.
    pub ports_per_pair: u64,
    /// What does not fit, each saying what to set.
    pub findings: Vec<Finding>,
}

/// One thing that does not fit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// True when the run cannot work as planned (not merely might not).
    pub sure_to_fail: bool,
    /// What is short and what to set.
    pub message: String,
}

impl Preflight {
    /// True when a finding is sure to make the run fail.
    pub fn sure_to_fail(&self) -> bool {
        self.findings.iter().any(|f| f.sure_to_fail)
    }
}

/// Works out files per process and ports per address pair for `demand`
/// against `allowance`.
pub fn check(demand: &Demand, allowance: &Allowance) -> Preflight {
    let processes = demand.processes.max(1);
    let nodes = demand.nodes.max(1);
    let addresses = demand.source_addresses.max(1);
    let per_process = demand.peak_agents.div_ceil(processes);
    let files_per_generator = nofile::descriptors_needed(per_process, demand.simulator_in_process);
    let files_per_node = (demand.embedded && !demand.simulator_in_process)
        .then(|| nofile::simulator_descriptors(demand.peak_agents.div_ceil(nodes)));
    let ports_per_pair = ports_per_pair(demand.peak_agents, nodes, addresses);
    let mut findings = Vec::new();
    let limit = allowance.files_per_process;
    if files_per_generator > limit {
        findings.push(Finding {
            sure_to_fail: false,
            message: format!(
                "each generator process needs about {files_per_generator} open files for {per_process} agents, above the {limit} one process may open; {}",
                generator_fix(demand, limit)
            ),
        });
    }
    if let Some(per_node) = files_per_node.filter(|&n| n > limit) {
        let k = crate::sim::node::auto_nodes(demand.peak_agents, limit);
        findings.push(Finding {
            sure_to_fail: false,
            message: format!(
                "each of the {nodes} simulator nodes needs about {per_node} open files, above the {limit} one process may open; set [simulator] nodes = {k} (or --simulator-nodes {k}, or \"auto\")"
            ),
        });
    }
    let range = allowance.ephemeral_ports;
    // Held long-polls keep their ports for the whole run: past the range the
    // connects fail (EADDRNOTAVAIL). REST calls on the default address add
    // to the first pair, so getting close is worth a warning too.
    let long_polls = long_polls_per_pair(demand.peak_agents, nodes, addresses);
    if u64::from(long_polls) > range || ports_per_pair > range * 9 / 10 {
        findings.push(Finding {
            sure_to_fail: u64::from(long_polls) > range,
            message: format!(
                "about {ports_per_pair} connections share one (source address, node address) pair, but the ephemeral port range has {range} ports; {}",
                ports_fix(demand, range)
            ),
        });
    }
    Preflight {
        files_per_generator,
        files_per_node,
        ports_per_pair,
        findings,
    }
}

/// Connections of the busiest (source address, node address) pair: agent
/// `n` holds its long-poll to node `n % K` from address `(n / K) % A`
/// ([`crate::engine::nodes`]), so every pair serves one agent in `K * A`;
/// without source addresses the REST calls to a node (a fifth of its agents
/// at busy moments) share it.
pub fn ports_per_pair(peak_agents: u32, nodes: u32, addresses: u32) -> u64 {
    let (nodes, addresses) = (nodes.max(1), addresses.max(1));
    let long_polls = u64::from(long_polls_per_pair(peak_agents, nodes, addresses));
    let rest = if addresses == 1 {
        u64::from(peak_agents.div_ceil(nodes)) / 5 + nofile::POOL_IDLE
    } else {
        0
    };
    long_polls + rest
}

/// Long-polls of the busiest pair: a node's agents take its addresses in turn.
fn long_polls_per_pair(peak_agents: u32, nodes: u32, addresses: u32) -> u32 {
    peak_agents
        .div_ceil(nodes.max(1))
        .div_ceil(addresses.max(1))
}

/// What makes each generator process fit `limit` files.
fn generator_fix(demand: &Demand, limit: u64) -> String {
    let fits = |processes: u32| {
        let per = demand.peak_agents.div_ceil(processes);
        nofile::descriptors_needed(per, demand.simulator_in_process) <= limit
    };
    let in_process = if demand.simulator_in_process {
        "run the simulator in its own process (--simulator-process child), or "
    } else {
        ""
    };
    match (1..=1024).find(|&p| fits(p)) {
        Some(p) => format!(
            "{in_process}spread the agents over {p} processes: `--processes {p}` (or `auto`, or `[run] processes`) on this machine, or {p} shards on several (`agentload run --shard I/{p}`, same --run-id, --seed and --start-at, then `agentload merge`)"
        ),
        None => format!("{in_process}lower the peak with --agents"),
    }
}

/// How many source addresses bring every pair within `range` ports.
fn ports_fix(demand: &Demand, range: u64) -> String {
    let nodes = demand.nodes.max(1);
    let fits = |a: u32| ports_per_pair(demand.peak_agents, nodes, a) <= range * 9 / 10;
    match (2..=crate::http::MAX_SOURCE_ADDRESSES as u32).find(|&a| fits(a)) {
        Some(a) => format!(
            "spread the long-polls over {a} local addresses: source_addresses = \"127.0.0.2-127.0.0.{}\" in [target] (or --source-addresses; loopback addresses are local on Linux), or more nodes",
            1 + a.min(254)
        ),
        None => "lower the peak with --agents".to_string(),
    }
}

impl Demand {
    /// The demand of `profile` run as `processes` generator processes, its
    /// embedded simulator's nodes resolved against `allowance` as `run`
    /// resolves them (a one-node simulator counted as a thread of the
    /// generator when both ends fit one process, as `run` places it).
    pub fn of_profile(profile: &Profile, processes: u32, allowance: &Allowance) -> Demand {
        let peak = profile.peak_agents();
        let embedded = profile.target.is_embedded();
        let nodes = if embedded {
            profile
                .simulator
                .nodes
                .resolve(peak, allowance.files_per_process)
        } else {
            profile.target.base_urls().len().max(1) as u32
        };
        let per_process = peak.div_ceil(processes.max(1));
        let simulator_in_process = embedded
            && nodes == 1
            && processes <= 1
            && nofile::descriptors_needed(per_process, true) <= allowance.files_per_process;
        Demand {
            peak_agents: peak,
            processes: processes.max(1),
            nodes,
            embedded,
            simulator_in_process,
            source_addresses: profile
                .target
                .source_addresses
                .as_ref()
                .map_or(1, |s| s.len() as u32),
        }
    }
}

/// The ephemeral port range of this machine (Linux's
/// `/proc/sys/net/ipv4/ip_local_port_range`; 28,232 ports, Linux's default,
/// when it cannot be read).
pub fn ephemeral_ports() -> u64 {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|text| parse_port_range(&text))
        .unwrap_or(28_232)
}

/// `"32768\t60999\n"` -> 28,232 ports.
fn parse_port_range(text: &str) -> Option<u64> {
    let mut parts = text.split_whitespace().map(str::parse::<u64>);
    let (low, high) = (parts.next()?.ok()?, parts.next()?.ok()?);
    (high >= low).then(|| high - low + 1)
}

/// What this machine allows: the open-file hard limit (after trying to
/// raise it) and the ephemeral port range.
pub fn this_machine() -> Allowance {
    let files_per_process = nofile::raise(0)
        .or_else(|_| nofile::current())
        .map_or(u64::MAX, |l| l.hard);
    Allowance {
        files_per_process,
        ephemeral_ports: ephemeral_ports(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demand(peak: u32) -> Demand {
        Demand {
            peak_agents: peak,
            processes: 1,
            nodes: 1,
            embedded: true,
            simulator_in_process: false,
            source_addresses: 1,
        }
    }

    const HERE: Allowance = Allowance {
        files_per_process: 20_000,
        ephemeral_ports: 28_232,
    };

    #[test]
    fn a_small_run_fits() {
        let p = check(&demand(200), &HERE);
        assert!(p.findings.is_empty(), "{p:?}");
        assert_eq!(p.ports_per_pair, 200 + 40 + nofile::POOL_IDLE);
    }

    #[test]
    fn fifty_thousand_agents_need_processes_nodes_and_addresses() {
        let p = check(&demand(50_000), &HERE);
        let all: Vec<&str> = p.findings.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(all.len(), 3, "{all:#?}");
        assert!(all[0].contains("--processes 4"), "{}", all[0]);
        assert!(all[0].contains("--shard I/4"), "{}", all[0]);
        assert!(all[1].contains("[simulator] nodes = 4"), "{}", all[1]);
        assert!(
            all[2].contains("source_addresses = \"127.0.0.2-127.0.0.3\""),
            "{}",
            all[2]
        );
        // 50,000 long-polls over one pair cannot all get a port.
        assert!(p.findings[2].sure_to_fail && p.sure_to_fail());
        assert!(!p.findings[0].sure_to_fail && !p.findings[1].sure_to_fail);
    }

    #[test]
    fn the_planned_layout_of_fifty_thousand_fits() {
        let d = Demand {
            processes: 4,
            nodes: 4,
            source_addresses: 19,
            ..demand(50_000)
        };
        let p = check(&d, &HERE);
        assert!(p.findings.is_empty(), "{p:?}");
        assert_eq!(
            p.files_per_node,
            Some(nofile::simulator_descriptors(12_500))
        );
        // 12,500 agents per node over 19 addresses.
        assert_eq!(p.ports_per_pair, 658);
    }

    #[test]
    fn every_address_serves_every_node() {
        // 2 nodes, 2 addresses: all four pairs in use, even with a common factor.
        assert_eq!(ports_per_pair(40_000, 2, 2), 10_000);
        assert_eq!(ports_per_pair(40_000, 2, 3), 6_667);
        assert_eq!(ports_per_pair(40_000, 4, 2), 5_000);
    }

    #[test]
    fn the_in_process_simulator_counts_both_ends() {
        let d = Demand {
            simulator_in_process: true,
            ..demand(12_000)
        };
        let p = check(&d, &HERE);
        assert_eq!(p.files_per_node, None);
        assert!(
            p.findings[0].message.contains("--simulator-process child"),
            "{p:?}"
        );
    }

    #[test]
    fn the_port_range_reads_as_linux_writes_it() {
        assert_eq!(parse_port_range("32768\t60999\n"), Some(28_232));
        assert_eq!(parse_port_range("1024 1024"), Some(1));
        assert_eq!(parse_port_range("9 1"), None);
        assert_eq!(parse_port_range(""), None);
    }
}
