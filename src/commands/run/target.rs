//! What `agentload run` loads: a URL given by the user, or the embedded
//! simulator, which runs as a thread or as a child process depending on the
//! open-file limit. Decided once before anything starts ([`TargetChoice`]),
//! started once ([`ResolvedTarget`]), so every later step has a URL.

use std::net::{Ipv4Addr, SocketAddr};

use crate::cli::SimulatorProcess;
use crate::error::Error;
use crate::nofile;
use crate::profile::Profile;
use crate::sim::{SimChild, SimStats, SimThread, SimulatorConfig, spawn_on_own_runtime};

/// The target as the input decides it, its open-file needs already checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum TargetChoice {
    /// A deployment at this base URL (no trailing `/`).
    Remote(String),
    /// The embedded simulator, placed here.
    Embedded(Placement),
}

impl TargetChoice {
    /// The profile's URL (flags applied), else the embedded simulator placed
    /// per `--simulator-process`; fails when the open-file limit cannot be
    /// raised far enough for `peak` agents.
    pub(super) fn decide(
        profile: &Profile,
        simulator: SimulatorProcess,
        peak: u32,
    ) -> Result<TargetChoice, Error> {
        match &profile.target.url {
            Some(url) => {
                nofile::ensure(peak, false)?;
                Ok(TargetChoice::Remote(url.trim_end_matches('/').to_string()))
            }
            None => place_simulator(simulator, peak).map(TargetChoice::Embedded),
        }
    }

    /// [`TargetChoice::decide`] for a run spread over shard processes: the
    /// parent holds no agent's connection, so an embedded simulator gets a
    /// process of its own, which must fit `peak` agents' server ends.
    pub(super) fn for_processes(profile: &Profile, peak: u32) -> Result<TargetChoice, Error> {
        match &profile.target.url {
            Some(url) => Ok(TargetChoice::Remote(url.trim_end_matches('/').to_string())),
            None => {
                nofile::ensure_for(nofile::simulator_descriptors(peak), peak)?;
                Ok(TargetChoice::Embedded(Placement::Child))
            }
        }
    }

    /// Starts the simulator if there is one; `announce` says so when it gets
    /// a process of its own (the user sees a second pid).
    pub(super) fn start(
        &self,
        config: &SimulatorConfig,
        peak: u32,
        announce: bool,
    ) -> Result<ResolvedTarget, Error> {
        Ok(match self {
            TargetChoice::Remote(url) => ResolvedTarget::Remote(url.clone()),
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
        })
    }
}

/// Where the embedded simulator runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Placement {
    Thread,
    Child,
}

/// Picks where the simulator runs and checks the open-file limit for it: a
/// thread when both ends of every connection fit this process, else (with
/// `auto`) a child process, which has a limit of its own.
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
        Placement::Child => nofile::ensure_for(nofile::descriptors_apart(peak), peak)?,
    };
    Ok(placement)
}

/// The target of a started run: always a URL, and the simulator behind it
/// when it is the embedded one.
pub(super) enum ResolvedTarget {
    /// A deployment the run does not own.
    Remote(String),
    /// The run's own simulator, stopped at the end.
    Embedded(EmbeddedSim),
}

impl ResolvedTarget {
    /// The base URL the agents and the injector use.
    pub(super) fn url(&self) -> &str {
        match self {
            ResolvedTarget::Remote(url) => url,
            ResolvedTarget::Embedded(sim) => sim.url(),
        }
    }

    /// The target as reports name it.
    pub(super) fn describe(&self) -> String {
        match self {
            ResolvedTarget::Remote(url) => crate::profile::url_without_userinfo(url),
            ResolvedTarget::Embedded(sim) => format!("embedded simulator at {}", sim.url()),
        }
    }

    /// Stops the embedded simulator and returns its final counts; `None`
    /// for a remote target, or (with a warning) when the counts are lost:
    /// the run's own figures are complete, only the cross-check is missing.
    pub(super) fn stop(self) -> Option<SimStats> {
        match self {
            ResolvedTarget::Remote(_) => None,
            ResolvedTarget::Embedded(sim) => match sim.stop() {
                Ok(stats) => Some(stats),
                Err(e) => {
                    crate::errln!("warning: {e}");
                    None
                }
            },
        }
    }
}

/// The embedded simulator of a run, wherever it runs.
pub(super) enum EmbeddedSim {
    Thread(SimThread),
    Child(SimChild),
}

impl EmbeddedSim {
    fn url(&self) -> &str {
        match self {
            EmbeddedSim::Thread(sim) => sim.url(),
            EmbeddedSim::Child(sim) => sim.url(),
        }
    }

    /// Stops it and returns its final counts.
    fn stop(self) -> Result<SimStats, Error> {
        match self {
            EmbeddedSim::Thread(sim) => Ok(sim.stop()),
            EmbeddedSim::Child(sim) => sim.stop(),
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
        assert_eq!(choice, TargetChoice::Remote("http://gws:8090".into()));
        let target = choice.start(&SimulatorConfig::default(), 2, false).unwrap();
        assert_eq!(target.url(), "http://gws:8090");
        assert_eq!(target.describe(), "http://gws:8090");
        assert!(target.stop().is_none());
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
}
