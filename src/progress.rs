//! The live view of a run. On a terminal: a ramp bar (agents now vs target),
//! an elapsed/remaining bar and a few live lines, redrawn at most a few times
//! a second (indicatif). Elsewhere (CI logs, `| tee`): one plain,
//! grep-friendly line per period, without escape codes. The measuring code
//! knows nothing of this: it hands over interval summaries.

use std::fmt::Write as _;
use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::metrics::{Counter, Gauge, Measure};
use crate::report::model::IntervalSummary;
use crate::units::format;

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Bars and live lines on a terminal.
    Terminal,
    /// One plain line every `every`.
    Plain {
        /// Time between two lines.
        every: Duration,
    },
    /// Nothing until the final summary.
    Quiet,
}

impl Mode {
    /// Terminal when stderr is one, plain lines every 10 s otherwise, unless quiet.
    pub fn detect(quiet: bool) -> Mode {
        if quiet {
            Mode::Quiet
        } else if std::io::stderr().is_terminal() {
            Mode::Terminal
        } else {
            Mode::Plain {
                every: Duration::from_secs(10),
            }
        }
    }
}

/// The live view of one run.
pub struct Progress {
    mode: Mode,
    verbose: bool,
    total: Duration,
    peak_agents: u32,
    bars: Option<Bars>,
    /// Intervals not yet printed in plain mode, merged into one line.
    pending: Option<Window>,
}

/// Prints an announcement (e.g. "interrupted: stopping gracefully") from any
/// task: above the live bars on a terminal, so they are not torn apart, and
/// as a plain stderr line otherwise (even with `--quiet`: it matters).
#[derive(Clone)]
pub struct Announcer {
    multi: Option<MultiProgress>,
}

impl Announcer {
    /// An announcer that writes plain stderr lines.
    pub fn plain() -> Announcer {
        Announcer { multi: None }
    }

    /// Prints `line`.
    pub fn say(&self, line: &str) {
        match &self.multi {
            // The bars own the cursor: a direct write would be overdrawn
            // and leave a torn copy of the bars behind.
            Some(multi) => {
                if multi.println(line.trim_start_matches('\n')).is_err() {
                    crate::errln!("{line}");
                }
            }
            None => crate::errln!("{line}"),
        }
    }
}

struct Bars {
    multi: MultiProgress,
    agents: ProgressBar,
    time: ProgressBar,
    lines: [ProgressBar; 3],
}

/// Figures over the intervals since the last plain line.
#[derive(Debug, Clone, Default)]
struct Window {
    seconds: f64,
    end_offset_ms: u64,
    counters: [u64; Counter::ALL.len()],
    errors: std::collections::BTreeMap<String, u64>,
    last: Option<IntervalSummary>,
}

impl Progress {
    /// A view of a run lasting `total` (stages plus drain) with up to `peak_agents`.
    pub fn new(mode: Mode, total: Duration, peak_agents: u32, verbose: bool) -> Progress {
        let bars = (mode == Mode::Terminal).then(|| Bars::new(total, peak_agents));
        Progress {
            mode,
            verbose,
            total,
            peak_agents,
            bars,
            pending: None,
        }
    }

    /// Shows one interval; `target_agents` is what the plan wants right now.
    pub fn update(&mut self, interval: &IntervalSummary, target_agents: u32) {
        match self.mode {
            Mode::Quiet => {}
            Mode::Terminal => {
                if let Some(bars) = &self.bars {
                    bars.update(interval, target_agents, self.peak_agents, self.verbose);
                }
            }
            Mode::Plain { every } => {
                let window = self.pending.get_or_insert_with(Window::default);
                window.add(interval);
                if window.is_due(every, interval.seconds()) {
                    let line = plain_line(window, self.total, target_agents, self.verbose);
                    crate::errln!("{line}");
                    self.pending = None;
                }
            }
        }
    }

    /// Clears the live bars (the final summary is printed by the caller).
    pub fn finish(&mut self) {
        if let Some(bars) = self.bars.take() {
            bars.agents.finish_and_clear();
            bars.time.finish_and_clear();
            for line in &bars.lines {
                line.finish_and_clear();
            }
        }
        if let (Mode::Plain { .. }, Some(window)) = (self.mode, self.pending.take()) {
            crate::errln!("{}", plain_line(&window, self.total, 0, self.verbose));
        }
    }

    /// An [`Announcer`] that prints above this view's bars while they show.
    pub fn announcer(&self) -> Announcer {
        Announcer {
            multi: self.bars.as_ref().map(|b| b.multi.clone()),
        }
    }

