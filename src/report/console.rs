//! The readable summary printed on stdout at the end of `run`, `report` and
//! `compare`: plain text, no colours, stable for logs.

use std::fmt::Write as _;

use crate::metrics::{Counter, Measure};

use super::gate::format_micros;
use super::model::{BaselineComparison, RunResults};

fn ms(us: u64) -> String {
    format_micros(us as f64)
}

/// The run's summary: latency table, counters, errors, generator health,
/// drift, gates and the verdict.
pub fn summary(r: &RunResults) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "run {} (profile {}) against {}: {} agents, {:.1}s, {} intervals",
        r.run.id,
        r.run.profile,
        r.run.target,
        r.run.agents,
        r.seconds(),
        r.intervals.len()
    );
    let _ = writeln!(
        out,
        "\n{:<16} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "measurement", "count", "p50", "p95", "p99", "p99.9", "max"
    );
    for m in Measure::ALL {
        let p = r.percentiles(m);
        if p.count == 0 {
            continue;
        }
        let _ = writeln!(
            out,
            "{:<16} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}",
            m.name(),
            p.count,
            ms(p.p50_us),
            ms(p.p95_us),
            ms(p.p99_us),
            ms(p.p999_us),
            ms(p.max_us)
        );
    }
    out.push('\n');
    let counters: Vec<String> = Counter::ALL
        .iter()
        .map(|&c| format!("{} {}", c.name(), r.counter(c)))
        .collect();
    let _ = writeln!(out, "counters: {}", counters.join(", "));
    if r.errors.is_empty() {
        let _ = writeln!(out, "errors: none");
    } else {
        let kinds: Vec<String> = r.errors.iter().map(|(k, n)| format!("{k} {n}")).collect();
        let _ = writeln!(
            out,
            "errors: {} ({:.3}% of requests): {}",
            r.error_total(),
            r.error_ratio() * 100.0,
            kinds.join(", ")
        );
    }
    let g = &r.generator;
    let _ = writeln!(
        out,
        "generator: peak RSS {:.1} MiB, CPU {:.1}s, scheduler lag p99 {}",
        g.peak_rss_bytes as f64 / (1024.0 * 1024.0),
        g.cpu_seconds,
        ms(g.scheduler_lag_p99_us)
    );
    for d in &r.drift {
        let _ = writeln!(out, "drift: {} {:+.1}%/h", d.series, d.pct_per_hour);
    }
    for n in &r.notes {
        let _ = writeln!(out, "note: {n}");
    }
    if !r.gates.is_empty() {
        out.push('\n');
        for gr in &r.gates {
            let _ = write!(
                out,
                "{} {}: observed {}, expected {}",
                if gr.passed { "PASS" } else { "FAIL" },
                gr.rule,
                gr.observed,
                gr.expected
            );
            if let Some(w) = gr.window {
                let _ = write!(
                    out,
                    " (first failed {:.1}s..{:.1}s)",
                    w.start_offset_ms as f64 / 1000.0,
                    w.end_offset_ms as f64 / 1000.0
                );
            }
            if let Some(note) = &gr.note {
                let _ = write!(out, " [{note}]");
            }
            out.push('\n');
        }
    }
    if let Some(b) = &r.baseline {
        out.push('\n');
        out.push_str(&comparison(b));
    }
    let _ = writeln!(out, "\n{}", if r.passed { "PASSED" } else { "FAILED" });
    out
}

/// A baseline comparison as a table: every p99 and every regressed row.
pub fn comparison(b: &BaselineComparison) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "compared with {} (allowed slowdown {}%, ignoring changes under {}):",
        b.baseline,
        b.max_regression_pct,
        ms(b.floor_us)
    );
    for row in b.rows.iter().filter(|r| r.regressed || r.stat == "p99") {
        let (base, new) = row.values(format_micros);
        let _ = writeln!(
            out,
            "  {} {:<16} {:<5} {:>9} -> {:>9} {:+.1}%",
            if row.regressed {
                "REGRESSED"
            } else {
                "ok       "
            },
            row.metric,
            row.stat,
            base,
            new,
            row.change_pct
        );
    }
    let _ = writeln!(
        out,
        "{}",
        if b.passed {
            "no regression"
        } else {
            "regression"
        }
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_measurements_gates_and_verdict() {
        let text = summary(&RunResults::example());
        assert!(text.contains("invite_delivery"));
        assert!(text.contains("FAIL invite_delivery.p99 < 80ms over 5s"));
        assert!(text.contains("PASS interactions_lost == 0"));
        assert!(text.contains("http_503 3"));
        assert!(text.trim_end().ends_with("FAILED"));
    }
}
