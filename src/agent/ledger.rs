//! The run-wide record of which injected interactions reached an agent, so
//! the engine can count `interactions_lost` (and its two parts) at the end. One bit per
//! interaction, set with an atomic OR: no lock on the invite path.

use std::sync::atomic::{AtomicU64, Ordering};

/// Which interaction sequence numbers were offered to at least one agent.
#[derive(Debug)]
pub struct OfferLedger {
    bits: Box<[AtomicU64]>,
}

impl OfferLedger {
    /// A ledger for sequence numbers `0..capacity`.
    pub fn new(capacity: u64) -> Self {
        let words = capacity.div_ceil(64).max(1) as usize;
        OfferLedger {
            bits: (0..words).map(|_| AtomicU64::new(0)).collect(),
        }
    }

    /// Marks `seq` as offered; true the first time. Out-of-range numbers
    /// (another run's interactions) are ignored.
    pub fn offered(&self, seq: u64) -> bool {
        let Some(word) = self.bits.get((seq / 64) as usize) else {
            return false;
        };
        let mask = 1u64 << (seq % 64);
        word.fetch_or(mask, Ordering::Relaxed) & mask == 0
    }

    /// How many of `0..injected` were never offered.
    pub fn never_offered(&self, injected: u64) -> u64 {
        (0..injected).filter(|&seq| !self.was_offered(seq)).count() as u64
    }

    /// Of `0..sent` never offered: how many are marked in `failed` (their
    /// creation failed) and how many are not (created, never offered). One
    /// marked failed but offered all the same was created after all, and
    /// is neither.
    pub fn never_offered_split(&self, sent: u64, failed: &OfferLedger) -> (u64, u64) {
        let (mut not_created, mut never_offered) = (0, 0);
        for seq in (0..sent).filter(|&seq| !self.was_offered(seq)) {
            if failed.was_offered(seq) {
                not_created += 1;
            } else {
                never_offered += 1;
            }
        }
        (not_created, never_offered)
    }

    fn was_offered(&self, seq: u64) -> bool {
        self.bits
            .get((seq / 64) as usize)
            .is_some_and(|w| w.load(Ordering::Relaxed) & (1u64 << (seq % 64)) != 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_what_was_never_offered() {
        let ledger = OfferLedger::new(130);
        assert!(ledger.offered(0));
        assert!(
            !ledger.offered(0),
            "second offer of the same interaction is not new"
        );
        assert!(ledger.offered(129));
        assert!(!ledger.offered(100_000), "out of range is ignored");
        assert_eq!(ledger.never_offered(130), 128);
        assert_eq!(ledger.never_offered(1), 0);
        let failed = OfferLedger::new(130);
        failed.offered(5);
        failed.offered(0);
        // 0 failed but was offered: created after all.
        assert_eq!(ledger.never_offered_split(130, &failed), (1, 127));
    }
}