    /// Prints a warning that must not be missed, above the bars on a terminal.
    pub fn warn(&self, message: &str) {
        match &self.bars {
            Some(bars) => bars.multi.suspend(|| crate::errln!("warning: {message}")),
            None if self.mode != Mode::Quiet => crate::errln!("warning: {message}"),
            None => {}
        }
    }
}

impl Bars {
    fn new(total: Duration, peak: u32) -> Bars {
        // A few redraws per second at most: no flicker, little CPU.
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr_with_hz(4));
        let agents = multi.add(ProgressBar::new(u64::from(peak.max(1))));
        agents.set_style(style("agents  [{bar:30.cyan/blue}] {pos}/{len} {msg}"));
        let time = multi.add(ProgressBar::new(total.as_secs().max(1)));
        time.set_style(style(
            "time    [{bar:30.green/white}] {elapsed_precise} elapsed, {msg}",
        ));
        let lines = [(); 3].map(|_| {
            let line = multi.add(ProgressBar::new(1));
            line.set_style(style("{msg}"));
            line
        });
        Bars {
            multi,
            agents,
            time,
            lines,
        }
    }

    fn update(&self, i: &IntervalSummary, target: u32, peak: u32, verbose: bool) {
        let connected = i.gauge(Gauge::AgentsConnected).max(0) as u64;
        self.agents.set_length(u64::from(peak.max(1)));
        self.agents.set_position(connected);
        self.agents.set_message(format!(
            "connected (target {target}), {} ready",
            i.gauge(Gauge::AgentsReady)
        ));
        let elapsed = (i.start_offset_ms + i.length_ms) / 1000;
        self.time.set_position(elapsed);
        let left = self.time.length().unwrap_or(0).saturating_sub(elapsed);
        self.time
            .set_message(format!("{} left", format::duration_ms(left * 1000)));
        self.lines[0].set_message(rates_text(&i.counters, i.seconds()));
        self.lines[1].set_message(latency_text(i));
        self.lines[2].set_message(health_text(i, &i.errors, i.seconds(), verbose));
    }
}

fn style(template: &str) -> ProgressStyle {
    // The templates are constants of this file; a bad one is a bug caught by the tests.
    ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
}

impl Window {
    /// True once the window is within half an interval of `every`: measured
    /// intervals run a hair short or long of their nominal length (9.999 s),
    /// and an exact comparison would skip every other line when the
    /// interval equals the period.
    fn is_due(&self, every: Duration, interval_seconds: f64) -> bool {
        self.seconds + interval_seconds / 2.0 >= every.as_secs_f64()
    }

    fn add(&mut self, i: &IntervalSummary) {
        self.seconds += i.seconds();
        self.end_offset_ms = i.start_offset_ms + i.length_ms;
        for (sum, c) in self.counters.iter_mut().zip(&i.counters) {
            *sum += c;
        }
        for (kind, n) in &i.errors {
            *self.errors.entry(kind.clone()).or_default() += n;
        }
        self.last = Some(i.clone());
    }
}

/// The plain line for a window of intervals: `key=value` pairs, stable order.
/// Rates carry their unit in the key (`offered/s=20.0`), every other value
/// is written by [`format`] (`p99=8.61 s`, `cpu=12.5%`).
fn plain_line(w: &Window, total: Duration, target: u32, verbose: bool) -> String {
    // Whole seconds: the clock of the run, not a measurement.
    let mut line = format!(
        "[{:>6}/{}]",
        format::duration_ms(w.end_offset_ms / 1000 * 1000),
        format::duration_ms(total.as_secs() * 1000)
    );
    if let Some(last) = &w.last {
        let _ = write!(
            line,
            " agents={}/{target} ready={}",
            last.gauge(Gauge::AgentsConnected),
            last.gauge(Gauge::AgentsReady)
        );
        let _ = write!(line, " {}", rates_text(&w.counters, w.seconds));
        let _ = write!(line, " {}", latency_text(last));
        let _ = write!(
            line,
            " {}",
            health_text(last, &w.errors, w.seconds, verbose)
        );
    }
    line
}

fn rates_text(counters: &[u64], seconds: f64) -> String {
    let rate =
        |c: Counter| counters.get(c.index()).copied().unwrap_or(0) as f64 / seconds.max(1e-3);
    if rate(Counter::MessagesPublished) > 0.0 || rate(Counter::MessagesDelivered) > 0.0 {
        return format!(
            "published/s={:.1} delivered/s={:.1} duplicate/s={:.1}",
            rate(Counter::MessagesPublished),
            rate(Counter::MessagesDelivered),
            rate(Counter::MessagesDuplicate),
        );
    }
    format!(
        "injected/s={:.1} offered/s={:.1} accepted/s={:.1} rejected/s={:.1} revoked/s={:.1}",
        rate(Counter::InteractionsInjected),
        rate(Counter::InvitesOffered),
        rate(Counter::InvitesAccepted),
        rate(Counter::InvitesRejected),
        rate(Counter::InvitesRevoked),
    )
}

