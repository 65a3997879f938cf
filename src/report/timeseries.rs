//! `timeseries.csv`: one row per interval. Written incrementally during the
//! run ([`header`] once, then [`row`] per interval, appended and flushed),
//! so a killed run keeps every completed interval. A latency column of an
//! interval without samples is an empty cell (no value, not 0 µs).

use std::fmt::Write as _;

use crate::error::Error;
use crate::metrics::{Counter, Gauge, Measure};

use super::export::Export;
use super::model::{IntervalSummary, RunResults, format_utc_ms};

/// The file's name in a run folder.
pub const FILE_NAME: &str = "timeseries.csv";

/// Measurements whose p50/p95/p99 get columns.
pub const LATENCY_COLUMNS: [Measure; 3] = [
    Measure::InviteDelivery,
    Measure::ConnectCycle,
    Measure::Accept,
];

/// Counters whose per-second rates get columns (column name, counter).
pub const RATE_COLUMNS: [(&str, Counter); 5] = [
    ("injected_per_s", Counter::InteractionsInjected),
    ("offered_per_s", Counter::InvitesOffered),
    ("accepted_per_s", Counter::InvitesAccepted),
    ("rejected_per_s", Counter::InvitesRejected),
    ("revoked_per_s", Counter::InvitesRevoked),
];

/// The header line, with its newline.
pub fn header() -> String {
    let mut out = String::from("time,offset_s,length_s,agents_connected,agents_ready");
    for (name, _) in RATE_COLUMNS {
        out.push(',');
        out.push_str(name);
    }
    for m in LATENCY_COLUMNS {
        for p in ["p50", "p95", "p99"] {
            let _ = write!(out, ",{}_{p}_us", m.name());
        }
    }
    out.push_str(",errors_per_s,rss_bytes,cpu_percent,scheduler_lag_p99_us\n");
    out
}

/// One interval's line, with its newline.
pub fn row(i: &IntervalSummary) -> String {
    let mut out = String::with_capacity(256);
    let _ = write!(
        out,
        "{},{:.3},{:.3},{},{}",
        format_utc_ms(i.start_unix_ms),
        i.start_offset_ms as f64 / 1000.0,
        i.length_ms as f64 / 1000.0,
        i.gauge(Gauge::AgentsConnected),
        i.gauge(Gauge::AgentsReady)
    );
    for (_, c) in RATE_COLUMNS {
        let _ = write!(out, ",{:.2}", i.rate(c));
    }
    for m in LATENCY_COLUMNS {
        let p = i.measure(m);
        let _ = write!(
            out,
            ",{},{},{}",
            p.csv_cell(p.p50_us),
            p.csv_cell(p.p95_us),
            p.csv_cell(p.p99_us)
        );
    }
    let _ = writeln!(
        out,
        ",{:.2},{},{:.1},{}",
        i.error_total() as f64 / i.seconds(),
        i.health.rss_bytes,
        i.health.cpu_percent,
        i.health.scheduler_lag_p99_us
    );
    out
}

/// Writes the whole `timeseries.csv` at once.
pub struct TimeseriesCsv;

impl Export for TimeseriesCsv {
    fn file_name(&self) -> &'static str {
        FILE_NAME
    }

    fn render(&self, results: &RunResults) -> Result<Vec<u8>, Error> {
        let mut out = header();
        for i in &results.intervals {
            out.push_str(&row(i));
        }
        Ok(out.into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::Percentiles;

    #[test]
    fn an_interval_without_samples_has_empty_latency_cells() {
        let r = RunResults::example();
        let mut quiet = r.intervals[0].clone();
        for p in &mut quiet.measures {
            *p = Percentiles::default();
        }
        let line = row(&quiet);
        let cells: Vec<&str> = line.trim_end().split(',').collect();
        let names: Vec<String> = header().trim_end().split(',').map(str::to_owned).collect();
        assert_eq!(cells.len(), names.len());
        for (name, cell) in names.iter().zip(&cells) {
            if name.ends_with("_us") && name != "scheduler_lag_p99_us" {
                assert_eq!(*cell, "", "{name} in {line}");
            } else {
                assert!(!cell.is_empty(), "{name} in {line}");
            }
        }
        let busy = row(&r.intervals[0]);
        assert!(!busy.contains(",,"), "{busy}");
    }
}
