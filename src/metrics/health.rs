//! The load generator's own health: memory, CPU, and how late its timers
//! fire. A saturated generator delays its own measurements, so these figures
//! say when a run's latencies are doubtful.

use std::sync::{Arc, Weak};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::Metrics;

/// Scheduler lag p99 above which the generator's measurements are doubtful.
pub const DOUBTFUL_LAG_P99_US: u64 = 50_000;
/// CPU use (percent of the cores the process can keep busy: its worker
/// threads, and an embedded simulator's) above which the generator is
/// saturated.
pub const DOUBTFUL_CPU_PERCENT: f64 = 90.0;

/// The generator's health over one interval.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct GeneratorHealth {
    /// Resident memory at the end of the interval.
    pub rss_bytes: u64,
    /// CPU time (user + system) used by the process since it started.
    pub cpu_seconds: f64,
    /// CPU used during the interval, in percent of all cores (100 = every core busy).
    pub cpu_percent: f64,
    /// Median lateness of the scheduler probe's wake-ups.
    pub scheduler_lag_p50_us: u64,
    /// 99th percentile lateness of the scheduler probe's wake-ups.
    pub scheduler_lag_p99_us: u64,
    /// Worst lateness of the scheduler probe's wake-ups.
    pub scheduler_lag_max_us: u64,
}

impl GeneratorHealth {
    /// True when the generator was too busy for its latencies to be trusted.
    pub fn is_doubtful(&self) -> bool {
        self.scheduler_lag_p99_us > DOUBTFUL_LAG_P99_US || self.cpu_percent > DOUBTFUL_CPU_PERCENT
    }
}

/// Resident set size of this process, from `/proc/self/statm` (Linux only).
pub fn rss_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let resident_pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    // SAFETY: sysconf has no preconditions; it returns -1 for unknown names.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    u64::try_from(page).ok().map(|page| resident_pages * page)
}

/// CPU time (user + system) this process has used, from `getrusage`.
pub fn cpu_seconds() -> Option<f64> {
    // SAFETY: an all-zero rusage is a valid value for getrusage to overwrite.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: RUSAGE_SELF with a valid pointer to a rusage the call fills in.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    if rc != 0 {
        return None;
    }
    let secs = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    Some(secs(usage.ru_utime) + secs(usage.ru_stime))
}

/// The number of cores the process may use (for CPU percentages).
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Default tick of the scheduler probe: ten samples a second are enough for
/// an interval's p99 (close to its max, the conservative side of the
/// doubtful check), and each wakeup of an idle runtime costs a context
/// switch: at 10 ms the probe alone was most of an idle run's CPU.
pub const PROBE_TICK: Duration = Duration::from_millis(100);

/// Spawns the scheduler-lag probe on the current tokio runtime: a task that
/// sleeps `tick` again and again and records how late it wakes into
/// `metrics`. It ends by itself once the run's [`Metrics`] is dropped; abort
/// the handle to stop it sooner.
pub fn spawn_scheduler_probe(
    metrics: &Arc<Metrics>,
    tick: Duration,
) -> tokio::task::JoinHandle<()> {
    let metrics: Weak<Metrics> = Arc::downgrade(metrics);
    tokio::spawn(async move {
        loop {
            let asked = tokio::time::Instant::now();
            tokio::time::sleep(tick).await;
            let late = asked.elapsed().saturating_sub(tick);
            match metrics.upgrade() {
                Some(m) => m.record_scheduler_lag(late),
                None => return,
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_process_figures() {
        let rss = rss_bytes().unwrap();
        assert!(rss > 1024 * 1024, "rss {rss}");
        let cpu = cpu_seconds().unwrap();
        assert!(cpu >= 0.0);
    }

    #[test]
    fn doubtful_when_lagging_or_saturated() {
        let ok = GeneratorHealth {
            cpu_percent: 30.0,
            scheduler_lag_p99_us: 2_000,
            ..Default::default()
        };
        assert!(!ok.is_doubtful());
        assert!(
            GeneratorHealth {
                scheduler_lag_p99_us: 80_000,
                ..ok
            }
            .is_doubtful()
        );
        assert!(
            GeneratorHealth {
                cpu_percent: 97.0,
                ..ok
            }
            .is_doubtful()
        );
    }

    #[tokio::test]
    async fn probe_records_lag_and_stops_with_metrics() {
        let metrics = Metrics::new();
        let probe = spawn_scheduler_probe(&metrics, Duration::from_millis(1));
        tokio::time::sleep(Duration::from_millis(30)).await;
        let snap = metrics.take_interval();
        assert!(snap.health.scheduler_lag_max_us < 3_600_000_000);
        assert!(metrics.scheduler_lag_samples_total() > 0);
        drop(metrics);
        tokio::time::timeout(Duration::from_secs(5), probe)
            .await
            .unwrap()
            .unwrap();
    }
}
