//! Judging the run while it goes, interval by interval: a run that cannot
//! get going (no agent logged in by the deadline, the first log-ins all
//! failed) and a gate with `abort_on_fail` that fails both stop it early.
//! Pure decisions: intervals in, a [`Stop`] out; the sink carries it out.

use std::collections::BTreeMap;
use std::time::Duration;

use super::plan::Plan;
use super::signals::Stop;
use crate::metrics::{Counter, IntervalSnapshot, Measure};
use crate::profile::{Ramp, Scenario};
use crate::report::gate::{self, Gate};
use crate::report::{IntervalAccumulator, RunInfo};
use crate::units::format;

/// A gate judged during the run.
#[derive(Debug, Clone)]
pub struct AbortGate {
    /// The rule.
    pub gate: Gate,
    /// Not judged before this much of the run has passed.
    pub after: Duration,
}

/// What the watch has seen so far and what it looks for.
#[derive(Debug)]
pub struct Watch {
    /// No agent logged in by then (from the run's start): not run.
    login_deadline: Option<Duration>,
    /// This many failed log-in attempts with none logged in: not run (0: never).
    failed_logins_to_stop: u64,
    logged_in: u64,
    failed_logins: u64,
    login_errors: BTreeMap<String, u64>,
    aborting: Vec<AbortGate>,
    /// One sample of it is a client that got going (see [`Scenario::joined`]).
    joined: Measure,
}

impl Watch {
    /// Watches a run of `plan`, with the fail-fast settings of `ramp` and the
    /// `aborting` gates.
    pub fn new(plan: &Plan, ramp: &Ramp, scenario: Scenario, aborting: Vec<AbortGate>) -> Watch {
        let first_start = plan.agent_starts().map(|(_, at)| at).min();
        Watch {
            login_deadline: first_start.map(|at| at + ramp.login_deadline.0),
            failed_logins_to_stop: u64::from(ramp.failed_logins_to_stop),
            logged_in: 0,
            failed_logins: 0,
            login_errors: BTreeMap::new(),
            aborting,
            joined: scenario.joined(),
        }
    }

    /// A watch that decides nothing: for a run whose stop is someone else's
    /// (a Goose attack, where Goose owns the users and the stop).
    pub fn idle() -> Watch {
        Watch {
            login_deadline: None,
            failed_logins_to_stop: 0,
            logged_in: 0,
            failed_logins: 0,
            login_errors: BTreeMap::new(),
            aborting: Vec::new(),
            joined: Measure::SessionStart,
        }
    }

    /// True when nothing could ever be decided live (no agents, no abort gates).
    pub fn is_idle(&self) -> bool {
        self.login_deadline.is_none() && self.aborting.is_empty()
    }

    /// Takes one interval (already added to `acc`); a reason to stop the run
    /// when there is one.
    pub fn interval(
        &mut self,
        s: &IntervalSnapshot,
        acc: &IntervalAccumulator,
        info: &RunInfo,
    ) -> Option<Stop> {
        self.count_logins(s);
        let end = s.start_offset + s.length;
        self.not_getting_going(end)
            .or_else(|| self.failed_abort_gate(end, acc, info))
    }

    fn count_logins(&mut self, s: &IntervalSnapshot) {
        if self.logged_in > 0 {
            return;
        }
        self.logged_in += s.histogram(self.joined).len();
        self.failed_logins += s.counters[Counter::LoginsFailed.index()];
        // Until someone logs in, every error is one of a failing log-in's.
        for (kind, n) in &s.errors {
            *self.login_errors.entry(kind.clone()).or_insert(0) += n;
        }
    }

    fn not_getting_going(&self, end: Duration) -> Option<Stop> {
        if self.logged_in > 0 {
            return None;
        }
        let stop_at = self.failed_logins_to_stop;
        if stop_at > 0 && self.failed_logins >= stop_at {
            return Some(Stop::NotRun(format!(
                "the first {} log-in attempts all failed ({})",
                self.failed_logins,
                self.top_login_errors()
            )));
        }
        let deadline = self.login_deadline?;
        (end >= deadline).then(|| {
            Stop::NotRun(format!(
                "no agent logged in within {} of the first agent's start (ramp.login_deadline; {} failed attempts: {})",
                format::duration_ms(deadline.as_millis() as u64),
                self.failed_logins,
                self.top_login_errors()
            ))
        })
    }

