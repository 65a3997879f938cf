//! How the values a run measures or computes read for people: the one
//! convention of the console summary, the live progress lines, the check
//! plan, `summary.md`, `report.html` (tables, facts and chart axes),
//! `junit.xml` messages, gate verdicts and baseline rows. The same value
//! reads the same wherever it is shown.
//!
//! | value | examples | rule |
//! |---|---|---|
//! | latency (µs) | `850 µs`, `1.23 ms`, `12.3 ms`, `250 ms`, `8.96 s`, `30.0 s`, `2m 05s` | [`latency_us`]: whole µs below 1 ms, then three significant digits in the unit that keeps the number below 1000; from a minute on, a span |
//! | span of time | `850 ms`, `12 s`, `2.5 s`, `2m 05s`, `5m`, `1h 05m`, `2d 03h` | [`duration_ms`]: run length, interval, window bounds, offsets, plan times, CPU time; below a minute in seconds to a tenth; from a minute on the two largest clock fields |
//! | fraction | `0%`, `0.344%`, `12.5%`, `100%` | [`percent`]: three significant digits |
//! | change | `+2.9%`, `-12.0%`; `+12.5%/h` | [`change_percent`], [`trend`]: signed, to a tenth of a percent |
//! | rate | `0/s`, `0.250/s`, `20.0/s`, `1234/s` | [`rate`]: three significant digits |
//! | count | `1234` (lines), `1 234` (documents) | plain digits in line-oriented text ([`number`]); digits grouped by narrow no-break spaces in `summary.md` and `report.html` ([`count`]) |
//! | memory | `512 KiB`, `48.0 MiB`, `1.50 GiB` | [`bytes`] |
//!
//! "Three significant digits" never rounds away digits before the decimal
//! point (`1234/s`), and keeps trailing zeros (`30.0 s`, `1.00 ms`): the
//! digits say how precise the figure is. A unit is set off by a space
//! (`12.3 ms`, `48.0 MiB`); the signs `%`, `/s` and `%/h` are attached
//! (`0.344%`, `20.0/s`), as gate rules write them. Microseconds are `µs`
//! everywhere, `junit.xml` and gate verdicts included (every output is
//! UTF-8); rules may still be written with `us`. A value that cannot be
//! shown (no samples) is [`NO_VALUE`].
//!
//! Two kinds of text are not covered, on purpose:
//! - what the user wrote is quoted as written: a gate's bound (`< 250ms`),
//!   a profile's settings (`answer_delay = "100ms..2s"`, written back by
//!   [`super::HumanDuration`] in profile notation, which must parse again);
//! - what machines read: `summary.json`'s and the CSV files' numbers stay
//!   plain numbers in the unit their field names (`p99_us`, `offset_s`).
//!
//! Chart axes use the same units: a latency axis is scaled to the unit
//! [`latency_unit`] picks for its largest value (`latency (ms)`), a
//! log-scaled one labels every tick with its own unit ([`latency_tick_us`]:
//! `500 µs`, `1 ms`, `100 s`), and other axes get [`tick`] numbers.

use std::time::Duration;

/// What a value that cannot be shown (no samples, not a number) reads as.
pub const NO_VALUE: &str = "–";

/// `v` with three significant digits, never rounding away digits before
/// the decimal point: `0.344`, `8.96`, `12.3`, `250`, `1234`.
fn sig3(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v:.0}");
    }
    let mut decimals = (2 - v.abs().log10().floor() as i32).max(0) as usize;
    loop {
        let text = format!("{v:.decimals$}");
        // 9.996 rounds to 10.00: one digit too many.
        let carried = text
            .parse::<f64>()
            .is_ok_and(|r| r.abs() >= 10f64.powi(3 - decimals as i32));
        if decimals > 0 && carried {
            decimals -= 1;
            continue;
        }
        return text;
    }
}

/// [`sig3`] of `v`, and the value it reads as.
fn sig3_value(v: f64) -> (String, f64) {
    let text = sig3(v);
    let value = text.parse().unwrap_or(v);
    (text, value)
}

