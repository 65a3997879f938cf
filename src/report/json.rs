//! `summary.json`: the run's versioned machine-readable summary, written at
//! the end and read back by `agentload report` and `agentload compare`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::metrics::{Counter, Measure};

use super::export::Export;
use super::model::{
    BaselineComparison, Drift, GateResult, GeneratorSummary, PercentileBounds, Percentiles,
    RunInfo, RunResults, ShardRow, Verdict,
};

/// The schema tag of the current summary format.
pub const SCHEMA: &str = "agentload.summary/1";
/// The file's name in a run folder.
pub const FILE_NAME: &str = "summary.json";

/// The content of `summary.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// Facts about the run.
    pub run: RunInfo,
    /// What the run came to: `passed`, `failed`, `aborted`, `interrupted`,
    /// `not_run`, or `running` (the summary written when the run starts).
    /// Summaries from before it was written read as `passed`/`failed`.
    #[serde(default)]
    pub verdict: Verdict,
    /// Why, in one line.
    #[serde(default)]
    pub reason: String,
    /// True only when `verdict` is `passed`.
    pub passed: bool,
    /// The process of a run still going (only while `verdict` is `running`),
    /// so `agentload report` can tell a live run from a killed one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
    /// Percentiles per measurement name (every measurement, zeros when unused).
    pub metrics: BTreeMap<String, Percentiles>,
    /// 99 % confidence intervals `[low, high]` (µs) of the percentiles, by
    /// measurement then stat, from the whole-run histograms; a percentile
    /// with too few values for one is absent. `compare` judges noise by them.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub percentile_bounds: PercentileBounds,
    /// Counter totals by name.
    #[serde(default)]
    pub counters: BTreeMap<String, u64>,
    /// Errors by kind.
    #[serde(default)]
    pub errors: BTreeMap<String, u64>,
    /// Errors / (measured operations + errors), as a fraction.
    #[serde(default)]
    pub error_ratio: f64,
    /// The generator's own health.
    #[serde(default)]
    pub generator: GeneratorSummary,
    /// Trends of key series over the run.
    #[serde(default)]
    pub drift: Vec<Drift>,
    /// Gate verdicts.
    #[serde(default)]
    pub gates: Vec<GateResult>,
    /// Comparison with a baseline, when there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineComparison>,
    /// Remarks for the reader.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Number of intervals measured.
    #[serde(default)]
    pub intervals: usize,
    /// The profile the run used, as resolved TOML.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile_toml: Option<String>,
    /// The shards of a run merged by `agentload merge`, by index (absent for
    /// a run of one process).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shards: Vec<ShardRow>,
    /// True when `agentload merge --allow-partial` merged without every
    /// shard (absent otherwise).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub partial: bool,
}

impl Summary {
    /// The summary of a run.
    pub fn of(r: &RunResults) -> Summary {
        Summary {
            schema: SCHEMA.to_string(),
            run: RunInfo {
                agents_connected_peak: r.agents_connected_peak(),
                ..r.run.clone()
            },
            verdict: r.verdict,
            reason: r.reason.clone(),
            passed: r.passed,
            pid: (r.verdict == Verdict::Running).then(std::process::id),
            metrics: Measure::ALL
                .iter()
                .map(|&m| (m.name().to_string(), r.percentiles(m)))
                .collect(),
            percentile_bounds: r.percentile_bounds.clone(),
            counters: Counter::ALL
                .iter()
                .map(|&c| (c.name().to_string(), r.counter(c)))
                .collect(),
            errors: r.errors.clone(),
            error_ratio: r.error_ratio(),
            generator: r.generator.clone(),
            drift: r.drift.clone(),
            gates: r.gates.clone(),
            baseline: r.baseline.clone(),
            notes: r.notes.clone(),
            intervals: r.intervals.len(),
            profile_toml: r.profile_toml.clone(),
            shards: r.shards.clone(),
            partial: r.partial,
        }
    }

    /// Parses `summary.json` bytes; `origin` names the file in errors.
    pub fn parse(bytes: &[u8], origin: &str) -> Result<Summary, Error> {
        let summary: Summary = serde_json::from_slice(bytes).map_err(|e| {
            Error::input(format!(
                "{origin}: not a valid agentload summary ({e}); expected the summary.json a run wrote"
            ))
        })?;
        if summary.schema != SCHEMA {
            return Err(Error::input(format!(
                "{origin}: unsupported summary schema {:?}; this agentload reads {SCHEMA:?}",
                summary.schema
            )));
        }
        Ok(summary)
    }

    /// The verdict, for a summary written before verdicts were: from `passed`.
    fn verdict_or_passed(&self) -> Verdict {
        match (self.verdict, self.passed) {
            (Verdict::Passed, false) => Verdict::Failed,
            (v, _) => v,
        }
    }

