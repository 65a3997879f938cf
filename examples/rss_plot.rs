//! Draws the generator's resident memory over a run as a standalone SVG,
//! with the report's own chart code, from the run's `timeseries.csv`:
//! `cargo run --example rss_plot -- RUN_DIR/timeseries.csv [OUT.svg [TITLE]]`
//! (default output: `rss.svg`). Used for the soak note in docs/measurements/.

use std::path::PathBuf;
use std::process::ExitCode;

use agentload::report::svg::{LineChart, Series, line_chart};

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let Some(input) = args.next().map(PathBuf::from) else {
        eprintln!("usage: rss_plot TIMESERIES_CSV [OUT.svg [TITLE]]");
        return ExitCode::from(2);
    };
    let output = args
        .next()
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("rss.svg"));
    let title = args
        .next()
        .map(|t| t.to_string_lossy().into_owned())
        .unwrap_or_else(|| "Generator resident memory (RSS)".to_string());

    let text = match std::fs::read_to_string(&input) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("cannot read {}: {e}", input.display());
            return ExitCode::from(2);
        }
    };
    let points = match rss_points(&text) {
        Ok(points) => points,
        Err(e) => {
            eprintln!("{}: {e}", input.display());
            return ExitCode::from(2);
        }
    };
    let series = [Series::new("RSS (MiB)", points)];
    let svg = line_chart(&LineChart {
        title: &title,
        y_label: "RSS (MiB)",
        series: &series,
        guides: &[],
    });
    // Inlined in HTML the namespace is implied; a file on its own needs it.
    let svg = svg.replacen("<svg ", "<svg xmlns=\"http://www.w3.org/2000/svg\" ", 1);
    if let Err(e) = std::fs::write(&output, svg + "\n") {
        eprintln!("cannot write {}: {e}", output.display());
        return ExitCode::from(3);
    }
    println!("wrote {}", output.display());
    ExitCode::SUCCESS
}

/// `(end of interval in s, RSS in MiB)` per row, the columns found by name.
fn rss_points(csv: &str) -> Result<Vec<(f64, f64)>, String> {
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split(',').collect();
    let column = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .ok_or_else(|| format!("no {name} column; expected an agentload timeseries.csv"))
    };
    let (offset, length, rss) = (
        column("offset_s")?,
        column("length_s")?,
        column("rss_bytes")?,
    );
    let mut points = Vec::new();
    for (n, line) in lines.enumerate().filter(|(_, l)| !l.is_empty()) {
        let fields: Vec<&str> = line.split(',').collect();
        let number = |i: usize| -> Result<f64, String> {
            fields
                .get(i)
                .and_then(|f| f.parse::<f64>().ok())
                .ok_or_else(|| format!("row {}: column {} is not a number", n + 2, i + 1))
        };
        points.push((
            number(offset)? + number(length)?,
            number(rss)? / (1024.0 * 1024.0),
        ));
    }
    if points.is_empty() {
        return Err("no rows".to_string());
    }
    Ok(points)
}
