//! `agentload run --shard I/N`: three shards started by hand against one
//! `agentload serve`, each with the same run id, seed and start time. Each
//! exits 0 and writes `shard.json` and `seqs.log`; together they created
//! exactly what the simulator was asked to create, each interaction once,
//! and every one reached an agent of some shard. Plus the input errors.

use std::path::Path;
use std::process::Command;

use agentload::shard::seqs;
use agentload::shard::{ShardManifest, start};
use roaring::RoaringBitmap;

use super::support::heavy;
use super::support::run::{BIN, Dir, counter, sim_stats};
use super::support::shards::{ByHand, Identity, profile};

const SHARDS: u32 = 3;

#[test]
fn three_shards_by_hand_create_exactly_what_the_simulator_counts() {
    let _heavy = heavy::slot();
    let id = Identity::starting_soon("by-hand-1", 11);
    let at = id.start_at.clone();
    let run = ByHand::run("shards", &profile(), &id, SHARDS);
    let folders = &run.folders;
    let manifests: Vec<ShardManifest> = folders
        .iter()
        .map(|d| ShardManifest::read(d).unwrap())
        .collect();
    for (i, m) in manifests.iter().enumerate() {
        assert_eq!((m.index, m.count), (i as u32, SHARDS));
        assert_eq!((m.run_id.as_str(), m.seed), ("by-hand-1", 11));
        assert_eq!(m.profile_sha256, manifests[0].profile_sha256);
        assert_eq!(m.start_unix_us, start::unix_us(start::parse(&at).unwrap()));
        assert_eq!(m.agents, 4, "12 agents over 3 shards");
    }

    let (mut injected, mut offered) = (RoaringBitmap::new(), RoaringBitmap::new());
    let mut injected_each = 0;
    for folder in folders {
        let log = seqs::read_dir(folder).unwrap();
        assert!(log.notes.is_empty(), "{:?}", log.notes);
        let (created, failed, first) = log.union();
        assert!(failed.is_empty(), "{failed:?}");
        let index = ShardManifest::read(folder).unwrap().index;
        assert!(
            created.iter().all(|seq| seq % SHARDS == index),
            "{created:?}"
        );
        injected_each += created.len();
        injected |= &created;
        offered |= &first;
        let summary = summary_of(folder);
        assert_eq!(counter(&summary, "interactions_injected"), created.len());
        // Left to the merge: another shard may have offered them.
        assert_eq!(counter(&summary, "interactions_lost"), 0);
        assert!(summary.to_string().contains("settled by agentload merge"));
    }
    assert_eq!(injected_each, injected.len(), "a seq created by two shards");
    let stats = sim_stats(&run.served.url, None);
    assert_eq!(stats["injected"].as_u64(), Some(injected.len()), "{stats}");
    assert!(injected.len() > 40, "8/s for 5 s: {}", injected.len());
    // Every interaction reached an agent of some shard.
    assert_eq!(&injected - &offered, RoaringBitmap::new());
}

fn summary_of(folder: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(folder.join("summary.json")).unwrap()).unwrap()
}

#[test]
fn a_shard_without_its_identity_or_target_is_refused_before_it_starts() {
    let dir = Dir::new("shards-input");
    let file = dir.join("profile.toml");
    profile().write(&file);
    for (extra, says) in [
        (
            &[
                "--shard",
                "0/2",
                "--seed",
                "1",
                "--target",
                "http://127.0.0.1:9",
            ][..],
            "--run-id",
        ),
        (
            &[
                "--shard",
                "0/2",
                "--run-id",
                "r",
                "--target",
                "http://127.0.0.1:9",
            ],
            "--seed",
        ),
        (
            &["--shard", "0/2", "--run-id", "r", "--seed", "1"],
            "--target URL",
        ),
        (
            &["--shard", "2/2", "--run-id", "r", "--seed", "1"],
            "not below the count",
        ),
        (
            &["--shard", "0/0", "--run-id", "r", "--seed", "1"],
            "count is 0",
        ),
        (&["--start-at", "noon"], "RFC 3339"),
    ] {
        let out = Command::new(BIN)
            .arg("run")
            .arg(&file)
            .arg("--out")
            .arg(dir.join("out"))
            .args(extra)
            .output()
            .unwrap();
        let log = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {log}");
        assert!(log.contains(says), "{extra:?}: {log}");
        assert!(!dir.join("out").join("summary.json").exists());
    }
    // A start long past is refused as not carried out (exit 3).
    let out = Command::new(BIN)
        .arg("run")
        .arg(&file)
        .args(["--start-at", "2020-01-01T00:00:00Z", "--out"])
        .arg(dir.join("late"))
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{log}");
    assert!(log.contains("more than one interval"), "{log}");
}
