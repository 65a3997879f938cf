//! `summary.md`: a compact Markdown summary for CI job pages (GitHub's step
//! summary, GitLab MR notes): the verdict first, the figures people ask
//! about, the gates, then one line per measurement.

use std::fmt::Write as _;

use crate::error::Error;
use crate::metrics::{Counter, Measure};
use crate::report::export::Export;
use crate::report::model::{RunResults, percentile_label};
use crate::units::format;

/// Columns when the profile does not say (`[report] percentiles`).
const TABLE_PERCENTILES: [f64; 4] = [50.0, 90.0, 99.0, 99.9];

/// Writes `summary.md` (the [`Export`] the run and `agentload report` use).
#[derive(Debug, Clone, Copy, Default)]
pub struct SummaryMd;

impl Export for SummaryMd {
    fn file_name(&self) -> &'static str {
        "summary.md"
    }

    fn render(&self, results: &RunResults) -> Result<Vec<u8>, Error> {
        Ok(write(results))
    }
}

/// Renders `summary.md` for `results`.
pub fn write(results: &RunResults) -> Vec<u8> {
    render(results).into_bytes()
}

/// Escapes text for a Markdown table cell: no HTML (job pages render it),
/// no emphasis or links, no cell break.
fn cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '|' => out.push_str("\\|"),
            '\n' | '\r' => out.push(' '),
            '\\' | '`' | '*' | '_' | '[' | ']' | '#' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// A code span in a table cell (rules read best in monospace). Inside a
/// code span nothing is interpreted but `|`, which GitHub still treats as a
/// cell break; a text with backticks falls back to an escaped plain cell.
fn code(text: &str) -> String {
    if text.contains('`') || text.contains('\n') {
        cell(text)
    } else {
        format!("`{}`", text.replace('|', "\\|"))
    }
}

fn mark(passed: bool) -> &'static str {
    if passed { "✅" } else { "❌" }
}

/// [`write`], as a string: the verdict, the key figures, then the gates,
/// the baseline, every measurement and the notes.
pub fn render(r: &RunResults) -> String {
    let mut out = String::with_capacity(4096);
    verdict(&mut out, r);
    saturation_warning(&mut out, r);
    if let Some(warning) = r.foreign_warning() {
        let _ = writeln!(out, "> [!WARNING]\n> {warning}\n");
    }
    key_figures(&mut out, r);
    gates(&mut out, r);
    baseline(&mut out, r);
    measurements(&mut out, r);
    notes(&mut out, r);
    out
}

/// The heading with the verdict and the line of run facts under it.
fn verdict(out: &mut String, r: &RunResults) {
    let run = &r.run;
    let failed = r.gates.iter().filter(|g| !g.passed).count();
    let _ = writeln!(
        out,
        "## {} agentload {}: {}\n\n**{}**: {}\n",
        mark(r.passed),
        cell(&run.profile),
        r.verdict.headline(),
        r.verdict.name(),
        cell(&r.reason)
    );
    let gates = match (r.gates.len(), failed) {
        (0, _) => "no gates".to_owned(),
        (n, 0) => format!("{n} of {n} gates passed"),
        (n, f) => format!("**{f} of {n} gates failed**"),
    };
    let baseline = match &r.baseline {
        Some(b) if !b.passed => " · **slower than baseline**",
        Some(_) => " · baseline held",
        None => "",
    };
    let _ = writeln!(
        out,
        "{gates}{baseline} · run {} · {} · {} · started {} UTC\n",
        code(&run.id),
        format::duration_ms(run.duration_ms),
        r.agents_text(),
        cell(&format::readable_utc(&run.started_at)),
    );
}

fn saturation_warning(out: &mut String, r: &RunResults) {
    if r.generator.doubtful {
        let _ = writeln!(
            out,
            "> [!WARNING]\n> The load generator was saturated in {} of {} intervals (scheduler lag p99 up to {}, CPU up to {}): latencies include its own delay.\n",
            r.generator.doubtful_intervals,
            r.intervals.len(),
            format::latency_us(r.generator.scheduler_lag_p99_us as f64),
            format::percent(r.generator.peak_cpu_percent / 100.0)
        );
    }
}

