//! `--start-at`: the instant every shard of a run starts at, so their
//! offsets and intervals line up on the wall clock. Pure decisions (parse,
//! how late) and one thin wait.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio_util::sync::CancellationToken;

use crate::error::Error;
use crate::units::format;

/// Parses `--start-at` (RFC 3339 in UTC: `2026-12-02T11:00:00Z`, fractions allowed).
pub fn parse(text: &str) -> Result<SystemTime, Error> {
    humantime::parse_rfc3339(text.trim()).map_err(|e| {
        Error::input(format!(
            "--start-at `{text}`: {e}; expected a UTC time in RFC 3339, e.g. 2026-12-02T11:00:00Z \
             (give every shard of the run the same one, a little ahead of the slowest start-up)"
        ))
    })
}

/// The RFC 3339 UTC text of `at`, as written into `shard.json`.
pub fn rfc3339(at: SystemTime) -> String {
    humantime::format_rfc3339_micros(at).to_string()
}

/// µs since the Unix epoch (0 before it).
pub fn unix_us(at: SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}

/// Refuses a start more than one `interval` in the past at `now`: the shard
/// would miss intervals the other shards measured (exit 3).
pub fn check_not_late(
    start_at: SystemTime,
    interval: Duration,
    now: SystemTime,
) -> Result<(), Error> {
    let Ok(late) = now.duration_since(start_at) else {
        return Ok(());
    };
    if late <= interval {
        return Ok(());
    }
    Err(Error::run(format!(
        "--start-at {} was {} ago, more than one interval ({}): this shard would miss what the \
         other shards measured; start every shard again with a --start-at far enough ahead for \
         the slowest one to be ready (e.g. 30 s from now)",
        rfc3339(start_at),
        format::duration_ms(late.as_millis() as u64),
        format::duration_ms(interval.as_millis() as u64),
    )))
}

/// Waits until the wall clock reaches `start_at`; false when `cancel` came first.
pub async fn wait_until(start_at: SystemTime, cancel: &CancellationToken) -> bool {
    loop {
        let Ok(left) = start_at.duration_since(SystemTime::now()) else {
            return true;
        };
        if left.is_zero() {
            return true;
        }
        // Re-read the wall clock at least every second: it may be stepped
        // (NTP) while this waits.
        tokio::select! {
            _ = cancel.cancelled() => return false,
            _ = tokio::time::sleep(left.min(Duration::from_secs(1))) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_utc_rfc3339_and_names_the_expected_form() {
        let at = parse("2026-12-02T11:00:00Z").unwrap();
        assert_eq!(unix_us(at), 1_796_209_200_000_000);
        assert_eq!(rfc3339(at), "2026-12-02T11:00:00.000000Z");
        assert_eq!(
            unix_us(parse("2026-12-02T11:00:00.25Z").unwrap()),
            1_796_209_200_250_000
        );
        for bad in ["tomorrow", "2026-12-02 11:00", "2026-13-02T11:00:00Z"] {
            let err = parse(bad).unwrap_err();
            assert_eq!(err.exit_code(), 2);
            assert!(err.to_string().contains("2026-12-02T11:00:00Z"), "{err}");
        }
    }

    #[test]
    fn a_start_more_than_one_interval_ago_is_refused() {
        let at = parse("2026-12-02T11:00:00Z").unwrap();
        let second = Duration::from_secs(1);
        assert!(check_not_late(at, second, at - Duration::from_secs(60)).is_ok());
        assert!(check_not_late(at, second, at + Duration::from_millis(900)).is_ok());
        let err = check_not_late(at, second, at + Duration::from_secs(12)).unwrap_err();
        assert_eq!(err.exit_code(), 3);
        let text = err.to_string();
        assert!(text.contains("12") && text.contains("--start-at"), "{text}");
    }

    #[tokio::test]
    async fn the_wait_ends_at_the_instant_or_when_cancelled() {
        let cancel = CancellationToken::new();
        assert!(wait_until(SystemTime::now() - Duration::from_secs(1), &cancel).await);
        let soon = SystemTime::now() + Duration::from_millis(30);
        assert!(wait_until(soon, &cancel).await);
        assert!(SystemTime::now() >= soon);
        cancel.cancel();
        assert!(!wait_until(SystemTime::now() + Duration::from_secs(3600), &cancel).await);
    }
}
