//! Following a running shard's `histograms.hlog` for the parent's live view:
//! each poll reads what the shard appended since the last one and returns
//! the intervals now complete. Only the log's header and the last, possibly
//! half-written, interval are kept, so a soak's parent does not grow.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;

use crate::metrics::IntervalSnapshot;
use crate::report::hlog::{self, META_PREFIX};

/// One shard's interval log, read as it grows.
pub(super) struct HlogTail {
    path: PathBuf,
    /// Bytes read so far.
    offset: u64,
    /// Everything before the first interval (`#[StartTime]` and the legend).
    header: Option<Vec<u8>>,
    /// Bytes of the interval not known to be complete yet.
    pending: Vec<u8>,
}

impl HlogTail {
    /// Follows the log at `path` (it may not exist yet).
    pub(super) fn new(path: PathBuf) -> HlogTail {
        HlogTail {
            path,
            offset: 0,
            header: None,
            pending: Vec::new(),
        }
    }

    /// The intervals completed since the last poll. An interval is complete
    /// once the next one has begun, or with `last` (the shard has ended).
    /// A log that cannot be read yet gives nothing: the shard's own outputs,
    /// not the live view, are the record.
    pub(super) fn poll(&mut self, last: bool) -> Vec<IntervalSnapshot> {
        self.read_new();
        if self.header.is_none() {
            let first = interval_starts(&self.pending).next();
            match first {
                Some(at) => {
                    self.header = Some(self.pending[..at].to_vec());
                    self.pending.drain(..at);
                }
                None => return Vec::new(),
            }
        }
        let cut = if last {
            self.pending
                .iter()
                .rposition(|&b| b == b'\n')
                .map(|i| i + 1)
        } else {
            // Everything before the last interval's start is whole intervals.
            interval_starts(&self.pending).next_back()
        };
        let Some(cut) = cut.filter(|&c| c > 0) else {
            return Vec::new();
        };
        let mut text = self.header.clone().unwrap_or_default();
        text.extend(self.pending.drain(..cut));
        hlog::read_snapshots(&text, &self.path.display().to_string())
            .map(|read| read.snapshots)
            .unwrap_or_default()
    }

    fn read_new(&mut self) {
        let Ok(mut file) = File::open(&self.path) else {
            return;
        };
        if file.seek(SeekFrom::Start(self.offset)).is_err() {
            return;
        }
        if let Ok(n) = file.read_to_end(&mut self.pending) {
            self.offset += n as u64;
        }
    }
}

/// Where each interval comment line starts, in order.
fn interval_starts(bytes: &[u8]) -> impl DoubleEndedIterator<Item = usize> + '_ {
    let prefix = META_PREFIX.as_bytes();
    (0..bytes.len())
        .filter(move |&i| (i == 0 || bytes[i - 1] == b'\n') && bytes[i..].starts_with(prefix))
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::time::Duration;

    use super::*;
    use crate::metrics::{Counter, Measure};
    use crate::report::fixtures::example_run_info;

    fn snapshot(index: u64) -> IntervalSnapshot {
        let second = Duration::from_secs(1);
        let mut s = IntervalSnapshot::empty(index, second * index as u32, 0, second);
        s.counters[Counter::InvitesOffered.index()] = index + 1;
        s.histograms[Measure::InviteDelivery.index()]
            .record(1_000 * (index + 1))
            .unwrap();
        s
    }

    #[test]
    fn intervals_come_out_once_each_when_the_next_one_has_begun() {
        let dir = std::env::temp_dir().join(format!("agentload-tail-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("histograms.hlog");
        let mut file = File::create(&path).unwrap();
        let mut tail = HlogTail::new(path.clone());
        assert!(tail.poll(false).is_empty(), "nothing written yet");
        file.write_all(&hlog::header(&example_run_info()).unwrap())
            .unwrap();
        let first = hlog::interval_chunk(&snapshot(0)).unwrap();
        // Half an interval, then the rest: nothing until the next begins.
        file.write_all(&first[..first.len() / 2]).unwrap();
        assert!(tail.poll(false).is_empty());
        file.write_all(&first[first.len() / 2..]).unwrap();
        assert!(tail.poll(false).is_empty(), "interval 0 may still grow");
        file.write_all(&hlog::interval_chunk(&snapshot(1)).unwrap())
            .unwrap();
        let got = tail.poll(false);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].index, 0);
        assert_eq!(got[0].counters[Counter::InvitesOffered.index()], 1);
        assert_eq!(got[0].histogram(Measure::InviteDelivery).len(), 1);
        // The shard ended: its last interval is whole.
        let got = tail.poll(true);
        assert_eq!(got.iter().map(|s| s.index).collect::<Vec<_>>(), [1]);
        assert!(tail.poll(true).is_empty(), "each interval once");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
