//! The plan of a run: how many agents should be logged in at each instant,
//! and when each agent starts and stops.
//!
//! Stages ramp linearly from the previous stage's agent count to their own.
//! Agents are numbered from 0; the running set is always the lowest numbers,
//! so ramping down stops the most recently started agent first. Logins are
//! spread to at most `ramp.max_handshakes_per_second` unless the profile asks
//! for a stampede, in which case a stage's new agents all start at its first
//! instant.

use std::fmt::Write as _;
use std::time::Duration;

use crate::profile::{Profile, Ramp, Stage};
use crate::shard::ShardSpec;
use crate::units::format_duration;

/// One stretch of time an agent is logged in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginSpan {
    /// Agent index within the pool (0-based; the username uses `agents.first + agent`).
    pub agent: u32,
    /// When the agent starts logging in, from the run start (after the handshake-rate spreading).
    pub start: Duration,
    /// When the stages alone would have started it; `start - wanted` is the ramp's lag.
    pub wanted: Duration,
    /// When a ramp-down stops it; `None` = it runs to the end of the run.
    pub stop: Option<Duration>,
}

/// Something the engine does at a planned instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// Start agent `n` (log in, handshake, go Ready).
    Start(u32),
    /// Stop agent `n` (go NotReady, finish or abandon work, log out).
    Stop(u32),
}

/// One stage placed on the run's timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    start: Duration,
    end: Duration,
    from: u32,
    to: u32,
    stampede: bool,
}

/// The resolved plan of a run.
#[derive(Debug, Clone)]
pub struct Plan {
    spans: Vec<Span>,
    max_handshakes_per_second: f64,
    login_spans: Vec<LoginSpan>,
    skipped: u32,
    drain: Duration,
    /// Whose agents the sessions are: the shard's only, its targets its share.
    shard: ShardSpec,
}

impl Plan {
    /// The plan of a validated profile.
    pub fn from_profile(profile: &Profile) -> Plan {
        Plan::new(&profile.stages, &profile.ramp, profile.traffic.drain.0)
    }

    /// The plan of some stages with a ramp setting and a drain period.
    pub fn new(stages: &[Stage], ramp: &Ramp, drain: Duration) -> Plan {
        let mut spans = Vec::with_capacity(stages.len());
        let mut t = Duration::ZERO;
        let mut from = 0;
        // Saturating, like the login gap below: validation bounds the
        // profile, but a plan must not panic on one it did not see.
        for s in stages {
            let end = t.saturating_add(s.duration.0);
            spans.push(Span {
                start: t,
                end,
                from,
                to: s.agents,
                stampede: s.stampede.unwrap_or(ramp.stampede),
            });
            t = end;
            from = s.agents;
        }
        let mut plan = Plan {
            spans,
            max_handshakes_per_second: ramp.max_handshakes_per_second,
            login_spans: Vec::new(),
            skipped: 0,
            drain,
            shard: ShardSpec::WHOLE,
        };
        plan.schedule();
        plan
    }

    /// The part of the plan shard `spec` carries out: the sessions of the
    /// agents whose pool index it owns (the global plan's own instants, so
    /// the shards together run it exactly), and its share of every target.
    pub fn for_shard(mut self, spec: ShardSpec) -> Plan {
        self.login_spans.retain(|s| spec.owns(u64::from(s.agent)));
        self.shard = spec;
        self
    }

    /// Which shard's part of the run this plan is.
    pub fn shard(&self) -> ShardSpec {
        self.shard
    }

    /// This plan's share of `agents` of the whole run: the running set is
    /// always the lowest pool indexes, so a shard's share of n is exact.
    fn share(&self, agents: u32) -> u32 {
        u32::try_from(self.shard.share_of(u64::from(agents))).unwrap_or(u32::MAX)
    }