/// The figures people ask about first, in one table row.
fn key_figures(out: &mut String, r: &RunResults) {
    let invite = r.percentiles(Measure::InviteDelivery);
    let cycle = r.percentiles(Measure::ConnectCycle);
    let lat = |n: u64, us: u64| {
        if n == 0 {
            format::NO_VALUE.to_owned()
        } else {
            format::latency_us(us as f64)
        }
    };
    let lost = r.counter(Counter::InteractionsLost);
    out.push_str("| invite_delivery p50 | invite_delivery p99 | connect_cycle p99 | offered | lost | errors |\n|---:|---:|---:|---:|---:|---:|\n");
    let _ = writeln!(
        out,
        "| {} | {} | {} | {} | {}{} | {} ({}) |\n",
        lat(invite.count, invite.p50_us),
        lat(invite.count, invite.p99_us),
        lat(cycle.count, cycle.p99_us),
        format::rate(r.counter(Counter::InvitesOffered) as f64 / r.seconds()),
        format::count(lost),
        r.lost_parts()
            .map_or_else(String::new, |parts| format!(" ❌ ({parts})")),
        format::count(r.error_total()),
        format::percent(r.error_ratio()),
    );
}

fn gates(out: &mut String, r: &RunResults) {
    if r.gates.is_empty() {
        return;
    }
    out.push_str(
        "### Gates\n\n|  | rule | observed | expected | failed window |\n|---|---|---:|---:|---|\n",
    );
    for g in &r.gates {
        let window = g.window.map_or(format::NO_VALUE.to_owned(), |w| {
            format::window_ms(w.start_offset_ms, w.end_offset_ms)
        });
        let observed = match &g.note {
            Some(note) => format!("{} ({})", g.observed, note),
            None => g.observed.clone(),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            mark(g.passed),
            code(&g.rule),
            cell(&observed),
            cell(&g.expected),
            window
        );
    }
    out.push('\n');
}

fn baseline(out: &mut String, r: &RunResults) {
    let Some(b) = &r.baseline else { return };
    let _ = writeln!(
        out,
        "### Baseline {}\n\n{}. Each value with its {} confidence interval; allowed change {}, latency changes under {} never count.\n\n|  | measurement | baseline | this run | change | verdict |\n|---|---|---:|---:|---:|---|",
        code(&b.baseline),
        b.tally_text(),
        format::percent(b.confidence),
        format::percent(b.max_regression_pct / 100.0),
        format::latency_us(b.floor_us as f64)
    );
    for row in &b.rows {
        let (base, new) = row.values();
        let range = |i: Option<[f64; 2]>| {
            i.map_or(String::new(), |[lo, hi]| {
                format!(" ({}–{})", row.unit.text(lo), row.unit.text(hi))
            })
        };
        let verdict = match &row.note {
            Some(note) => format!("{} ({note})", row.verdict.label()),
            None => row.verdict.label().to_string(),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {}{} | {}{} | {} | {} |",
            mark(!row.regressed()),
            code(&row.name()),
            base,
            range(row.baseline_interval),
            new,
            range(row.new_interval),
            row.change(),
            verdict
        );
    }
    out.push('\n');
}

/// One row per measurement that recorded something, in the profile's
/// percentile columns.
fn measurements(out: &mut String, r: &RunResults) {
    let shown = r.shown_percentiles(&TABLE_PERCENTILES);
    out.push_str("### Measurements\n\n| measurement | count |");
    for &q in &shown {
        let _ = write!(out, " {} |", percentile_label(q));
    }
    out.push_str(" max |\n|---|---:|");
    for _ in &shown {
        out.push_str("---:|");
    }
    out.push_str("---:|\n");
    for m in Measure::ALL {
        let p = r.percentiles(m);
        if p.count == 0 {
            continue;
        }
        let _ = write!(out, "| {} | {} |", code(m.name()), format::count(p.count));
        for &q in &shown {
            let cell = r.percentile_us(m, q).map_or_else(
                || format::NO_VALUE.to_string(),
                |us| format::latency_us(us as f64),
            );
            let _ = write!(out, " {cell} |");
        }
        let _ = writeln!(out, " {} |", format::latency_us(p.max_us as f64));
    }
}