/// A latency in microseconds: `850 µs`, `1.23 ms`, `12.3 ms`, `8.96 s`,
/// `30.0 s`; a minute or more as a span (`2m 05s`). [`NO_VALUE`] for a
/// value that is not a finite, non-negative number.
pub fn latency_us(us: f64) -> String {
    if !us.is_finite() || us < 0.0 {
        return NO_VALUE.to_owned();
    }
    let whole = format!("{us:.0}");
    if whole.len() < 4 {
        return format!("{whole} µs");
    }
    let (ms, rounded) = sig3_value(us / 1e3);
    if rounded < 1_000.0 {
        return format!("{ms} ms");
    }
    let (s, rounded) = sig3_value(us / 1e6);
    if rounded < 60.0 {
        return format!("{s} s");
    }
    duration_ms((us / 1e3).round() as u64)
}

/// The unit a latency axis whose largest value is `max_us` is drawn in,
/// and the µs per unit: `("µs", 1.0)`, `("ms", 1e3)` or `("s", 1e6)`, as
/// [`latency_us`] would write that value.
pub fn latency_unit(max_us: f64) -> (&'static str, f64) {
    if max_us < 1e3 {
        ("µs", 1.0)
    } else if max_us < 1e6 {
        ("ms", 1e3)
    } else {
        ("s", 1e6)
    }
}

/// A round latency on a log-scaled axis, in its own unit and without
/// trailing zeros: `500 µs`, `1 ms`, `20 ms`, `2 s`, `100 s`.
pub fn latency_tick_us(us: f64) -> String {
    if !us.is_finite() || us < 0.0 {
        return NO_VALUE.to_owned();
    }
    let (unit, per) = latency_unit(us);
    let text = sig3(us / per);
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.')
    } else {
        &text
    };
    format!("{text} {unit}")
}

/// A span of time: `850 ms`, `12 s`, `2.5 s`, `2m 05s`, `5m`, `1h 05m`,
/// `4h`, `2d 03h`, `0 s`. Below a minute in seconds to a tenth (sub-second
/// spans in whole ms); from a minute on the two largest clock fields, the
/// second one rounded and left out when it is zero.
pub fn duration_ms(ms: u64) -> String {
    if ms == 0 {
        return "0 s".to_owned();
    }
    if ms < 1_000 {
        return format!("{ms} ms");
    }
    let tenths = ms.saturating_add(50) / 100;
    if tenths < 600 {
        return match tenths % 10 {
            0 => format!("{} s", tenths / 10),
            t => format!("{}.{t} s", tenths / 10),
        };
    }
    let clock = |major: u64, major_unit: &str, minor: u64, minor_unit: &str| match minor {
        0 => format!("{major}{major_unit}"),
        minor => format!("{major}{major_unit} {minor:02}{minor_unit}"),
    };
    let seconds = ms.saturating_add(500) / 1_000;
    if seconds < 3_600 {
        return clock(seconds / 60, "m", seconds % 60, "s");
    }
    let minutes = ms.saturating_add(30_000) / 60_000;
    if minutes < 24 * 60 {
        return clock(minutes / 60, "h", minutes % 60, "m");
    }
    let hours = ms.saturating_add(1_800_000) / 3_600_000;
    clock(hours / 24, "d", hours % 24, "h")
}

/// [`duration_ms`] of a [`Duration`] (to the millisecond).
pub fn duration(d: Duration) -> String {
    duration_ms(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// [`duration_ms`] of a number of seconds (CPU time, chart ticks);
/// [`NO_VALUE`] when it is not a finite, non-negative number.
pub fn seconds(s: f64) -> String {
    if !s.is_finite() || s < 0.0 {
        return NO_VALUE.to_owned();
    }
    duration_ms((s * 1e3).round() as u64)
}

/// A stretch of the run between two offsets from its start: `2 s – 7 s`.
pub fn window_ms(start_ms: u64, end_ms: u64) -> String {
    format!("{} – {}", duration_ms(start_ms), duration_ms(end_ms))
}

/// A fraction (0.00344) as a percentage: `0.344%`, `12.5%`, `0%`.
pub fn percent(fraction: f64) -> String {
    if !fraction.is_finite() {
        return NO_VALUE.to_owned();
    }
    if fraction == 0.0 {
        return "0%".to_owned();
    }
    format!("{}%", sig3(fraction * 100.0))
}

/// A relative change in percent, signed: `+2.9%`, `-12.0%`, `+0.0%`.
pub fn change_percent(pct: f64) -> String {
    if !pct.is_finite() {
        return NO_VALUE.to_owned();
    }
    // `+ 0.0` turns -0.0 into 0.0, which is written `+0.0`.
    format!("{:+.1}%", pct + 0.0)
}

/// A trend in percent per hour, signed: `+12.5%/h`, `-3.0%/h`.
pub fn trend(pct_per_hour: f64) -> String {
    if !pct_per_hour.is_finite() {
        return NO_VALUE.to_owned();
    }
    format!("{:+.1}%/h", pct_per_hour + 0.0)
}

/// A rate per second: `0/s`, `0.250/s`, `20.0/s`, `1234/s`.
pub fn rate(per_second: f64) -> String {
    if !per_second.is_finite() {
        return NO_VALUE.to_owned();
    }
    if per_second == 0.0 {
        return "0/s".to_owned();
    }
    format!("{}/s", sig3(per_second))
}

/// A plain number for line-oriented text (gate verdicts): a whole number
/// in plain digits (`0`, `1234`), anything else with three significant
/// digits.
pub fn number(v: f64) -> String {
    if !v.is_finite() {
        return NO_VALUE.to_owned();
    }
    if v == v.trunc() && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        sig3(v)
    }
}

/// A count for documents (`summary.md`, `report.html`), digits grouped by
/// narrow no-break spaces: `1 234 567`.
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 * 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{202f}');
        }
        out.push(c);
    }
    out
}

