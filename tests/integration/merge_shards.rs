//! `agentload merge`: three shards started by hand against one
//! `agentload serve` merged back into the one-process run. The merge counts
//! exactly what the simulator injected, loses nothing, lists the shards,
//! keeps one `invite_delivery` sample per interaction first offered, and
//! writes every output a run writes, its `histograms.hlog` a standard
//! interval log. Then, on the same folders, what it refuses: a missing
//! shard (exit 3, or `--allow-partial`: exit 1, partial), shards of two
//! runs (exit 2), `--out` one of the shards (exit 2).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use agentload::metrics::Measure;
use agentload::report::hlog;
use agentload::shard::seqs;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hdrhistogram::Histogram;
use hdrhistogram::serialization::Deserializer;
use hdrhistogram::serialization::interval_log::{IntervalLogIterator, LogEntry};
use roaring::RoaringBitmap;
use serde_json::Value;

use super::support::heavy;
use super::support::profile::{Behaviour, Profile};
use super::support::run::{BIN, Dir, OUTPUT_FILES, count, counter, sim_stats};
use super::support::shards::{ByHand, Identity, profile};

const SHARDS: u32 = 3;

/// What `agentload merge` did.
struct Merged {
    code: i32,
    /// stdout then stderr.
    log: String,
}

fn merge(expect: u32, out: &Path, folders: &[&Path], extra: &[&str]) -> Merged {
    let output = Command::new(BIN)
        .arg("merge")
        .args(["--expect-shards", &expect.to_string(), "--out"])
        .arg(out)
        .args(extra)
        .args(folders)
        .output()
        .unwrap();
    Merged {
        code: output.status.code().unwrap_or(-1),
        log: String::from_utf8_lossy(&output.stdout).to_string()
            + &String::from_utf8_lossy(&output.stderr),
    }
}

fn summary_of(folder: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(folder.join("summary.json")).unwrap()).unwrap()
}

fn file_names(folder: &Path) -> BTreeSet<String> {
    std::fs::read_dir(folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn three_shards_by_hand_merge_into_the_one_process_run_and_bad_merges_are_refused() {
    let _heavy = heavy::slot();
    // Some rejected invites are re-offered to another shard's agent: the
    // merge must keep one invite_delivery sample of each.
    let rejecting = Profile {
        behaviour: Behaviour {
            accept_probability: 0.7,
            ..Behaviour::default()
        },
        ..profile()
    };
    let id = Identity::starting_soon("merge-1", 7);
    let run = ByHand::run("merge", &rejecting, &id, SHARDS);
    let (dir, folders) = (&run.dir, &run.folders);
    let all: Vec<&Path> = folders.iter().map(PathBuf::as_path).collect();

    let out = dir.join("merged");
    let merged = merge(SHARDS, &out, &all, &[]);
    assert_eq!(merged.code, 0, "{}", merged.log);
    let summary = summary_of(&out);
    let stats = sim_stats(&run.served.url, None);
    let injected = counter(&summary, "interactions_injected");
    assert_eq!(stats["injected"].as_u64(), Some(injected), "{stats}");
    assert!(injected > 40, "8/s for 5 s: {injected}");
    assert_eq!(counter(&summary, "interactions_lost"), 0, "{summary}");
    assert_eq!(summary["verdict"], "passed", "{summary}");
    assert_eq!(summary.get("partial"), None, "{summary}");
    let rows = summary["shards"].as_array().unwrap();
    assert_eq!(rows.len(), SHARDS as usize, "{summary}");
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row["index"].as_u64(), Some(i as u64), "{row}");
        assert_eq!(
            row["agents"].as_u64(),
            Some(4),
            "12 agents over 3 shards: {row}"
        );
    }
    assert_eq!(summary["run"]["agents"].as_u64(), Some(12), "{summary}");

    invite_delivery_keeps_one_sample_per_interaction(&summary, folders);
    hlog_totals_are_the_summary_counts(&out, &summary);
    // Every output a run writes: a shard is a run, less its shard files.
    let shard_outputs: BTreeSet<String> = file_names(&folders[0])
        .into_iter()
        .filter(|f| f != "shard.json" && f != "seqs.log")
        .collect();
    let merged_outputs = file_names(&out);
    let missing: Vec<_> = shard_outputs.difference(&merged_outputs).collect();
    assert!(missing.is_empty(), "not in the merged folder: {missing:?}");
    assert!(OUTPUT_FILES.iter().all(|f| merged_outputs.contains(*f)));

    refusals(dir, folders);
}

