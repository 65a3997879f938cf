//! `report.html`: one self-contained page (inline CSS, inline SVG, no
//! script, no `http(s)://` reference of any kind), so it opens offline from a
//! CI artifact years later and looks the same.
//!
//! Reading order follows the questions a performance engineer asks: did it
//! pass (verdict, gates), how fast (percentile curves), did it hold up over
//! time (latency, throughput, agents, errors), can the numbers be trusted
//! (generator health), then the reference tables and the profile itself.

mod charts;
mod style;

use std::fmt::Write as _;

use crate::error::Error;
use crate::metrics::{Counter, Measure};
use crate::report::export::Export;
use crate::report::model::{FailedWindow, RunResults};
use crate::report::svg::escape;
use crate::units::format;

/// Writes `report.html` (the [`Export`] the run and `agentload report` use).
#[derive(Debug, Clone, Default)]
pub struct ReportHtml {
    /// The profile's TOML text as the run used it, shown at the end of the
    /// page; `None` when it is not known (e.g. rebuilt from an old run).
    pub profile: Option<String>,
}

impl Export for ReportHtml {
    fn file_name(&self) -> &'static str {
        "report.html"
    }

    fn render(&self, results: &RunResults) -> Result<Vec<u8>, Error> {
        Ok(write(
            results,
            self.profile.as_deref().or(results.profile_toml.as_deref()),
        ))
    }
}

/// Renders `report.html` for `results`. `profile` is the profile's TOML text
/// as the run used it, shown verbatim (escaped) at the end of the page.
pub fn write(results: &RunResults, profile: Option<&str>) -> Vec<u8> {
    render(results, profile).into_bytes()
}

/// [`write`], as a string.
pub fn render(results: &RunResults, profile: Option<&str>) -> String {
    let mut out = String::with_capacity(64 * 1024);
    let run = &results.run;
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/><title>{} · {} · agentload</title><style>{}</style></head><body><main>",
        results.verdict.headline(),
        escape(&run.profile),
        style::CSS
    );
    header(&mut out, results);
    notes(&mut out, results);
    out.push_str(
        "<nav class=\"toc\"><a href=\"#gates\">Gates</a><a href=\"#distribution\">Latency distribution</a><a href=\"#over-time\">Latency over time</a><a href=\"#throughput\">Throughput and agents</a><a href=\"#errors\">Errors</a><a href=\"#generator\">Generator health</a><a href=\"#measurements\">Measurements</a><a href=\"#profile\">Profile</a></nav>",
    );
    gates(&mut out, results);
    baseline(&mut out, results);
    chart_section(
        &mut out,
        "distribution",
        "Latency distribution",
        "Whole run. The percentile axis gives each nine equal room (90%, 99%, 99.9% ...), as HdrHistogram plots do; its right end is the maximum. Measurements far apart share a log-scaled latency axis.",
        charts::percentile_charts(results),
    );
    chart_section(
        &mut out,
        "over-time",
        "Latency over time",
        "Per interval; a gap is an interval without samples.",
        charts::OVER_TIME
            .iter()
            .map(|&m| charts::latency_over_time(results, m))
            .collect(),
    );
    chart_section(
        &mut out,
        "throughput",
        "Throughput and agents",
        "Counts per second in each interval; agents and work in flight at each interval's end.",
        vec![charts::throughput(results), charts::agents(results)],
    );
    errors(&mut out, results);
    generator(&mut out, results);
    measurements(&mut out, results);
    counters(&mut out, results);
    profile_section(&mut out, profile);
    let _ = writeln!(
        out,
        "<footer>agentload {} · run {}</footer></main></body></html>",
        escape(&run.tool_version),
        escape(&run.id)
    );
    out
}

fn fact(out: &mut String, label: &str, value: &str, bad: bool) {
    let _ = write!(
        out,
        "<div{}><dt>{}</dt><dd>{}</dd></div>",
        if bad { " class=\"bad\"" } else { "" },
        escape(label),
        escape(value)
    );
}