/// Bytes as `512 KiB`, `48.0 MiB`, `1.50 GiB`.
pub fn bytes(n: u64) -> String {
    const KIB: f64 = 1024.0;
    let v = n as f64;
    if v < KIB * KIB {
        format!("{:.0} KiB", v / KIB)
    } else if v < KIB * KIB * KIB {
        format!("{:.1} MiB", v / KIB / KIB)
    } else {
        format!("{:.2} GiB", v / KIB / KIB / KIB)
    }
}

/// `2026-11-24T14:00:00.000Z` as `2026-11-24 14:00:00` (callers say UTC).
pub fn readable_utc(rfc3339: &str) -> String {
    let t = rfc3339.trim_end_matches('Z').replacen('T', " ", 1);
    t.strip_suffix(".000").map(str::to_owned).unwrap_or(t)
}

/// A tick of a chart's value axis with just enough decimals for its
/// `step`, and `k`/`M` for large numbers (throughput axes reach tens of
/// thousands): `0`, `0.05`, `250`, `25k`.
pub fn tick(v: f64, step: f64) -> String {
    let (scaled, scaled_step, suffix) = if step >= 1e6 {
        (v / 1e6, step / 1e6, "M")
    } else if step >= 1e3 {
        (v / 1e3, step / 1e3, "k")
    } else {
        (v, step, "")
    };
    let decimals = if scaled_step >= 1.0 {
        0
    } else {
        (-scaled_step.log10().floor()).clamp(0.0, 6.0) as usize
    };
    let text = format!("{scaled:.decimals$}");
    // "-0" and "0k" read oddly on an axis.
    if text
        .trim_start_matches('-')
        .chars()
        .all(|c| c == '0' || c == '.')
    {
        return "0".to_owned();
    }
    format!("{text}{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_spans_do_not_overflow() {
        assert_eq!(duration(Duration::MAX), duration_ms(u64::MAX));
        assert!(
            duration_ms(u64::MAX).starts_with("213503982334d"),
            "{}",
            duration_ms(u64::MAX)
        );
    }

    #[test]
    fn latencies_pick_a_unit_and_three_digits() {
        assert_eq!(latency_us(5.0), "5 µs");
        assert_eq!(latency_us(850.0), "850 µs");
        assert_eq!(latency_us(999.4), "999 µs");
        assert_eq!(latency_us(999.6), "1.00 ms");
        assert_eq!(latency_us(1_234.0), "1.23 ms");
        // Decimal formatting of the binary value, as before: 8.975 is 8.97499...
        assert_eq!(latency_us(8_975.0), "8.97 ms");
        assert_eq!(latency_us(4_000.0), "4.00 ms");
        assert_eq!(latency_us(12_345.0), "12.3 ms");
        assert_eq!(latency_us(250_000.0), "250 ms");
        assert_eq!(latency_us(419_600.0), "420 ms");
        assert_eq!(latency_us(999_700.0), "1.00 s");
        assert_eq!(latency_us(1_250_000.0), "1.25 s");
        assert_eq!(latency_us(7_364_600.0), "7.36 s");
        assert_eq!(latency_us(30_000_000.0), "30.0 s");
        assert_eq!(latency_us(59_990_000.0), "1m");
        assert_eq!(latency_us(125_000_000.0), "2m 05s");
        assert_eq!(latency_us(f64::NAN), NO_VALUE);
        assert_eq!(latency_us(-1.0), NO_VALUE);
    }

    #[test]
    fn latency_axes_share_the_units() {
        assert_eq!(latency_unit(850.0), ("µs", 1.0));
        assert_eq!(latency_unit(250_000.0), ("ms", 1e3));
        assert_eq!(latency_unit(30_000_000.0), ("s", 1e6));
        let ticks: Vec<String> = [500.0, 1e3, 2e4, 2e6, 1e8]
            .into_iter()
            .map(latency_tick_us)
            .collect();
        assert_eq!(ticks, ["500 µs", "1 ms", "20 ms", "2 s", "100 s"]);
        assert_eq!(latency_tick_us(1_500.0), "1.5 ms");
    }

    #[test]
    fn spans_read_like_a_clock() {
        assert_eq!(duration_ms(0), "0 s");
        assert_eq!(duration_ms(450), "450 ms");
        assert_eq!(duration_ms(1_000), "1 s");
        assert_eq!(duration_ms(2_500), "2.5 s");
        assert_eq!(duration_ms(35_143), "35.1 s");
        assert_eq!(duration_ms(59_960), "1m");
        assert_eq!(duration_ms(90_000), "1m 30s");
        assert_eq!(duration_ms(125_000), "2m 05s");
        assert_eq!(duration_ms(120_000), "2m");
        assert_eq!(duration_ms(3_599_700), "1h");
        assert_eq!(duration_ms(3_900_000), "1h 05m");
        assert_eq!(duration_ms(14_880_000), "4h 08m");
        assert_eq!(duration_ms(4 * 3_600_000), "4h");
        assert_eq!(duration_ms(86_400_000), "1d");
        assert_eq!(duration_ms(183_600_000), "2d 03h");
        assert_eq!(duration(Duration::from_secs(300)), "5m");
        assert_eq!(seconds(2.54), "2.5 s");
        assert_eq!(seconds(0.0), "0 s");
        assert_eq!(seconds(90.0), "1m 30s");
        assert_eq!(seconds(3600.0 + 15.0 * 60.0), "1h 15m");
        assert_eq!(seconds(86400.0), "1d");
        assert_eq!(seconds(f64::NAN), NO_VALUE);
        assert_eq!(window_ms(2_000, 7_000), "2 s – 7 s");
    }

    #[test]
    fn percentages_changes_and_rates() {
        assert_eq!(percent(0.0), "0%");
        assert_eq!(percent(0.003_44), "0.344%");
        assert_eq!(percent(0.001), "0.100%");
        assert_eq!(percent(0.000_001), "0.000100%");
        assert_eq!(percent(0.125), "12.5%");
        assert_eq!(percent(1.0), "100%");
        assert_eq!(change_percent(2.9), "+2.9%");
        assert_eq!(change_percent(-0.0), "+0.0%");
        assert_eq!(change_percent(-12.0), "-12.0%");
        assert_eq!(trend(12.5), "+12.5%/h");
        assert_eq!(rate(0.0), "0/s");
        assert_eq!(rate(0.25), "0.250/s");
        assert_eq!(rate(20.0), "20.0/s");
        assert_eq!(rate(9.996), "10.0/s");
        assert_eq!(rate(1234.4), "1234/s");
    }

    #[test]
    fn counts_numbers_bytes_times_and_ticks() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1_234_567), "1\u{202f}234\u{202f}567");
        assert_eq!(number(0.0), "0");
        assert_eq!(number(1234.0), "1234");
        assert_eq!(number(2.5), "2.50");
        assert_eq!(bytes(512 * 1024), "512 KiB");
        assert_eq!(bytes(48 * 1024 * 1024), "48.0 MiB");
        assert_eq!(
            readable_utc("2026-11-24T14:00:00.000Z"),
            "2026-11-24 14:00:00"
        );
        assert_eq!(
            readable_utc("2026-11-24T14:00:00.250Z"),
            "2026-11-24 14:00:00.250"
        );
        assert_eq!(tick(0.04, 0.01), "0.04");
        assert_eq!(tick(25_000.0, 5_000.0), "25k");
        assert_eq!(tick(-0.0, 1.0), "0");
    }
}
