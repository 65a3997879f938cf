//! [`Metrics`]: the run's recorder. Agents record into per-thread shards
//! (uncontended locks), counters and gauges are atomics, and once per
//! interval the collector swaps every shard for an empty spare and merges.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use hdrhistogram::Histogram;

use super::health::{self, GeneratorHealth};
use super::histogram::{growing_histogram_set, new_histogram};
use super::paged::PagedHistogram;
use super::snapshot::IntervalSnapshot;
use super::{Counter, ErrorKind, Gauge, Measure};

/// What one shard holds between two collections. Its histograms are paged
/// (see [`PagedHistogram`]): a shard, and its spare, cost only the pages its
/// thread's values land in, not a full histogram per measurement.
struct Shard {
    histograms: [PagedHistogram; Measure::ALL.len()],
    errors: HashMap<ErrorKind, u64>,
}

impl Shard {
    fn new() -> Shard {
        Shard {
            histograms: std::array::from_fn(|_| PagedHistogram::default()),
            errors: HashMap::new(),
        }
    }
}

/// Keeps each shard's lock on its own cache lines, so two threads recording
/// into neighbouring shards do not slow each other down (false sharing).
#[repr(align(128))]
struct Padded<T>(T);

/// State only the collector touches.
struct Collector {
    spares: Vec<Shard>,
    next_index: u64,
    interval_start: Instant,
    last_counters: [u64; Counter::ALL.len()],
    last_cpu_seconds: f64,
    /// Cores the process can keep busy, the 100 % of `cpu_percent`.
    cpu_capacity: usize,
}

/// Hands each thread a fixed slot; a thread always records into the same
/// shard, so shard locks are uncontended as long as threads <= shards.
static NEXT_THREAD_SLOT: AtomicUsize = AtomicUsize::new(0);
thread_local! {
    static THREAD_SLOT: usize = NEXT_THREAD_SLOT.fetch_add(1, Ordering::Relaxed);
}

/// The recorder of one run. Create it with [`Metrics::new`] and share the
/// `Arc` with every agent; several runs in one process each have their own.
pub struct Metrics {
    shards: Box<[Padded<Mutex<Shard>>]>,
    counters: [AtomicU64; Counter::ALL.len()],
    gauges: [AtomicI64; Gauge::ALL.len()],
    scheduler_lag: Mutex<Histogram<u64>>,
    scheduler_lag_samples: AtomicU64,
    started: Instant,
    started_unix_ms: u64,
    collector: Mutex<Collector>,
}