fn header(out: &mut String, r: &RunResults) {
    let run = &r.run;
    let failed_gates = r.gates.iter().filter(|g| !g.passed).count();
    let detail = match (r.gates.len(), failed_gates) {
        (0, _) => "no gates set".to_owned(),
        (n, 0) => format!("{n} of {n} gates passed"),
        (n, f) => format!("{f} of {n} gates failed"),
    };
    let detail = match &r.baseline {
        Some(b) if !b.passed => format!("{detail}; slower than baseline"),
        Some(_) => format!("{detail}; baseline held"),
        None => detail,
    };
    let class = if r.passed { "passed" } else { "failed" };
    let word = r.verdict.headline();
    let _ = write!(
        out,
        "<header class=\"run\"><div><h1>{}</h1><p class=\"sub\">agentload run <code>{}</code> against {}</p></div><div class=\"verdict {class}\" role=\"status\">{word}<small>{}</small></div><p class=\"reason reason-{class}\" id=\"reason\" data-verdict=\"{}\">{}</p><dl class=\"facts\">",
        escape(&run.profile),
        escape(&run.id),
        escape(&run.target),
        escape(&detail),
        r.verdict.name(),
        escape(&r.reason),
    );
    run_facts(out, r);
    out.push_str("</dl></header>");
}

/// The facts under the verdict: when, how long, how much, how fast.
fn run_facts(out: &mut String, r: &RunResults) {
    let run = &r.run;
    let lost = r.counter(Counter::InteractionsLost);
    let errors = r.error_total();
    let invite = r.percentiles(Measure::InviteDelivery);
    let invite_text = if invite.count == 0 {
        format::NO_VALUE.to_owned()
    } else {
        format!(
            "{} / {}",
            format::latency_us(invite.p50_us as f64),
            format::latency_us(invite.p99_us as f64)
        )
    };
    let counted = |c: Counter| format::count(r.counter(c));
    let facts = [
        (
            "Started (UTC)",
            format::readable_utc(&run.started_at),
            false,
        ),
        ("Duration", format::duration_ms(run.duration_ms), false),
        (
            "Agents planned",
            format::count(u64::from(run.agents)),
            false,
        ),
        (
            "Agents connected (peak)",
            format::count(u64::from(r.agents_connected_peak())),
            r.agents_connected_peak() == 0 && run.agents > 0,
        ),
        (
            "Interactions injected",
            counted(Counter::InteractionsInjected),
            false,
        ),
        ("Invites offered", counted(Counter::InvitesOffered), false),
        ("Accepted", counted(Counter::InvitesAccepted), false),
        (
            "Lost",
            r.lost_parts().map_or_else(
                || format::count(lost),
                |parts| format!("{} ({parts})", format::count(lost)),
            ),
            lost > 0,
        ),
        (
            "Errors",
            format!(
                "{} ({})",
                format::count(errors),
                format::percent(r.error_ratio())
            ),
            errors > 0,
        ),
        ("invite_delivery p50 / p99", invite_text, false),
        (
            "Throughput (offered)",
            format::rate(r.counter(Counter::InvitesOffered) as f64 / r.seconds()),
            false,
        ),
        ("Interval", format::duration_ms(run.interval_ms), false),
        ("Tool version", run.tool_version.clone(), false),
    ];
    for (label, value, bad) in facts {
        fact(out, label, &value, bad);
    }
}

fn doubtful_warning(out: &mut String, r: &RunResults) {
    let g = &r.generator;
    let _ = write!(
        out,
        "<div class=\"warning\" role=\"alert\"><strong>⚠ Measurements doubtful: the load generator was saturated.</strong> In {} of {} intervals its scheduler lag (p99 up to {}) or CPU (up to {}) was high enough that latencies include the generator's own delay. Use fewer agents per generator or a bigger machine before trusting the tail.</div>",
        format::count(g.doubtful_intervals),
        format::count(r.intervals.len() as u64),
        escape(&format::latency_us(g.scheduler_lag_p99_us as f64)),
        format::percent(g.peak_cpu_percent / 100.0),
    );
}

fn notes(out: &mut String, r: &RunResults) {
    if r.generator.doubtful {
        doubtful_warning(out, r);
    }
    if let Some(warning) = r.foreign_warning() {
        let _ = write!(
            out,
            "<div class=\"warning\" role=\"alert\"><strong>⚠ Invites of another run.</strong> {}</div>",
            escape(&warning)
        );
    }
    if !r.notes.is_empty() {
        out.push_str("<section class=\"notes\"><h2>Notes</h2><ul class=\"notes\">");
        for n in &r.notes {
            let _ = write!(out, "<li>{}</li>", escape(n));
        }
        out.push_str("</ul></section>");
    }
}

fn window(w: Option<FailedWindow>) -> String {
    match w {
        Some(w) => format::window_ms(w.start_offset_ms, w.end_offset_ms),
        None => format::NO_VALUE.to_owned(),
    }
}