    /// Builds the login_spans: ideal starts/stops from the stages, then starts
    /// spread to respect the handshake rate.
    fn schedule(&mut self) {
        let mut ideal: Vec<LoginSpan> = Vec::new();
        // Indices into `ideal` of the running login_spans, lowest agent first.
        let mut open: Vec<usize> = Vec::new();
        // Whether each ideal session's login belongs to a stampede stage.
        let mut herd: Vec<bool> = Vec::new();
        for span in &self.spans {
            let d = (span.end - span.start).as_nanos();
            if span.to > span.from {
                let n = u128::from(span.to - span.from);
                for k in 0..(span.to - span.from) {
                    let at = if span.stampede {
                        span.start
                    } else {
                        span.start + nanos(d * u128::from(k) / n)
                    };
                    open.push(ideal.len());
                    herd.push(span.stampede);
                    ideal.push(LoginSpan {
                        agent: span.from + k,
                        start: at,
                        wanted: at,
                        stop: None,
                    });
                }
            } else if span.to < span.from {
                let n = u128::from(span.from - span.to);
                for k in 0..(span.from - span.to) {
                    let at = if span.stampede {
                        span.start
                    } else {
                        span.start + nanos(d * u128::from(k) / n)
                    };
                    if let Some(i) = open.pop() {
                        ideal[i].stop = Some(at);
                    }
                }
            }
        }
        let end = self.stages_end();
        let gap = Duration::try_from_secs_f64(1.0 / self.max_handshakes_per_second)
            .unwrap_or(Duration::MAX);
        let mut next_free = Duration::ZERO;
        let mut login_spans = Vec::with_capacity(ideal.len());
        for (mut s, stampede) in ideal.into_iter().zip(herd) {
            // A stampede ignores the rate, and later logins queue behind it.
            s.start = if stampede {
                s.wanted
            } else {
                s.wanted.max(next_free)
            };
            // A login the rate pushed past its own stop (or the end) never happens.
            if s.start >= s.stop.unwrap_or(end) {
                self.skipped += 1;
                continue;
            }
            next_free = next_free.max(s.start.saturating_add(gap));
            login_spans.push(s);
        }
        self.login_spans = login_spans;
    }

    /// Every session, in start order.
    pub fn login_spans(&self) -> &[LoginSpan] {
        &self.login_spans
    }

