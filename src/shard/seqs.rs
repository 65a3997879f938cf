//! `seqs.log`: which interactions a shard created and which its agents were
//! first offered, one JSON line per interval, appended and flushed by the
//! shard's sink like the hlog (a killed shard merges up to its last interval).
//!
//! ```text
//! {"interval":3,"injected":"<base64 roaring>","failed":"<b64>","offered":"<b64>","first_offer_us":[812,-40,...]}
//! ```
//!
//! Each line holds what was new in that interval: `injected` the sequence
//! numbers this shard created successfully, `failed` those whose creation
//! failed or went unanswered, `offered` those first offered to one of this
//! shard's agents, and `first_offer_us` for each offered one, in ascending
//! sequence order, its `invite_delivery` sample in µs exactly as recorded
//! (negative: a clock skew, counted as an error and not recorded). The sets
//! are portable serialized roaring bitmaps, base64 (standard alphabet).

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use roaring::RoaringBitmap;
use serde::{Deserialize, Serialize};

use crate::error::Error;

/// The file name of a shard's sequence-set log inside its run folder.
pub const FILE: &str = "seqs.log";

/// What one interval of one shard added to the run's sequence sets.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SeqInterval {
    /// The interval's index (0 = the first interval after the start).
    pub index: u64,
    /// Created successfully by this shard.
    pub injected: RoaringBitmap,
    /// Creation failed or went unanswered.
    pub failed: RoaringBitmap,
    /// First offered to an agent of this shard.
    pub offered: RoaringBitmap,
    /// One `invite_delivery` sample (µs) per member of `offered`, in
    /// ascending sequence order.
    pub first_offer_us: Vec<i64>,
}

/// A whole `seqs.log`: its intervals in file order, and notes on what was
/// dropped (a truncated last line).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SeqLog {
    /// The intervals, as written.
    pub intervals: Vec<SeqInterval>,
    /// What reading had to leave out, for people.
    pub notes: Vec<String>,
}

impl SeqLog {
    /// The union of every interval's sets: (injected, failed, offered).
    pub fn union(&self) -> (RoaringBitmap, RoaringBitmap, RoaringBitmap) {
        let mut all = (
            RoaringBitmap::new(),
            RoaringBitmap::new(),
            RoaringBitmap::new(),
        );
        for interval in &self.intervals {
            all.0 |= &interval.injected;
            all.1 |= &interval.failed;
            all.2 |= &interval.offered;
        }
        all
    }
}

/// The wire form of one line.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    interval: u64,
    injected: String,
    failed: String,
    offered: String,
    first_offer_us: Vec<i64>,
}

