//! Reading the instants of the DTOs (RFC 3339). On the server, chrono's own parser.
//! In the web app, [`parse`], a small one: chrono's general parser is 10 KB of the
//! app's first load (ADR 0010), and the app reads only what the server writes.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Deserializer};

/// `2026-01-04T09:30:00Z`, `2026-01-04T09:30:00.123456+01:00`: date, `T` (or `t` or a
/// space), time with optional fraction, `Z` (or `z`) or `±HH:MM`. `None` otherwise.
pub fn parse(s: &str) -> Option<DateTime<Utc>> {
    let b = s.as_bytes();
    let num = |from: usize, len: usize| -> Option<u32> {
        let digits = b.get(from..from + len)?;
        digits.iter().try_fold(0u32, |n, d| {
            d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
        })
    };
    let sep = |at: usize, c: &[u8]| b.get(at).is_some_and(|x| c.contains(x));
    if !(sep(4, b"-") && sep(7, b"-") && sep(10, b"Tt ") && sep(13, b":") && sep(16, b":")) {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(num(0, 4)? as i32, num(5, 2)?, num(8, 2)?)?;
    let (hour, minute, second) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
    let mut at = 19;
    let mut nanos = 0u32;
    if sep(at, b".") {
        at += 1;
        let start = at;
        while b.get(at).is_some_and(u8::is_ascii_digit) {
            if at - start < 9 {
                nanos = nanos * 10 + u32::from(b[at] - b'0');
            }
            at += 1;
        }
        let digits = at - start;
        if digits == 0 {
            return None;
        }
        nanos *= 10u32.pow(9u32.saturating_sub(digits as u32));
    }
    let offset_minutes: i64 = match b.get(at)? {
        b'Z' | b'z' if at + 1 == b.len() => 0,
        sign @ (b'+' | b'-') if at + 6 == b.len() && sep(at + 3, b":") => {
            let minutes = i64::from(num(at + 1, 2)?) * 60 + i64::from(num(at + 4, 2)?);
            if *sign == b'-' { -minutes } else { minutes }
        }
        _ => return None,
    };
    // A leap second (60) is second 59 with a nanosecond count past a second, as chrono
    // holds it.
    let naive = if second == 60 {
        date.and_hms_nano_opt(hour, minute, 59, 1_000_000_000 + nanos)?
    } else {
        date.and_hms_nano_opt(hour, minute, second, nanos)?
    };
    Some(naive.and_utc() - Duration::minutes(offset_minutes))
}

#[cfg(target_arch = "wasm32")]
fn read(s: &str) -> Result<DateTime<Utc>, String> {
    parse(s).ok_or_else(|| "not an RFC 3339 time".to_owned())
}

#[cfg(not(target_arch = "wasm32"))]
fn read(s: &str) -> Result<DateTime<Utc>, String> {
    s.parse::<DateTime<Utc>>().map_err(|e| e.to_string())
}

/// For `deserialize_with` on a `DateTime<Utc>` field.
pub(crate) fn instant<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
    read(&s).map_err(serde::de::Error::custom)
}

/// For `deserialize_with` on an `Option<DateTime<Utc>>` field (with `default`).
pub(crate) fn optional_instant<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<DateTime<Utc>>, D::Error> {
    match <Option<std::borrow::Cow<'de, str>>>::deserialize(d)? {
        Some(s) => read(&s).map(Some).map_err(serde::de::Error::custom),
        None => Ok(None),
    }
}

/// A local date-time to the minute, as a browser's `datetime-local` field writes it:
/// `2026-12-24T13:00` (seconds, if given, must be `:00`). `None` otherwise.
pub fn parse_local_minute(s: &str) -> Option<chrono::NaiveDateTime> {
    let b = s.as_bytes();
    let num = |from: usize, len: usize| -> Option<u32> {
        let digits = b.get(from..from + len)?;
        digits.iter().try_fold(0u32, |n, d| {
            d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
        })
    };
    let sep = |at: usize, c: u8| b.get(at) == Some(&c);
    let whole = match b.len() {
        16 => true,
        19 => sep(16, b':') && num(17, 2) == Some(0),
        _ => false,
    };
    if !(whole && sep(4, b'-') && sep(7, b'-') && sep(10, b'T') && sep(13, b':')) {
        return None;
    }
    NaiveDate::from_ymd_opt(num(0, 4)? as i32, num(5, 2)?, num(8, 2)?)?.and_hms_opt(
        num(11, 2)?,
        num(14, 2)?,
        0,
    )
}

/// Serde: [`parse_local_minute`].
pub fn local_minute<'de, D: Deserializer<'de>>(d: D) -> Result<chrono::NaiveDateTime, D::Error> {
    let s = String::deserialize(d)?;
    parse_local_minute(&s).ok_or_else(|| {
        serde::de::Error::custom(format!(
            "expected a local date and time like 2026-12-24T13:00, found {s:?}"
        ))
    })
}

/// Serde: `2026-12-24T13:00`.
pub fn write_local_minute<S: serde::Serializer>(
    t: &chrono::NaiveDateTime,
    s: S,
) -> Result<S::Ok, S::Error> {
    use chrono::{Datelike, Timelike};
    s.serialize_str(&format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute()
    ))
}

#[cfg(test)]
mod tests {
    use super::{parse, parse_local_minute};
    use chrono::{DateTime, Utc};

    #[test]
    fn reads_what_chrono_reads() {
        for s in [
            "2026-01-04T09:30:00Z",
            "2026-01-04T09:30:00.5Z",
            "2026-01-04T09:30:00.123456Z",
            "2026-01-04T09:30:00.123456789Z",
            "2026-01-04T09:30:00.1234567891Z",
            "2026-01-04t09:30:00z",
            "2026-01-04 09:30:00+01:00",
            "2026-12-31T23:30:00-09:30",
            "2024-02-29T00:00:00+14:00",
            "1999-12-31T23:59:60Z",
        ] {
            let theirs = s.parse::<DateTime<Utc>>().ok();
            assert_eq!(parse(s), theirs, "{s}");
            assert!(theirs.is_some(), "{s}");
        }
        for t in [Utc::now(), "2030-06-01T00:00:00Z".parse().unwrap()] {
            let written = serde_json::to_string(&t).unwrap();
            assert_eq!(parse(written.trim_matches('"')), Some(t));
        }
    }

    #[test]
    fn refuses_what_is_not_rfc_3339() {
        for s in [
            "",
            "2026-01-04",
            "2026-01-04T09:30Z",
            "2026-01-04T09:30:00",
            "2026-02-30T09:30:00Z",
            "2026-01-04T24:00:00Z",
            "2026-01-04T09:30:00.Z",
            "2026-01-04T09:30:00+0100",
            "2026-01-04T09:30:00Zjunk",
            "2026-01-04X09:30:00Z",
            "２026-01-04T09:30:00Z",
            "+2026-01-04T09:30:00Z",
        ] {
            assert_eq!(parse(s), None, "{s}");
        }
    }

    #[test]
    fn local_minutes_are_read_as_a_browser_writes_them() {
        let t = parse_local_minute("2026-12-24T13:05").unwrap();
        assert_eq!(t.to_string(), "2026-12-24 13:05:00");
        assert_eq!(parse_local_minute("2026-12-24T13:05:00"), Some(t));
        for bad in [
            "2026-12-24T13:05:30",
            "2026-12-24 13:05",
            "2026-02-30T10:00",
            "2026-12-24T24:00",
            "2026-12-24T13:5",
            "2026-12-24T13:05Z",
            "",
        ] {
            assert_eq!(parse_local_minute(bad), None, "{bad}");
        }
    }
}
