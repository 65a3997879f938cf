//! `report.html` on the deterministic example run: self-contained, well
//! formed, every section and chart present, every text escaped.

use agentload::metrics::Measure;
use agentload::report::fixtures::{example, example_run_info};
use agentload::report::{GateResult, IntervalAccumulator, RunResults, html};

fn page(results: &RunResults, profile: Option<&str>) -> String {
    String::from_utf8(html::write(results, profile)).unwrap()
}

/// The page is written as well-formed XML (void elements self-closed), so
/// an XML parser checks that every element is closed and nested.
fn parse(page: &str) -> roxmltree::Document<'_> {
    let opts = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..Default::default()
    };
    match roxmltree::Document::parse_with_options(page, opts) {
        Ok(doc) => doc,
        Err(e) => panic!("report.html is not well formed: {e}"),
    }
}

fn count_class(doc: &roxmltree::Document<'_>, class: &str) -> usize {
    doc.descendants()
        .filter(|n| {
            n.attribute("class")
                .is_some_and(|c| c.split(' ').any(|c| c == class))
        })
        .count()
}

fn text_of(doc: &roxmltree::Document<'_>, class: &str) -> String {
    doc.descendants()
        .filter(|n| n.attribute("class").is_some_and(|c| c.starts_with(class)))
        .flat_map(|n| {
            n.descendants()
                .filter(|t| t.is_text())
                .filter_map(|t| t.text())
        })
        .collect()
}

#[test]
fn references_nothing_outside_the_file() {
    let p = page(
        &example(),
        Some("name = \"smoke\"\n# see https://example.org\n"),
    );
    let lower = p.to_lowercase();
    for forbidden in [
        "http://", "https://", "<script", "<link", "<img", " src=", "url(", "@import",
    ] {
        assert!(
            !lower.contains(forbidden),
            "report.html contains {forbidden:?}"
        );
    }
    // In-page anchors only.
    for (i, _) in p.match_indices("href=\"") {
        assert_eq!(&p[i + 6..i + 7], "#", "external link at {}", &p[i..i + 40]);
    }
    // URLs in the run's texts are shown, with the scheme's colon as an
    // entity so the file holds no literal network address.
    assert!(p.contains("against http&#58;//127.0.0.1:8080<"));
    assert!(p.contains("# see https&#58;//example.org"));
}

#[test]
fn failed_run_shows_verdict_gates_and_every_chart() {
    let r = example();
    let p = page(&r, None);
    let doc = parse(&p);
    assert_eq!(
        text_of(&doc, "verdict"),
        "FAILED1 of 2 gates failed; baseline held"
    );
    assert_eq!(count_class(&doc, "failed"), 1);
    // 3 percentile charts, 3 latency-over-time, throughput, agents, errors, 3 generator.
    assert_eq!(
        doc.descendants().filter(|n| n.has_tag_name("svg")).count(),
        12
    );
    assert_eq!(count_class(&doc, "no-data"), 0);
    assert!(!p.contains("NaN") && !p.contains("inf\""));
    // The failed gate's row: rule, observed, expected, window.
    let failed_row: String = doc
        .descendants()
        .find(|n| n.has_tag_name("tr") && n.attribute("class") == Some("fail"))
        .unwrap()
        .descendants()
        .filter(|t| t.is_text())
        .filter_map(|t| t.text())
        .collect::<Vec<_>>()
        .join("|");
    assert_eq!(
        failed_row,
        "invite_delivery.p99 < 80ms over 5s|89.3 ms|< 80ms|FAIL|2 s – 7 s"
    );
    // Every measurement with samples is in a legend and in the summary table.
    let names: Vec<&str> = doc
        .descendants()
        .filter(|n| n.attribute("class") == Some("name"))
        .filter_map(|n| n.text())
        .collect();
    for m in Measure::ALL {
        assert!(
            names.contains(&m.name()),
            "{} missing from the tables",
            m.name()
        );
        // A measurement without samples (the pub/sub ones here) has no chart.
        assert_eq!(
            p.contains(&format!(">{}</text>", m.name())),
            r.percentiles(m).count > 0,
            "{} in the charts exactly when it has samples",
            m.name()
        );
    }
    // Sections a reader navigates to.
    for id in [
        "gates",
        "baseline",
        "distribution",
        "over-time",
        "throughput",
        "errors",
        "generator",
        "measurements",
        "profile",
    ] {
        assert!(
            doc.descendants().any(|n| n.attribute("id") == Some(id)),
            "section {id} missing"
        );
    }
}

#[test]
fn passed_run_says_so() {
    let mut r = example();
    let gates: Vec<GateResult> = r
        .gates
        .iter()
        .cloned()
        .map(|g| GateResult {
            passed: true,
            window: None,
            ..g
        })
        .collect();
    r.set_verdicts(gates, r.baseline.clone());
    let p = page(&r, None);
    let doc = parse(&p);
    assert_eq!(count_class(&doc, "passed"), 1);
    assert_eq!(count_class(&doc, "failed"), 0);
    assert!(text_of(&doc, "verdict").starts_with("PASSED2 of 2 gates passed"));
    assert!(p.starts_with("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/>"));
    assert!(p.contains("<title>PASSED · smoke · agentload</title>"));
}

