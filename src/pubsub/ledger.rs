//! The delivery ledger: for every message, the room members expected to
//! receive it (taken when it is published), who did, and when. Pure
//! bookkeeping: receipts go in, what to record comes out; the lost
//! deliveries are whatever is still expected at the end.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Independent locks, so subscribers receiving different messages at once
/// rarely wait for each other.
const SHARDS: usize = 16;

/// How long a complete message keeps its member list: a subscriber whose
/// subscription raced the publish may still receive it (not a duplicate);
/// after this, any second copy is a duplicate.
const RECENT: Duration = Duration::from_secs(120);

/// What one receipt of a message by a subscriber means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Receipt {
    /// An expected delivery, first time: its latency from the intended
    /// publish time, and the fan-out spread when it was the last one expected.
    Delivered {
        /// Intended publish time -> received.
        latency: Duration,
        /// First receipt -> this one, when this completes the message.
        spread: Option<Duration>,
    },
    /// The subscriber had it already.
    Duplicate,
    /// Not expected: the subscriber was not in the room when it was published
    /// (joining or leaving), or the publish failed.
    Unexpected,
}

/// Every message of the run and its deliveries.
#[derive(Debug)]
pub struct Ledger {
    shards: Vec<Mutex<Book>>,
    /// Per subscriber: deliveries expected and not yet received (a
    /// subscriber that left its rooms waits for these before it goes).
    outstanding: Vec<AtomicU32>,
}

#[derive(Debug, Default)]
struct Book {
    /// Messages still expected, and complete ones for [`RECENT`].
    open: HashMap<u64, Pending>,
    /// Complete messages still in `open`, oldest first, with when they completed.
    recent: VecDeque<(Instant, u64)>,
    /// Complete messages no longer in `open` (one bit each, by `seq / SHARDS`).
    done: Vec<u64>,
}

#[derive(Debug)]
struct Pending {
    intended: Instant,
    /// Sorted subscriber indexes.
    members: Vec<u32>,
    got: Vec<bool>,
    left: usize,
    first: Option<Instant>,
}

impl Ledger {
    /// An empty ledger for subscribers `0..subscribers`.
    pub fn new(subscribers: u32) -> Ledger {
        Ledger {
            shards: (0..SHARDS).map(|_| Mutex::new(Book::default())).collect(),
            outstanding: (0..subscribers).map(|_| AtomicU32::new(0)).collect(),
        }
    }

    fn owe(&self, who: u32, delta: i32) {
        if let Some(n) = self.outstanding.get(who as usize) {
            if delta > 0 {
                n.fetch_add(1, Ordering::Relaxed);
            } else {
                let _ = n.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |v| v.checked_sub(1));
            }
        }
    }

    /// Deliveries subscriber `who` is expected to receive and has not yet.
    pub fn outstanding(&self, who: u32) -> u32 {
        self.outstanding
            .get(who as usize)
            .map_or(0, |n| n.load(Ordering::Relaxed))
    }

    fn book(&self, seq: u64) -> MutexGuard<'_, Book> {
        self.shards[(seq % SHARDS as u64) as usize]
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    /// Message `seq`, meant for `intended`, is about to be published to a
    /// room whose members are `members` (sorted): each is expected to receive it.
    pub fn expect(&self, seq: u64, intended: Instant, members: Vec<u32>) {
        if members.is_empty() {
            return;
        }
        for &who in &members {
            self.owe(who, 1);
        }
        let mut book = self.book(seq);
        book.forget_before(intended);
        let pending = Pending {
            intended,
            got: vec![false; members.len()],
            left: members.len(),
            members,
            first: None,
        };
        book.open.insert(seq, pending);
    }

    /// The publish of `seq` failed: nothing is expected of it. Returns the
    /// deliveries that had arrived anyway (already counted as delivered).
    pub fn withdraw(&self, seq: u64) -> usize {
        let Some(p) = self.book(seq).open.remove(&seq) else {
            return 0;
        };
        for (who, got) in p.members.iter().zip(&p.got) {
            if !got {
                self.owe(*who, -1);
            }
        }
        p.members.len() - p.left
    }

    /// Subscriber `who` received message `seq` at `at`.
    pub fn receive(&self, seq: u64, who: u32, at: Instant) -> Receipt {
        let mut book = self.book(seq);
        book.forget_before(at);
        let Some(pending) = book.open.get_mut(&seq) else {
            return if book.is_done(seq) {
                // Complete already; a member receiving it again is a duplicate.
                Receipt::Duplicate
            } else {
                Receipt::Unexpected
            };
        };
        let Ok(at_member) = pending.members.binary_search(&who) else {
            return Receipt::Unexpected;
        };
        if std::mem::replace(&mut pending.got[at_member], true) {
            return Receipt::Duplicate;
        }
        pending.left -= 1;
        self.owe(who, -1);
        let first = *pending.first.get_or_insert(at);
        let latency = at.saturating_duration_since(pending.intended);
        let spread = (pending.left == 0).then(|| at.saturating_duration_since(first));
        if spread.is_some() {
            book.recent.push_back((at, seq));
        }
        Receipt::Delivered { latency, spread }
    }

    /// Expected deliveries not received (so far; at the end: lost).
    pub fn missing(&self) -> u64 {
        self.shards
            .iter()
            .map(|s| {
                let book = s.lock().unwrap_or_else(|p| p.into_inner());
                book.open.values().map(|p| p.left as u64).sum::<u64>()
            })
            .sum()
    }
}

