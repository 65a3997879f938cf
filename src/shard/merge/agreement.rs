//! Do the shard folders make one run? Every `shard.json` must name the same
//! run (id, seed, profile hash, shard count, interval, start) and a distinct
//! index; which indices are missing is told apart from a disagreement (a
//! missing shard can be merged around with `--allow-partial`, two runs never).

use std::fmt::Display;
use std::path::Path;

use crate::error::Error;
use crate::shard::ShardManifest;

/// One shard folder whose manifest could be read.
#[derive(Debug, Clone, Copy)]
pub struct Member<'a> {
    /// The folder, as given.
    pub dir: &'a Path,
    /// Its `shard.json`.
    pub manifest: &'a ShardManifest,
}

/// Checks that `members` are shards of one run of `expect` shards; returns
/// the indices in `0..expect` no member holds, in order. A disagreement is an
/// input error (exit 2) naming both folders and the field.
pub fn check(members: &[Member<'_>], expect: u32) -> Result<Vec<u32>, Error> {
    if expect == 0 {
        return Err(Error::input(
            "--expect-shards 0: a run has at least one shard; pass the N of the shards' --shard I/N",
        ));
    }
    for m in members {
        if m.manifest.count != expect {
            return Err(Error::input(format!(
                "{} is shard {} of {} (its shard.json field `count`), but --expect-shards is {expect}; \
                 pass --expect-shards {} or leave that folder out",
                m.dir.display(),
                m.manifest.index,
                m.manifest.count,
                m.manifest.count
            )));
        }
    }
    if let Some(first) = members.first() {
        for other in &members[1..] {
            agree(first, other)?;
        }
    }
    let mut holder: Vec<Option<&Member<'_>>> = vec![None; expect as usize];
    for m in members {
        let slot = &mut holder[m.manifest.index as usize];
        if let Some(earlier) = slot {
            return Err(Error::input(format!(
                "{} and {} are both shard {} of {expect} (field `index` of their shard.json); \
                 give each shard's folder once",
                earlier.dir.display(),
                m.dir.display(),
                m.manifest.index
            )));
        }
        *slot = Some(m);
    }
    Ok((0..expect)
        .filter(|&i| holder[i as usize].is_none())
        .collect())
}

/// The fields of `b` that must equal `a`'s.
fn agree(a: &Member<'_>, b: &Member<'_>) -> Result<(), Error> {
    let (x, y) = (a.manifest, b.manifest);
    same(a, b, "run_id", &x.run_id, &y.run_id)?;
    same(a, b, "seed", &x.seed, &y.seed)?;
    same(a, b, "profile_sha256", &x.profile_sha256, &y.profile_sha256)?;
    same(a, b, "interval_ms", &x.interval_ms, &y.interval_ms)?;
    same(a, b, "start_unix_us", &x.start_unix_us, &y.start_unix_us)
}

fn same<T: PartialEq + Display>(
    a: &Member<'_>,
    b: &Member<'_>,
    field: &str,
    x: &T,
    y: &T,
) -> Result<(), Error> {
    if x == y {
        return Ok(());
    }
    Err(Error::input(format!(
        "the shards disagree on `{field}` of shard.json: {} (shard {} of {}) has {x}, {} (shard {} of {}) has {y}; \
         every shard of one run is started with the same profile, --run-id, --seed and --start-at",
        a.dir.display(),
        a.manifest.index,
        a.manifest.count,
        b.dir.display(),
        b.manifest.index,
        b.manifest.count
    )))
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::shard::ClockState;
    use crate::shard::manifest::SCHEMA;

    pub fn manifest(index: u32, count: u32) -> ShardManifest {
        ShardManifest {
            schema: SCHEMA.to_string(),
            index,
            count,
            run_id: "smoke-1".into(),
            seed: 42,
            profile_sha256: "ab".repeat(32),
            start_at: "2026-12-02T11:00:00Z".into(),
            start_unix_us: 1_796_209_200_000_000,
            interval_ms: 1000,
            agents: 10,
            clock: ClockState::unknown(),
            host: "h".into(),
            pid: 1,
            version: "0".into(),
        }
    }

    fn members<'a>(dirs: &'a [&'a Path], manifests: &'a [ShardManifest]) -> Vec<Member<'a>> {
        dirs.iter()
            .zip(manifests)
            .map(|(dir, manifest)| Member { dir, manifest })
            .collect()
    }

    const DIRS: [&str; 3] = ["s0", "s1", "s2"];

    fn dirs() -> Vec<&'static Path> {
        DIRS.iter().map(Path::new).collect()
    }

    #[test]
    fn a_whole_run_agrees_and_misses_nothing() {
        let all = [manifest(2, 3), manifest(0, 3), manifest(1, 3)];
        let d = dirs();
        assert_eq!(check(&members(&d, &all), 3).unwrap(), Vec::<u32>::new());
        let two = [manifest(2, 3), manifest(0, 3)];
        assert_eq!(check(&members(&d, &two), 3).unwrap(), vec![1]);
        assert_eq!(check(&[], 2).unwrap(), vec![0, 1]);
    }

    #[test]
    fn each_field_that_must_agree_is_named_with_both_folders() {
        let d = dirs();
        type Change = fn(&mut ShardManifest);
        let cases: [(&str, Change); 5] = [
            ("run_id", |m| m.run_id = "other".into()),
            ("seed", |m| m.seed = 43),
            ("profile_sha256", |m| m.profile_sha256 = "cd".into()),
            ("interval_ms", |m| m.interval_ms = 500),
            ("start_unix_us", |m| m.start_unix_us += 1),
        ];
        for (field, change) in cases {
            let mut other = manifest(1, 3);
            change(&mut other);
            let ms = [manifest(0, 3), other];
            let err = check(&members(&d, &ms), 3).unwrap_err();
            assert_eq!(err.exit_code(), 2);
            let text = err.to_string();
            assert!(text.contains(&format!("`{field}`")), "{text}");
            assert!(
                text.contains("s0 (shard 0 of 3)") && text.contains("s1 (shard 1 of 3)"),
                "{text}"
            );
        }
    }

    #[test]
    fn counts_duplicates_and_zero_are_input_errors() {
        let d = dirs();
        let err = check(&members(&d, &[manifest(0, 4)]), 3).unwrap_err();
        assert!(err.to_string().contains("--expect-shards 4"), "{err}");
        let err = check(&members(&d, &[manifest(1, 3), manifest(1, 3)]), 3).unwrap_err();
        assert!(
            err.to_string().contains("s0 and s1 are both shard 1 of 3"),
            "{err}"
        );
        assert_eq!(check(&[], 0).unwrap_err().exit_code(), 2);
    }
}
