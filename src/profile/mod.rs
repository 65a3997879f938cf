//! Load profiles: the TOML schema, its defaults, loading with precise
//! errors, semantic validation and command-line overrides.
//!
//! A profile is rejected before anything starts. Every error names the file,
//! the line and column, the field path and what was expected (see
//! [`ProfileError`]).

mod agents;
mod bayeux;
mod behaviour;
pub mod bounds;
mod error;
mod overrides;
mod report;
mod run;
mod secrets;
mod stages;
mod target;
mod text;
mod traffic;
mod validate;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::sim::SimulatorConfig;

pub use agents::{Agents, Channel, ChannelCapacity};
pub use bayeux::{Assignment, BayeuxSettings, RoomChoice, Scenario};
pub use behaviour::{Answer, Behaviour, CountRange, NotReady, OnStop};
pub use error::{Location, ProfileError};
pub use overrides::Overrides;
pub use report::{Gate, ReportSettings};
pub use run::{MAX_PROCESSES, MAX_THREADS, Processes, RunSettings};
pub use secrets::{REDACTED, url_without_userinfo};
pub use stages::{DEFAULT_MAX_HANDSHAKES_PER_SECOND, Ramp, Stage};
pub use target::{Csrf, DEFAULT_MAX_BODY_MIB, MessageModel, Target, Tls};
pub use traffic::{ArrivalKind, Traffic};

use error::Source;

/// A validated load profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Short name, used in the output folder name (`reports/<name>-<timestamp>/`).
    pub name: String,
    /// What the profile is for.
    #[serde(default)]
    pub description: String,
    /// Seed for every random choice (arrivals, delays, answers); none = a fresh one per run.
    #[serde(default)]
    pub seed: Option<u64>,
    /// What the clients do: `"gws"` agents (the default) or `"bayeux"` pub/sub.
    #[serde(default, skip_serializing_if = "Scenario::is_gws")]
    pub scenario: Scenario,
    /// The system under test; no `url` = the embedded simulator.
    #[serde(default)]
    pub target: Target,
    /// The agent pool.
    pub agents: Agents,
    /// The plan: agents logged in over time.
    #[serde(default)]
    pub stages: Vec<Stage>,
    /// How logins are spread.
    #[serde(default)]
    pub ramp: Ramp,
    /// What agents do with invites and interactions.
    #[serde(default)]
    pub behaviour: Behaviour,
    /// Interaction arrivals.
    #[serde(default)]
    pub traffic: Traffic,
    /// Bayeux client options and the pub/sub scenario's rooms and publishers.
    #[serde(default, skip_serializing_if = "BayeuxSettings::is_default")]
    pub bayeux: BayeuxSettings,
    /// The embedded simulator's settings (ignored with a `target.url`).
    #[serde(default)]
    pub simulator: SimulatorConfig,
    /// Output settings.
    #[serde(default)]
    pub report: ReportSettings,
    /// How the run is spread over processes on this machine.
    #[serde(default, skip_serializing_if = "RunSettings::is_default")]
    pub run: RunSettings,
    /// Pass/fail rules.
    #[serde(default)]
    pub gates: Vec<Gate>,
    /// Whether `simulator.users` was written in the file (else it follows the agent pool).
    #[serde(skip)]
    simulator_users_written: bool,
    /// Whether `simulator.password` was written in the file (else it follows the agents').
    #[serde(skip)]
    simulator_password_written: bool,
}

impl Profile {
    /// Reads, parses and validates a profile file.
    pub fn load(path: &Path) -> Result<Profile, ProfileError> {
        let bytes = text::read(path)?;
        let text = text::decode(path, &bytes)?;
        Profile::parse(path, text)
    }

    /// Parses and validates profile text; `file` is used in error messages
    /// and to resolve relative paths (such as `target.tls.ca_file`).
    pub fn parse(file: &Path, text: &str) -> Result<Profile, ProfileError> {
        let src = Source::parse(file, text)?;
        let mut profile = Profile::deserialize(toml::de::Deserializer::from(src.tree.clone()))
            .map_err(|e| {
                let mut err = src.at_span(e.span(), e.message().trim_end().to_string());
                explain_missing_field(&mut err);
                explain_unquoted_duration(&mut err);
                err
            })?;
        profile.resolve(&src, file);
        let at_field = |issue: validate::Issue| src.at_field(&issue.field, issue.message);
        profile.read_password().map_err(at_field)?;
        validate::validate(&profile).map_err(at_field)?;
        Ok(profile)
    }

