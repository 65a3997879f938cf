//! The gate rule grammar (see the module docs of [`super`]).

use std::fmt;
use std::time::Duration;

use crate::metrics::{Counter, Measure};
use crate::report::model::Percentiles;
use crate::units::{format, parse_duration};

/// A malformed rule: which rule, where, and what was expected there.
#[derive(Debug, Clone, PartialEq)]
pub struct GateParseError {
    /// The rule as written.
    pub rule: String,
    /// 1-based character column of the problem.
    pub column: usize,
    /// What was expected there.
    pub expected: String,
    /// What was found there (empty at the end of the rule).
    pub found: String,
}

impl fmt::Display for GateParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let found = if self.found.is_empty() {
            "the end of the rule".to_string()
        } else {
            format!("{:?}", self.found)
        };
        write!(
            f,
            "invalid gate {:?}: at column {}: expected {}, found {}",
            self.rule, self.column, self.expected, found
        )
    }
}

impl std::error::Error for GateParseError {}

/// What a rule measures.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Subject {
    /// A measurement's latency statistic (µs): `invite_delivery.p99`.
    Latency(Measure, &'static str),
    /// How many values a measurement recorded.
    MeasureCount(Measure),
    /// Values per second a measurement recorded.
    MeasureRate(Measure),
    /// A counter's total.
    Counter(Counter),
    /// A counter's rate per second.
    CounterRate(Counter),
    /// Errors (of one kind, or all when `None`).
    Errors(Option<String>),
    /// Errors per second (of one kind, or all).
    ErrorsPerSecond(Option<String>),
    /// Errors per operation (fraction).
    ErrorRatio,
    /// Drift of a per-interval series, %/h (`invite_delivery.p99`, `errors.rate`).
    Drift(String),
}

/// A comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Op {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

impl Op {
    pub(super) fn holds(self, observed: f64, bound: f64) -> bool {
        match self {
            Op::Lt => observed < bound,
            Op::Le => observed <= bound,
            Op::Gt => observed > bound,
            Op::Ge => observed >= bound,
            Op::Eq => observed == bound,
            Op::Ne => observed != bound,
        }
    }

    /// True when a larger observed value is the worse one.
    pub(super) fn upper_bound(self) -> bool {
        matches!(self, Op::Lt | Op::Le | Op::Eq | Op::Ne)
    }

    fn symbol(self) -> &'static str {
        match self {
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Eq => "==",
            Op::Ne => "!=",
        }
    }
}

/// The unit observed values are expressed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Unit {
    Micros,
    Count,
    Ratio,
    PerSecond,
    PctPerHour,
}

impl Unit {
    /// An observed value as every report shows it ([`crate::units::format`]).
    pub(super) fn format(self, v: f64) -> String {
        match self {
            Unit::Micros => format::latency_us(v),
            Unit::Count => format::number(v),
            Unit::Ratio => format::percent(v),
            Unit::PerSecond => format::rate(v),
            Unit::PctPerHour => format::trend(v),
        }
    }
}

/// Where a rule applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Window {
    /// The whole run.
    Run,
    /// Every interval on its own.
    EachInterval,
    /// Every sliding window of this length.
    Sliding(Duration),
}

/// A parsed gate rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Gate {
    /// The rule as written (trimmed).
    pub rule: String,
    pub(super) subject: Subject,
    pub(super) op: Op,
    /// The bound, in `unit`.
    pub(super) bound: f64,
    pub(super) unit: Unit,
    /// The bound as written (`250ms`), for reports.
    pub(super) bound_text: String,
    pub(super) window: Window,
}

impl Gate {
    /// The measurement whose per-interval histograms this gate needs (a
    /// latency statistic judged per interval or per sliding window).
    pub fn windowed_measure(&self) -> Option<Measure> {
        match (&self.subject, self.window) {
            (_, Window::Run) => None,
            (Subject::Latency(m, _), _) => Some(*m),
            _ => None,
        }
    }

    /// The expectation as shown in reports (`< 250ms`).
    pub fn expected(&self) -> String {
        format!("{} {}", self.op.symbol(), self.bound_text)
    }
}

