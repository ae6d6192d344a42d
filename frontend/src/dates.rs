//! Dates and times as the app shows them, in the viewer's time zone, and the values
//! of date and time inputs. The viewer's zone is the one in their profile once they
//! are signed in, the browser's before. The browser's `Intl` converts between zones
//! (the app carries no time zone database of its own: it would weigh more than the
//! rest of the first load).
//!
//! Written out with chrono's accessors rather than `format("%a %-d %b")`: chrono's
//! format strings are parsed at run time, which compiles its whole formatting and
//! format-string parsing into the wasm (ADR 0010). The tests compare each function
//! with the chrono format string it replaces.

use std::cell::RefCell;

#[cfg(any(test, not(target_arch = "wasm32")))]
use chrono::Local;
use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveDateTime, Timelike, Utc};

thread_local! {
    /// The signed-in person's zone; `None` for the browser's.
    static ZONE: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Shows times in `zone` (an IANA name) from now on; `None` for the browser's zone.
pub fn set_zone(zone: Option<String>) {
    ZONE.with(|z| *z.borrow_mut() = zone);
}

/// The IANA name of the zone times are shown in: every time shown asks, so the
/// browser's zone is read from `Intl` once, not per time.
pub fn zone_name() -> String {
    thread_local! {
        static BROWSER: String = browser_zone();
    }
    ZONE.with(|z| z.borrow().clone())
        .unwrap_or_else(|| BROWSER.with(String::clone))
}

/// The browser's own zone, e.g. "Europe/Berlin"; "UTC" when it does not say.
#[cfg(target_arch = "wasm32")]
pub fn browser_zone() -> String {
    let options = js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new())
        .resolved_options();
    js_sys::Reflect::get(&options, &"timeZone".into())
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_else(|| "UTC".into())
}

#[cfg(not(target_arch = "wasm32"))]
pub fn browser_zone() -> String {
    "UTC".into()
}

/// How far `zone` is ahead of UTC at `t`, from the browser's `Intl`.
#[cfg(target_arch = "wasm32")]
fn zone_offset(zone: &str, t: DateTime<Utc>) -> Option<FixedOffset> {
    use wasm_bindgen::JsValue;
    thread_local! {
        /// The formatter of the zone last asked for (one zone is shown at a time).
        static FORMAT: RefCell<Option<(String, js_sys::Intl::DateTimeFormat)>> =
            const { RefCell::new(None) };
    }
    let format = FORMAT.with(|f| {
        if let Some((name, format)) = f.borrow().as_ref()
            && name == zone
        {
            return Some(format.clone());
        }
        let options = js_sys::Object::new();
        let set = |k: &str, v: &str| js_sys::Reflect::set(&options, &k.into(), &v.into());
        set("timeZone", zone).ok()?;
        set("hourCycle", "h23").ok()?;
        for part in ["year", "month", "day", "hour", "minute", "second"] {
            set(part, "numeric").ok()?;
        }
        // Constructed through Reflect, so that an unknown zone is an error, not a trap.
        let intl = js_sys::Reflect::get(&js_sys::global(), &"Intl".into()).ok()?;
        let class = js_sys::Reflect::get(&intl, &"DateTimeFormat".into()).ok()?;
        let args = js_sys::Array::of2(&"en-US".into(), &options);
        let format: js_sys::Intl::DateTimeFormat = wasm_bindgen::JsCast::unchecked_into(
            js_sys::Reflect::construct(&class.into(), &args).ok()?,
        );
        *f.borrow_mut() = Some((zone.to_owned(), format.clone()));
        Some(format)
    })?;
    let date = js_sys::Date::new(&JsValue::from_f64(t.timestamp_millis() as f64));
    let mut fields = [0u32; 6];
    for part in format.format_to_parts(&date).iter() {
        let kind = js_sys::Reflect::get(&part, &"type".into())
            .ok()?
            .as_string()?;
        let value = js_sys::Reflect::get(&part, &"value".into())
            .ok()?
            .as_string()?;
        let i = ["year", "month", "day", "hour", "minute", "second"]
            .iter()
            .position(|k| *k == kind);
        if let Some(i) = i {
            fields[i] = value.parse().ok()?;
        }
    }
    let [year, month, day, hour, minute, second] = fields;
    let local =
        NaiveDate::from_ymd_opt(year as i32, month, day)?.and_hms_opt(hour % 24, minute, second)?;
    let seconds = (local - t.naive_utc()).num_seconds();
    FixedOffset::east_opt(i32::try_from(seconds).ok()?)
}

