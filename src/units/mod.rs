//! Small value types shared by profiles, the simulator config and the CLI:
//! durations written the human way (`250ms`, `30s`, `5m`), delays that are a
//! fixed value or a range (`100ms..2s`), and probabilities; and, in
//! [`format`], how measured and computed values read in every output.

pub mod format;

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use rand::Rng;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Parses `250ms`, `30s`, `5m`, `1h30m`, `0s`. The error says what is expected.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let trimmed = text.trim();
    humantime::parse_duration(trimmed).map_err(|e| {
        format!("invalid duration {trimmed:?} ({e}); expected a number with a unit, such as 250ms, 30s, 5m or 1h")
    })
}

/// Formats a span of time for people (`850 ms`, `35 s`, `4h 08m`): the
/// convention of [`format::duration_ms`], for the check plan and the run's
/// messages. Profile values are written back by [`HumanDuration`] and
/// [`DelaySpec`] in profile notation instead, which parses again.
pub fn format_duration(d: Duration) -> String {
    format::duration(d)
}

/// A duration the way it is written in profiles (`250ms`, `30s`, `1h 5m`).
fn profile_notation(d: Duration) -> String {
    if d.is_zero() {
        return "0s".to_string();
    }
    humantime::format_duration(d).to_string()
}

/// A duration in a config file or flag: `"30s"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Hash)]
pub struct HumanDuration(pub Duration);

impl FromStr for HumanDuration {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_duration(s).map(HumanDuration)
    }
}

impl fmt::Display for HumanDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&profile_notation(self.0))
    }
}

impl From<Duration> for HumanDuration {
    fn from(d: Duration) -> Self {
        HumanDuration(d)
    }
}

impl Serialize for HumanDuration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&profile_notation(self.0))
    }
}

impl<'de> Deserialize<'de> for HumanDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A delay that is either fixed (`"250ms"`) or drawn uniformly from a range
/// (`"100ms..2s"`, both ends included).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DelaySpec {
    /// The shortest delay.
    pub min: Duration,
    /// The longest delay; equal to `min` for a fixed delay.
    pub max: Duration,
}

impl DelaySpec {
    /// A fixed delay.
    pub const fn fixed(d: Duration) -> Self {
        DelaySpec { min: d, max: d }
    }

    /// No delay at all.
    pub const ZERO: DelaySpec = DelaySpec::fixed(Duration::ZERO);

    /// True when the delay is always zero.
    pub fn is_zero(&self) -> bool {
        self.max.is_zero()
    }

    /// Draws one delay.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> Duration {
        if self.min >= self.max {
            return self.min;
        }
        let lo = self.min.as_micros() as u64;
        let hi = self.max.as_micros() as u64;
        Duration::from_micros(rng.random_range(lo..=hi))
    }
}

impl FromStr for DelaySpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.split_once("..") {
            None => Ok(DelaySpec::fixed(parse_duration(s)?)),
            Some((lo, hi)) => {
                let min = parse_duration(lo)?;
                let max = parse_duration(hi)?;
                if min > max {
                    return Err(format!(
                        "invalid range {s:?}: the lower end is above the upper end; write it as MIN..MAX, e.g. 100ms..2s"
                    ));
                }
                Ok(DelaySpec { min, max })
            }
        }
    }
}

impl fmt::Display for DelaySpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.min == self.max {
            f.write_str(&profile_notation(self.min))
        } else {
            write!(
                f,
                "{}..{}",
                profile_notation(self.min),
                profile_notation(self.max)
            )
        }
    }
}

impl Serialize for DelaySpec {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for DelaySpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A probability between 0 and 1 inclusive.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default, Serialize)]
#[serde(transparent)]
pub struct Probability(f64);

impl Probability {
    /// Never.
    pub const NEVER: Probability = Probability(0.0);
    /// Always.
    pub const ALWAYS: Probability = Probability(1.0);

    /// Checks the range; the error names the expected range.
    pub fn new(p: f64) -> Result<Self, String> {
        if (0.0..=1.0).contains(&p) {
            Ok(Probability(p))
        } else {
            Err(format!(
                "invalid probability {p}: expected a number from 0.0 to 1.0"
            ))
        }
    }

    /// The value, in `0.0..=1.0`.
    pub fn get(self) -> f64 {
        self.0
    }

    /// Draws once: true with this probability.
    pub fn roll<R: Rng + ?Sized>(self, rng: &mut R) -> bool {
        self.0 > 0.0 && (self.0 >= 1.0 || rng.random_bool(self.0))
    }
}

impl<'de> Deserialize<'de> for Probability {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let p = f64::deserialize(d)?;
        Probability::new(p).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_units() {
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_duration("30s").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_duration("5m").unwrap(), Duration::from_secs(300));
        let err = parse_duration("30").unwrap_err();
        assert!(err.contains("expected a number with a unit"), "{err}");
    }

    #[test]
    fn profile_values_keep_their_notation_and_spans_read_for_people() {
        let d = Duration::from_millis(90_250);
        assert_eq!(HumanDuration(d).to_string(), "1m 30s 250ms");
        assert_eq!(parse_duration(&HumanDuration(d).to_string()), Ok(d));
        assert_eq!(format_duration(d), "1m 30s");
        assert_eq!(format_duration(Duration::from_millis(250)), "250 ms");
    }

    #[test]
    fn delay_spec_fixed_and_range() {
        let fixed: DelaySpec = "250ms".parse().unwrap();
        assert_eq!(fixed, DelaySpec::fixed(Duration::from_millis(250)));
        let range: DelaySpec = "100ms..2s".parse().unwrap();
        assert_eq!(range.min, Duration::from_millis(100));
        assert_eq!(range.max, Duration::from_secs(2));
        let mut rng = rand::rng();
        for _ in 0..100 {
            let d = range.sample(&mut rng);
            assert!(d >= range.min && d <= range.max);
        }
        assert!(
            "2s..1s"
                .parse::<DelaySpec>()
                .unwrap_err()
                .contains("MIN..MAX")
        );
        assert_eq!(range.to_string(), "100ms..2s");
    }

    #[test]
    fn probability_bounds() {
        assert!(Probability::new(1.5).is_err());
        assert!(Probability::new(-0.1).is_err());
        let mut rng = rand::rng();
        assert!(Probability::ALWAYS.roll(&mut rng));
        assert!(!Probability::NEVER.roll(&mut rng));
    }
}