/// One interval as its `seqs.log` line (ending in a newline).
pub fn line(interval: &SeqInterval) -> Vec<u8> {
    let wire = Line {
        interval: interval.index,
        injected: encode(&interval.injected),
        failed: encode(&interval.failed),
        offered: encode(&interval.offered),
        first_offer_us: interval.first_offer_us.clone(),
    };
    // A struct of strings and numbers always encodes.
    let mut bytes = serde_json::to_vec(&wire).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

fn encode(set: &RoaringBitmap) -> String {
    let mut bytes = Vec::with_capacity(set.serialized_size());
    // Writing into a Vec cannot fail.
    let _ = set.serialize_into(&mut bytes);
    STANDARD.encode(bytes)
}

/// Reads a whole `seqs.log`; `origin` names it in errors. A last line with
/// no newline that does not parse (the shard was killed mid-write) is
/// dropped with a note; any other bad line is an error naming its line.
pub fn read(bytes: &[u8], origin: &Path) -> Result<SeqLog, Error> {
    let mut log = SeqLog::default();
    let complete = bytes.ends_with(b"\n");
    let lines: Vec<&[u8]> = bytes.split(|b| *b == b'\n').collect();
    let last = lines.len().saturating_sub(1);
    for (i, text) in lines.iter().enumerate() {
        if text.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match parse_line(text) {
            Ok(interval) => log.intervals.push(interval),
            Err(why) if i == last && !complete => log.notes.push(format!(
                "{}:{}: dropped a truncated last line ({why}); the shard stopped while writing it",
                origin.display(),
                i + 1
            )),
            Err(why) => {
                return Err(Error::input(format!(
                    "{}:{}: not a seqs.log line: {why}",
                    origin.display(),
                    i + 1
                )));
            }
        }
    }
    Ok(log)
}

/// Reads `dir/seqs.log`.
pub fn read_dir(dir: &Path) -> Result<SeqLog, Error> {
    let path = dir.join(FILE);
    let bytes = std::fs::read(&path)
        .map_err(|e| Error::run(format!("cannot read {}: {e}", path.display())))?;
    read(&bytes, &path)
}

fn parse_line(text: &[u8]) -> Result<SeqInterval, String> {
    let wire: Line = serde_json::from_slice(text).map_err(|e| e.to_string())?;
    let set = |field: &str, b64: &str| -> Result<RoaringBitmap, String> {
        let bytes = STANDARD
            .decode(b64)
            .map_err(|e| format!("field `{field}` is not base64: {e}"))?;
        RoaringBitmap::deserialize_from(bytes.as_slice())
            .map_err(|e| format!("field `{field}` is not a roaring bitmap: {e}"))
    };
    let interval = SeqInterval {
        index: wire.interval,
        injected: set("injected", &wire.injected)?,
        failed: set("failed", &wire.failed)?,
        offered: set("offered", &wire.offered)?,
        first_offer_us: wire.first_offer_us,
    };
    if interval.first_offer_us.len() as u64 != interval.offered.len() {
        return Err(format!(
            "field `first_offer_us` has {} samples for {} offered sequence numbers; expected one each",
            interval.first_offer_us.len(),
            interval.offered.len()
        ));
    }
    Ok(interval)
}

/// Appends lines to `seqs.log`, each written whole and flushed.
#[derive(Debug)]
pub struct SeqLogWriter {
    file: File,
    path: PathBuf,
}

impl SeqLogWriter {
    /// Creates (or empties) `dir/seqs.log`.
    pub fn create(dir: &Path) -> Result<SeqLogWriter, Error> {
        let path = dir.join(FILE);
        let file = File::create(&path)
            .map_err(|e| Error::run(format!("cannot create {}: {e}", path.display())))?;
        Ok(SeqLogWriter { file, path })
    }

    /// Appends one interval and flushes it.
    pub fn append(&mut self, interval: &SeqInterval) -> Result<(), Error> {
        self.file
            .write_all(&line(interval))
            .and_then(|()| self.file.flush())
            .map_err(|e| Error::run(format!("cannot write {}: {e}", self.path.display())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(index: u64) -> SeqInterval {
        SeqInterval {
            index,
            injected: [0u32, 3, 6, 4_000_000].into_iter().collect(),
            failed: [9u32].into_iter().collect(),
            offered: [1u32, 3, 7].into_iter().collect(),
            first_offer_us: vec![812, -40, 1_000_000],
        }
    }

    #[test]
    fn a_line_round_trips() {
        let origin = Path::new("s/seqs.log");
        let text = line(&sample(4));
        assert!(
            text.starts_with(br#"{"interval":4,"injected":""#),
            "{}",
            String::from_utf8_lossy(&text)
        );
        assert!(text.ends_with(b"]}\n"));
        let log = read(&text, origin).unwrap();
        assert_eq!(log.intervals, vec![sample(4)]);
        assert!(log.notes.is_empty());
        let empty = SeqInterval::default();
        assert_eq!(read(&line(&empty), origin).unwrap().intervals, vec![empty]);
    }

    #[test]
    fn a_truncated_last_line_is_dropped_with_a_note() {
        let origin = Path::new("s/seqs.log");
        let mut bytes = line(&sample(0));
        bytes.extend(line(&sample(1)));
        let whole = bytes.len();
        bytes.extend_from_slice(&line(&sample(2))[..20]);
        let log = read(&bytes, origin).unwrap();
        assert_eq!(log.intervals, vec![sample(0), sample(1)]);
        assert_eq!(log.notes.len(), 1);
        assert!(
            log.notes[0].contains("s/seqs.log:3") && log.notes[0].contains("truncated"),
            "{:?}",
            log.notes
        );
        // A bad line in the middle is no truncation.
        let mut middle = bytes[..whole].to_vec();
        middle.splice(0..0, b"{\"interval\":x}\n".iter().copied());
        let err = read(&middle, origin).unwrap_err().to_string();
        assert!(err.contains("s/seqs.log:1"), "{err}");
    }

    #[test]
    fn samples_must_match_the_offered_set() {
        let mut bad = sample(0);
        bad.first_offer_us.pop();
        let err = read(&line(&bad), Path::new("x")).unwrap_err().to_string();
        assert!(
            err.contains("first_offer_us") && err.contains("2 samples for 3"),
            "{err}"
        );
        let text = br#"{"interval":0,"injected":"!!","failed":"","offered":"","first_offer_us":[]}
"#;
        let err = read(text, Path::new("x")).unwrap_err().to_string();
        assert!(err.contains("`injected` is not base64"), "{err}");
    }

    #[test]
    fn the_writer_appends_whole_lines_and_the_union_adds_them_up() {
        let dir = std::env::temp_dir().join(format!("agentload-seqs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut writer = SeqLogWriter::create(&dir).unwrap();
        writer.append(&sample(0)).unwrap();
        let mut second = SeqInterval {
            index: 1,
            ..SeqInterval::default()
        };
        second.injected.insert(10);
        writer.append(&second).unwrap();
        let log = read_dir(&dir).unwrap();
        assert_eq!(log.intervals.len(), 2);
        let (injected, failed, offered) = log.union();
        assert_eq!(
            injected.iter().collect::<Vec<_>>(),
            vec![0, 3, 6, 10, 4_000_000]
        );
        assert_eq!(failed.len(), 1);
        assert_eq!(offered.len(), 3);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