fn pill(passed: bool) -> &'static str {
    if passed {
        "<span class=\"pill pass\">pass</span>"
    } else {
        "<span class=\"pill fail\">FAIL</span>"
    }
}

fn gates(out: &mut String, r: &RunResults) {
    out.push_str("<section id=\"gates\"><h2>Gates</h2>");
    if r.gates.is_empty() {
        out.push_str("<p class=\"muted\">No gates were set, so the run passes on any result. Add <code>[[gates]]</code> to the profile or <code>--gate \"invite_delivery.p99 &lt; 250ms\"</code> to the command line.</p></section>");
        return;
    }
    out.push_str("<div class=\"table-wrap\"><table class=\"gates\"><thead><tr><th>rule</th><th class=\"num\">observed</th><th class=\"num\">expected</th><th>result</th><th>failed window</th><th>note</th></tr></thead><tbody>");
    for g in &r.gates {
        let _ = write!(
            out,
            "<tr{}><td class=\"rule\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            if g.passed { "" } else { " class=\"fail\"" },
            escape(&g.rule),
            escape(&g.observed),
            escape(&g.expected),
            pill(g.passed),
            escape(&window(g.window)),
            escape(g.note.as_deref().unwrap_or("")),
        );
    }
    out.push_str("</tbody></table></div></section>");
}

fn baseline(out: &mut String, r: &RunResults) {
    let Some(b) = &r.baseline else { return };
    let _ = write!(
        out,
        "<section id=\"baseline\"><h2>Compared with baseline {}</h2><p>{} {}. Intervals at {} confidence; allowed change {}, latency changes under {} never count.</p><div class=\"table-wrap\"><table><thead><tr><th>measurement</th><th>stat</th><th class=\"num\">baseline</th><th class=\"num\">this run</th><th class=\"num\">change</th><th>intervals</th><th>verdict</th></tr></thead><tbody>",
        escape(&b.baseline),
        pill(b.passed),
        escape(&b.tally_text()),
        format::percent(b.confidence),
        format::percent(b.max_regression_pct / 100.0),
        escape(&format::latency_us(b.floor_us as f64)),
    );
    for row in &b.rows {
        let (base, new) = row.values();
        let verdict = match &row.note {
            Some(note) => format!("{} ({note})", row.verdict.label()),
            None => row.verdict.label().to_string(),
        };
        let _ = write!(
            out,
            "<tr{}><td class=\"name\">{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"muted\">{}</td><td>{}</td></tr>",
            if row.regressed() {
                " class=\"fail\""
            } else {
                ""
            },
            escape(&row.metric),
            escape(&row.stat),
            escape(&base),
            escape(&new),
            escape(&row.change()),
            escape(&row.intervals().unwrap_or_default()),
            escape(&verdict),
        );
    }
    out.push_str("</tbody></table></div></section>");
}

fn chart_section(out: &mut String, id: &str, title: &str, caption: &str, charts: Vec<String>) {
    let _ = write!(
        out,
        "<section id=\"{id}\"><h2>{}</h2><p class=\"muted\">{}</p><div class=\"charts\">",
        escape(title),
        escape(caption)
    );
    for svg in charts {
        let _ = write!(out, "<figure>{svg}</figure>");
    }
    out.push_str("</div></section>");
}

fn errors(out: &mut String, r: &RunResults) {
    out.push_str("<section id=\"errors\"><h2>Errors</h2><div class=\"charts\"><figure>");
    out.push_str(&charts::errors_over_time(r));
    out.push_str("</figure><div>");
    let kinds = charts::error_kinds(r);
    if kinds.is_empty() {
        out.push_str("<p class=\"muted\">No errors.</p>");
    } else {
        let total = r.error_total().max(1) as f64;
        out.push_str("<div class=\"table-wrap\"><table><thead><tr><th>kind</th><th class=\"num\">count</th><th class=\"num\">share</th><th class=\"num\">rate</th></tr></thead><tbody>");
        for (kind, n) in kinds {
            let _ = write!(
                out,
                "<tr><td class=\"name\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                escape(kind),
                format::count(n),
                format::percent(n as f64 / total),
                format::rate(n as f64 / r.seconds()),
            );
        }
        out.push_str("</tbody></table></div>");
    }
    out.push_str("</div></div></section>");
}

