//! What the run's interaction counters say to a reader, in one wording for
//! the console, `summary.md` and `report.html`: how the lost interactions
//! split, and a warning when invites of another run reached this one.

use crate::metrics::Counter;
use crate::units::format;

use super::RunResults;

impl RunResults {
    /// How `interactions_lost` splits (`16 not created, 0 never offered`),
    /// or `None` when nothing was lost.
    pub fn lost_parts(&self) -> Option<String> {
        if self.counter(Counter::InteractionsLost) == 0 {
            return None;
        }
        Some(format!(
            "{} not created, {} never offered",
            format::count(self.counter(Counter::InteractionsNotCreated)),
            format::count(self.counter(Counter::InteractionsNeverOffered)),
        ))
    }

    /// The warning when agents were invited to interactions that are not
    /// this run's (`invites_foreign` > 0), or `None`.
    pub fn foreign_warning(&self) -> Option<String> {
        let foreign = self.counter(Counter::InvitesForeign);
        if foreign == 0 {
            return None;
        }
        Some(format!(
            "{} invites were not this run's (another run's marker, or none): interactions left queued on the target by an earlier run or created by someone else. The agents answered them as the behaviour says, but they are kept out of this run's offers, answers, lost count and latencies. Let the target's queues empty before a run to keep its load as planned.",
            format::count(foreign)
        ))
    }
}

#[cfg(test)]
mod tests {
    use crate::metrics::Counter;
    use crate::report::fixtures;

    #[test]
    fn nothing_to_say_when_nothing_was_lost_or_foreign() {
        let r = fixtures::example();
        assert_eq!(r.lost_parts(), None);
        assert_eq!(r.foreign_warning(), None);
    }

    #[test]
    fn lost_splits_and_foreign_invites_warn() {
        let mut r = fixtures::example();
        r.counters[Counter::InteractionsLost.index()] = 5;
        r.counters[Counter::InteractionsNotCreated.index()] = 3;
        r.counters[Counter::InteractionsNeverOffered.index()] = 2;
        r.counters[Counter::InvitesForeign.index()] = 7;
        assert_eq!(
            r.lost_parts().as_deref(),
            Some("3 not created, 2 never offered")
        );
        let warning = r.foreign_warning().unwrap_or_default();
        assert!(
            warning.starts_with("7 invites were not this run's"),
            "{warning}"
        );
    }
}
