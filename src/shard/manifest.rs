//! `shard.json`: who a shard is (index of count, run id, seed, the profile
//! it ran, its start and interval, its host and clock), written when the
//! shard starts, so a killed shard still names itself to the merge.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::profile::Profile;

/// The file name of a shard's manifest inside its run folder.
pub const FILE: &str = "shard.json";
/// The manifest's schema tag.
pub const SCHEMA: &str = "agentload.shard/1";

/// What one shard says about itself; every shard of a run agrees on
/// `count`, `run_id`, `seed`, `profile_sha256`, `start_unix_us` and
/// `interval_ms`, which `agentload merge` checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardManifest {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// This shard's index, `0..count`.
    pub index: u32,
    /// How many shards make the run.
    pub count: u32,
    /// The run id every shard stamps into the interactions it creates.
    pub run_id: String,
    /// The seed of the plan and the arrival schedule.
    pub seed: u64,
    /// [`profile_sha256`] of the effective profile.
    pub profile_sha256: String,
    /// The run's start, RFC 3339 UTC (the `--start-at` given, or when it started).
    pub start_at: String,
    /// The same instant in µs since the Unix epoch.
    pub start_unix_us: u64,
    /// The report interval; intervals of the same index span the same wall-clock time.
    pub interval_ms: u64,
    /// This shard's share of the plan's peak agents.
    pub agents: u64,
    /// The system clock's state when the shard started.
    pub clock: ClockState,
    /// The host the shard ran on.
    pub host: String,
    /// The shard's process id.
    pub pid: u32,
    /// agentload's version.
    pub version: String,
}

/// The system clock's synchronisation state (see [`super::clock::read`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClockState {
    /// Whether the kernel considers the clock synchronised; `None` unknown.
    pub synchronised: Option<bool>,
    /// The kernel's maximum error bound, µs.
    pub max_error_us: Option<u64>,
    /// The kernel's estimated error, µs.
    pub est_error_us: Option<u64>,
    /// Where this came from (`adjtimex`, `unavailable`).
    pub source: String,
}

impl ClockState {
    /// Nothing known about the clock.
    pub fn unknown() -> ClockState {
        ClockState {
            synchronised: None,
            max_error_us: None,
            est_error_us: None,
            source: "unavailable".to_string(),
        }
    }
}

impl ShardManifest {
    /// The path of the manifest in `dir`.
    pub fn path(dir: &Path) -> PathBuf {
        dir.join(FILE)
    }

    /// Writes `dir/shard.json` (replacing any earlier one).
    pub fn write(&self, dir: &Path) -> Result<(), Error> {
        let path = Self::path(dir);
        let mut text = serde_json::to_string_pretty(self)
            .map_err(|e| Error::run(format!("cannot encode {}: {e}", path.display())))?;
        text.push('\n');
        std::fs::write(&path, text)
            .map_err(|e| Error::run(format!("cannot write {}: {e}", path.display())))
    }

    /// Reads `dir/shard.json`; an error names the file and the field.
    pub fn read(dir: &Path) -> Result<ShardManifest, Error> {
        let path = Self::path(dir);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            Error::run(format!(
                "cannot read {}: {e}; is {} a shard's output folder (agentload run --shard I/N)?",
                path.display(),
                dir.display()
            ))
        })?;
        Self::parse(&text, &path)
    }

    /// Parses a manifest's text; `origin` names it in errors.
    pub fn parse(text: &str, origin: &Path) -> Result<ShardManifest, Error> {
        let manifest: ShardManifest = serde_json::from_str(text).map_err(|e| {
            Error::input(format!(
                "{}:{}: not a shard manifest ({e}); expected the `{SCHEMA}` object agentload run --shard writes",
                origin.display(),
                e.line()
            ))
        })?;
        if manifest.schema != SCHEMA {
            return Err(Error::input(format!(
                "{}: field `schema` is `{}`, expected `{SCHEMA}`; was it written by another agentload version?",
                origin.display(),
                manifest.schema
            )));
        }
        if manifest.count == 0 || manifest.index >= manifest.count {
            return Err(Error::input(format!(
                "{}: fields `index` {} and `count` {} name no shard; expected 0 <= index < count",
                origin.display(),
                manifest.index,
                manifest.count
            )));
        }
        Ok(manifest)
    }
}

