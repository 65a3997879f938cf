//! The `[run]` table: how a run is spread over processes and threads on
//! this machine.

use std::fmt;
use std::num::NonZeroUsize;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The most generator processes one run spreads over on one machine.
pub const MAX_PROCESSES: u32 = 64;
/// The most worker threads one generator process runs.
pub const MAX_THREADS: usize = 256;

/// `[run]`: settings of the run itself rather than of its load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunSettings {
    /// Generator processes on this machine (`--processes`): a count, or
    /// `"auto"` to size it from the open-file limit and the peak agents.
    /// None = one process.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub processes: Option<Processes>,
    /// Worker threads of each generator process (`--threads`). None = one:
    /// a second worker mostly wakes to steal a task and parks again, which
    /// costs a quarter of an idle connect cycle's CPU; more cores are better
    /// used as more processes (`processes`), each with its own file limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threads: Option<NonZeroUsize>,
}

impl RunSettings {
    /// Whether nothing is set (the table is left out of the profile as run).
    pub fn is_default(&self) -> bool {
        *self == RunSettings::default()
    }

    /// Worker threads of each generator process: `threads`, else 1.
    pub fn worker_threads(&self) -> usize {
        self.threads.map_or(1, NonZeroUsize::get)
    }

    /// The generator processes for `peak` agents when each process may open
    /// `files` files: 1 unless `processes` is set.
    pub fn generator_processes(&self, peak: u32, files: u64) -> u32 {
        self.processes.map_or(1, |p| {
            p.resolve(peak, crate::nofile::agents_per_process(files))
        })
    }
}

/// How many generator processes a run uses on this machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Processes {
    /// As few as the open-file limit allows for the peak agents.
    Auto,
    /// Exactly this many (1..=[`MAX_PROCESSES`]).
    Count(u32),
}

impl Processes {
    /// The number of processes for `peak` agents when one process may hold
    /// `agents_per_process`: a count as given, `auto` the fewest that fit.
    pub fn resolve(self, peak: u32, agents_per_process: u32) -> u32 {
        match self {
            Processes::Count(n) => n,
            Processes::Auto => peak
                .div_ceil(agents_per_process.max(1))
                .clamp(1, MAX_PROCESSES),
        }
    }
}

impl FromStr for Processes {
    type Err = String;

    fn from_str(s: &str) -> Result<Processes, String> {
        if s.eq_ignore_ascii_case("auto") {
            return Ok(Processes::Auto);
        }
        match s.parse::<u32>() {
            Ok(n) if (1..=MAX_PROCESSES).contains(&n) => Ok(Processes::Count(n)),
            _ => Err(format!(
                "{s:?} is not a process count: expected \"auto\" or a whole number from 1 to {MAX_PROCESSES}"
            )),
        }
    }
}

impl fmt::Display for Processes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Processes::Auto => f.write_str("auto"),
            Processes::Count(n) => write!(f, "{n}"),
        }
    }
}

impl Serialize for Processes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Processes::Auto => s.serialize_str("auto"),
            Processes::Count(n) => s.serialize_u32(*n),
        }
    }
}

impl<'de> Deserialize<'de> for Processes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Processes, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Written {
            Count(i64),
            Word(String),
        }
        let text = match Written::deserialize(d)? {
            Written::Count(n) => n.to_string(),
            Written::Word(w) => w,
        };
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_is_the_fewest_processes_that_hold_the_peak() {
        assert_eq!(Processes::Auto.resolve(200, 16_000), 1);
        assert_eq!(Processes::Auto.resolve(16_000, 16_000), 1);
        assert_eq!(Processes::Auto.resolve(16_001, 16_000), 2);
        assert_eq!(Processes::Auto.resolve(50_000, 16_000), 4);
        assert_eq!(Processes::Auto.resolve(10_000_000, 1), MAX_PROCESSES);
        assert_eq!(Processes::Count(3).resolve(50_000, 16_000), 3);
    }

    #[test]
    fn counts_and_auto_parse_and_anything_else_says_what_is_expected() {
        assert_eq!("auto".parse(), Ok(Processes::Auto));
        assert_eq!("4".parse(), Ok(Processes::Count(4)));
        for bad in ["0", "65", "-1", "two", ""] {
            let e = bad.parse::<Processes>().unwrap_err();
            assert!(
                e.contains("expected \"auto\" or a whole number"),
                "{bad}: {e}"
            );
        }
    }

    #[test]
    fn the_table_reads_a_word_or_a_number() {
        let s: RunSettings = toml::from_str("processes = \"auto\"").unwrap();
        assert_eq!(s.processes, Some(Processes::Auto));
        let s: RunSettings = toml::from_str("processes = 2").unwrap();
        assert_eq!(s.processes, Some(Processes::Count(2)));
        let e = toml::from_str::<RunSettings>("processes = 0").unwrap_err();
        assert!(e.to_string().contains("from 1 to 64"), "{e}");
        assert_eq!(toml::to_string(&s).unwrap().trim(), "processes = 2");
    }

    #[test]
    fn one_worker_thread_unless_told() {
        assert_eq!(RunSettings::default().worker_threads(), 1);
        let s: RunSettings = toml::from_str("threads = 3").unwrap();
        assert_eq!(s.worker_threads(), 3);
        let e = toml::from_str::<RunSettings>("threads = 0").unwrap_err();
        assert!(e.to_string().contains("nonzero"), "{e}");
    }
}
