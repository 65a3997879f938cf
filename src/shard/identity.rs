//! Who a run is when the user says so: `--shard I/N`, `--run-id`, `--seed`
//! and `--start-at` checked together (pure), before anything starts.

use std::time::SystemTime;

use super::spec::ShardSpec;
use super::start;
use crate::error::Error;

/// The identity flags of `agentload run`, as given.
#[derive(Debug, Clone, Copy, Default)]
pub struct IdentityFlags<'a> {
    /// `--shard I/N`.
    pub shard: Option<ShardSpec>,
    /// `--run-id ID`.
    pub run_id: Option<&'a str>,
    /// `--seed S`.
    pub seed: Option<u64>,
    /// `--start-at TIME`.
    pub start_at: Option<&'a str>,
    /// Whether a target URL was given (`--target` or `[target] url`).
    pub has_target: bool,
}

/// The run's identity after the checks.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RunIdentity {
    /// This process is shard I of N (`None`: the whole run, unsharded).
    pub shard: Option<ShardSpec>,
    /// The run id every process stamps (`None`: made up from the profile and the time).
    pub run_id: Option<String>,
    /// The fixed start (`None`: now).
    pub start_at: Option<SystemTime>,
}

/// Longest run id: it is stamped into every interaction's `userData`.
const MAX_RUN_ID: usize = 128;

/// Checks the identity flags together: `--shard` needs `--run-id`, `--seed`
/// and a target URL (every shard must drive the same server; an embedded
/// simulator would be one per shard).
pub fn resolve(flags: IdentityFlags<'_>) -> Result<RunIdentity, Error> {
    if let Some(spec) = flags.shard {
        let missing: Vec<&str> = [
            flags.run_id.is_none().then_some("--run-id ID"),
            flags.seed.is_none().then_some("--seed S"),
        ]
        .into_iter()
        .flatten()
        .collect();
        if !missing.is_empty() {
            return Err(Error::input(format!(
                "--shard {spec} needs {}: every shard of a run must stamp the same run id and build \
                 the same plan from the same seed; pass the same values to every shard",
                missing.join(" and ")
            )));
        }
        if !flags.has_target {
            return Err(Error::input(format!(
                "--shard {spec} needs a target: pass --target URL (or set [target] url, or urls for a cluster's nodes) naming the \
                 one server every shard drives, e.g. one started with `agentload serve`; the \
                 embedded simulator would be a separate server per shard"
            )));
        }
    }
    let run_id = flags.run_id.map(check_run_id).transpose()?;
    let start_at = flags.start_at.map(start::parse).transpose()?;
    Ok(RunIdentity {
        shard: flags.shard,
        run_id,
        start_at,
    })
}

fn check_run_id(id: &str) -> Result<String, Error> {
    let fine = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':');
    if id.is_empty() || id.len() > MAX_RUN_ID || !id.chars().all(fine) {
        return Err(Error::input(format!(
            "--run-id `{id}`: expected 1 to {MAX_RUN_ID} letters, digits, `-`, `_`, `.` or `:`, \
             e.g. --run-id nightly-2026-12-02"
        )));
    }
    Ok(id.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shard_flags() -> IdentityFlags<'static> {
        IdentityFlags {
            shard: Some(ShardSpec { index: 1, count: 3 }),
            run_id: Some("r1"),
            seed: Some(7),
            start_at: Some("2026-12-02T11:00:00Z"),
            has_target: true,
        }
    }

    #[test]
    fn a_shard_with_everything_resolves() {
        let id = resolve(shard_flags()).unwrap();
        assert_eq!(id.shard, Some(ShardSpec { index: 1, count: 3 }));
        assert_eq!(id.run_id.as_deref(), Some("r1"));
        assert!(id.start_at.is_some());
        // A run id and a start without --shard: one process with a chosen identity.
        let solo = IdentityFlags {
            shard: None,
            has_target: false,
            ..shard_flags()
        };
        assert_eq!(resolve(solo).unwrap().shard, None);
        assert_eq!(
            resolve(IdentityFlags::default()).unwrap(),
            RunIdentity::default()
        );
    }

    #[test]
    fn a_shard_without_its_identity_or_a_target_is_an_input_error() {
        for (flags, says) in [
            (
                IdentityFlags {
                    run_id: None,
                    ..shard_flags()
                },
                "needs --run-id ID",
            ),
            (
                IdentityFlags {
                    seed: None,
                    ..shard_flags()
                },
                "needs --seed S",
            ),
            (
                IdentityFlags {
                    run_id: None,
                    seed: None,
                    ..shard_flags()
                },
                "--run-id ID and --seed S",
            ),
            (
                IdentityFlags {
                    has_target: false,
                    ..shard_flags()
                },
                "--target URL",
            ),
            (
                IdentityFlags {
                    run_id: Some("a b"),
                    ..shard_flags()
                },
                "--run-id `a b`",
            ),
            (
                IdentityFlags {
                    start_at: Some("noon"),
                    ..shard_flags()
                },
                "--start-at `noon`",
            ),
        ] {
            let err = resolve(flags).unwrap_err();
            assert_eq!(err.exit_code(), 2, "{err}");
            assert!(err.to_string().contains(says), "{says}: {err}");
        }
    }
}
