//! Each writer on the fixed example run, against golden files.
//! Regenerate them after an intended format change with
//! `UPDATE_GOLDEN=1 cargo test --test integration report_writers`, and review the diff.

use std::path::PathBuf;

use agentload::report::{self, Export, RunResults};

fn golden(name: &str, actual: &[u8]) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_GOLDEN=1 creates it)", path.display()));
    assert!(
        expected == actual,
        "{name} differs from {}:\n{}",
        path.display(),
        String::from_utf8_lossy(actual)
    );
}

#[test]
fn summary_json_matches_golden() {
    golden(
        "summary.json",
        &report::json::SummaryJson
            .render(&RunResults::example())
            .unwrap(),
    );
}

#[test]
fn summary_csv_matches_golden() {
    let bytes = report::csv::SummaryCsv
        .render(&RunResults::example())
        .unwrap();
    golden("summary.csv", &bytes);
    let text = String::from_utf8(bytes).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("name,count,min_us,mean_us,p50_us,p90_us,p95_us,p99_us,p999_us,max_us")
    );
    assert_eq!(lines.count(), agentload::metrics::Measure::ALL.len());
}

#[test]
fn timeseries_csv_matches_golden_and_its_pieces() {
    let r = RunResults::example();
    let bytes = report::timeseries::TimeseriesCsv.render(&r).unwrap();
    golden("timeseries.csv", &bytes);
    let mut pieces = report::timeseries::header();
    for i in &r.intervals {
        pieces.push_str(&report::timeseries::row(i));
    }
    assert_eq!(pieces.as_bytes(), &bytes[..]);
    let text = String::from_utf8(bytes).unwrap();
    let columns = text.lines().next().unwrap().split(',').count();
    assert!(text.lines().all(|l| l.split(',').count() == columns));
    assert_eq!(text.lines().count(), 1 + r.intervals.len());
}

#[test]
fn every_writer_has_a_distinct_file() {
    let mut names: Vec<&str> = report::WRITERS.iter().map(|w| w.file_name()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), report::WRITERS.len());
    for expected in [
        "summary.json",
        "summary.csv",
        "timeseries.csv",
        "histograms.hlog",
    ] {
        assert!(names.contains(&expected), "{expected} missing");
    }
}