/// Natively (the unit tests) every zone is the machine's.
#[cfg(not(target_arch = "wasm32"))]
fn zone_offset(_zone: &str, t: DateTime<Utc>) -> Option<FixedOffset> {
    Some(*t.with_timezone(&Local).offset())
}

fn offset_at(t: DateTime<Utc>) -> FixedOffset {
    zone_offset(&zone_name(), t).unwrap_or_else(|| FixedOffset::east_opt(0).expect("UTC"))
}

/// A wall-clock time in the viewer's zone as an instant: the earlier one when a clock
/// change makes it ambiguous, `None` when a clock change skips it.
pub fn from_local(naive: NaiveDateTime) -> Option<DateTime<Utc>> {
    let as_utc = naive.and_utc();
    let mut found: Option<DateTime<Utc>> = None;
    // The offsets a day either side cover any clock change near it.
    for probe in [as_utc - Duration::days(1), as_utc + Duration::days(1)] {
        let candidate = as_utc - Duration::seconds(offset_at(probe).local_minus_utc().into());
        if candidate.with_timezone(&offset_at(candidate)).naive_local() == naive
            && found.is_none_or(|f| candidate < f)
        {
            found = Some(candidate);
        }
    }
    found
}

/// Today's date in the viewer's zone.
pub fn today() -> NaiveDate {
    local(Utc::now()).date_naive()
}

/// Monday first, as chrono's `num_days_from_monday`; a schedule's `weekday` is the
/// index plus one.
pub use mediconnect_shared::WEEKDAYS;

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
pub fn local(t: DateTime<Utc>) -> DateTime<FixedOffset> {
    t.with_timezone(&offset_at(t))
}

// Each public function converts to the viewer's time zone and formats with a function
// that takes any zone's time, which the tests run in zones far from UTC.

/// "Mon 4 Jan, 09:30", and "Fri 1 Jan 2027, 09:30" outside the current year.
pub fn format_local(t: DateTime<Utc>) -> String {
    let t = local(t);
    when(&t, t.year() != today().year())
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

fn day(t: &impl Datelike) -> String {
    format!("{} {} {}", weekday(t), t.day(), month(t))
}

/// "Mon 4 Jan", and "Mon 4 Jan 2027" outside the current year.
pub fn short_day(d: NaiveDate) -> String {
    let year = if d.year() == today().year() {
        String::new()
    } else {
        format!(" {}", d.year())
    };
    format!(
        "{} {} {}{year}",
        short(weekday(&d)),
        d.day(),
        short(month(&d))
    )
}

/// "Monday 4 January 2027".
pub fn day_in_words(d: NaiveDate) -> String {
    format!("{} {}", day(&d), d.year())
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
    use chrono::TimeZone;

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
            let l = t.with_timezone(&Local).fixed_offset();
            let this_year = l.year() == Local::now().year();
            assert_eq!(format_local(t), when(&l, !this_year));
            assert_eq!(time_label(t), clock(&l));
            assert_eq!(from_local(l.naive_local()), Some(t));
        }
        assert_eq!(
            day_in_words(NaiveDate::from_ymd_opt(2027, 1, 4).unwrap()),
            "Monday 4 January 2027"
        );
        assert_eq!(
            short_day(NaiveDate::from_ymd_opt(2030, 1, 7).unwrap()),
            "Mon 7 Jan 2030"
        );
    }
}