fn notes(out: &mut String, r: &RunResults) {
    if !r.notes.is_empty() {
        out.push_str("\n### Notes\n\n");
        for n in &r.notes {
            let _ = writeln!(out, "- {}", cell(n));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixtures::example;

    /// The example run's `summary.md`, checked by hand (and rendered on a
    /// Markdown previewer): verdict line, key figures, both gates, the
    /// baseline row, the eleven measurements.
    const GOLDEN: &str = r#"## ❌ agentload smoke: FAILED

**failed**: gate invite\_delivery.p99 &lt; 80ms over 5s failed

**1 of 2 gates failed** · baseline held · run `smoke-20261124T140000Z` · 12 s · 30 agents, 30 connected at peak · started 2026-11-24 14:00:00 UTC

| invite_delivery p50 | invite_delivery p99 | connect_cycle p99 | offered | lost | errors |
|---:|---:|---:|---:|---:|---:|
| 61.2 ms | 87.6 ms | 30.6 ms | 20.0/s | 0 | 4 (0.344%) |

### Gates

|  | rule | observed | expected | failed window |
|---|---|---:|---:|---|
| ✅ | `interactions_lost == 0` | 0 | == 0 | – |
| ❌ | `invite_delivery.p99 < 80ms over 5s` | 89.3 ms | &lt; 80ms | 2 s – 7 s |

### Baseline `reports/smoke-20261123T140000Z`

1 unchanged. Each value with its 99.0% confidence interval; allowed change 10.0%, latency changes under 1.00 ms never count.

|  | measurement | baseline | this run | change | verdict |
|---|---|---:|---:|---:|---|
| ✅ | `invite_delivery.p99` | 70.0 ms (66.0 ms–75.0 ms) | 72.0 ms (68.0 ms–77.0 ms) | +2.9% | unchanged |

### Measurements

| measurement | count | p50 | p90 | p99 | p99.9 | max |
|---|---:|---:|---:|---:|---:|---:|
| `invite_delivery` | 240 | 61.2 ms | 77.2 ms | 87.6 ms | 91.1 ms | 91.1 ms |
| `connect_cycle` | 600 | 15.9 ms | 27.5 ms | 30.6 ms | 30.8 ms | 30.8 ms |
| `connect_held` | 60 | 30.0 s | 30.0 s | 30.0 s | 30.0 s | 30.0 s |
| `connect_gap` | 600 | 239 µs | 409 µs | 447 µs | 448 µs | 448 µs |
| `accept` | 180 | 7.17 ms | 9.51 ms | 9.92 ms | 9.93 ms | 9.93 ms |
| `reject` | 60 | 3.96 ms | 4.88 ms | 4.99 ms | 4.99 ms | 4.99 ms |
| `complete` | 168 | 3.52 ms | 4.23 ms | 4.45 ms | 4.49 ms | 4.49 ms |
| `ready` | 30 | 7.04 ms | 8.71 ms | 8.97 ms | 8.97 ms | 8.97 ms |
| `handshake` | 30 | 1.94 ms | 2.41 ms | 2.49 ms | 2.49 ms | 2.49 ms |
| `subscribe` | 60 | 1.02 ms | 1.29 ms | 1.30 ms | 1.30 ms | 1.30 ms |
| `session_start` | 30 | 4.02 ms | 4.89 ms | 4.96 ms | 4.96 ms | 4.96 ms |
| `injection_lag` | 240 | 172 µs | 290 µs | 318 µs | 319 µs | 319 µs |
"#;

    #[test]
    fn example_run_matches_golden() {
        assert_eq!(render(&example()), GOLDEN);
    }

    #[test]
    fn cells_cannot_break_the_table_or_inject_html() {
        assert_eq!(
            cell("a|b <i>x</i> *y* [l](u)\nz"),
            "a\\|b &lt;i&gt;x&lt;/i&gt; \\*y\\* \\[l\\](u) z"
        );
        assert_eq!(code("a | b"), "`a \\| b`");
        assert_eq!(code("has ` tick"), "has \\` tick");
    }

    #[test]
    fn passed_run_without_gates_and_doubtful_generator() {
        let mut r = example();
        r.set_verdicts(Vec::new(), None);
        r.generator.doubtful_intervals = 12;
        r.generator.doubtful = true;
        r.generator.scheduler_lag_p99_us = 75_000;
        let md = render(&r);
        assert!(md.starts_with(
            "## ✅ agentload smoke: PASSED\n\n**passed**: the plan ran to its end; no gate was set\n\nno gates · run"
        ));
        assert!(!md.contains("### Gates") && !md.contains("### Baseline"));
        assert!(md.contains(
            "> [!WARNING]\n> The load generator was saturated in 12 of 12 intervals (scheduler lag p99 up to 75.0 ms"
        ));
    }
}