    /// Fills what follows from other fields, so a profile says each thing once.
    fn resolve(&mut self, src: &Source<'_>, file: &Path) {
        beside(file, &mut self.target.tls.ca_file);
        beside(file, &mut self.agents.password_file);
        self.simulator_users_written = src.is_written("simulator.users");
        self.simulator_password_written = src.is_written("simulator.password");
        if self.target.is_embedded() {
            // The embedded simulator knows the agents it is started for.
            if !self.simulator_users_written {
                self.fit_simulator_users();
            }
            if !src.is_written("simulator.capacity") {
                self.simulator.capacity.email = self.agents.capacity.email;
                self.simulator.capacity.chat = self.agents.capacity.chat;
            }
            if self.target.csrf == Csrf::On && !src.is_written("simulator.csrf") {
                self.simulator.csrf = true;
            }
        }
    }

    fn fit_simulator_users(&mut self) {
        let needed = u32::try_from(self.agents.last_number()).unwrap_or(u32::MAX);
        self.simulator.users = self.simulator.users.max(needed);
    }

    /// The run's seed: the profile's (or `--seed`), else a fresh one that is
    /// stored so the report can print it and the run can be repeated.
    pub fn seed_or_new(&mut self) -> u64 {
        *self.seed.get_or_insert_with(rand::random)
    }

    /// The most agents logged in at once (the highest stage).
    pub fn peak_agents(&self) -> u32 {
        self.stages.iter().map(|s| s.agents).max().unwrap_or(0)
    }

    /// The length of all stages together (without the drain).
    pub fn stages_duration(&self) -> Duration {
        // Saturating: validation bounds the sum, but this may run before it.
        self.stages
            .iter()
            .fold(Duration::ZERO, |sum, s| sum.saturating_add(s.duration.0))
    }

    /// Stages plus drain: how long a run lasts when nothing goes wrong.
    pub fn total_duration(&self) -> Duration {
        self.stages_duration().saturating_add(self.traffic.drain.0)
    }

    /// The arrival rate of a channel during stage `index` (interactions per second).
    pub fn stage_rate(&self, index: usize, channel: Channel) -> f64 {
        let Some(stage) = self.stages.get(index) else {
            return 0.0;
        };
        let (explicit, base) = match channel {
            Channel::Email => (stage.email_rate, self.traffic.email_rate),
            Channel::Chat => (stage.chat_rate, self.traffic.chat_rate),
        };
        explicit.unwrap_or(base * stage.rate_scale.unwrap_or(1.0))
    }

    /// Messages published per second during stage `index` (pub/sub scenario).
    pub fn stage_publish_rate(&self, index: usize) -> f64 {
        let Some(stage) = self.stages.get(index) else {
            return 0.0;
        };
        stage
            .publish_rate
            .unwrap_or(self.bayeux.publish_rate * stage.rate_scale.unwrap_or(1.0))
    }

    /// The embedded simulator's configuration, or `None` when the profile has a target URL.
    pub fn embedded_simulator(&self) -> Option<&SimulatorConfig> {
        self.target.is_embedded().then_some(&self.simulator)
    }

    /// Where the profile's file name suggests outputs go: `reports/<name>-<stamp>`.
    pub fn default_out_dir(&self, utc_stamp: &str) -> PathBuf {
        PathBuf::from("reports").join(format!("{}-{utc_stamp}", self.name))
    }
}

/// A file a profile names by a relative path is found beside the profile.
fn beside(profile: &Path, path: &mut Option<PathBuf>) {
    if let Some(p) = path
        && p.is_relative()
        && let Some(dir) = profile.parent()
    {
        *p = dir.join(&*p);
    }
}

/// A bare number where a duration belongs: say how durations are written.
fn explain_unquoted_duration(err: &mut ProfileError) {
    const DURATION_NAMES: [&str; 8] = [
        "duration", "drain", "interval", "delay", "time", "timeout", "every", "latency",
    ];
    let is_duration = err
        .field
        .as_deref()
        .and_then(|f| f.rsplit('.').next())
        .is_some_and(|last| DURATION_NAMES.iter().any(|n| last.ends_with(n)));
    let bare_number = err.message.starts_with("invalid type: integer")
        || err.message.starts_with("invalid type: floating point");
    if is_duration && bare_number && err.message.ends_with("expected a string") {
        err.message.push_str(
            "; a duration is a string with a unit, e.g. \"30s\", \"250ms\" or \"5m\" (a delay may be a range, \"100ms..2s\")",
        );
    }
}

/// serde says "missing field `x`" at the enclosing table; name the field itself.
fn explain_missing_field(err: &mut ProfileError) {
    let Some(rest) = err.message.strip_prefix("missing field `") else {
        return;
    };
    let Some(name) = rest.split('`').next() else {
        return;
    };
    let name = name.to_string();
    let (field, place) = match &err.field {
        Some(parent) => (format!("{parent}.{name}"), "to this table"),
        None => (name.clone(), "at the top level of the file"),
    };
    err.field = Some(field);
    err.message = format!("required field `{name}` is missing; add it {place}");
}
