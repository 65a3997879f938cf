//! `--shard I/N`: which of N shards this process is.

use std::str::FromStr;

/// Shard `index` of `count` (0-based: `0/3`, `1/3`, `2/3`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShardSpec {
    /// This shard's index, `0..count`.
    pub index: u32,
    /// How many shards make the run (>= 1).
    pub count: u32,
}

impl ShardSpec {
    /// The whole run in one process (`0/1`).
    pub const WHOLE: ShardSpec = ShardSpec { index: 0, count: 1 };

    /// Whether item `n` (an agent's pool index, an arrival's sequence
    /// number) belongs to this shard.
    pub fn owns(self, n: u64) -> bool {
        n % u64::from(self.count.max(1)) == u64::from(self.index)
    }

    /// How many of `0..total` belong to this shard.
    pub fn share_of(self, total: u64) -> u64 {
        let count = u64::from(self.count.max(1));
        let index = u64::from(self.index);
        if total <= index {
            0
        } else {
            (total - index).div_ceil(count)
        }
    }
}

impl std::fmt::Display for ShardSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for ShardSpec {
    type Err = String;

    /// Parses `I/N` with `0 <= I < N`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let usage = "expected I/N with 0 <= I < N, e.g. --shard 0/3 for the first of three shards";
        let (i, n) = text
            .trim()
            .split_once('/')
            .ok_or_else(|| format!("`{text}`: {usage}"))?;
        let number = |part: &str, what: &str| -> Result<u32, String> {
            part.trim()
                .parse::<u32>()
                .map_err(|_| format!("`{text}`: {what} `{part}` is not a whole number; {usage}"))
        };
        let index = number(i, "the shard index")?;
        let count = number(n, "the shard count")?;
        if count == 0 {
            return Err(format!("`{text}`: the shard count is 0; {usage}"));
        }
        if index >= count {
            return Err(format!(
                "`{text}`: shard index {index} is not below the count {count} (indexes start at 0); {usage}"
            ));
        }
        Ok(ShardSpec { index, count })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_index_and_count() {
        assert_eq!("0/3".parse(), Ok(ShardSpec { index: 0, count: 3 }));
        assert_eq!(" 2 / 3 ".parse(), Ok(ShardSpec { index: 2, count: 3 }));
        assert_eq!("0/1".parse(), Ok(ShardSpec::WHOLE));
    }

    #[test]
    fn refuses_what_names_no_shard() {
        for (text, says) in [
            ("3/3", "not below the count"),
            ("0/0", "count is 0"),
            ("1", "expected I/N"),
            ("a/2", "shard index `a`"),
            ("1/-2", "shard count `-2`"),
            ("", "expected I/N"),
        ] {
            let err = text.parse::<ShardSpec>().unwrap_err();
            assert!(err.contains(says), "{text}: {err}");
        }
    }

    #[test]
    fn shares_partition_the_items() {
        for count in 1..6u32 {
            for total in 0..20u64 {
                let mut sum = 0;
                for index in 0..count {
                    let spec = ShardSpec { index, count };
                    let owned = (0..total).filter(|&n| spec.owns(n)).count() as u64;
                    assert_eq!(spec.share_of(total), owned, "{spec} of {total}");
                    sum += owned;
                }
                assert_eq!(sum, total);
            }
        }
    }
}