#[test]
fn every_text_from_the_run_is_escaped() {
    let mut r = example();
    r.run.profile = "<b>bold</b> & \"quoted\"".to_string();
    r.errors.insert("<script>".to_string(), 2);
    r.notes.push("note with <tag> & ampersand".to_string());
    let mut gates = r.gates.clone();
    gates[0].rule = "errors.rate < 0.1% & <x>".to_string();
    r.set_verdicts(gates, None);
    let profile = "name = \"<script>alert('x')</script>\"\n";
    let p = page(&r, Some(profile));
    parse(&p);
    assert!(
        !p.contains("<b>bold")
            && !p.contains("<script")
            && !p.contains("<tag>")
            && !p.contains("<x>")
    );
    assert!(p.contains("&lt;b&gt;bold&lt;/b&gt; &amp; &quot;quoted&quot;"));
    assert!(p.contains(
        "<pre class=\"profile\">name = &quot;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&quot;\n</pre>"
    ));
    assert!(p.contains("errors.rate &lt; 0.1% &amp; &lt;x&gt;"));
}

#[test]
fn doubtful_generator_gets_a_prominent_warning() {
    let calm = page(&example(), None);
    assert!(!calm.contains("class=\"warning\""));
    let mut r = example();
    r.generator.doubtful_intervals = 6;
    r.generator.doubtful = true;
    r.generator.scheduler_lag_p99_us = 180_000;
    r.generator.peak_cpu_percent = 99.0;
    let p = page(&r, None);
    let doc = parse(&p);
    // Once at the top, once in the generator section.
    assert_eq!(count_class(&doc, "warning"), 2);
    let top = p.find("class=\"warning\"").unwrap();
    assert!(
        top < p.find("id=\"gates\"").unwrap(),
        "warning is not above the gates"
    );
    assert!(p.contains("In 6 of 12 intervals its scheduler lag (p99 up to 180 ms)"));
}

#[test]
fn empty_run_renders_no_data_frames_without_nan() {
    let r = IntervalAccumulator::new().finish(example_run_info());
    let p = page(&r, None);
    let doc = parse(&p);
    assert_eq!(
        doc.descendants().filter(|n| n.has_tag_name("svg")).count(),
        12
    );
    assert_eq!(count_class(&doc, "no-data"), 12);
    assert!(!p.contains("NaN"));
    assert!(p.contains("No gates were set"));
    assert!(
        p.contains("The profile&#39;s text was not recorded")
            || p.contains("The profile's text was not recorded")
    );
    assert_eq!(text_of(&doc, "verdict"), "PASSEDno gates set");
}

#[test]
fn rebuilt_run_without_histograms_still_draws_percentile_curves() {
    let mut r = example();
    r.histograms = None;
    let p = page(&r, None);
    let doc = parse(&p);
    assert_eq!(count_class(&doc, "no-data"), 0);
    // The fallback curve has the summary's 7 points (min .. max): 6 segments.
    let first_percentile_path = doc
        .descendants()
        .find(|n| n.attribute("class") == Some("chart percentiles"))
        .unwrap()
        .descendants()
        .find(|n| n.attribute("class") == Some("series"))
        .unwrap();
    assert_eq!(
        first_percentile_path
            .attribute("d")
            .unwrap()
            .matches(" L")
            .count(),
        6
    );
}

#[test]
fn output_is_a_pure_function_of_the_input() {
    assert_eq!(
        html::write(&example(), Some("x")),
        html::write(&example(), Some("x"))
    );
}

#[test]
fn writers_behind_the_export_trait_match_the_functions() {
    use agentload::report::Export;
    use agentload::report::html::ReportHtml;
    use agentload::report::junit::{self, JunitXml};
    use agentload::report::markdown::{self, SummaryMd};
    let r = example();
    let html_writer = ReportHtml {
        profile: Some("name = \"smoke\"\n".to_string()),
    };
    let writers: [(&dyn Export, Vec<u8>); 3] = [
        (&html_writer, html::write(&r, Some("name = \"smoke\"\n"))),
        (&JunitXml, junit::write(&r)),
        (&SummaryMd, markdown::write(&r)),
    ];
    let names: Vec<&str> = writers.iter().map(|(w, _)| w.file_name()).collect();
    assert_eq!(names, ["report.html", "junit.xml", "summary.md"]);
    for (w, expected) in writers {
        assert_eq!(w.render(&r).unwrap(), expected, "{}", w.file_name());
    }
}

#[test]
fn an_hour_long_soak_stays_a_small_page() {
    let mut r = example();
    let template = r.intervals[5].clone();
    r.intervals = (0..3600u64)
        .map(|i| {
            let mut s = template.clone();
            s.index = i;
            s.start_offset_ms = i * 1000;
            s.start_unix_ms = r.run.start_unix_ms + i * 1000;
            s.encoded.clear();
            s
        })
        .collect();
    r.run.duration_ms = 3_600_000;
    let p = page(&r, None);
    parse(&p);
    assert!(p.len() < 1_000_000, "report.html is {} bytes", p.len());
    assert!(
        p.contains(">50m</text>"),
        "time axis does not span the hour"
    );
    assert!(!p.contains("NaN"));
}