struct Cursor<'a> {
    rule: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn rest(&self) -> &'a str {
        &self.rule[self.pos..]
    }

    fn skip_ws(&mut self) {
        let rest = self.rest();
        self.pos += rest.len() - rest.trim_start().len();
    }

    fn take_while(&mut self, f: impl Fn(char) -> bool) -> (usize, &'a str) {
        let start = self.pos;
        let len = self
            .rest()
            .find(|c: char| !f(c))
            .unwrap_or(self.rest().len());
        self.pos += len;
        (start, &self.rule[start..self.pos])
    }

    fn eat(&mut self, s: &str) -> bool {
        if self.rest().starts_with(s) {
            self.pos += s.len();
            true
        } else {
            false
        }
    }

    /// Eats a whole word (followed by whitespace or the end).
    fn eat_word(&mut self, word: &str) -> bool {
        let rest = self.rest();
        if rest.starts_with(word)
            && rest[word.len()..]
                .chars()
                .next()
                .is_none_or(char::is_whitespace)
        {
            self.pos += word.len();
            true
        } else {
            false
        }
    }

    fn error(&self, at: usize, expected: impl Into<String>) -> GateParseError {
        let found: String = self.rule[at..]
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_string();
        GateParseError {
            rule: self.rule.to_string(),
            column: self.rule[..at].chars().count() + 1,
            expected: expected.into(),
            found,
        }
    }
}

const SUBJECT_EXPECTED: &str = "a measurement statistic (invite_delivery.p99), a counter (interactions_lost, invites_offered.rate) or errors (errors.rate)";

impl Gate {
    /// Parses one rule.
    pub fn parse(rule: &str) -> Result<Gate, GateParseError> {
        let rule = rule.trim();
        let mut c = Cursor { rule, pos: 0 };
        let (at, name) = c.take_while(|ch| ch.is_alphanumeric() || ch == '_' || ch == '.');
        if name.is_empty() {
            return Err(c.error(at, SUBJECT_EXPECTED));
        }
        let mut subject = resolve_subject(name).map_err(|expected| c.error(at, expected))?;
        c.skip_ws();
        if c.eat_word("drift") {
            subject = match subject {
                Subject::Latency(m, stat) => Subject::Drift(format!("{}.{stat}", m.name())),
                Subject::ErrorRatio | Subject::ErrorsPerSecond(None) => {
                    Subject::Drift("errors.rate".to_string())
                }
                _ => {
                    return Err(c.error(
                        at,
                        "a latency statistic (invite_delivery.p99) or errors.rate before `drift`",
                    ));
                }
            };
            c.skip_ws();
        }

        let op_at = c.pos;
        let op = if c.eat("<=") {
            Op::Le
        } else if c.eat(">=") {
            Op::Ge
        } else if c.eat("==") {
            Op::Eq
        } else if c.eat("!=") {
            Op::Ne
        } else if c.eat("<") {
            Op::Lt
        } else if c.eat(">") {
            Op::Gt
        } else {
            return Err(c.error(op_at, "a comparison: <, <=, >, >=, == or !="));
        };
        c.skip_ws();

        let (num_at, number) = c.take_while(|ch| ch.is_ascii_digit() || ch == '.');
        let value: f64 = number
            .parse()
            .map_err(|_| c.error(num_at, "a number (such as 250ms, 0.1%, 10/s or 0)"))?;
        let (unit_at, unit_text) = c.take_while(|ch| ch.is_alphabetic() || ch == '%' || ch == '/');
        let bound_text = rule[num_at..c.pos].to_string();
        let (unit, bound) =
            resolve_value(&mut subject, value, unit_text).map_err(|e| c.error(unit_at, e))?;
        c.skip_ws();

        let window_at = c.pos;
        let window = if c.rest().is_empty() {
            Window::Run
        } else if c.eat_word("over") {
            c.skip_ws();
            let (d_at, d) = c.take_while(|ch| !ch.is_whitespace());
            let d = parse_duration(d)
                .map_err(|_| c.error(d_at, "a window length such as 30s, 1m or 1h"))?;
            if d.is_zero() {
                return Err(c.error(d_at, "a window longer than 0s"));
            }
            Window::Sliding(d)
        } else if c.eat_word("each") || c.eat_word("per") {
            c.skip_ws();
            if !c.eat_word("interval") {
                return Err(c.error(c.pos, "`interval` (as in `each interval`)"));
            }
            Window::EachInterval
        } else {
            return Err(c.error(
                window_at,
                "the end of the rule, `over DURATION` or `each interval`",
            ));
        };
        c.skip_ws();
        if !c.rest().is_empty() {
            return Err(c.error(c.pos, "the end of the rule"));
        }
        if window != Window::Run && matches!(subject, Subject::Drift(_)) {
            return Err(c.error(
                window_at,
                "the end of the rule (drift is judged over the whole run)",
            ));
        }
        Ok(Gate {
            rule: rule.to_string(),
            subject,
            op,
            bound,
            unit,
            bound_text,
            window,
        })
    }
}