/// Locks a mutex, carrying on after a panic elsewhere: histograms and counts
/// stay usable even if a recording thread died mid-way.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Metrics {
    /// A recorder for a run starting now, with one shard per two threads the
    /// machine can run (at least 4, at most 16).
    pub fn new() -> Arc<Metrics> {
        Metrics::with_shards((health::cores() * 2).clamp(4, 16))
    }

    /// A recorder with an explicit number of shards (at least 1).
    pub fn with_shards(shards: usize) -> Arc<Metrics> {
        let shards = shards.max(1);
        let now = Instant::now();
        let started_unix_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        Arc::new(Metrics {
            shards: (0..shards)
                .map(|_| Padded(Mutex::new(Shard::new())))
                .collect(),
            counters: std::array::from_fn(|_| AtomicU64::new(0)),
            gauges: std::array::from_fn(|_| AtomicI64::new(0)),
            scheduler_lag: Mutex::new(new_histogram()),
            scheduler_lag_samples: AtomicU64::new(0),
            started: now,
            started_unix_ms,
            collector: Mutex::new(Collector {
                spares: (0..shards).map(|_| Shard::new()).collect(),
                next_index: 0,
                interval_start: now,
                last_counters: [0; Counter::ALL.len()],
                last_cpu_seconds: health::cpu_seconds().unwrap_or(0.0),
                cpu_capacity: health::cores(),
            }),
        })
    }

    /// Sets how many cores the process can keep busy (its runtime's worker
    /// threads, say), so `cpu_percent` reaches 100 % when they are all busy
    /// rather than when every core of the machine is; default: all cores.
    pub fn set_cpu_capacity(&self, cores: usize) {
        lock(&self.collector).cpu_capacity = cores.max(1);
    }

    fn shard(&self) -> MutexGuard<'_, Shard> {
        let slot = THREAD_SLOT.with(|s| *s);
        lock(&self.shards[slot % self.shards.len()].0)
    }

    /// Records one latency. Values above one hour are clamped to one hour.
    #[inline]
    pub fn record(&self, m: Measure, d: Duration) {
        self.record_micros(m, u64::try_from(d.as_micros()).unwrap_or(u64::MAX));
    }

    /// Records the time elapsed since `start`.
    #[inline]
    pub fn record_since(&self, m: Measure, start: Instant) {
        self.record(m, start.elapsed());
    }

    /// Records one latency given in microseconds (clamped to 1 h).
    #[inline]
    pub fn record_micros(&self, m: Measure, us: u64) {
        self.shard().histograms[m.index()].record(us);
    }

    /// Adds `n` to a counter.
    #[inline]
    pub fn count(&self, c: Counter, n: u64) {
        self.counters[c.index()].fetch_add(n, Ordering::Relaxed);
    }

    /// A counter's total since the run started.
    pub fn counter_total(&self, c: Counter) -> u64 {
        self.counters[c.index()].load(Ordering::Relaxed)
    }

    /// Counts one error of the given kind. Named only when the interval is
    /// collected, so recording never allocates once a kind was seen.
    #[inline]
    pub fn error(&self, kind: ErrorKind) {
        *self.shard().errors.entry(kind).or_insert(0) += 1;
    }

    /// The atomic behind a gauge, for callers that update it themselves.
    pub fn gauge(&self, g: Gauge) -> &AtomicI64 {
        &self.gauges[g.index()]
    }

    /// Sets a gauge.
    pub fn set_gauge(&self, g: Gauge, value: i64) {
        self.gauges[g.index()].store(value, Ordering::Relaxed);
    }

    /// Adds `delta` (may be negative) to a gauge.
    pub fn add_gauge(&self, g: Gauge, delta: i64) {
        self.gauges[g.index()].fetch_add(delta, Ordering::Relaxed);
    }

    /// A gauge's current value.
    pub fn gauge_value(&self, g: Gauge) -> i64 {
        self.gauges[g.index()].load(Ordering::Relaxed)
    }

    /// Records how late the scheduler probe woke (see [`health::spawn_scheduler_probe`]).
    pub fn record_scheduler_lag(&self, late: Duration) {
        let us = u64::try_from(late.as_micros()).unwrap_or(u64::MAX);
        lock(&self.scheduler_lag).saturating_record(us);
        self.scheduler_lag_samples.fetch_add(1, Ordering::Relaxed);
    }

    /// How many scheduler-lag samples were recorded since the run started.
    pub fn scheduler_lag_samples_total(&self) -> u64 {
        self.scheduler_lag_samples.load(Ordering::Relaxed)
    }

    /// When the run started, milliseconds since the Unix epoch.
    pub fn started_unix_ms(&self) -> u64 {
        self.started_unix_ms
    }

    /// How long ago the run started.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Ends the current interval: swaps every shard for an empty one, merges
    /// them, and returns what the interval measured. Call it from one task,
    /// once per interval; concurrent callers are serialised.
    pub fn take_interval(&self) -> IntervalSnapshot {
        let mut collector = lock(&self.collector);
        let now = Instant::now();
        let start_offset = collector.interval_start.duration_since(self.started);
        let length = now.duration_since(collector.interval_start);
        // Growing: an interval's histograms take the room its values need.
        let mut histograms = growing_histogram_set();
        let mut errors: BTreeMap<String, u64> = BTreeMap::new();

        for (slot, spare) in self.shards.iter().zip(collector.spares.iter_mut()) {
            // Only the swap (a few pointers) happens under the shard lock.
            std::mem::swap(&mut *lock(&slot.0), spare);
            for (into, from) in histograms.iter_mut().zip(spare.histograms.iter_mut()) {
                from.drain_into(into);
            }
            for (kind, n) in spare.errors.drain() {
                *errors.entry(kind.name().into_owned()).or_insert(0) += n;
            }
        }

        let mut counters = [0; Counter::ALL.len()];
        for c in Counter::ALL {
            let total = self.counter_total(c);
            counters[c.index()] = total.saturating_sub(collector.last_counters[c.index()]);
            collector.last_counters[c.index()] = total;
        }
        let gauges = std::array::from_fn(|i| self.gauges[i].load(Ordering::Relaxed));

        let cpu = health::cpu_seconds().unwrap_or(collector.last_cpu_seconds);
        let cpu_percent = if length.is_zero() {
            0.0
        } else {
            (cpu - collector.last_cpu_seconds)
                / length.as_secs_f64()
                / collector.cpu_capacity as f64
                * 100.0
        };
        collector.last_cpu_seconds = cpu;
        let health = {
            let mut lag = lock(&self.scheduler_lag);
            let h = GeneratorHealth {
                rss_bytes: health::rss_bytes().unwrap_or(0),
                // Rounded so reports do not show clock-tick noise digits.
                cpu_seconds: (cpu * 1000.0).round() / 1000.0,
                cpu_percent: (cpu_percent.max(0.0) * 10.0).round() / 10.0,
                scheduler_lag_p50_us: lag.value_at_quantile(0.5),
                scheduler_lag_p99_us: lag.value_at_quantile(0.99),
                scheduler_lag_max_us: lag.max(),
            };
            lag.reset();
            h
        };

        let snapshot = IntervalSnapshot {
            index: collector.next_index,
            start_offset,
            start_unix_ms: self.started_unix_ms + start_offset.as_millis() as u64,
            length,
            histograms,
            counters,
            errors,
            gauges,
            health,
        };
        collector.next_index += 1;
        collector.interval_start = now;
        snapshot
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Cause;

    #[test]
    fn cpu_percent_is_of_the_capacity_given() {
        let (all, one) = (Metrics::with_shards(1), Metrics::with_shards(1));
        one.set_cpu_capacity(1);
        let spin = Instant::now();
        let mut x = 0u64;
        while spin.elapsed() < Duration::from_millis(100) {
            x = std::hint::black_box(x.wrapping_add(1));
        }
        let (a, o) = (all.take_interval(), one.take_interval());
        let ratio = o.health.cpu_percent / a.health.cpu_percent;
        let cores = health::cores() as f64;
        assert!(
            (ratio - cores).abs() <= cores * 0.2,
            "one core: {} %, all {cores}: {} %",
            o.health.cpu_percent,
            a.health.cpu_percent
        );
    }

    #[test]
    fn records_from_many_threads_into_one_interval() {
        let metrics = Metrics::with_shards(2);
        std::thread::scope(|s| {
            for t in 0..4u64 {
                let m = &metrics;
                s.spawn(move || {
                    for i in 0..1000u64 {
                        m.record_micros(Measure::InviteDelivery, 1000 + i + t);
                    }
                    m.error(ErrorKind::Exchange(Cause::Timeout));
                    m.count(Counter::InvitesOffered, 10);
                });
            }
        });
        metrics.record(Measure::Accept, Duration::from_secs(2 * 3600));
        metrics.set_gauge(Gauge::AgentsReady, 7);
        metrics.add_gauge(Gauge::AgentsReady, -2);
        let snap = metrics.take_interval();
        assert_eq!(snap.index, 0);
        assert_eq!(snap.histogram(Measure::InviteDelivery).len(), 4000);
        assert_eq!(snap.histogram(Measure::Accept).len(), 1);
        assert_eq!(snap.errors.get("timeout"), Some(&4));
        assert_eq!(snap.counter(Counter::InvitesOffered), 40);
        assert_eq!(snap.gauge(Gauge::AgentsReady), 5);

        // The next interval starts empty, counters as deltas.
        metrics.count(Counter::InvitesOffered, 3);
        let next = metrics.take_interval();
        assert_eq!(next.index, 1);
        assert!(next.histogram(Measure::InviteDelivery).is_empty());
        assert!(next.errors.is_empty());
        assert_eq!(next.counter(Counter::InvitesOffered), 3);
        assert_eq!(metrics.counter_total(Counter::InvitesOffered), 43);
        assert!(next.start_offset >= snap.start_offset + snap.length);
    }

    #[test]
    fn runs_do_not_share_state() {
        let a = Metrics::new();
        let b = Metrics::new();
        a.record_micros(Measure::Ready, 10);
        a.error(ErrorKind::AgentFailed);
        assert!(b.take_interval().histogram(Measure::Ready).is_empty());
        assert_eq!(a.take_interval().histogram(Measure::Ready).len(), 1);
    }
}