    /// `(agent, instant)` of every start, in time order. An agent stopped by a
    /// ramp-down and needed again later starts again.
    pub fn agent_starts(&self) -> impl Iterator<Item = (u32, Duration)> + '_ {
        self.login_spans.iter().map(|s| (s.agent, s.start))
    }

    /// `(agent, instant)` of every ramp-down stop, in time order (most
    /// recently started first when simultaneous). Agents still running at
    /// the end are stopped by the engine after the drain and are not listed.
    pub fn agent_stops(&self) -> impl Iterator<Item = (u32, Duration)> + use<> {
        let mut stops: Vec<(u32, Duration)> = self
            .login_spans
            .iter()
            .filter_map(|s| s.stop.map(|t| (s.agent, t)))
            .collect();
        stops.sort_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)));
        stops.into_iter()
    }

    /// Starts and stops merged in time order; at equal instants stops come
    /// first, so an agent is never asked to run twice.
    pub fn events(&self) -> Vec<(Duration, Event)> {
        let mut events: Vec<(Duration, Event)> = self
            .agent_stops()
            .map(|(a, t)| (t, Event::Stop(a)))
            .chain(self.agent_starts().map(|(a, t)| (t, Event::Start(a))))
            .collect();
        // Stable sort keeps stops (inserted first) ahead of starts at equal times.
        events.sort_by_key(|e| e.0);
        events
    }

    /// Agents the stages ask for at `t`, before the handshake-rate spreading
    /// (the target curve). During the drain: the last stage's count.
    pub fn target_at(&self, t: Duration) -> u32 {
        self.share(self.whole_target_at(t))
    }

    fn whole_target_at(&self, t: Duration) -> u32 {
        let Some(span) = self.spans.iter().find(|s| t >= s.start && t < s.end) else {
            return self.spans.last().map_or(0, |s| s.to);
        };
        if span.to == span.from || span.stampede {
            return span.to;
        }
        let d = (span.end - span.start).as_nanos();
        let into = (t - span.start).as_nanos();
        let diff = u128::from(span.to.abs_diff(span.from));
        // Events happen at the start of each 1/diff slot of the stage.
        let done = u32::try_from(diff * into / d + 1).unwrap_or(u32::MAX);
        if span.to > span.from {
            (span.from + done).min(span.to)
        } else {
            span.from.saturating_sub(done).max(span.to)
        }
    }

    /// Agents actually scheduled to be running at `t` (after spreading).
    pub fn running_at(&self, t: Duration) -> u32 {
        let n = self
            .login_spans
            .iter()
            .filter(|s| s.start <= t && s.stop.is_none_or(|stop| t < stop))
            .count();
        u32::try_from(n).unwrap_or(u32::MAX)
    }

    /// The highest agent count of any stage (a shard's: its share of it).
    pub fn peak(&self) -> u32 {
        self.share(self.spans.iter().map(|s| s.to).max().unwrap_or(0))
    }

    /// The end of the last stage.
    pub fn stages_end(&self) -> Duration {
        self.spans.last().map_or(Duration::ZERO, |s| s.end)
    }

    /// The drain period after the last stage.
    pub fn drain(&self) -> Duration {
        self.drain
    }

    /// Stages plus drain.
    pub fn total(&self) -> Duration {
        self.stages_end().saturating_add(self.drain)
    }

    /// The longest delay the handshake-rate limit put on any login.
    pub fn ramp_lag(&self) -> Duration {
        self.login_spans
            .iter()
            .map(|s| s.start - s.wanted)
            .max()
            .unwrap_or(Duration::ZERO)
    }

    /// Logins the rate limit pushed past their own stop or the end of the stages.
    pub fn skipped(&self) -> u32 {
        self.skipped
    }

    /// A table of the stages and a sparkline of agents over time, for `check`.
    pub fn render(&self, width: usize) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "  {:>3}  {:>9}  {:>9}  {:>15}  what",
            "#", "from", "to", "agents"
        );
        for (i, s) in self.spans.iter().enumerate() {
            let secs = (s.end - s.start).as_secs_f64();
            let what = match s.to.cmp(&s.from) {
                std::cmp::Ordering::Equal => "hold".to_string(),
                std::cmp::Ordering::Greater if s.stampede => "stampede up".to_string(),
                std::cmp::Ordering::Less if s.stampede => "drop at once".to_string(),
                std::cmp::Ordering::Greater => {
                    format!("ramp up {:.1} agents/s", f64::from(s.to - s.from) / secs)
                }
                std::cmp::Ordering::Less => {
                    format!("ramp down {:.1} agents/s", f64::from(s.from - s.to) / secs)
                }
            };
            let agents = if s.from == s.to {
                s.to.to_string()
            } else {
                format!("{} -> {}", s.from, s.to)
            };
            let _ = writeln!(
                out,
                "  {:>3}  {:>9}  {:>9}  {:>15}  {what}",
                i + 1,
                format_duration(s.start),
                format_duration(s.end),
                agents
            );
        }
        if !self.drain.is_zero() {
            let _ = writeln!(
                out,
                "  {:>3}  {:>9}  {:>9}  {:>15}  drain: no new interactions, agents finish their work",
                "",
                format_duration(self.stages_end()),
                format_duration(self.total()),
                ""
            );
        }
        let _ = writeln!(out, "\n  agents over time (peak {}):", self.peak());
        let _ = writeln!(
            out,
            "  {}|\n  {}{:>w$}",
            self.sparkline(width),
            format_duration(Duration::ZERO),
            format_duration(self.total()),
            w = width.saturating_sub(2)
        );
        out
    }

    /// Agents running over the whole run, one block character per column.
    pub fn sparkline(&self, width: usize) -> String {
        const BARS: [char; 9] = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
        let total = self.total();
        let peak = self.peak().max(1);
        let mut starts: Vec<Duration> = self.login_spans.iter().map(|s| s.start).collect();
        let mut stops: Vec<Duration> = self.login_spans.iter().filter_map(|s| s.stop).collect();
        starts.sort_unstable();
        stops.sort_unstable();
        (0..width.max(1))
            .map(|col| {
                let t = total.mul_f64((col as f64 + 0.5) / width.max(1) as f64);
                let running =
                    starts.partition_point(|s| *s <= t) - stops.partition_point(|s| *s <= t);
                let level = (running as f64 / f64::from(peak) * 8.0).round() as usize;
                // A few agents still show, so "none" and "some" differ.
                let level = if running > 0 { level.max(1) } else { level };
                BARS[level.min(8)]
            })
            .collect()
    }
}

