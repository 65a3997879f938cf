//! What only the union of the shards can tell: which interactions were lost
//! and which were first offered on more than one shard. From every shard's
//! `seqs.log`: sent = injected ∪ failed; lost = sent − offered;
//! not created = lost ∩ failed; never offered = lost − not created. An
//! interaction first offered on two shards (re-offered to another shard's
//! agent after a reject or revoke) keeps its earliest `invite_delivery`
//! sample; the later ones are taken out of their interval's histogram.

use std::collections::HashMap;

use roaring::RoaringBitmap;

use crate::shard::SeqLog;

/// The run's interaction accounting, settled over every shard.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Settlement {
    /// Asked for (created or failed) by any shard.
    pub sent: u64,
    /// First offered to an agent of any shard.
    pub offered: u64,
    /// Sent and never offered.
    pub lost: u64,
    /// Lost whose creation failed or went unanswered.
    pub not_created: u64,
    /// Lost that were created.
    pub never_offered: u64,
    /// Interactions first offered on more than one shard.
    pub duplicate_offers: u64,
    /// The later samples of those, to take out of `invite_delivery`:
    /// `(interval index, µs)`. Negative samples were never recorded and are
    /// not listed.
    pub later_samples: Vec<(u64, u64)>,
}

/// Settles the accounting over the shards' logs.
pub fn settle<'a>(logs: impl IntoIterator<Item = &'a SeqLog> + Clone) -> Settlement {
    let mut sent = RoaringBitmap::new();
    let mut failed = RoaringBitmap::new();
    let mut offered = RoaringBitmap::new();
    let mut twice = RoaringBitmap::new();
    for log in logs.clone() {
        for i in &log.intervals {
            sent |= &i.injected;
            failed |= &i.failed;
            twice |= &offered & &i.offered;
            offered |= &i.offered;
        }
    }
    sent |= &failed;
    let lost = &sent - &offered;
    let not_created = &lost & &failed;
    Settlement {
        sent: sent.len(),
        offered: offered.len(),
        lost: lost.len(),
        not_created: not_created.len(),
        never_offered: lost.len() - not_created.len(),
        duplicate_offers: twice.len(),
        later_samples: later_samples(logs, &twice),
    }
}

/// For each interaction in `twice`, every first-offer sample but its
/// earliest (smallest; the first in log order among equals).
fn later_samples<'a>(
    logs: impl IntoIterator<Item = &'a SeqLog>,
    twice: &RoaringBitmap,
) -> Vec<(u64, u64)> {
    if twice.is_empty() {
        return Vec::new();
    }
    let mut samples: HashMap<u32, Vec<(u64, i64)>> = HashMap::new();
    for log in logs {
        for i in &log.intervals {
            if i.offered.is_disjoint(twice) {
                continue;
            }
            for (seq, &us) in i.offered.iter().zip(&i.first_offer_us) {
                if twice.contains(seq) {
                    samples.entry(seq).or_default().push((i.index, us));
                }
            }
        }
    }
    let mut later = Vec::new();
    for offers in samples.values() {
        let earliest = offers
            .iter()
            .enumerate()
            .min_by_key(|(_, (_, us))| *us)
            .map_or(0, |(n, _)| n);
        for (n, &(interval, us)) in offers.iter().enumerate() {
            if n != earliest && us >= 0 {
                later.push((interval, us as u64));
            }
        }
    }
    later.sort_unstable();
    later
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shard::SeqInterval;

    fn set(seqs: &[u32]) -> RoaringBitmap {
        seqs.iter().copied().collect()
    }

    fn log(intervals: Vec<SeqInterval>) -> SeqLog {
        SeqLog {
            intervals,
            notes: Vec::new(),
        }
    }

    fn interval(
        index: u64,
        injected: &[u32],
        failed: &[u32],
        offered: &[(u32, i64)],
    ) -> SeqInterval {
        SeqInterval {
            index,
            injected: set(injected),
            failed: set(failed),
            offered: offered.iter().map(|(s, _)| *s).collect(),
            first_offer_us: offered.iter().map(|(_, us)| *us).collect(),
        }
    }

    #[test]
    fn lost_splits_into_not_created_and_never_offered_over_the_union() {
        // Shard 0 creates the even seqs, shard 1 the odd ones; each shard's
        // agents are offered some of the other's.
        let s0 = log(vec![
            interval(0, &[0, 2], &[4], &[(1, 900), (2, 800)]),
            interval(1, &[6, 8], &[], &[(8, 700)]),
        ]);
        let s1 = log(vec![interval(0, &[1, 3], &[5], &[(0, 1000), (5, 1200)])]);
        let s = settle([&s0, &s1]);
        // sent {0..=6, 8}: offered {0, 1, 2, 5, 8}; lost {3, 4, 6}; 4 failed.
        assert_eq!((s.sent, s.offered), (8, 5));
        assert_eq!((s.lost, s.not_created, s.never_offered), (3, 1, 2));
        assert_eq!(s.duplicate_offers, 0);
        assert!(s.later_samples.is_empty());
    }

    #[test]
    fn an_interaction_offered_on_two_shards_keeps_its_earliest_sample() {
        let s0 = log(vec![
            interval(0, &[0, 2], &[], &[(0, 500)]),
            interval(3, &[], &[], &[(2, 9_000)]),
        ]);
        let s1 = log(vec![interval(
            1,
            &[1],
            &[],
            &[(0, 2_500), (1, 300), (2, 4_000)],
        )]);
        let s2 = log(vec![interval(2, &[], &[], &[(0, -20), (1, 700)])]);
        let s = settle([&s0, &s1, &s2]);
        assert_eq!((s.sent, s.offered, s.lost), (3, 3, 0));
        assert_eq!(s.duplicate_offers, 3);
        // seq 0: -20 (skew, never recorded) is earliest: 500 and 2500 go;
        // seq 1: 300 stays, 700 goes; seq 2: 4000 stays, 9000 goes.
        assert_eq!(
            s.later_samples,
            vec![(0, 500), (1, 2_500), (2, 700), (3, 9_000)]
        );
    }

    #[test]
    fn nothing_to_settle_in_empty_logs() {
        assert_eq!(settle([&SeqLog::default()]), Settlement::default());
    }
}
