//! `junit.xml`: every gate, and every row compared with a baseline, as
//! a JUnit test case, so CI systems (GitLab, Jenkins, GitHub test reporters)
//! list them natively and show a failed gate's observed and expected values.

use std::fmt::Write as _;

use crate::error::Error;
use crate::report::export::Export;
use crate::report::model::{BaselineComparison, FailedWindow, GateResult, RowVerdict, RunResults};
use crate::report::svg::escape;
use crate::units::format;

/// Writes `junit.xml` (the [`Export`] the run and `agentload report` use).
#[derive(Debug, Clone, Copy, Default)]
pub struct JunitXml;

impl Export for JunitXml {
    fn file_name(&self) -> &'static str {
        "junit.xml"
    }

    fn render(&self, results: &RunResults) -> Result<Vec<u8>, Error> {
        Ok(write(results))
    }
}

/// Renders `junit.xml` for `results`: one `<testsuite>` named after the run,
/// test cases in the order the gates were given, then the baseline rows.
pub fn write(results: &RunResults) -> Vec<u8> {
    render(results).into_bytes()
}

/// [`write`], as a string.
pub fn render(results: &RunResults) -> String {
    let run = &results.run;
    let class = format!("agentload.{}", run.profile);
    let mut cases = String::new();
    let run_failed = run_case(&mut cases, &class, results);
    for g in &results.gates {
        gate_case(&mut cases, &format!("{class}.gates"), g);
    }
    let mut failures = results.gates.iter().filter(|g| !g.passed).count() + usize::from(run_failed);
    let mut tests = results.gates.len() + 1;
    let mut skipped = 0;
    if let Some(b) = &results.baseline {
        let counts = baseline_cases(&mut cases, &format!("{class}.baseline"), b);
        tests += counts.0;
        failures += counts.1;
        skipped += counts.2;
    }
    let time = format!("{:.3}", run.duration_ms as f64 / 1000.0);
    let mut out = String::with_capacity(cases.len() + 1024);
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"agentload\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" time=\"{time}\">"
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\" time=\"{time}\" timestamp=\"{}\">",
        escape(&run.id),
        escape(junit_timestamp(&run.started_at)),
    );
    out.push_str("    <properties>\n");
    for (name, value) in [
        ("profile", run.profile.as_str()),
        ("target", run.target.as_str()),
        ("agents", &run.agents.to_string()),
        (
            "agents_connected_peak",
            &results.agents_connected_peak().to_string(),
        ),
        ("verdict", results.verdict.name()),
        ("reason", results.reason.as_str()),
        ("passed", if results.passed { "true" } else { "false" }),
        ("tool_version", run.tool_version.as_str()),
    ] {
        let _ = writeln!(
            out,
            "      <property name=\"{name}\" value=\"{}\"/>",
            escape(value)
        );
    }
    out.push_str("    </properties>\n");
    out.push_str(&cases);
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

/// The `run` test case: fails when the run did not carry out its plan
/// (not run, interrupted, aborted), so a cancelled CI job never looks green.
/// True when it failed.
fn run_case(out: &mut String, class: &str, r: &RunResults) -> bool {
    let _ = write!(
        out,
        "    <testcase classname=\"{}\" name=\"run\" time=\"{:.3}\">",
        escape(class),
        r.run.duration_ms as f64 / 1000.0
    );
    let failed = r.verdict.stopped_the_run();
    if failed {
        let _ = write!(
            out,
            "\n      <failure type=\"{}\" message=\"{}: {}\">verdict: {}\nreason: {}\nagents: {}</failure>\n    ",
            r.verdict.name(),
            r.verdict.headline(),
            escape(&r.reason),
            r.verdict.name(),
            escape(&r.reason),
            escape(&r.agents_text())
        );
    }
    out.push_str("</testcase>\n");
    failed
}

