//! The histogram record hot path: one thread, and two threads recording into
//! the same run at once (own shards, and forced onto one shard).
//! `cargo bench --bench metrics_record`

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use agentload::metrics::{Measure, Metrics};
use criterion::{Criterion, criterion_group, criterion_main};

fn single_thread(c: &mut Criterion) {
    let metrics = Metrics::new();
    let mut v = 1u64;
    c.bench_function("record_micros/1 thread", |b| {
        b.iter(|| {
            metrics.record_micros(Measure::ConnectCycle, black_box(v));
            v = (v * 7 + 13) % 5_000_000;
        })
    });
    c.bench_function("record(Duration)/1 thread", |b| {
        b.iter(|| {
            metrics.record(
                Measure::InviteDelivery,
                black_box(Duration::from_micros(1234)),
            )
        })
    });
}

/// Wall time of `iters` records on each of two threads at once, so the
/// figure is ns per record per thread while the other thread records too.
fn two_threads(metrics: &Arc<Metrics>, iters: u64) -> Duration {
    let start = Instant::now();
    std::thread::scope(|s| {
        for t in 0..2u64 {
            s.spawn(move || {
                for i in 0..iters {
                    metrics.record_micros(Measure::ConnectCycle, black_box(100 + (i + t) % 50_000));
                }
            });
        }
    });
    start.elapsed()
}

fn contended(c: &mut Criterion) {
    let sharded = Metrics::new();
    c.bench_function("record_micros/2 threads, sharded", |b| {
        b.iter_custom(|iters| two_threads(&sharded, iters))
    });
    let one_shard = Metrics::with_shards(1);
    c.bench_function("record_micros/2 threads, one shard", |b| {
        b.iter_custom(|iters| two_threads(&one_shard, iters))
    });
}

fn collect(c: &mut Criterion) {
    let metrics = Metrics::new();
    c.bench_function("take_interval/1000 values per measure", |b| {
        b.iter(|| {
            for m in Measure::ALL {
                for v in 0..1000 {
                    metrics.record_micros(m, 100 + v * 37);
                }
            }
            black_box(metrics.take_interval())
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(20);
    targets = single_thread, contended, collect
}
criterion_main!(benches);
