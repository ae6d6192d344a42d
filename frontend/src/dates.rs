//! Dates and times as the app shows them, in the viewer's own time zone, and the
//! values of date and time inputs.
//!
//! Written out with chrono's accessors rather than `format("%a %-d %b")`: chrono's
//! format strings are parsed at run time, which compiles its whole formatting and
//! format-string parsing into the wasm (ADR 0010). The tests compare each function
//! with the chrono format string it replaces.

use chrono::{DateTime, Datelike, Local, NaiveDate, NaiveTime, TimeZone, Timelike, Utc};

/// Monday first, as chrono's `num_days_from_monday`; a schedule's `weekday` is the
/// index plus one.
pub const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

fn weekday(d: &impl Datelike) -> &'static str {
    WEEKDAYS[d.weekday().num_days_from_monday() as usize]
}

fn month(d: &impl Datelike) -> &'static str {
    MONTHS[d.month0() as usize]
}

/// The first three letters: "Mon", "Jan".
fn short(name: &'static str) -> &'static str {
    &name[..3]
}

/// `t` in the viewer's time zone, in which the app shows every date and time.
pub fn local(t: DateTime<Utc>) -> DateTime<Local> {
    t.with_timezone(&Local)
}

// Each public function converts to the viewer's time zone and formats with a function
// that takes any zone's time, which the tests run in zones far from UTC.

/// "Mon 4 Jan, 09:30", and "Fri 1 Jan 2027, 09:30" outside the current year.
pub fn format_local(t: DateTime<Utc>) -> String {
    let t = local(t);
    when(&t, t.year() != Local::now().year())
}

fn when(t: &(impl Datelike + Timelike), with_year: bool) -> String {
    let year = if with_year {
        format!(" {}", t.year())
    } else {
        String::new()
    };
    format!(
        "{} {} {}{year}, {}",
        short(weekday(t)),
        t.day(),
        short(month(t)),
        clock(t)
    )
}

/// "Monday 4 January".
/// A length of time for people: "0 min", "45 min", "1 h 30 min", "2 h".
pub fn minutes_label(minutes: u64) -> String {
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

pub fn day_label(t: DateTime<Utc>) -> String {
    day(&local(t))
}

fn day(t: &impl Datelike) -> String {
    format!("{} {} {}", weekday(t), t.day(), month(t))
}

/// "09:30".
pub fn time_label(t: DateTime<Utc>) -> String {
    clock(&local(t))
}

fn clock(t: &impl Timelike) -> String {
    format!("{:02}:{:02}", t.hour(), t.minute())
}

/// "4 Jan".
pub fn day_month(d: NaiveDate) -> String {
    format!("{} {}", d.day(), short(month(&d)))
}

/// "4 Jan 2026".
pub fn short_date(d: &impl Datelike) -> String {
    format!("{} {} {}", d.day(), short(month(d)), d.year())
}

/// "4 January 2026".
pub fn long_date(d: &impl Datelike) -> String {
    format!("{} {} {}", d.day(), month(d), d.year())
}

/// The value of a `datetime-local` input: "2026-01-04T09:30".
pub fn input_value(t: DateTime<Utc>) -> String {
    input(&local(t))
}

fn input(t: &(impl Datelike + Timelike)) -> String {
    format!(
        "{:04}-{:02}-{:02}T{}",
        t.year(),
        t.month(),
        t.day(),
        clock(t)
    )
}

/// A `datetime-local` input's value ("2026-01-04T09:30", seconds optional) as an
/// instant; the earlier one when a clock change makes the local time ambiguous.
pub fn parse_input(value: &str) -> Option<DateTime<Utc>> {
    parse_in(value, &Local)
}

fn parse_in<Tz: TimeZone>(value: &str, zone: &Tz) -> Option<DateTime<Utc>> {
    let (date, time) = value.split_once('T')?;
    let naive = date
        .parse::<NaiveDate>()
        .ok()?
        .and_time(time.parse::<NaiveTime>().ok()?);
    zone.from_local_datetime(&naive)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minutes_read_as_people_say_them() {
        assert_eq!(minutes_label(0), "0 min");
        assert_eq!(minutes_label(45), "45 min");
        assert_eq!(minutes_label(60), "1 h");
        assert_eq!(minutes_label(90), "1 h 30 min");
        assert_eq!(minutes_label(600), "10 h");
    }
    use chrono::{Duration, FixedOffset};

    /// Instants over more than a year, at varied times of day.
    fn instants() -> impl Iterator<Item = DateTime<Utc>> {
        let start = Utc.with_ymd_and_hms(2025, 12, 28, 0, 7, 0).unwrap();
        (0..420).map(move |i| start + Duration::minutes(i * (24 * 60 + 97)))
    }

    /// Zones where the local day, and often the year, differs from UTC's.
    fn zones() -> [FixedOffset; 3] {
        [
            FixedOffset::east_opt(13 * 3600 + 45 * 60).unwrap(),
            FixedOffset::west_opt(9 * 3600 + 30 * 60).unwrap(),
            FixedOffset::east_opt(0).unwrap(),
        ]
    }

    #[test]
    fn the_same_text_as_chrono_formats_in_any_zone() {
        for zone in zones() {
            for t in instants() {
                let z = t.with_timezone(&zone);
                assert_eq!(when(&z, false), z.format("%a %-d %b, %H:%M").to_string());
                assert_eq!(when(&z, true), z.format("%a %-d %b %Y, %H:%M").to_string());
                assert_eq!(day(&z), z.format("%A %-d %B").to_string());
                assert_eq!(clock(&z), z.format("%H:%M").to_string());
                assert_eq!(input(&z), z.format("%Y-%m-%dT%H:%M").to_string());
                let d = z.date_naive();
                assert_eq!(day_month(d), d.format("%-d %b").to_string());
                assert_eq!(short_date(&z), z.format("%e %b %Y").to_string().trim());
                assert_eq!(long_date(&d), d.format("%e %B %Y").to_string().trim());
            }
        }
    }

    #[test]
    fn the_public_functions_use_the_viewers_zone() {
        for t in instants() {
            let l = t.with_timezone(&Local);
            let this_year = l.year() == Local::now().year();
            assert_eq!(format_local(t), when(&l, !this_year));
            assert_eq!(day_label(t), day(&l));
            assert_eq!(time_label(t), clock(&l));
            assert_eq!(input_value(t), input(&l));
            assert_eq!(parse_input(&input_value(t)), Some(t));
        }
    }

    #[test]
    fn inputs_read_back_in_any_zone() {
        for zone in zones() {
            for t in instants() {
                assert_eq!(parse_in(&input(&t.with_timezone(&zone)), &zone), Some(t));
            }
        }
        let zone = zones()[0];
        let t = parse_in("2026-03-04T09:30", &zone).unwrap();
        assert_eq!(t, Utc.with_ymd_and_hms(2026, 3, 3, 19, 45, 0).unwrap());
        assert_eq!(
            parse_in("2026-03-04T09:30:15", &zone).map(|t| t.second()),
            Some(15)
        );
        for bad in [
            "",
            "2026-03-04",
            "09:30",
            "2026-13-04T09:30",
            "2026-03-04T25:00",
            "x",
        ] {
            assert_eq!(parse_in(bad, &zone), None, "{bad}");
        }
    }
}
