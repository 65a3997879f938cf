//! The readable summary printed on stdout at the end of `run`, `report` and
//! `compare`: plain text, no colours, stable for logs.

use std::fmt::Write as _;

use crate::metrics::{Counter, Measure};
use crate::units::format;

use super::model::{BaselineComparison, RowUnit, RowVerdict, RunResults, percentile_label};

/// Columns when the profile does not say (`[report] percentiles`).
const TABLE_PERCENTILES: [f64; 4] = [50.0, 95.0, 99.0, 99.9];

fn latency(us: u64) -> String {
    format::latency_us(us as f64)
}

/// Every counter, how the lost split, and the foreign-invites warning.
fn counters(out: &mut String, r: &RunResults) {
    // One scenario's counters: the pub/sub ones when a message was counted.
    let pubsub = Counter::ALL
        .iter()
        .any(|&c| c.is_pubsub() && r.counter(c) > 0);
    let counters: Vec<String> = Counter::ALL
        .iter()
        .filter(|&&c| if pubsub { !c.is_gws() } else { !c.is_pubsub() })
        .map(|&c| format!("{} {}", c.name(), r.counter(c)))
        .collect();
    let _ = writeln!(out, "counters: {}", counters.join(", "));
    if let Some(parts) = r.lost_parts() {
        let _ = writeln!(out, "lost: {parts}");
    }
    if let Some(warning) = r.foreign_warning() {
        let _ = writeln!(out, "warning: {warning}");
    }
}

/// The run's summary: latency table, counters, errors, generator health,
/// drift, gates and the verdict.
pub fn summary(r: &RunResults) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: {}\nrun {} (profile {}) against {}: {}, {}, {} intervals",
        r.verdict.headline(),
        r.reason,
        r.run.id,
        r.run.profile,
        r.run.target,
        r.agents_text(),
        format::duration_ms(r.run.duration_ms),
        r.intervals.len()
    );
    let shown = r.shown_percentiles(&TABLE_PERCENTILES);
    let _ = write!(out, "\n{:<16} {:>9}", "measurement", "count");
    for &q in &shown {
        let _ = write!(out, " {:>9}", percentile_label(q));
    }
    let _ = writeln!(out, " {:>9}", "max");
    for m in Measure::ALL {
        let p = r.percentiles(m);
        if p.count == 0 {
            continue;
        }
        let _ = write!(out, "{:<16} {:>9}", m.name(), p.count);
        for &q in &shown {
            let cell = r
                .percentile_us(m, q)
                .map_or_else(|| "-".to_string(), latency);
            let _ = write!(out, " {cell:>9}");
        }
        let _ = writeln!(out, " {:>9}", latency(p.max_us));
    }
    out.push('\n');
    counters(&mut out, r);
    if r.errors.is_empty() {
        let _ = writeln!(out, "errors: none");
    } else {
        let kinds: Vec<String> = r.errors.iter().map(|(k, n)| format!("{k} {n}")).collect();
        let _ = writeln!(
            out,
            "errors: {} ({} of requests): {}",
            r.error_total(),
            format::percent(r.error_ratio()),
            kinds.join(", ")
        );
    }
    let g = &r.generator;
    let _ = writeln!(
        out,
        "generator: peak RSS {}, CPU {}, scheduler lag p99 {}",
        format::bytes(g.peak_rss_bytes),
        format::seconds(g.cpu_seconds),
        latency(g.scheduler_lag_p99_us)
    );
    for d in &r.drift {
        let _ = writeln!(out, "drift: {} {}", d.series, format::trend(d.pct_per_hour));
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
                    " (first failed {})",
                    format::window_ms(w.start_offset_ms, w.end_offset_ms)
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
    let _ = writeln!(out, "\n{}: {}", r.verdict.headline(), r.reason);
    out
}

/// A baseline comparison as a table: every row that is not unchanged, and
/// the p99 and outcome rows whatever their verdict; then the tally.
pub fn comparison(b: &BaselineComparison) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "compared with {} ({} confidence intervals; allowed change {}, ignoring latency changes under {}):",
        b.baseline,
        format::percent(b.confidence),
        format::percent(b.max_regression_pct / 100.0),
        latency(b.floor_us)
    );
    let shown = b
        .rows
        .iter()
        .filter(|r| r.verdict != RowVerdict::Unchanged || r.stat == "p99" || r.unit != RowUnit::Us);
    for row in shown {
        let (base, new) = row.values();
        let verdict = match row.verdict {
            RowVerdict::Regressed => "REGRESSED".to_string(),
            v => v.label().to_string(),
        };
        let _ = write!(
            out,
            "  {verdict:<15} {:<32} {:>9} -> {:>9} {:>7}",
            row.name(),
            base,
            new,
            row.change()
        );
        if let Some(i) = row.intervals() {
            let _ = write!(out, "  {i}");
        }
        if let Some(note) = &row.note {
            let _ = write!(out, "  ({note})");
        }
        out.push('\n');
    }
    let verdict = if b.passed {
        "no regression"
    } else {
        "regression"
    };
    let _ = writeln!(out, "{verdict} ({})", b.tally_text());
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
        assert!(text.starts_with("FAILED: gate invite_delivery.p99 < 80ms over 5s failed\n"));
        assert!(
            text.trim_end()
                .ends_with("FAILED: gate invite_delivery.p99 < 80ms over 5s failed")
        );
        assert!(text.contains("30 agents, 30 connected at peak"), "{text}");
    }

    #[test]
    fn the_profiles_percentiles_choose_the_columns() {
        let mut r = RunResults::example();
        let default = summary(&r);
        assert!(default.contains("p50") && default.contains("p99.9"));
        r.profile_toml = Some("name = \"x\"\n[report]\npercentiles = [50, 99.99]\n".into());
        let text = summary(&r);
        let header = text.lines().find(|l| l.starts_with("measurement")).unwrap();
        let columns: Vec<&str> = header.split_whitespace().collect();
        assert_eq!(columns, ["measurement", "count", "p50", "p99.99", "max"]);
        let p9999 = r
            .histogram(Measure::InviteDelivery)
            .unwrap()
            .value_at_quantile(0.9999);
        let row = text
            .lines()
            .find(|l| l.starts_with("invite_delivery"))
            .unwrap();
        assert!(row.contains(&latency(p9999)), "{row}");
        // Without histograms only the stored statistics exist.
        r.histograms = None;
        let row = summary(&r)
            .lines()
            .find(|l| l.starts_with("invite_delivery"))
            .map(str::to_owned)
            .unwrap();
        // invite_delivery, 240, 61.2, ms, then the p99.99 cell.
        assert_eq!(row.split_whitespace().nth(4), Some("-"), "{row}");
    }
}
