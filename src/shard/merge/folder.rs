//! Reading one shard's output folder: its `shard.json`, `summary.json`,
//! `histograms.hlog` (back into interval snapshots) and `seqs.log`, and
//! whether the shard concluded. Nothing here judges; a folder that cannot
//! be read says why, for the merge to name it.

use std::path::{Path, PathBuf};

use crate::metrics::IntervalSnapshot;
use crate::report::json::{self, Summary};
use crate::report::{Verdict, hlog};
use crate::shard::{SeqLog, ShardManifest, seqs};

/// A shard folder that could be read.
#[derive(Debug)]
pub struct ShardFolder {
    /// The folder, as given.
    pub dir: PathBuf,
    /// Its `shard.json`.
    pub manifest: ShardManifest,
    /// Its `summary.json`, when it has a readable one.
    pub summary: Option<Summary>,
    /// Its intervals, read back from `histograms.hlog`.
    pub snapshots: Vec<IntervalSnapshot>,
    /// Its `seqs.log`.
    pub seqs: SeqLog,
    /// What was missing or damaged, for the merged outputs' notes.
    pub notes: Vec<String>,
}

/// What reading a folder came to.
#[derive(Debug)]
pub enum Loaded {
    /// Readable (it may still have failed: see [`ShardFolder::failure`]).
    Shard(Box<ShardFolder>),
    /// Not a readable shard folder, and why.
    Unreadable {
        /// The folder, as given.
        dir: PathBuf,
        /// Why, in one line.
        why: String,
    },
}

/// Reads the shard folder `dir`.
pub fn load(dir: &Path) -> Loaded {
    let unreadable = |why: String| Loaded::Unreadable {
        dir: dir.to_path_buf(),
        why,
    };
    if !dir.is_dir() {
        return unreadable("not a folder".into());
    }
    let manifest = match ShardManifest::read(dir) {
        Ok(m) => m,
        Err(e) => return unreadable(e.to_string()),
    };
    let seqs = match seqs::read_dir(dir) {
        Ok(log) => log,
        Err(e) => {
            return unreadable(format!(
                "{e}; without it the lost interactions cannot be settled"
            ));
        }
    };
    let mut notes = seqs.notes.clone();
    let summary = read_summary(dir, &mut notes);
    let hlog_path = dir.join(hlog::FILE_NAME);
    let snapshots = match std::fs::read(&hlog_path) {
        Ok(bytes) => match hlog::read_snapshots(&bytes, &hlog_path.display().to_string()) {
            Ok(read) => {
                notes.extend(read.notes);
                read.snapshots
            }
            Err(e) => return unreadable(e.to_string()),
        },
        Err(e) => return unreadable(format!("cannot read {}: {e}", hlog_path.display())),
    };
    Loaded::Shard(Box::new(ShardFolder {
        dir: dir.to_path_buf(),
        manifest,
        summary,
        snapshots,
        seqs,
        notes,
    }))
}

/// `summary.json`, when there is a readable one (a killed shard has only the
/// one of its start, or none).
fn read_summary(dir: &Path, notes: &mut Vec<String>) -> Option<Summary> {
    let path = dir.join(json::FILE_NAME);
    let bytes = std::fs::read(&path).ok()?;
    match Summary::parse(&bytes, &path.display().to_string()) {
        Ok(s) => Some(s),
        Err(e) => {
            notes.push(format!("{e}: taken as a shard that never concluded"));
            None
        }
    }
}

impl ShardFolder {
    /// How the shard's own run ended: `running` when it never concluded.
    pub fn verdict(&self) -> Verdict {
        self.summary
            .as_ref()
            .map_or(Verdict::Running, |s| s.verdict)
    }

    /// Why this shard cannot count as a whole part of the run: it never
    /// concluded (killed, or still going) or did not run. `None` when it
    /// concluded, whatever its verdict.
    pub fn failure(&self) -> Option<String> {
        match &self.summary {
            None => Some("it never concluded: no summary.json (killed?)".to_string()),
            Some(s) if s.is_running() => Some(format!(
                "it is still running (process {}); wait for it to end",
                s.pid.unwrap_or_default()
            )),
            Some(s) if s.verdict == Verdict::Running => Some(
                "it never concluded: its summary.json is still the one of its start (killed?)"
                    .to_string(),
            ),
            Some(s) if s.verdict == Verdict::NotRun => {
                Some(format!("it did not run: {}", s.reason))
            }
            Some(_) => None,
        }
    }

    /// A killed shard is merged up to its last interval in both logs: a
    /// `seqs.log` line whose interval its hlog does not hold is left out.
    pub fn cut_to_last_interval(&mut self) {
        let last = self.snapshots.last().map(|s| s.index);
        let before = self.seqs.intervals.len();
        self.seqs
            .intervals
            .retain(|i| last.is_some_and(|last| i.index <= last));
        let dropped = before - self.seqs.intervals.len();
        if dropped > 0 {
            self.notes.push(format!(
                "{}: left out {dropped} seqs.log intervals past the last interval of its histograms.hlog (the shard was cut short)",
                self.dir.display()
            ));
        }
    }

    /// `shard I of N (DIR)`, how messages name this shard.
    pub fn name(&self) -> String {
        format!(
            "shard {} of {} ({})",
            self.manifest.index,
            self.manifest.count,
            self.dir.display()
        )
    }
}
