//! Adding the shards' intervals up, index by index (every shard starts at
//! the same instant with the same interval, so interval k spans the same
//! wall-clock time in each): histograms, counters and errors add, gauges sum
//! (agents connected over all shards), and the generator's health is the
//! worst shard's, so an interval is doubtful when any shard was saturated.

use std::collections::BTreeMap;

use hdrhistogram::Histogram;

use crate::metrics::{GeneratorHealth, IntervalSnapshot};

/// Merges the shards' snapshots by interval index, in index order.
pub fn merge<'a>(
    shards: impl IntoIterator<Item = &'a [IntervalSnapshot]>,
) -> Vec<IntervalSnapshot> {
    let mut merged: BTreeMap<u64, IntervalSnapshot> = BTreeMap::new();
    for snapshots in shards {
        for s in snapshots {
            match merged.get_mut(&s.index) {
                Some(into) => add(into, s),
                None => {
                    merged.insert(s.index, s.clone());
                }
            }
        }
    }
    merged.into_values().collect()
}

/// Adds one shard's interval `s` to the merged one.
fn add(into: &mut IntervalSnapshot, s: &IntervalSnapshot) {
    // The last interval of each shard is cut by its own stop.
    into.length = into.length.max(s.length);
    into.start_unix_ms = into.start_unix_ms.min(s.start_unix_ms);
    for (h, from) in into.histograms.iter_mut().zip(&s.histograms) {
        add_histogram(h, from);
    }
    for (c, n) in into.counters.iter_mut().zip(&s.counters) {
        *c += n;
    }
    for (kind, n) in &s.errors {
        *into.errors.entry(kind.clone()).or_insert(0) += n;
    }
    for (g, v) in into.gauges.iter_mut().zip(&s.gauges) {
        *g += v;
    }
    into.health = worse(into.health, s.health);
}

/// Adds `from` to `into`; values beyond the standard range are clamped.
fn add_histogram(into: &mut Histogram<u64>, from: &Histogram<u64>) {
    if from.is_empty() {
        return;
    }
    if into.add(from).is_err() {
        for v in from.iter_recorded() {
            into.saturating_record_n(v.value_iterated_to(), v.count_at_value());
        }
    }
}

/// The merged health of two shards' interval: the lag and CPU figures of the
/// worse one (doubtful first, then the higher lag p99, then the busier CPU),
/// with memory and CPU time added up (the generator's total over shards).
pub fn worse(a: GeneratorHealth, b: GeneratorHealth) -> GeneratorHealth {
    let key = |h: &GeneratorHealth| (h.is_doubtful(), h.scheduler_lag_p99_us, h.cpu_percent);
    let a_worse = key(&a)
        .partial_cmp(&key(&b))
        .is_some_and(|o| o != std::cmp::Ordering::Less);
    let mut worst = if a_worse { a } else { b };
    worst.rss_bytes = a.rss_bytes + b.rss_bytes;
    worst.cpu_seconds = a.cpu_seconds + b.cpu_seconds;
    worst
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::metrics::health::DOUBTFUL_LAG_P99_US;
    use crate::metrics::{Counter, Gauge, Measure};

    fn interval(index: u64, length_ms: u64, latency_us: u64, lag_p99_us: u64) -> IntervalSnapshot {
        let mut s = IntervalSnapshot::empty(
            index,
            Duration::from_secs(index),
            1_000_000 + index * 1000,
            Duration::from_millis(length_ms),
        );
        s.histograms[Measure::InviteDelivery.index()]
            .record(latency_us)
            .unwrap();
        s.counters[Counter::InvitesOffered.index()] = 1;
        s.errors.insert("clock_skew".into(), 1);
        s.gauges[Gauge::AgentsConnected.index()] = 5;
        s.health = GeneratorHealth {
            rss_bytes: 100,
            cpu_seconds: 1.0,
            cpu_percent: 10.0,
            scheduler_lag_p99_us: lag_p99_us,
            ..GeneratorHealth::default()
        };
        s
    }

    #[test]
    fn intervals_of_one_index_add_up() {
        let a = vec![interval(0, 1000, 100, 10), interval(1, 400, 200, 10)];
        let b = vec![
            interval(0, 1000, 300, 20),
            interval(1, 700, 400, 20),
            interval(2, 100, 500, 0),
        ];
        let merged = merge([a.as_slice(), b.as_slice()]);
        assert_eq!(
            merged.iter().map(|s| s.index).collect::<Vec<_>>(),
            vec![0, 1, 2]
        );
        let one = &merged[1];
        assert_eq!(one.length, Duration::from_millis(700));
        let h = one.histogram(Measure::InviteDelivery);
        assert_eq!((h.len(), h.min(), h.max()), (2, 200, 400));
        assert_eq!(one.counter(Counter::InvitesOffered), 2);
        assert_eq!(one.errors["clock_skew"], 2);
        assert_eq!(one.gauge(Gauge::AgentsConnected), 10);
        assert_eq!(one.health.scheduler_lag_p99_us, 20);
        assert_eq!((one.health.rss_bytes, one.health.cpu_seconds), (200, 2.0));
        assert_eq!(
            merged[2].counter(Counter::InvitesOffered),
            1,
            "one shard's last interval"
        );
    }

    #[test]
    fn the_worst_shard_decides_whether_an_interval_is_doubtful() {
        let calm = interval(0, 1000, 1, 1_000).health;
        let busy = GeneratorHealth {
            cpu_percent: 99.0,
            ..calm
        };
        let lagging = GeneratorHealth {
            scheduler_lag_p99_us: DOUBTFUL_LAG_P99_US * 2,
            ..calm
        };
        assert!(worse(calm, busy).is_doubtful());
        assert!(worse(lagging, calm).is_doubtful());
        assert!(!worse(calm, calm).is_doubtful());
        // Among doubtful ones the higher lag wins, whichever comes first.
        assert_eq!(
            worse(busy, lagging).scheduler_lag_p99_us,
            DOUBTFUL_LAG_P99_US * 2
        );
        assert_eq!(
            worse(lagging, busy).scheduler_lag_p99_us,
            DOUBTFUL_LAG_P99_US * 2
        );
    }
}
