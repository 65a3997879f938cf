//! Shards started by hand: `agentload run FILE --shard I/N` for every I at
//! once against one target, each with the same run id, seed and start time,
//! as a user (or a cluster's batch machinery) would start them.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, SystemTime};

use agentload::shard::start;

use super::profile::{Profile, Simulator, Traffic};
use super::run::{BIN, Dir, Served};

/// A short profile for shards against `agentload serve`: 12 agents (4 a
/// shard of 3), 8 interactions/s for about 5 s, then a 4 s drain.
pub fn profile() -> Profile {
    Profile {
        description: Some("three shards against one agentload serve"),
        traffic: Traffic {
            email_rate: 4.0,
            chat_rate: 4.0,
            drain: "4s",
            ..Traffic::default()
        },
        // The target is `agentload serve`.
        simulator: Simulator::default(),
        ..Profile::bounded("shards", 12, "1s", "4s")
    }
}

/// One run's shared identity, passed to every shard.
pub struct Identity<'a> {
    /// `--run-id`.
    pub run_id: &'a str,
    /// `--seed`.
    pub seed: u64,
    /// `--start-at`, RFC 3339.
    pub start_at: String,
}

impl Identity<'_> {
    /// A start far enough ahead for the slowest shard's start-up on a
    /// loaded machine.
    pub fn starting_soon(run_id: &str, seed: u64) -> Identity<'_> {
        Identity {
            run_id,
            seed,
            start_at: start::rfc3339(SystemTime::now() + Duration::from_secs(5)),
        }
    }
}

/// The output folder of shard `index` under `dir`.
pub fn folder(dir: &Path, index: u32) -> PathBuf {
    dir.join(format!("shard-{index}"))
}

/// One run's shards done by hand against their own `agentload serve`, kept
/// for the test to look at.
pub struct ByHand {
    /// The simulator they ran against, still serving (its `/sim/stats`).
    pub served: Served,
    /// The test's folder: `profile.toml` and a folder a shard.
    pub dir: Dir,
    /// The shards' output folders, by index.
    pub folders: Vec<PathBuf>,
}

impl ByHand {
    /// Writes `profile` into a fresh folder named after `name`, starts
    /// `agentload serve` and runs the `count` shards of the profile with
    /// `id`, each of which must exit 0.
    pub fn run(name: &str, profile: &Profile, id: &Identity<'_>, count: u32) -> ByHand {
        let served = Served::start(&[]);
        let dir = Dir::new(name);
        let file = dir.join("profile.toml");
        profile.write(&file);
        let folders = run_all(&file, &served.url, id, count, &dir.0);
        ByHand {
            served,
            dir,
            folders,
        }
    }
}

/// Runs the `count` shards of `file` at once against `target`, each into
/// [`folder`]`(dir, i)`, and asserts each exited 0. Returns their folders.
fn run_all(file: &Path, target: &str, id: &Identity<'_>, count: u32, dir: &Path) -> Vec<PathBuf> {
    let seed = id.seed.to_string();
    let children: Vec<_> = (0..count)
        .map(|i| {
            Command::new(BIN)
                .arg("run")
                .arg(file)
                .args(["--quiet", "--target", target, "--run-id", id.run_id])
                .args(["--seed", &seed, "--start-at", &id.start_at])
                .arg("--shard")
                .arg(format!("{i}/{count}"))
                .arg("--out")
                .arg(folder(dir, i))
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outputs: Vec<Output> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    for (i, out) in outputs.iter().enumerate() {
        let log = String::from_utf8_lossy(&out.stdout).to_string()
            + &String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "shard {i}:\n{log}");
    }
    (0..count).map(|i| folder(dir, i)).collect()
}