fn latency_text(i: &IntervalSummary) -> String {
    let message = i.measure(Measure::MessageDelivery);
    let (name, invite) = if message.count > 0 {
        ("message_delivery", message)
    } else {
        ("invite_delivery", i.measure(Measure::InviteDelivery))
    };
    let connect = i.measure(Measure::ConnectCycle);
    format!(
        "{name} p50={} p99={} connect_cycle p50={} p99={}",
        latency(invite.count, invite.p50_us),
        latency(invite.count, invite.p99_us),
        latency(connect.count, connect.p50_us),
        latency(connect.count, connect.p99_us),
    )
}

fn health_text(
    i: &IntervalSummary,
    errors: &std::collections::BTreeMap<String, u64>,
    seconds: f64,
    verbose: bool,
) -> String {
    let total: u64 = errors.values().sum();
    let mut text = format!(
        "errors/s={:.1} cpu={} lag_p99={}",
        total as f64 / seconds.max(1e-3),
        format::percent(i.health.cpu_percent / 100.0),
        latency(1, i.health.scheduler_lag_p99_us)
    );
    if i.health.is_doubtful() {
        text.push_str(" GENERATOR-SATURATED");
    }
    if verbose {
        for (kind, n) in errors {
            let _ = write!(text, " error.{kind}={n}");
        }
    }
    text
}

/// A latency, or `-` when nothing was measured (a dash, not a zero).
fn latency(count: u64, us: u64) -> String {
    if count == 0 {
        "-".to_string()
    } else {
        format::latency_us(us as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{Cause, ErrorKind, Metrics};

    fn summary_with(offered: u64, invite_ms: u64) -> IntervalSummary {
        let metrics = Metrics::new();
        metrics.count(Counter::InvitesOffered, offered);
        metrics.count(Counter::InteractionsInjected, offered);
        for _ in 0..offered {
            metrics.record(Measure::InviteDelivery, Duration::from_millis(invite_ms));
        }
        metrics.error(ErrorKind::Exchange(Cause::Timeout));
        metrics.add_gauge(Gauge::AgentsConnected, 7);
        let mut s = IntervalSummary::of(&metrics.take_interval());
        s.length_ms = 1000;
        s
    }

    #[test]
    fn plain_lines_are_grep_friendly_and_free_of_escape_codes() {
        let mut w = Window::default();
        w.add(&summary_with(10, 5));
        w.add(&summary_with(30, 5));
        let line = plain_line(&w, Duration::from_secs(60), 9, true);
        assert!(!line.contains('\u{1b}'), "{line}");
        assert!(line.contains("agents=7/9"), "{line}");
        assert!(
            line.contains("offered/s=20.0"),
            "averaged over the window: {line}"
        );
        assert!(line.contains("invite_delivery p50=5.00 ms"), "{line}");
        assert!(
            line.contains("error.timeout=2"),
            "verbose lists errors by kind: {line}"
        );
        let quiet = plain_line(&w, Duration::from_secs(60), 9, false);
        assert!(!quiet.contains("error.timeout"), "{quiet}");
    }

    #[test]
    fn plain_mode_prints_one_line_per_period_despite_jitter() {
        let every = Duration::from_secs(10);
        // Intervals equal to the period, measured a hair short: each is due.
        let mut short = Window::default();
        let mut s = summary_with(1, 1);
        s.length_ms = 9_999;
        short.add(&s);
        assert!(short.is_due(every, s.seconds()));
        // One-second intervals: due on the tenth, not the ninth.
        let mut w = Window::default();
        let mut one = summary_with(1, 1);
        one.length_ms = 999;
        for n in 1..=10 {
            assert!(
                !w.is_due(every, one.seconds()),
                "due after {} intervals",
                n - 1
            );
            w.add(&one);
        }
        assert!(w.is_due(every, one.seconds()));
    }

    #[test]
    fn empty_measurements_show_a_dash_not_zero() {
        let w = Window {
            last: Some(summary_with(0, 0)),
            seconds: 1.0,
            ..Window::default()
        };
        let line = plain_line(&w, Duration::from_secs(1), 0, false);
        assert!(line.contains("invite_delivery p50=- p99=-"), "{line}");
    }

    #[test]
    fn bar_templates_are_valid() {
        for t in [
            "agents  [{bar:30.cyan/blue}] {pos}/{len} {msg}",
            "time    [{bar:30.green/white}] {elapsed_precise} elapsed, {msg}",
            "{msg}",
        ] {
            assert!(ProgressStyle::with_template(t).is_ok(), "{t}");
        }
    }
}
