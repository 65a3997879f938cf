//! One live view over all shards: their intervals of the same index added
//! up (the merge's own addition), shown once every shard still running has
//! reached that index, so the view never shows a part of an interval.

use std::collections::BTreeMap;

use crate::metrics::IntervalSnapshot;
use crate::shard::merge::intervals;

/// The shards' intervals waiting for the slowest shard.
pub(super) struct LiveMerge {
    /// Per shard: the highest index it gave, and whether it ended.
    shards: Vec<(Option<u64>, bool)>,
    waiting: BTreeMap<u64, IntervalSnapshot>,
}

impl LiveMerge {
    /// For `shards` shards, none started.
    pub(super) fn new(shards: usize) -> LiveMerge {
        LiveMerge {
            shards: vec![(None, false); shards],
            waiting: BTreeMap::new(),
        }
    }

    /// Adds what shard `shard` completed; `ended` when it will give no more.
    pub(super) fn add(&mut self, shard: usize, snapshots: Vec<IntervalSnapshot>, ended: bool) {
        let Some(state) = self.shards.get_mut(shard) else {
            return;
        };
        state.1 |= ended;
        for s in snapshots {
            state.0 = state.0.max(Some(s.index));
            match self.waiting.remove(&s.index) {
                Some(before) => {
                    let both = intervals::merge([&[before][..], &[s][..]]);
                    self.waiting.extend(both.into_iter().map(|m| (m.index, m)));
                }
                None => {
                    self.waiting.insert(s.index, s);
                }
            }
        }
    }

    /// The merged intervals every running shard has got past, in order.
    pub(super) fn ready(&mut self) -> Vec<IntervalSnapshot> {
        let running = self.shards.iter().filter(|(_, ended)| !ended);
        let mut upto: Option<u64> = None;
        for (latest, _) in running {
            // A running shard that gave nothing yet holds everything back.
            let Some(latest) = latest else {
                return Vec::new();
            };
            upto = Some(upto.map_or(*latest, |u| u.min(*latest)));
        }
        let keep = match upto {
            Some(u) => self.waiting.split_off(&(u + 1)),
            None => BTreeMap::new(),
        };
        std::mem::replace(&mut self.waiting, keep)
            .into_values()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::metrics::{Counter, Gauge};

    fn snapshot(index: u64, connected: i64) -> IntervalSnapshot {
        let second = Duration::from_secs(1);
        let mut s = IntervalSnapshot::empty(index, second * index as u32, 0, second);
        s.gauges[Gauge::AgentsConnected.index()] = connected;
        s.counters[Counter::InvitesOffered.index()] = 1;
        s
    }

    #[test]
    fn an_interval_shows_once_every_running_shard_has_it_summed_over_shards() {
        let mut live = LiveMerge::new(2);
        live.add(0, vec![snapshot(0, 3), snapshot(1, 4)], false);
        assert!(live.ready().is_empty(), "shard 1 gave nothing yet");
        live.add(1, vec![snapshot(0, 5)], false);
        let shown = live.ready();
        assert_eq!(shown.len(), 1);
        assert_eq!(shown[0].gauges[Gauge::AgentsConnected.index()], 8);
        assert_eq!(shown[0].counters[Counter::InvitesOffered.index()], 2);
        // Shard 1 ends without interval 1: interval 1 is shard 0's alone.
        live.add(1, Vec::new(), true);
        let shown = live.ready();
        assert_eq!(shown.iter().map(|s| s.index).collect::<Vec<_>>(), [1]);
        assert_eq!(shown[0].gauges[Gauge::AgentsConnected.index()], 4);
        assert!(live.ready().is_empty(), "each interval once");
    }
}