    /// True while the run that wrote this summary is still going: it is the
    /// summary of the run's start and its process is alive.
    pub fn is_running(&self) -> bool {
        self.verdict == Verdict::Running && self.pid.is_some_and(process_alive)
    }

    /// Percentiles of one measurement (zeros when absent).
    pub fn percentiles(&self, m: Measure) -> Percentiles {
        self.metrics.get(m.name()).copied().unwrap_or_default()
    }

    /// Results carrying this summary's figures but no interval data and no
    /// histograms (what `compare`, and `report` without an hlog, work from).
    pub fn to_results(&self) -> RunResults {
        let mut measures = vec![Percentiles::default(); Measure::ALL.len()];
        for m in Measure::ALL {
            measures[m.index()] = self.percentiles(m);
        }
        let mut counters = vec![0; Counter::ALL.len()];
        for c in Counter::ALL {
            counters[c.index()] = self.counters.get(c.name()).copied().unwrap_or(0);
        }
        RunResults {
            run: self.run.clone(),
            intervals: Vec::new(),
            measures,
            histograms: None,
            percentile_bounds: self.percentile_bounds.clone(),
            counters,
            errors: self.errors.clone(),
            generator: self.generator.clone(),
            drift: self.drift.clone(),
            gates: self.gates.clone(),
            baseline: self.baseline.clone(),
            notes: self.notes.clone(),
            profile_toml: self.profile_toml.clone(),
            passed: self.passed,
            verdict: self.verdict_or_passed(),
            reason: self.reason.clone(),
            shards: self.shards.clone(),
            partial: self.partial,
        }
    }
}

/// True when a process with this id exists (a pid that is gone, from a
/// killed run, is not "running").
fn process_alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    #[cfg(target_os = "linux")]
    {
        std::path::Path::new(&format!("/proc/{pid}")).exists()
    }
    #[cfg(all(unix, not(target_os = "linux")))]
    {
        // SAFETY: kill(2) with signal 0 only checks the pid; no memory is involved.
        let rc = unsafe { libc::kill(pid as libc::pid_t, 0) };
        rc == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
    }
    #[cfg(not(unix))]
    {
        false
    }
}

/// Writes `summary.json`.
pub struct SummaryJson;

impl Export for SummaryJson {
    fn file_name(&self) -> &'static str {
        FILE_NAME
    }

    fn render(&self, results: &RunResults) -> Result<Vec<u8>, Error> {
        let mut out = serde_json::to_vec_pretty(&Summary::of(results))
            .map_err(|e| Error::run(format!("cannot encode summary.json: {e}")))?;
        out.push(b'\n');
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_other_schemas() {
        let r = RunResults::example();
        let bytes = SummaryJson.render(&r).unwrap();
        let back = Summary::parse(&bytes, "summary.json").unwrap();
        assert_eq!(back, Summary::of(&r));
        let again = back.to_results();
        assert_eq!(again.measures, r.measures);
        assert_eq!(again.counters, r.counters);

        let text = String::from_utf8(bytes).unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["schema"], SCHEMA);
        assert_eq!(v["metrics"]["invite_delivery"]["count"], 240);
        assert!(v["metrics"]["invite_delivery"]["p999_us"].as_u64().unwrap() > 0);
        assert_eq!(v["counters"]["interactions_lost"], 0);
        assert_eq!(v["passed"], false);

        let other = text.replace(SCHEMA, "agentload.summary/9");
        let err = Summary::parse(other.as_bytes(), "x/summary.json").unwrap_err();
        assert!(err.to_string().contains("unsupported summary schema"));
        assert_eq!(err.exit_code(), 2);
        assert!(Summary::parse(b"{", "f").is_err());
    }

    #[test]
    fn a_measurement_without_samples_has_null_statistics_and_reads_back() {
        let mut r = RunResults::example();
        r.measures[Measure::Reject.index()] = Percentiles::default();
        let bytes = SummaryJson.render(&r).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        let reject = &v["metrics"]["reject"];
        assert_eq!(reject["count"], 0);
        for stat in ["min_us", "mean_us", "p50_us", "p99_us", "max_us"] {
            assert!(reject[stat].is_null(), "{stat}: {reject}");
        }
        let back = Summary::parse(&bytes, "summary.json").unwrap();
        assert_eq!(back.percentiles(Measure::Reject), Percentiles::default());
        assert_eq!(back, Summary::of(&r));
        // Older summaries wrote zeros: they still read.
        let old = r#"{"count":0,"min_us":0,"mean_us":0.0,"p50_us":0,"p90_us":0,"p95_us":0,"p99_us":0,"p999_us":0,"max_us":0}"#;
        let p: Percentiles = serde_json::from_str(old).unwrap();
        assert_eq!(p, Percentiles::default());
    }
}
