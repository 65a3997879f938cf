//! What `agentload run` loads: the URL (or the nodes' URLs) given by the
//! user, or the embedded simulator, which runs as a thread, as a child
//! process or as several node processes depending on the open-file limit
//! and `[simulator] nodes`. Decided once before anything starts
//! ([`TargetChoice`]), started once ([`ResolvedTarget`]), so every later step
//! has its URLs.

use std::net::{Ipv4Addr, SocketAddr};

use crate::cli::SimulatorProcess;
use crate::error::Error;
use crate::nofile;
use crate::preflight;
use crate::profile::Profile;
use crate::sim::{
    NodeCount, SimChild, SimCluster, SimStats, SimThread, SimulatorConfig, spawn_on_own_runtime,
};

/// The target as the input decides it, its open-file needs already checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum TargetChoice {
    /// A deployment at these base URLs (its nodes; no trailing `/`).
    Remote(Vec<String>),
    /// The embedded simulator, placed here.
    Embedded(Placement),
}

impl TargetChoice {
    /// The profile's URLs (flags applied), else the embedded simulator placed
    /// per `--simulator-process` and `[simulator] nodes`; fails when the
    /// open-file limit cannot be raised far enough for `peak` agents.
    pub(super) fn decide(
        profile: &Profile,
        simulator: SimulatorProcess,
        peak: u32,
    ) -> Result<TargetChoice, Error> {
        if !profile.target.is_embedded() {
            nofile::ensure(peak, false)?;
            return Ok(TargetChoice::Remote(profile.target.base_urls()));
        }
        let nodes = match (simulator, profile.simulator.nodes) {
            (SimulatorProcess::Thread, NodeCount::Fixed(k)) if k > 1 => {
                return Err(Error::input(format!(
                    "--simulator-process thread runs one simulator in this process, but [simulator] nodes = {k}; drop one of them"
                )));
            }
            (SimulatorProcess::Thread, _) => 1,
            (_, count) => count.resolve(peak, file_limit()),
        };
        if nodes > 1 {
            nofile::ensure(peak, false)?;
            nofile::ensure_for(nofile::simulator_descriptors(peak.div_ceil(nodes)), peak)?;
            return Ok(TargetChoice::Embedded(Placement::Nodes(nodes)));
        }
        place_simulator(simulator, peak).map(TargetChoice::Embedded)
    }

    /// [`TargetChoice::decide`] for a run spread over shard processes: the
    /// parent holds no agent's connection, so an embedded simulator runs
    /// apart, in one process or as nodes (`[simulator] nodes`, `auto` sized
    /// from the open-file limit), each fitting its agents' server ends.
    pub(super) fn for_processes(profile: &Profile, peak: u32) -> Result<TargetChoice, Error> {
        if !profile.target.is_embedded() {
            return Ok(TargetChoice::Remote(profile.target.base_urls()));
        }
        let nodes = profile.simulator.nodes.resolve(peak, file_limit());
        nofile::ensure_for(
            nofile::simulator_descriptors(peak.div_ceil(nodes.max(1))),
            peak,
        )?;
        Ok(TargetChoice::Embedded(if nodes > 1 {
            Placement::Nodes(nodes)
        } else {
            Placement::Child
        }))
    }

    /// Starts the simulator if there is one (its nodes for a pool whose
    /// first user number is `first`); `announce` says so when it gets a
    /// process of its own (the user sees a second pid).
    pub(super) fn start(
        &self,
        config: &SimulatorConfig,
        (peak, first): (u32, u32),
        announce: bool,
    ) -> Result<ResolvedTarget, Error> {
        Ok(match self {
            TargetChoice::Remote(urls) => ResolvedTarget::Remote(urls.clone()),
            TargetChoice::Embedded(Placement::Thread) => {
                ResolvedTarget::Embedded(EmbeddedSim::Thread(spawn_on_own_runtime(
                    config.clone(),
                    SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
                )?))
            }
            TargetChoice::Embedded(Placement::Child) => {
                let child = SimChild::spawn(config)?;
                if announce {
                    crate::errln!(
                        "agentload: the embedded simulator runs in its own process (pid {}): {} agents need about {} open files with both ends of every connection in one process",
                        child.id(),
                        peak,
                        nofile::descriptors_needed(peak, true)
                    );
                }
                ResolvedTarget::Embedded(EmbeddedSim::Child(child))
            }
            TargetChoice::Embedded(Placement::Nodes(k)) => {
                let listen = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
                let cluster = SimCluster::start(config, *k, first, listen, None)?;
                if announce {
                    let pids: Vec<String> = cluster.pids().iter().map(u32::to_string).collect();
                    crate::errln!(
                        "agentload: the embedded simulator runs as {k} node processes (pids {}), about {} of the {peak} agents each: agent n uses node n % {k}",
                        pids.join(", "),
                        peak.div_ceil(*k)
                    );
                }
                ResolvedTarget::Embedded(EmbeddedSim::Nodes(cluster))
            }
        })
    }
}