/// Each interaction first offered keeps exactly one `invite_delivery`
/// sample: the shards' counts added up, less the later offers of the
/// interactions first offered on two shards.
fn invite_delivery_keeps_one_sample_per_interaction(summary: &Value, folders: &[PathBuf]) {
    let mut offered = RoaringBitmap::new();
    let (mut samples, mut offers) = (0, 0);
    for folder in folders {
        let (_, _, first) = seqs::read_dir(folder).unwrap().union();
        offers += first.len();
        offered |= &first;
        samples += count(&summary_of(folder), "invite_delivery");
    }
    let duplicates = offers - offered.len();
    assert!(
        duplicates > 0,
        "no interaction was first offered on two shards"
    );
    assert!(
        summary["notes"]
            .to_string()
            .contains("first offered on more than one shard"),
        "{summary}"
    );
    let merged = count(summary, "invite_delivery");
    assert_eq!(merged, samples - duplicates, "{duplicates} duplicates");
    assert_eq!(merged, offered.len());
}

/// The merged `histograms.hlog` is a standard interval log: HdrHistogram's
/// own reader decodes every interval, and its histograms, like those read
/// back by agentload's reader, hold exactly the summary's counts.
fn hlog_totals_are_the_summary_counts(out: &Path, summary: &Value) {
    let path = out.join(hlog::FILE_NAME);
    let bytes = std::fs::read(&path).unwrap();
    let mut theirs: BTreeMap<String, u64> = BTreeMap::new();
    for entry in IntervalLogIterator::new(&bytes) {
        if let LogEntry::Interval(ih) = entry.unwrap() {
            let raw = STANDARD.decode(ih.encoded_histogram()).unwrap();
            let h: Histogram<u64> = Deserializer::new().deserialize(&mut &raw[..]).unwrap();
            *theirs
                .entry(ih.tag().unwrap().as_str().to_string())
                .or_default() += h.len();
        }
    }
    let ours = hlog::read(&bytes, &path.display().to_string()).unwrap();
    assert!(ours.notes.is_empty(), "{:?}", ours.notes);
    assert!(!ours.intervals.is_empty());
    for m in Measure::ALL {
        let expected = summary["metrics"][m.name()]["count"].as_u64().unwrap_or(0);
        let read = theirs.get(m.name()).copied().unwrap_or(0);
        assert_eq!(read, expected, "{} (HdrHistogram's reader)", m.name());
        assert_eq!(ours.histograms[m.index()].len(), expected, "{}", m.name());
    }
}

/// On the happy path's folders: a missing shard, shards of two runs, and
/// `--out` one of the shards.
fn refusals(dir: &Dir, folders: &[PathBuf]) {
    let two = [folders[0].as_path(), folders[2].as_path()];
    let partial_out = dir.join("partial");
    let m = merge(SHARDS, &partial_out, &two, &[]);
    assert_eq!(m.code, 3, "{}", m.log);
    assert!(m.log.contains("shard 1 of 3 is missing"), "{}", m.log);
    assert!(!partial_out.join("summary.json").exists());

    let m = merge(SHARDS, &partial_out, &two, &["--allow-partial"]);
    assert_eq!(m.code, 1, "{}", m.log);
    assert!(m.log.contains("partial"), "{}", m.log);
    let summary = summary_of(&partial_out);
    assert_eq!(summary["partial"], true, "{summary}");
    assert_ne!(summary["verdict"], "passed", "{summary}");
    assert!(
        summary["reason"]
            .as_str()
            .unwrap()
            .contains("shard 1 of 3 is missing"),
        "{summary}"
    );
    // What only shard 1's log knew is said not to be known.
    assert!(
        summary["notes"].to_string().contains("is an upper bound"),
        "{summary}"
    );

    // Shard 1 of another run: its shard.json says so.
    let other = dir.join("other-run-shard-1");
    copy_folder(&folders[1], &other);
    let manifest = other.join("shard.json");
    let mut json: Value = serde_json::from_slice(&std::fs::read(&manifest).unwrap()).unwrap();
    json["run_id"] = "merge-2".into();
    std::fs::write(&manifest, serde_json::to_vec(&json).unwrap()).unwrap();
    let mixed = [folders[0].as_path(), other.as_path(), folders[2].as_path()];
    let m = merge(SHARDS, &dir.join("mixed"), &mixed, &[]);
    assert_eq!(m.code, 2, "{}", m.log);
    assert!(
        m.log.contains("`run_id`") && m.log.contains("merge-2"),
        "{}",
        m.log
    );

    let before = std::fs::read(folders[0].join("summary.json")).unwrap();
    let all: Vec<&Path> = folders.iter().map(PathBuf::as_path).collect();
    let m = merge(SHARDS, &folders[0], &all, &[]);
    assert_eq!(m.code, 2, "{}", m.log);
    assert!(m.log.contains("is one of the shard folders"), "{}", m.log);
    assert_eq!(
        std::fs::read(folders[0].join("summary.json")).unwrap(),
        before
    );
    assert!(folders[0].join("shard.json").exists());
}

fn copy_folder(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}