/// SHA-256 (hex) of the effective profile: the profile after every
/// command-line override (the seed filled in), redacted
/// ([`Profile::redacted`]: passwords and URL userinfo out), rendered as TOML.
/// The shard-only flags (`--shard`, `--start-at`, `--out`, `--quiet`) are
/// not part of a profile, so every shard of one run hashes the same text.
pub fn profile_sha256(profile: &Profile) -> String {
    let text = toml::to_string(&profile.redacted()).unwrap_or_default();
    let digest = ring::digest::digest(&ring::digest::SHA256, text.as_bytes());
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// The host name (`gethostname`), or `unknown`.
pub fn host_name() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is live and its length is passed; the kernel writes
    // at most that many bytes.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return "unknown".to_string();
    }
    let end = buf.iter().position(|b| *b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..end]).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> ShardManifest {
        ShardManifest {
            schema: SCHEMA.to_string(),
            index: 1,
            count: 3,
            run_id: "smoke-20261202T110000Z".to_string(),
            seed: 42,
            profile_sha256: "ab".repeat(32),
            start_at: "2026-12-02T11:00:00Z".to_string(),
            start_unix_us: 1_796_209_200_000_000,
            interval_ms: 1000,
            agents: 67,
            clock: super::super::clock::read(),
            host: host_name(),
            pid: std::process::id(),
            version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }

    fn temp_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("agentload-manifest-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn round_trips_through_its_file() {
        let dir = temp_dir("round");
        let manifest = sample();
        manifest.write(&dir).unwrap();
        assert_eq!(ShardManifest::read(&dir).unwrap(), manifest);
        let unknown = ShardManifest {
            clock: ClockState::unknown(),
            ..manifest
        };
        unknown.write(&dir).unwrap();
        assert_eq!(ShardManifest::read(&dir).unwrap(), unknown);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn errors_name_the_file_and_the_field() {
        let origin = Path::new("/runs/s1/shard.json");
        let mut value = serde_json::to_value(sample()).unwrap();
        value.as_object_mut().unwrap().remove("seed");
        let err = ShardManifest::parse(&value.to_string(), origin)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("/runs/s1/shard.json") && err.contains("seed"),
            "{err}"
        );
        let wrong = ShardManifest {
            schema: "agentload.shard/9".into(),
            ..sample()
        };
        let err = ShardManifest::parse(&serde_json::to_string(&wrong).unwrap(), origin)
            .unwrap_err()
            .to_string();
        assert!(err.contains("`schema`") && err.contains(SCHEMA), "{err}");
        let bad = ShardManifest {
            index: 3,
            ..sample()
        };
        let err = ShardManifest::parse(&serde_json::to_string(&bad).unwrap(), origin)
            .unwrap_err()
            .to_string();
        assert!(err.contains("`index` 3"), "{err}");
        let missing = ShardManifest::read(Path::new("/nonexistent/agentload")).unwrap_err();
        assert_eq!(missing.exit_code(), 3);
        assert!(missing.to_string().contains("shard.json"), "{missing}");
    }

    #[test]
    fn the_profile_hash_is_stable_and_sees_overrides() {
        let smoke = Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles/smoke.toml");
        let a = Profile::load(&smoke).unwrap();
        let b = Profile::load(&smoke).unwrap();
        assert_eq!(profile_sha256(&a), profile_sha256(&b));
        assert_eq!(profile_sha256(&a).len(), 64);
        let mut c = b.clone();
        c.seed = Some(a.seed.unwrap_or(0) + 1);
        assert_ne!(profile_sha256(&a), profile_sha256(&c));
    }
}