fn generator(out: &mut String, r: &RunResults) {
    out.push_str("<section id=\"generator\"><h2>Generator health</h2>");
    if r.generator.doubtful {
        doubtful_warning(out, r);
    } else {
        out.push_str("<p class=\"muted\">The generator kept up: its scheduler lag and CPU stayed below the levels at which its own delay would distort the latencies.</p>");
    }
    let g = &r.generator;
    out.push_str("<dl class=\"facts\">");
    fact(out, "Peak RSS", &format::bytes(g.peak_rss_bytes), false);
    fact(out, "CPU time", &format::seconds(g.cpu_seconds), false);
    fact(
        out,
        "Peak CPU",
        &format::percent(g.peak_cpu_percent / 100.0),
        false,
    );
    fact(
        out,
        "Scheduler lag p99 (worst interval)",
        &format::latency_us(g.scheduler_lag_p99_us as f64),
        false,
    );
    fact(
        out,
        "Scheduler lag max",
        &format::latency_us(g.scheduler_lag_max_us as f64),
        false,
    );
    fact(
        out,
        "Saturated intervals",
        &format::count(g.doubtful_intervals),
        g.doubtful_intervals > 0,
    );
    out.push_str("</dl><div class=\"charts\">");
    for svg in charts::generator(r) {
        let _ = write!(out, "<figure>{svg}</figure>");
    }
    out.push_str("</div></section>");
}

fn measurements(out: &mut String, r: &RunResults) {
    out.push_str("<section id=\"measurements\"><h2>Measurements</h2><div class=\"table-wrap\"><table><thead><tr><th>measurement</th><th class=\"num\">count</th><th class=\"num\">min</th><th class=\"num\">mean</th><th class=\"num\">p50</th><th class=\"num\">p90</th><th class=\"num\">p95</th><th class=\"num\">p99</th><th class=\"num\">p99.9</th><th class=\"num\">max</th></tr></thead><tbody>");
    for m in Measure::ALL {
        let p = r.percentiles(m);
        if p.count == 0 {
            let _ = write!(
                out,
                "<tr class=\"muted\"><td class=\"name\">{}</td><td class=\"num\">0</td><td class=\"num\" colspan=\"8\">no samples</td></tr>",
                m.name()
            );
            continue;
        }
        let _ = write!(
            out,
            "<tr><td class=\"name\">{}</td><td class=\"num\">{}</td>",
            m.name(),
            format::count(p.count)
        );
        for us in [
            p.min_us as f64,
            p.mean_us,
            p.p50_us as f64,
            p.p90_us as f64,
            p.p95_us as f64,
            p.p99_us as f64,
            p.p999_us as f64,
            p.max_us as f64,
        ] {
            let _ = write!(out, "<td class=\"num\">{}</td>", format::latency_us(us));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table></div></section>");
}

fn counters(out: &mut String, r: &RunResults) {
    out.push_str("<section id=\"counters\"><h2>Counters</h2><div class=\"table-wrap\"><table><thead><tr><th>counter</th><th class=\"num\">total</th><th class=\"num\">rate</th></tr></thead><tbody>");
    for c in Counter::ALL {
        let n = r.counter(c);
        let bad = c == Counter::InteractionsLost && n > 0;
        let _ = write!(
            out,
            "<tr{}><td class=\"name\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            if bad { " class=\"fail\"" } else { "" },
            c.name(),
            format::count(n),
            format::rate(n as f64 / r.seconds()),
        );
    }
    out.push_str("</tbody></table></div>");
    if !r.drift.is_empty() {
        out.push_str("<h3>Drift over the run</h3><div class=\"table-wrap\"><table><thead><tr><th>series</th><th class=\"num\">trend</th><th class=\"num\">median</th><th class=\"num\">intervals</th></tr></thead><tbody>");
        for d in &r.drift {
            let _ = write!(
                out,
                "<tr><td class=\"name\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                escape(&d.series),
                format::trend(d.pct_per_hour),
                format_median(&d.series, d.median),
                format::count(d.intervals as u64),
            );
        }
        out.push_str("</tbody></table></div>");
    }
    out.push_str("</section>");
}

/// Drift medians are µs for latency series and a rate for `errors.rate`.
fn format_median(series: &str, median: f64) -> String {
    if series.ends_with(".rate") {
        format::rate(median)
    } else {
        format::latency_us(median)
    }
}

fn profile_section(out: &mut String, profile: Option<&str>) {
    out.push_str("<section id=\"profile\"><h2>Profile</h2>");
    match profile {
        Some(text) => {
            let _ = write!(out, "<pre class=\"profile\">{}</pre>", escape(text));
        }
        None => out
            .push_str("<p class=\"muted\">The profile's text was not recorded with this run.</p>"),
    }
    out.push_str("</section>");
}