/// Says before anything starts what of the plan does not fit this machine
/// (files per process, ports per address pair) and what to set; refuses
/// (exit 2) only what is sure to fail. `processes` generator processes share
/// the agents.
pub(super) fn preflight(
    profile: &Profile,
    simulator: SimulatorProcess,
    processes: u32,
) -> Result<(), Error> {
    let allowance = preflight::this_machine();
    let mut demand = preflight::Demand::of_profile(profile, processes, &allowance);
    match simulator {
        SimulatorProcess::Thread => demand.simulator_in_process = demand.embedded,
        SimulatorProcess::Child => demand.simulator_in_process = false,
        SimulatorProcess::Auto => {}
    }
    let found = preflight::check(&demand, &allowance);
    if found.sure_to_fail() {
        let why: Vec<&str> = found
            .findings
            .iter()
            .filter(|f| f.sure_to_fail)
            .map(|f| f.message.as_str())
            .collect();
        return Err(Error::input(format!(
            "this plan cannot run on this machine: {}",
            why.join("; ")
        )));
    }
    for finding in &found.findings {
        crate::errln!("warning: {}", finding.message);
    }
    Ok(())
}

/// The open-file hard limit each process may raise itself to.
fn file_limit() -> u64 {
    nofile::raise(0)
        .or_else(|_| nofile::current())
        .map_or(u64::MAX, |l| l.hard)
}

/// Where the embedded simulator runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Placement {
    Thread,
    Child,
    /// This many node processes, agent `n` on node `n % K`.
    Nodes(u32),
}

/// Picks where a one-node simulator runs and checks the open-file limit
/// for it: a thread when both ends of every connection fit this process,
/// else (with `auto`) a child process, which has a limit of its own.
fn place_simulator(choice: SimulatorProcess, peak: u32) -> Result<Placement, Error> {
    let placement = match choice {
        SimulatorProcess::Thread => Placement::Thread,
        SimulatorProcess::Child => Placement::Child,
        SimulatorProcess::Auto if nofile::fits(nofile::descriptors_needed(peak, true)) => {
            Placement::Thread
        }
        SimulatorProcess::Auto => Placement::Child,
    };
    match placement {
        Placement::Thread => nofile::ensure(peak, true)?,
        _ => nofile::ensure_for(nofile::descriptors_apart(peak), peak)?,
    };
    Ok(placement)
}

/// The target of a started run: always URLs, and the simulator behind
/// them when it is the embedded one.
pub(super) enum ResolvedTarget {
    /// A deployment the run does not own (its nodes).
    Remote(Vec<String>),
    /// The run's own simulator, stopped at the end.
    Embedded(EmbeddedSim),
}

impl ResolvedTarget {
    /// The base URL of each node the agents and the injector use.
    pub(super) fn urls(&self) -> Vec<String> {
        match self {
            ResolvedTarget::Remote(urls) => urls.clone(),
            ResolvedTarget::Embedded(sim) => sim.urls(),
        }
    }

    /// The target as reports name it.
    pub(super) fn describe(&self) -> String {
        match self {
            ResolvedTarget::Remote(urls) => {
                let shown: Vec<String> = urls
                    .iter()
                    .map(|u| crate::profile::url_without_userinfo(u))
                    .collect();
                match shown.as_slice() {
                    [one] => one.clone(),
                    many => format!("{} nodes: {}", many.len(), many.join(", ")),
                }
            }
            ResolvedTarget::Embedded(EmbeddedSim::Nodes(cluster)) => {
                let urls = cluster.urls();
                format!(
                    "embedded simulator, {} nodes at {}",
                    urls.len(),
                    urls.join(", ")
                )
            }
            ResolvedTarget::Embedded(sim) => {
                format!("embedded simulator at {}", sim.urls().join(", "))
            }
        }
    }