/// One test case per compared row: a regressed row fails, a row without
/// enough data or not comparable is skipped (with the reason), every other
/// passes and says its verdict. Returns (cases, failures, skipped).
fn baseline_cases(out: &mut String, class: &str, b: &BaselineComparison) -> (usize, usize, usize) {
    let (mut failures, mut skipped) = (0, 0);
    for row in &b.rows {
        let name = format!("{} vs baseline", row.name());
        let _ = write!(
            out,
            "    <testcase classname=\"{}\" name=\"{}\" time=\"0\">",
            escape(class),
            escape(&name)
        );
        let (base, new) = row.values();
        let change = row.change();
        let allowed = format::percent(b.max_regression_pct / 100.0);
        let intervals = row
            .intervals()
            .map(|i| {
                format!(
                    "\nintervals ({} confidence): {i}",
                    format::percent(b.confidence)
                )
            })
            .unwrap_or_default();
        let detail = format!(
            "baseline {}: {base}\nthis run: {new}\nchange: {change} (allowed {allowed}, latency changes under {} never count){intervals}",
            b.baseline,
            format::latency_us(b.floor_us as f64),
        );
        let reason = row
            .note
            .as_deref()
            .map_or(String::new(), |n| format!(": {n}"));
        match row.verdict {
            RowVerdict::Regressed => {
                failures += 1;
                let message = format!(
                    "{change} against the baseline (allowed {allowed}), beyond chance: {base} -> {new}{reason}"
                );
                let _ = write!(
                    out,
                    "\n      <failure type=\"regression\" message=\"{}\">{}</failure>\n    ",
                    escape(&message),
                    escape(&detail)
                );
            }
            RowVerdict::NotEnoughData | RowVerdict::NotComparable => {
                skipped += 1;
                let message = format!("{}{reason}", row.verdict.label());
                let _ = write!(
                    out,
                    "\n      <skipped message=\"{}\"/>\n      <system-out>{}</system-out>\n    ",
                    escape(&message),
                    escape(&detail)
                );
            }
            v => {
                let _ = write!(
                    out,
                    "\n      <system-out>verdict: {}\n{}</system-out>\n    ",
                    v.label(),
                    escape(&detail)
                );
            }
        }
        out.push_str("</testcase>\n");
    }
    (b.rows.len(), failures, skipped)
}

/// JUnit's timestamp is ISO 8601 without a zone or fraction.
fn junit_timestamp(rfc3339: &str) -> &str {
    let t = rfc3339.trim_end_matches('Z');
    t.split_once('.').map_or(t, |(whole, _)| whole)
}

fn window(w: &FailedWindow) -> String {
    format::window_ms(w.start_offset_ms, w.end_offset_ms)
}