fn nanos(n: u128) -> Duration {
    Duration::from_nanos(u64::try_from(n).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::HumanDuration;

    fn stage(secs: u64, agents: u32) -> Stage {
        Stage {
            duration: HumanDuration(Duration::from_secs(secs)),
            agents,
            stampede: None,
            rate_scale: None,
            email_rate: None,
            chat_rate: None,
            publish_rate: None,
        }
    }

    fn ramp(rate: f64, stampede: bool) -> Ramp {
        Ramp {
            max_handshakes_per_second: rate,
            stampede,
            ..Ramp::default()
        }
    }

    const S: fn(u64) -> Duration = Duration::from_secs;

    #[test]
    fn up_hold_down_follows_the_stages() {
        let plan = Plan::new(
            &[stage(10, 100), stage(20, 100), stage(10, 0)],
            &ramp(1000.0, false),
            S(5),
        );
        assert_eq!(plan.total(), S(45));
        assert_eq!(plan.stages_end(), S(40));
        assert_eq!(plan.peak(), 100);
        assert_eq!(plan.agent_starts().count(), 100);
        assert_eq!(plan.agent_stops().count(), 100);
        // 100 agents over 10 s: one every 100 ms, the first at once.
        let starts: Vec<_> = plan.agent_starts().collect();
        assert_eq!(starts[0], (0, Duration::ZERO));
        assert_eq!(starts[1], (1, Duration::from_millis(100)));
        assert_eq!(starts[99], (99, Duration::from_millis(9900)));
        assert_eq!(plan.target_at(S(5)), 51);
        assert_eq!(plan.target_at(S(15)), 100);
        assert_eq!(plan.target_at(S(35)), 49);
        assert_eq!(plan.target_at(S(42)), 0);
        assert_eq!(plan.skipped(), 0);
        assert_eq!(plan.ramp_lag(), Duration::ZERO);
    }

    #[test]
    fn ramp_down_stops_the_last_started_first() {
        let plan = Plan::new(&[stage(10, 10), stage(10, 4)], &ramp(1000.0, false), S(0));
        let stops: Vec<u32> = plan.agent_stops().map(|(a, _)| a).collect();
        assert_eq!(stops, vec![9, 8, 7, 6, 5, 4]);
        let times: Vec<Duration> = plan.agent_stops().map(|(_, t)| t).collect();
        assert!(times.windows(2).all(|w| w[0] <= w[1]));
        assert!(times.iter().all(|t| *t >= S(10) && *t < S(20)));
        assert_eq!(plan.running_at(S(19)), 4);
    }

    #[test]
    fn target_curve_matches_the_sessions_without_a_rate_limit() {
        let plan = Plan::new(
            &[
                stage(7, 37),
                stage(3, 37),
                stage(5, 11),
                stage(4, 60),
                stage(2, 0),
            ],
            &ramp(1e9, false),
            S(0),
        );
        let mut t = Duration::ZERO;
        while t < plan.stages_end() {
            assert_eq!(plan.running_at(t), plan.target_at(t), "at {t:?}");
            t += Duration::from_millis(37);
        }
    }

    #[test]
    fn handshake_rate_spreads_a_steep_ramp() {
        // 100 agents wanted in 1 s, but only 20 logins per second allowed.
        let plan = Plan::new(&[stage(1, 100), stage(30, 100)], &ramp(20.0, false), S(0));
        let starts: Vec<Duration> = plan.agent_starts().map(|(_, t)| t).collect();
        assert_eq!(starts.len(), 100);
        for w in starts.windows(2) {
            assert!(w[1] - w[0] >= Duration::from_millis(50) - Duration::from_micros(1));
        }
        // The last of 100 logins at 20/s starts 99 gaps after the first.
        let last = starts[99].as_secs_f64();
        assert!((last - 4.95).abs() < 0.001, "{last}");
        assert!(plan.ramp_lag() > S(3));
        assert_eq!(plan.target_at(Duration::from_millis(999)), 100);
        assert!(plan.running_at(Duration::from_millis(999)) <= 20);
    }

    #[test]
    fn logins_pushed_past_the_end_are_skipped() {
        let plan = Plan::new(&[stage(1, 100)], &ramp(10.0, false), S(0));
        assert_eq!(plan.agent_starts().count(), 10);
        assert_eq!(plan.skipped(), 90);
    }

    #[test]
    fn stampede_starts_a_stage_at_once() {
        let plan = Plan::new(
            &[stage(5, 10), stage(5, 500), stage(5, 10)],
            &ramp(1.0, true),
            S(0),
        );
        let starts: Vec<_> = plan.agent_starts().collect();
        assert_eq!(starts.len(), 500);
        assert!(starts[..10].iter().all(|(_, t)| *t == S(0)));
        assert!(starts[10..].iter().all(|(_, t)| *t == S(5)));
        assert!(plan.agent_stops().all(|(a, t)| t == S(10) && a >= 10));
        assert_eq!(plan.target_at(S(5)), 500);
        assert_eq!(plan.target_at(S(12)), 10);
    }

    #[test]
    fn a_stage_can_stampede_while_the_others_spread() {
        let mut herd = stage(1, 300);
        herd.stampede = Some(true);
        let plan = Plan::new(
            &[stage(10, 100), herd, stage(10, 300)],
            &ramp(50.0, false),
            S(0),
        );
        let starts: Vec<Duration> = plan.agent_starts().map(|(_, t)| t).collect();
        assert_eq!(starts.len(), 300);
        // The first 100 are spread at 50/s over the 10 s stage...
        assert!(
            starts[..100]
                .windows(2)
                .all(|w| w[1] - w[0] >= Duration::from_millis(19))
        );
        // ...the next 200 all start at 10 s, ignoring the rate.
        assert!(starts[100..].iter().all(|t| *t == S(10)));
        assert_eq!(plan.target_at(S(10)), 300);
    }

    #[test]
    fn agents_stopped_and_needed_again_restart() {
        let plan = Plan::new(
            &[stage(2, 4), stage(2, 2), stage(2, 4)],
            &ramp(1000.0, false),
            S(0),
        );
        let starts: Vec<u32> = plan.agent_starts().map(|(a, _)| a).collect();
        assert_eq!(starts, vec![0, 1, 2, 3, 2, 3]);
        let events = plan.events();
        assert_eq!(events.len(), 8);
        assert!(events.windows(2).all(|w| w[0].0 <= w[1].0));
    }

    #[test]
    fn extreme_values_saturate_instead_of_panicking() {
        let forever = |agents| Stage {
            duration: HumanDuration(Duration::MAX),
            ..stage(1, agents)
        };
        let plan = Plan::new(
            &[forever(2), forever(2)],
            &ramp(1e-300, false),
            Duration::MAX,
        );
        assert_eq!(plan.total(), Duration::MAX);
        assert_eq!(
            plan.agent_starts().count(),
            1,
            "the second login waits forever"
        );
    }

    #[test]
    fn rendering_shows_stages_and_peak() {
        let plan = Plan::new(&[stage(10, 200), stage(20, 200)], &ramp(100.0, false), S(5));
        let text = plan.render(40);
        assert!(text.contains("0 -> 200"), "{text}");
        assert!(text.contains("ramp up 20.0 agents/s"), "{text}");
        assert!(text.contains("hold"), "{text}");
        assert!(text.contains("drain"), "{text}");
        assert!(text.contains("peak 200"), "{text}");
        let line = plan.sparkline(35);
        assert_eq!(line.chars().count(), 35);
        // Full during the hold and the drain (agents keep working), low at the start.
        assert_eq!(line.chars().nth(20), Some('█'));
        assert_eq!(line.chars().last(), Some('█'));
        assert!(line.starts_with('▁'), "{line}");
    }
}
