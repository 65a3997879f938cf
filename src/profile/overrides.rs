//! Command-line flags that override a profile's values (the `run` command
//! fills [`Overrides`] from the parsed flags).

use std::path::PathBuf;
use std::time::Duration;

use super::{Gate, Profile, validate};
use crate::error::Error;
use crate::sim::NodeCount;
use crate::units::HumanDuration;

/// Values given on the command line; `None`/`false`/empty = keep the profile's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides {
    /// `--agents N`: scale every stage so the peak is `N`.
    pub agents: Option<u32>,
    /// `--duration D`: stretch or compress the stages to last `D` in total (drain unchanged).
    pub duration: Option<HumanDuration>,
    /// `--seed N`.
    pub seed: Option<u64>,
    /// `--target URL[,URL...]`: one URL, or a cluster's node URLs, in place
    /// of the profile's `url` or `urls`.
    pub target: Option<String>,
    /// `--source-addresses LIST`: the agents' long-polls bind to these.
    pub source_addresses: Option<String>,
    /// `--simulator-nodes K|auto`: `[simulator] nodes`.
    pub simulator_nodes: Option<NodeCount>,
    /// `--insecure`.
    pub insecure: bool,
    /// `--ca-file PATH`.
    pub ca_file: Option<PathBuf>,
    /// `--gate RULE`, added to the profile's gates.
    pub gates: Vec<String>,
    /// `--password-env NAME`: the agents' password is in this environment variable.
    pub password_env: Option<String>,
    /// `--password-file PATH`: the agents' password is in this file.
    pub password_file: Option<PathBuf>,
    /// `--threads`.
    pub threads: Option<std::num::NonZeroUsize>,
}

impl Profile {
    /// Applies command-line overrides, then validates again. Errors name the
    /// flag's effect on the field, and are [`Error::Input`] (exit 2).
    pub fn apply_overrides(&mut self, o: &Overrides) -> Result<(), Error> {
        if let Some(n) = o.agents {
            self.scale_agents(n)?;
        }
        if let Some(d) = o.duration {
            self.stretch_stages(d.0)?;
        }
        if let Some(seed) = o.seed {
            self.seed = Some(seed);
        }
        if let Some(url) = &o.target {
            // A comma list names a cluster's nodes, as `urls` would.
            let urls: Vec<String> = url.split(',').map(|u| u.trim().to_string()).collect();
            if let [one] = &urls[..] {
                self.target.url = Some(one.clone());
                self.target.urls.clear();
            } else {
                self.target.url = None;
                self.target.urls = urls;
            }
        }
        if let Some(nodes) = o.simulator_nodes {
            self.simulator.nodes = nodes;
        }
        if let Some(list) = &o.source_addresses {
            self.target.source_addresses = Some(
                list.parse()
                    .map_err(|e| Error::input(format!("--source-addresses: {e}")))?,
            );
        }
        self.use_password_flags(o.password_env.as_deref(), o.password_file.as_deref())?;
        if o.insecure {
            self.target.tls.insecure = true;
        }
        if let Some(ca) = &o.ca_file {
            self.target.tls.ca_file = Some(ca.clone());
        }
        for rule in &o.gates {
            crate::report::gate::Gate::parse(rule)
                .map_err(|e| Error::input(format!("--gate: {e}")))?;
        }
        self.gates.extend(o.gates.iter().map(Gate::plain));
        if let Some(n) = o.threads {
            self.run.threads = Some(n);
        }
        validate::validate(self).map_err(|issue| {
            Error::input(format!(
                "with the command-line flags applied, `{}`: {}",
                issue.field, issue.message
            ))
        })
    }

    /// Scales every stage's agents so the highest stage has `peak`; the pool
    /// grows with it. Stages that were at the peak land exactly on it.
    fn scale_agents(&mut self, peak: u32) -> Result<(), Error> {
        if peak == 0 {
            return Err(Error::input(
                "--agents 0: expected at least 1 agent at the peak",
            ));
        }
        let old = self.peak_agents();
        if old == 0 {
            return Err(Error::input(
                "--agents: the profile's stages have no agents to scale",
            ));
        }
        let factor = f64::from(peak) / f64::from(old);
        for s in &mut self.stages {
            s.agents = if s.agents == old {
                peak
            } else {
                // Rounded, and never above the peak (f64 keeps u32 exact).
                ((f64::from(s.agents) * factor).round() as u32).min(peak)
            };
        }
        let pool = (f64::from(self.agents.count) * factor).round();
        self.agents.count = if pool >= f64::from(u32::MAX) {
            u32::MAX
        } else {
            (pool as u32).max(peak)
        };
        if self.target.is_embedded() && !self.simulator_users_written {
            self.fit_simulator_users();
        }
        Ok(())
    }

    /// Scales every stage's duration so the stages last `total` together;
    /// the last stage takes the rounding so the sum is exact.
    fn stretch_stages(&mut self, total: Duration) -> Result<(), Error> {
        if total.is_zero() {
            return Err(Error::input(
                "--duration 0s: expected a duration above zero, e.g. 5m",
            ));
        }
        let old = self.stages_duration().as_secs_f64();
        let factor = total.as_secs_f64() / old;
        let mut used = Duration::ZERO;
        let last = self.stages.len().saturating_sub(1);
        for (i, s) in self.stages.iter_mut().enumerate() {
            let d = if i == last {
                total.saturating_sub(used)
            } else {
                // Whole milliseconds keep the plan printable and the sum exact.
                let ms = (s.duration.0.as_secs_f64() * factor * 1000.0).round();
                Duration::from_millis(ms.max(1.0) as u64)
            };
            used += d;
            s.duration = HumanDuration(d);
        }
        if self.stages.iter().any(|s| s.duration.0.is_zero()) {
            return Err(Error::input(format!(
                "--duration {}: too short for {} stages; expected at least {} ms",
                HumanDuration(total),
                self.stages.len(),
                self.stages.len()
            )));
        }
        Ok(())
    }
}
