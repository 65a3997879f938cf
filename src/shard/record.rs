//! What a shard gathers for its `seqs.log` while it runs: the sequence
//! numbers it created, those whose creation failed, and those first offered
//! to its agents with their delivery sample. Invites are rare next to
//! connect cycles, so one small mutex per set is enough; the sink drains
//! them once per interval. Unsharded runs have no recorder and pay nothing.

use std::sync::{Mutex, MutexGuard};

use roaring::RoaringBitmap;

use super::seqs::SeqInterval;

/// The sets of one shard since the last drain.
#[derive(Debug, Default)]
pub struct SeqRecorder {
    injected: Mutex<RoaringBitmap>,
    failed: Mutex<RoaringBitmap>,
    /// (seq, invite_delivery µs) of first offers, in arrival order.
    offered: Mutex<Vec<(u32, i64)>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding one of these short locks leaves plain data
    // behind, still worth writing.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Sequence numbers are u32 in the log; the run refuses a plan whose upper
/// bound does not fit (see [`fits`]), so this never truncates.
fn seq32(seq: u64) -> u32 {
    u32::try_from(seq).unwrap_or(u32::MAX)
}

/// Whether a schedule of at most `upper_bound` arrivals numbers them all
/// within the log's u32 sequence numbers.
pub fn fits(upper_bound: u64) -> bool {
    upper_bound <= u64::from(u32::MAX)
}

impl SeqRecorder {
    /// An empty recorder.
    pub fn new() -> SeqRecorder {
        SeqRecorder::default()
    }

    /// This shard created `seq`.
    pub fn injected(&self, seq: u64) {
        lock(&self.injected).insert(seq32(seq));
    }

    /// `seq`'s creation failed or went unanswered.
    pub fn failed(&self, seq: u64) {
        lock(&self.failed).insert(seq32(seq));
    }

    /// `seq` was first offered to one of this shard's agents; `delivery_us`
    /// is its `invite_delivery` sample as recorded (negative: clock skew).
    pub fn offered(&self, seq: u64, delivery_us: i64) {
        lock(&self.offered).push((seq32(seq), delivery_us));
    }

    /// Takes everything gathered since the last drain as interval `index`.
    pub fn drain(&self, index: u64) -> SeqInterval {
        let injected = std::mem::take(&mut *lock(&self.injected));
        let failed = std::mem::take(&mut *lock(&self.failed));
        let mut offers = std::mem::take(&mut *lock(&self.offered));
        // One first offer per seq (the ledger's), so the order is total.
        offers.sort_unstable_by_key(|(seq, _)| *seq);
        offers.dedup_by_key(|(seq, _)| *seq);
        SeqInterval {
            index,
            injected,
            failed,
            offered: offers.iter().map(|(seq, _)| *seq).collect(),
            first_offer_us: offers.into_iter().map(|(_, us)| us).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_drain_takes_what_was_new_in_seq_order() {
        let r = SeqRecorder::new();
        r.injected(4);
        r.injected(1);
        r.failed(2);
        r.offered(9, 1500);
        r.offered(1, -20);
        let first = r.drain(0);
        assert_eq!(first.index, 0);
        assert_eq!(first.injected.iter().collect::<Vec<_>>(), vec![1, 4]);
        assert_eq!(first.failed.iter().collect::<Vec<_>>(), vec![2]);
        assert_eq!(first.offered.iter().collect::<Vec<_>>(), vec![1, 9]);
        assert_eq!(first.first_offer_us, vec![-20, 1500]);
        let second = r.drain(1);
        assert_eq!(
            second,
            SeqInterval {
                index: 1,
                ..SeqInterval::default()
            }
        );
        assert!(fits(u64::from(u32::MAX)) && !fits(u64::from(u32::MAX) + 1));
    }
}