    fn top_login_errors(&self) -> String {
        let mut kinds: Vec<(&String, &u64)> = self.login_errors.iter().collect();
        kinds.sort_by(|a, b| b.1.cmp(a.1));
        if kinds.is_empty() {
            return "no error recorded".to_string();
        }
        kinds
            .iter()
            .take(3)
            .map(|(k, n)| format!("{k} x{n}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn failed_abort_gate(
        &self,
        end: Duration,
        acc: &IntervalAccumulator,
        info: &RunInfo,
    ) -> Option<Stop> {
        self.aborting
            .iter()
            .filter(|a| end >= a.after)
            .find_map(|a| {
                let so_far = acc.so_far(info.clone(), a.after.as_millis() as u64);
                let result = gate::evaluate(&a.gate, &so_far);
                // A rule without data yet ("no values") is no failure.
                (!result.passed && result.note.is_none()).then(|| {
                    Stop::Aborted(format!(
                        "gate {} failed {} into the run (observed {}, expected {}) and aborts on fail",
                        result.rule,
                        format::duration_ms(end.as_millis() as u64),
                        result.observed,
                        result.expected
                    ))
                })
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{Cause, ErrorKind, Metrics, Step};
    use crate::report::fixtures::example_run_info;

    fn plan() -> Plan {
        let profile =
            crate::profile::Profile::load(std::path::Path::new("profiles/smoke.toml")).unwrap();
        Plan::from_profile(&profile)
    }

    fn ramp(deadline_s: u64, failed: u32) -> Ramp {
        Ramp {
            login_deadline: crate::units::HumanDuration(Duration::from_secs(deadline_s)),
            failed_logins_to_stop: failed,
            ..Ramp::default()
        }
    }

    /// One 1 s interval ending at `end_s`, with `failed` refused logins and
    /// `logged_in` sessions started.
    fn interval(end_s: u64, failed: u64, logged_in: u64) -> IntervalSnapshot {
        let m = Metrics::new();
        for _ in 0..failed {
            m.error(ErrorKind::Step(Step::Login, Cause::Connect));
        }
        m.count(Counter::LoginsFailed, failed);
        for _ in 0..logged_in {
            m.record_micros(Measure::SessionStart, 2_000);
        }
        let mut s = m.take_interval();
        s.start_offset = Duration::from_secs(end_s - 1);
        s.length = Duration::from_secs(1);
        s
    }

    fn feed(watch: &mut Watch, s: &IntervalSnapshot) -> Option<Stop> {
        let mut acc = IntervalAccumulator::new();
        acc.add(s);
        watch.interval(s, &acc, &example_run_info())
    }

    #[test]
    fn the_first_failed_logins_stop_a_run_nobody_logged_in_to() {
        let mut watch = Watch::new(&plan(), &ramp(600, 20), Scenario::Gws, Vec::new());
        assert_eq!(feed(&mut watch, &interval(1, 19, 0)), None);
        let Some(Stop::NotRun(why)) = feed(&mut watch, &interval(2, 1, 0)) else {
            panic!("20 failed attempts, none logged in: not run");
        };
        assert!(
            why.contains("first 20 log-in attempts") && why.contains("login_connect x20"),
            "{why}"
        );
    }

    #[test]
    fn one_login_is_enough_to_go_on_whatever_fails_after() {
        let mut watch = Watch::new(&plan(), &ramp(5, 20), Scenario::Gws, Vec::new());
        assert_eq!(feed(&mut watch, &interval(1, 3, 1)), None);
        assert_eq!(feed(&mut watch, &interval(2, 100, 0)), None);
        assert_eq!(feed(&mut watch, &interval(30, 0, 0)), None);
    }

    #[test]
    fn nobody_logged_in_by_the_deadline_is_not_run() {
        let mut watch = Watch::new(&plan(), &ramp(5, 0), Scenario::Gws, Vec::new());
        let first = plan().agent_starts().map(|(_, at)| at).min().unwrap();
        let before = first.as_secs() + 4;
        assert_eq!(feed(&mut watch, &interval(before, 1000, 0)), None);
        let Some(Stop::NotRun(why)) = feed(&mut watch, &interval(before + 2, 0, 0)) else {
            panic!("the deadline passed");
        };
        assert!(why.contains("ramp.login_deadline"), "{why}");
    }

    #[test]
    fn an_abort_gate_waits_its_grace_and_ignores_rules_without_data() {
        let aborting = vec![
            AbortGate {
                gate: Gate::parse("invite_delivery.p99 < 1s").unwrap(),
                after: Duration::ZERO,
            },
            AbortGate {
                gate: Gate::parse("errors == 0").unwrap(),
                after: Duration::from_secs(3),
            },
        ];
        let mut watch = Watch::new(&plan(), &ramp(600, 0), Scenario::Gws, aborting);
        // Errors in the grace, no invite yet: nothing to abort for.
        assert_eq!(feed(&mut watch, &interval(2, 1, 1)), None);
        let Some(Stop::Aborted(why)) = feed(&mut watch, &interval(3, 1, 0)) else {
            panic!("errors after the grace abort");
        };
        assert!(why.contains("gate errors == 0 failed"), "{why}");
    }
}
