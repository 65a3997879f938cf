//! The run-wide record of which injected interactions reached an agent, so
//! the engine can count `interactions_lost` at the end. One bit per
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

    /// How many of `0..injected` were never offered, not counting those
    /// marked in `excused` (e.g. interactions whose creation failed).
    pub fn never_offered_except(&self, injected: u64, excused: &OfferLedger) -> u64 {
        (0..injected)
            .filter(|&seq| !self.was_offered(seq) && !excused.was_offered(seq))
            .count() as u64
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
        assert_eq!(ledger.never_offered_except(130, &failed), 127);
    }
}
