//! Human-readable numbers shared by the HTML and Markdown reports.

/// A latency in microseconds as `850 µs`, `12.3 ms`, `1.25 s`: three
/// significant digits at most, the unit chosen so the number stays short.
pub fn latency_us(us: f64) -> String {
    if !us.is_finite() {
        return "–".to_owned();
    }
    if us < 1_000.0 {
        format!("{us:.0} µs")
    } else if us < 1_000_000.0 {
        format!("{} ms", sig3(us / 1_000.0))
    } else {
        format!("{} s", sig3(us / 1_000_000.0))
    }
}

/// Three significant digits, without a trailing `.0`.
fn sig3(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// A count with thin groups of three digits (`1 234 567`).
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{202f}');
        }
        out.push(c);
    }
    out
}

/// A rate per second with sensible precision (`0.25/s`, `12.5/s`, `1200/s`).
pub fn rate(per_second: f64) -> String {
    if !per_second.is_finite() {
        return "–".to_owned();
    }
    if per_second == 0.0 {
        "0/s".to_owned()
    } else if per_second < 10.0 {
        format!("{per_second:.2}/s")
    } else if per_second < 100.0 {
        format!("{per_second:.1}/s")
    } else {
        format!("{per_second:.0}/s")
    }
}

/// A fraction (0.001) as a percentage (`0.1 %`), enough digits to tell a
/// small error rate from zero.
pub fn percent(fraction: f64) -> String {
    if !fraction.is_finite() {
        return "–".to_owned();
    }
    let p = fraction * 100.0;
    if p == 0.0 {
        "0 %".to_owned()
    } else if p < 0.01 {
        format!("{p:.4} %")
    } else if p < 1.0 {
        format!("{p:.2} %")
    } else {
        format!("{p:.1} %")
    }
}

/// A duration in milliseconds as `45s`, `2m30s`, `1h05m`, or `850ms`.
pub fn duration_ms(ms: u64) -> String {
    if ms < 1000 {
        return format!("{ms}ms");
    }
    let s = (ms + 500) / 1000;
    let (h, m, s) = (s / 3600, s / 60 % 60, s % 60);
    match (h, m, s) {
        (0, 0, s) => format!("{s}s"),
        (0, m, 0) => format!("{m}m"),
        (0, m, s) => format!("{m}m{s:02}s"),
        (h, m, _) => format!("{h}h{m:02}m"),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latencies_pick_a_unit_and_three_digits() {
        assert_eq!(latency_us(850.0), "850 µs");
        assert_eq!(latency_us(1_234.0), "1.23 ms");
        assert_eq!(latency_us(12_345.0), "12.3 ms");
        assert_eq!(latency_us(250_000.0), "250 ms");
        assert_eq!(latency_us(1_250_000.0), "1.25 s");
        assert_eq!(latency_us(f64::NAN), "–");
    }

    #[test]
    fn counts_rates_percentages_durations_bytes() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1_234_567), "1\u{202f}234\u{202f}567");
        assert_eq!(rate(0.25), "0.25/s");
        assert_eq!(rate(1234.4), "1234/s");
        assert_eq!(percent(0.001), "0.10 %");
        assert_eq!(percent(0.0), "0 %");
        assert_eq!(percent(0.000_001), "0.0001 %");
        assert_eq!(duration_ms(450), "450ms");
        assert_eq!(duration_ms(90_000), "1m30s");
        assert_eq!(duration_ms(120_000), "2m");
        assert_eq!(duration_ms(3_900_000), "1h05m");
        assert_eq!(bytes(48 * 1024 * 1024), "48.0 MiB");
        assert_eq!(
            readable_utc("2026-11-24T14:00:00.000Z"),
            "2026-11-24 14:00:00"
        );
        assert_eq!(
            readable_utc("2026-11-24T14:00:00.250Z"),
            "2026-11-24 14:00:00.250"
        );
    }
}