/// Resolves `invite_delivery.p99`, `interactions_lost`, `errors.rate`, ...
fn resolve_subject(name: &str) -> Result<Subject, String> {
    let mut parts = name.splitn(3, '.');
    let head = parts.next().unwrap_or("");
    let second = parts.next();
    let third = parts.next();
    if head == "errors" {
        return Ok(match (second, third) {
            (None, None) | (Some("count"), None) => Subject::Errors(None),
            (Some("rate"), None) => Subject::ErrorRatio,
            (Some(kind), None) => Subject::Errors(Some(kind.to_string())),
            (Some(kind), Some("rate")) => Subject::ErrorsPerSecond(Some(kind.to_string())),
            (Some(kind), Some("count")) => Subject::Errors(Some(kind.to_string())),
            _ => return Err("errors, errors.rate, errors.KIND or errors.KIND.rate".to_string()),
        });
    }
    if let Some(c) = Counter::from_name(head) {
        return match (second, third) {
            (None, None) | (Some("count"), None) => Ok(Subject::Counter(c)),
            (Some("rate"), None) => Ok(Subject::CounterRate(c)),
            _ => Err(format!("{head} or {head}.rate")),
        };
    }
    if let Some(m) = Measure::from_name(head) {
        let stat = match (second, third) {
            (Some(stat), None) => stat,
            _ => {
                return Err(format!(
                    "a statistic after {head}: {head}.p99 (one of p50, p90, p95, p99, p999, min, max, mean, count, rate)"
                ));
            }
        };
        if stat == "count" {
            return Ok(Subject::MeasureCount(m));
        }
        if stat == "rate" {
            return Ok(Subject::MeasureRate(m));
        }
        return match Percentiles::STATS.iter().find(|s| **s == stat) {
            Some(s) => Ok(Subject::Latency(m, s)),
            None => Err(format!(
                "a statistic after {head}: one of p50, p90, p95, p99, p999, min, max, mean, count, rate"
            )),
        };
    }
    let measures: Vec<&str> = Measure::ALL.iter().map(|m| m.name()).collect();
    let counters: Vec<&str> = Counter::ALL.iter().map(|c| c.name()).collect();
    Err(format!(
        "{SUBJECT_EXPECTED}; measurements: {}; counters: {}",
        measures.join(", "),
        counters.join(", ")
    ))
}