    /// Stops the embedded simulator and returns each node's final counts;
    /// none for a remote target, or (with a warning) for a node whose
    /// counts are lost: the run's own figures are complete, only the
    /// cross-check is missing.
    pub(super) fn stop(self) -> Vec<SimStats> {
        match self {
            ResolvedTarget::Remote(_) => Vec::new(),
            ResolvedTarget::Embedded(EmbeddedSim::Nodes(cluster)) => {
                let stats = cluster.stop();
                if !stats.complete() {
                    // A sum over some nodes would mislead the cross-check.
                    return Vec::new();
                }
                stats.nodes.into_iter().flatten().collect()
            }
            ResolvedTarget::Embedded(sim) => match sim.stop() {
                Ok(stats) => vec![stats],
                Err(e) => {
                    crate::errln!("warning: {e}");
                    Vec::new()
                }
            },
        }
    }
}

/// The embedded simulator of a run, wherever it runs.
pub(super) enum EmbeddedSim {
    Thread(SimThread),
    Child(SimChild),
    Nodes(SimCluster),
}

impl EmbeddedSim {
    fn urls(&self) -> Vec<String> {
        match self {
            EmbeddedSim::Thread(sim) => vec![sim.url().to_string()],
            EmbeddedSim::Child(sim) => vec![sim.url().to_string()],
            EmbeddedSim::Nodes(cluster) => cluster.urls(),
        }
    }

    /// Stops a one-node simulator and returns its final counts.
    fn stop(self) -> Result<SimStats, Error> {
        match self {
            EmbeddedSim::Thread(sim) => Ok(sim.stop()),
            EmbeddedSim::Child(sim) => sim.stop(),
            EmbeddedSim::Nodes(cluster) => Ok(cluster.stop().total()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(url: Option<&str>) -> Profile {
        let mut p = Profile::load(std::path::Path::new("profiles/smoke.toml")).unwrap();
        p.target.url = url.map(str::to_string);
        p
    }

    #[test]
    fn a_url_is_the_target_without_its_trailing_slash() {
        let choice = TargetChoice::decide(
            &profile(Some("http://gws:8090/")),
            SimulatorProcess::Auto,
            2,
        )
        .unwrap();
        assert_eq!(choice, TargetChoice::Remote(vec!["http://gws:8090".into()]));
        let target = choice
            .start(&SimulatorConfig::default(), (2, 1), false)
            .unwrap();
        assert_eq!(target.urls(), ["http://gws:8090"]);
        assert_eq!(target.describe(), "http://gws:8090");
        assert!(target.stop().is_empty());
    }

    #[test]
    fn without_a_url_the_simulator_goes_where_it_was_asked() {
        for (asked, placed) in [
            (SimulatorProcess::Thread, Placement::Thread),
            (SimulatorProcess::Child, Placement::Child),
            // Two agents fit any process's limit.
            (SimulatorProcess::Auto, Placement::Thread),
        ] {
            let choice = TargetChoice::decide(&profile(None), asked, 2).unwrap();
            assert_eq!(choice, TargetChoice::Embedded(placed), "{asked:?}");
        }
    }

    #[test]
    fn a_split_simulator_runs_as_its_nodes_unless_a_thread_is_asked_for() {
        let mut p = profile(None);
        p.simulator.nodes = NodeCount::Fixed(2);
        let choice = TargetChoice::decide(&p, SimulatorProcess::Auto, 2).unwrap();
        assert_eq!(choice, TargetChoice::Embedded(Placement::Nodes(2)));
        let err = TargetChoice::decide(&p, SimulatorProcess::Thread, 2).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(err.to_string().contains("nodes = 2"), "{err}");
        p.simulator.nodes = NodeCount::Auto;
        let small = TargetChoice::decide(&p, SimulatorProcess::Auto, 2).unwrap();
        assert_eq!(small, TargetChoice::Embedded(Placement::Thread));
    }

    #[test]
    fn node_urls_are_the_remote_target() {
        let mut p = profile(None);
        p.target.urls = vec!["http://a:1/".into(), "http://b:1".into()];
        let choice = TargetChoice::decide(&p, SimulatorProcess::Auto, 2).unwrap();
        assert_eq!(
            choice,
            TargetChoice::Remote(vec!["http://a:1".into(), "http://b:1".into()])
        );
        let target = choice
            .start(&SimulatorConfig::default(), (2, 1), false)
            .unwrap();
        assert_eq!(target.describe(), "2 nodes: http://a:1, http://b:1");
    }
}