fn gate_case(out: &mut String, class: &str, g: &GateResult) {
    let _ = write!(
        out,
        "    <testcase classname=\"{}\" name=\"{}\" time=\"0\">",
        escape(class),
        escape(&g.rule)
    );
    if !g.passed {
        let mut message = format!("observed {}, expected {}", g.observed, g.expected);
        let mut body = format!(
            "rule: {}\nobserved: {}\nexpected: {}",
            g.rule, g.observed, g.expected
        );
        if let Some(w) = &g.window {
            let _ = write!(message, " in window {}", window(w));
            let _ = write!(body, "\nfirst failed window: {}", window(w));
        }
        if let Some(note) = &g.note {
            let _ = write!(message, " ({note})");
            let _ = write!(body, "\nnote: {note}");
        }
        let _ = write!(
            out,
            "\n      <failure type=\"gate\" message=\"{}\">{}</failure>\n    ",
            escape(&message),
            escape(&body)
        );
    } else if let Some(note) = &g.note {
        let _ = write!(
            out,
            "\n      <system-out>{}</system-out>\n    ",
            escape(note)
        );
    }
    out.push_str("</testcase>\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Verdict;
    use crate::report::fixtures::example;

    /// The example run's `junit.xml`, checked by hand: the passing gate is an
    /// empty case, the failing one carries observed, expected and window,
    /// the baseline row passes and says its verdict.
    const GOLDEN: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="agentload" tests="4" failures="1" errors="0" time="12.000">
  <testsuite name="smoke-20261124T140000Z" tests="4" failures="1" errors="0" skipped="0" time="12.000" timestamp="2026-11-24T14:00:00">
    <properties>
      <property name="profile" value="smoke"/>
      <property name="target" value="http&#58;//127.0.0.1:8080"/>
      <property name="agents" value="30"/>
      <property name="agents_connected_peak" value="30"/>
      <property name="verdict" value="failed"/>
      <property name="reason" value="gate invite_delivery.p99 &lt; 80ms over 5s failed"/>
      <property name="passed" value="false"/>
      <property name="tool_version" value="0.1.0"/>
    </properties>
    <testcase classname="agentload.smoke" name="run" time="12.000"></testcase>
    <testcase classname="agentload.smoke.gates" name="interactions_lost == 0" time="0"></testcase>
    <testcase classname="agentload.smoke.gates" name="invite_delivery.p99 &lt; 80ms over 5s" time="0">
      <failure type="gate" message="observed 89.3 ms, expected &lt; 80ms in window 2 s – 7 s">rule: invite_delivery.p99 &lt; 80ms over 5s
observed: 89.3 ms
expected: &lt; 80ms
first failed window: 2 s – 7 s</failure>
    </testcase>
    <testcase classname="agentload.smoke.baseline" name="invite_delivery.p99 vs baseline" time="0">
      <system-out>verdict: unchanged
baseline reports/smoke-20261123T140000Z: 70.0 ms
this run: 72.0 ms
change: +2.9% (allowed 10.0%, latency changes under 1.00 ms never count)
intervals (99.0% confidence): [66.0 ms, 75.0 ms] -&gt; [68.0 ms, 77.0 ms]</system-out>
    </testcase>
  </testsuite>
</testsuites>
"#;

    #[test]
    fn example_run_matches_golden() {
        assert_eq!(render(&example()), GOLDEN);
    }

    fn parse(xml: &str) -> roxmltree::Document<'_> {
        match roxmltree::Document::parse(xml) {
            Ok(d) => d,
            Err(e) => panic!("junit.xml not well formed: {e}\n{xml}"),
        }
    }

    #[test]
    fn regressions_and_odd_texts_stay_valid_xml() {
        let mut r = example();
        let mut gates = r.gates.clone();
        gates[0].rule = "errors.rate < 0.1% & \"quoted\" <x>".into();
        gates[0].passed = false;
        gates[0].note = Some("no data in ]]> window".into());
        let mut baseline = r.baseline.clone().unwrap();
        baseline.rows[0].verdict = RowVerdict::Regressed;
        baseline.rows[0].change_pct = Some(102.9);
        let mut unknown = baseline.rows[0].clone();
        unknown.stat = "p999".into();
        unknown.verdict = RowVerdict::NotEnoughData;
        unknown.new_interval = None;
        baseline.rows.push(unknown);
        baseline.passed = false;
        r.set_verdicts(gates, Some(baseline));
        let xml = render(&r);
        let doc = parse(&xml);
        let suite = doc
            .descendants()
            .find(|n| n.has_tag_name("testsuite"))
            .unwrap();
        // The run case, two gates, two baseline rows.
        assert_eq!(suite.attribute("tests"), Some("5"));
        assert_eq!(suite.attribute("failures"), Some("3"));
        assert_eq!(suite.attribute("skipped"), Some("1"));
        let skipped = doc
            .descendants()
            .find(|n| n.has_tag_name("skipped"))
            .unwrap();
        assert_eq!(skipped.attribute("message"), Some("not enough data"));
        assert_eq!(
            skipped.parent().unwrap().attribute("name"),
            Some("invite_delivery.p999 vs baseline")
        );
        let failures: Vec<_> = doc
            .descendants()
            .filter(|n| n.has_tag_name("failure"))
            .collect();
        assert_eq!(failures.len(), 3);
        assert_eq!(
            failures[0].parent().unwrap().attribute("name"),
            Some("errors.rate < 0.1% & \"quoted\" <x>")
        );
        assert!(
            failures[0]
                .text()
                .unwrap()
                .contains("note: no data in ]]> window")
        );
        assert_eq!(failures[2].attribute("type"), Some("regression"));
        assert!(
            failures[2]
                .attribute("message")
                .unwrap()
                .starts_with("+102.9% against the baseline (allowed 10.0%), beyond chance")
        );
    }

    #[test]
    fn run_without_gates_is_one_passing_run_case() {
        let mut r = example();
        r.set_verdicts(Vec::new(), None);
        let xml = render(&r);
        let doc = parse(&xml);
        let suite = doc
            .descendants()
            .find(|n| n.has_tag_name("testsuite"))
            .unwrap();
        assert_eq!(suite.attribute("tests"), Some("1"));
        assert_eq!(suite.attribute("failures"), Some("0"));
        let cases: Vec<_> = doc
            .descendants()
            .filter(|n| n.has_tag_name("testcase"))
            .collect();
        assert_eq!(cases.len(), 1);
        assert_eq!(cases[0].attribute("name"), Some("run"));
    }

    #[test]
    fn a_run_that_stopped_early_is_a_failing_run_case_whatever_the_gates() {
        for verdict in [Verdict::NotRun, Verdict::Interrupted, Verdict::Aborted] {
            let mut r = example();
            r.set_verdicts(Vec::new(), None);
            r.conclude(verdict, "stopped <early> & why");
            let xml = render(&r);
            let doc = parse(&xml);
            let failure = doc
                .descendants()
                .find(|n| n.has_tag_name("failure"))
                .unwrap_or_else(|| panic!("no failure for {verdict:?}:\n{xml}"));
            assert_eq!(failure.parent().unwrap().attribute("name"), Some("run"));
            assert_eq!(failure.attribute("type"), Some(verdict.name()));
            assert!(
                failure
                    .attribute("message")
                    .unwrap()
                    .contains("stopped <early> & why")
            );
        }
    }
}