/// Checks the unit against the subject and converts the bound.
fn resolve_value(subject: &mut Subject, value: f64, unit: &str) -> Result<(Unit, f64), String> {
    match subject {
        Subject::Latency(..) => match unit {
            "us" | "µs" => Ok((Unit::Micros, value)),
            "ms" => Ok((Unit::Micros, value * 1e3)),
            "s" => Ok((Unit::Micros, value * 1e6)),
            "m" | "min" => Ok((Unit::Micros, value * 60e6)),
            "h" => Ok((Unit::Micros, value * 3600e6)),
            _ => {
                Err("a duration unit after the number: us, ms, s, m or h (as in 250ms)".to_string())
            }
        },
        Subject::Drift(_) => match unit {
            "%/h" => Ok((Unit::PctPerHour, value)),
            _ => Err("a drift in percent per hour, as in 20%/h".to_string()),
        },
        Subject::ErrorRatio => match unit {
            "%" => Ok((Unit::Ratio, value / 100.0)),
            "/s" => {
                *subject = Subject::ErrorsPerSecond(None);
                Ok((Unit::PerSecond, value))
            }
            _ => Err("a percentage of operations (0.1%) or a rate per second (2/s)".to_string()),
        },
        Subject::MeasureRate(_) | Subject::CounterRate(_) | Subject::ErrorsPerSecond(_) => {
            match unit {
                "/s" => Ok((Unit::PerSecond, value)),
                _ => Err("a rate per second, as in 10/s".to_string()),
            }
        }
        Subject::MeasureCount(_) | Subject::Counter(_) | Subject::Errors(_) => match unit {
            "" => Ok((Unit::Count, value)),
            _ => Err("a plain count without a unit (as in == 0)".to_string()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(rule: &str) -> Gate {
        Gate::parse(rule).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn parses_every_subject_kind() {
        let g = parsed("invite_delivery.p99 < 250ms");
        assert_eq!(g.subject, Subject::Latency(Measure::InviteDelivery, "p99"));
        assert_eq!((g.op, g.bound, g.unit), (Op::Lt, 250_000.0, Unit::Micros));
        assert_eq!(g.expected(), "< 250ms");
        assert_eq!(g.window, Window::Run);

        let g = parsed("errors.rate < 0.1%");
        assert_eq!((g.subject.clone(), g.bound), (Subject::ErrorRatio, 0.001));
        let g = parsed("errors.rate < 2/s");
        assert_eq!(g.subject, Subject::ErrorsPerSecond(None));
        let g = parsed("interactions_lost == 0");
        assert_eq!(
            (g.subject.clone(), g.op),
            (Subject::Counter(Counter::InteractionsLost), Op::Eq)
        );
        let g = parsed("invites_offered.rate > 10/s");
        assert_eq!(g.subject, Subject::CounterRate(Counter::InvitesOffered));
        let g = parsed("errors.http_503 <= 3");
        assert_eq!(g.subject, Subject::Errors(Some("http_503".into())));
        let g = parsed("invite_delivery.p99 drift < 20%/h");
        assert_eq!(g.subject, Subject::Drift("invite_delivery.p99".into()));
        let g = parsed("  connect_cycle.max<=1.5s over 1m ");
        assert_eq!(g.window, Window::Sliding(Duration::from_secs(60)));
        assert_eq!(g.bound, 1_500_000.0);
        assert_eq!(g.rule, "connect_cycle.max<=1.5s over 1m");
        let g = parsed("accept.p95 < 100ms each interval");
        assert_eq!(g.window, Window::EachInterval);
        assert_eq!(g.windowed_measure(), Some(Measure::Accept));
        assert_eq!(parsed("accept.p95 < 100ms").windowed_measure(), None);
        let g = parsed("invite_delivery.count >= 100");
        assert_eq!(g.subject, Subject::MeasureCount(Measure::InviteDelivery));
    }

    #[test]
    fn malformed_rules_say_where_and_what() {
        let e = Gate::parse("invite_delivery.p99 = 250ms").unwrap_err();
        assert_eq!(e.column, 21);
        assert!(e.expected.contains("comparison"), "{e}");
        assert!(
            e.to_string()
                .starts_with("invalid gate \"invite_delivery.p99 = 250ms\": at column 21")
        );

        let e = Gate::parse("invite_delivery.p99 < 250").unwrap_err();
        assert!(e.expected.contains("duration unit"), "{e}");
        let e = Gate::parse("invite_dlivery.p99 < 250ms").unwrap_err();
        assert_eq!((e.column, e.found.as_str()), (1, "invite_dlivery.p99"));
        assert!(e.expected.contains("measurements: invite_delivery"), "{e}");
        let e = Gate::parse("invite_delivery.p42 < 1ms").unwrap_err();
        assert!(e.expected.contains("p999"), "{e}");
        let e = Gate::parse("interactions_lost == 0 sometimes").unwrap_err();
        assert_eq!(e.found, "sometimes");
        assert!(e.expected.contains("over DURATION"), "{e}");
        let e = Gate::parse("interactions_lost == 0ms").unwrap_err();
        assert!(e.expected.contains("plain count"), "{e}");
        let e = Gate::parse("accept.p99 < 1s over soon").unwrap_err();
        assert!(e.expected.contains("window length"), "{e}");
        let e = Gate::parse("invite_delivery.p99 drift < 20%/h over 1m").unwrap_err();
        assert!(e.expected.contains("whole run"), "{e}");
        let e = Gate::parse("").unwrap_err();
        assert_eq!(e.found, "");
        assert!(e.to_string().contains("found the end of the rule"));
        let e = Gate::parse("errors.rate < lots").unwrap_err();
        assert!(e.expected.contains("a number"), "{e}");
    }

    #[test]
    fn formats_values_in_rule_units() {
        assert_eq!(Unit::Micros.format(850.0), "850 µs");
        assert_eq!(Unit::Micros.format(12_340.0), "12.3 ms");
        assert_eq!(Unit::Micros.format(1_250_000.0), "1.25 s");
        assert_eq!(Unit::Ratio.format(0.0005), "0.0500%");
        assert_eq!(Unit::PerSecond.format(12.5), "12.5/s");
        assert_eq!(Unit::Count.format(0.0), "0");
        assert_eq!(Unit::PctPerHour.format(12.5), "+12.5%/h");
    }
}