impl Book {
    /// Complete messages older than [`RECENT`] before `now` keep one bit.
    fn forget_before(&mut self, now: Instant) {
        while let Some(&(at, seq)) = self.recent.front()
            && now.saturating_duration_since(at) > RECENT
        {
            self.recent.pop_front();
            self.open.remove(&seq);
            self.mark_done(seq);
        }
    }

    fn bit(seq: u64) -> (usize, u64) {
        let n = seq / SHARDS as u64;
        ((n / 64) as usize, 1 << (n % 64))
    }

    fn mark_done(&mut self, seq: u64) {
        let (word, bit) = Book::bit(seq);
        if self.done.len() <= word {
            self.done.resize(word + 1, 0);
        }
        self.done[word] |= bit;
    }

    fn is_done(&self, seq: u64) -> bool {
        let (word, bit) = Book::bit(seq);
        self.done.get(word).is_some_and(|w| w & bit != 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_member_counts_once_and_the_last_gives_the_spread() {
        let ledger = Ledger::new(10);
        let t0 = Instant::now();
        ledger.expect(3, t0, vec![1, 4]);
        let first = ledger.receive(3, 4, t0 + Duration::from_millis(5));
        assert_eq!(
            first,
            Receipt::Delivered {
                latency: Duration::from_millis(5),
                spread: None
            }
        );
        assert_eq!(ledger.receive(3, 4, t0), Receipt::Duplicate);
        assert_eq!(ledger.receive(3, 2, t0), Receipt::Unexpected);
        assert_eq!(ledger.missing(), 1);
        assert_eq!((ledger.outstanding(1), ledger.outstanding(4)), (1, 0));
        let last = ledger.receive(3, 1, t0 + Duration::from_millis(8));
        assert_eq!(
            last,
            Receipt::Delivered {
                latency: Duration::from_millis(8),
                spread: Some(Duration::from_millis(3))
            }
        );
        assert_eq!(ledger.missing(), 0);
        // After completion a member's second copy is still a duplicate, and
        // one who was not in the room when it was published gets it unexpected.
        assert_eq!(ledger.receive(3, 1, t0), Receipt::Duplicate);
        assert_eq!(ledger.receive(3, 9, t0), Receipt::Unexpected);
        let later = t0 + RECENT + Duration::from_secs(1);
        ledger.expect(4, later, vec![1]);
        assert_eq!(ledger.receive(3, 9, later), Receipt::Duplicate);
    }

    #[test]
    fn what_never_arrives_is_missing_and_withdrawn_publishes_expect_nothing() {
        let ledger = Ledger::new(10);
        let t0 = Instant::now();
        ledger.expect(1, t0, vec![0, 1, 2]);
        ledger.expect(2, t0, vec![0]);
        ledger.expect(100, t0, Vec::new());
        assert!(matches!(
            ledger.receive(1, 0, t0),
            Receipt::Delivered { .. }
        ));
        assert_eq!(ledger.missing(), 3);
        assert_eq!(ledger.withdraw(2), 0);
        assert_eq!(ledger.outstanding(0), 0);
        assert_eq!(ledger.outstanding(2), 1);
        assert_eq!(ledger.missing(), 2);
        assert_eq!(ledger.receive(7, 0, t0), Receipt::Unexpected);
        assert_eq!(ledger.receive(100, 0, t0), Receipt::Unexpected);
        assert_eq!(ledger.receive(2, 0, t0), Receipt::Unexpected);
    }
}
