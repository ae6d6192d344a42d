//! A person's or a clinic's time zone: an IANA name such as `Europe/Berlin`.

use std::str::FromStr;

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

/// The instant a local time names in `tz`: a repeated one at its first occurrence, a
/// skipped one at the end of the gap (`None` only for a gap over three hours).
pub fn instant(tz: Tz, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    (0..=180).find_map(|m| {
        tz.from_local_datetime(&(local + Duration::minutes(m)))
            .earliest()
            .map(|t| t.with_timezone(&Utc))
    })
}

/// The instant hour `hour` of local day `day` begins in `tz` (see [`instant`]; read as
/// UTC in the impossible case of a gap over three hours).
pub fn at_hour(tz: Tz, day: NaiveDate, hour: u32) -> DateTime<Utc> {
    let local = day.and_hms_opt(hour, 0, 0).expect("an hour of the day");
    instant(tz, local).unwrap_or_else(|| local.and_utc())
}

/// The instant a local day starts (the first instant, if midnight is skipped by DST).
pub fn day_start(tz: Tz, day: NaiveDate) -> DateTime<Utc> {
    at_hour(tz, day, 0)
}

/// A time zone of the IANA database, by its name. Parsing accepts the names the
/// database knows (links such as `US/Eastern` included), trimmed, in any case of the
/// exact spelling chrono-tz holds; anything else is a message for the person choosing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Zone(Tz);

impl Zone {
    pub fn parse(name: &str) -> Result<Self, String> {
        let name = name.trim();
        if name.is_empty() {
            return Err("Choose a time zone".into());
        }
        Tz::from_str(name)
            .map(Zone)
            .map_err(|_| "Choose a time zone from the list, such as Europe/Berlin".into())
    }

    /// A stored name; UTC when it is not one (the CHECK-less column is only ever
    /// written through `parse`, so this is for rows written by hand).
    pub fn stored(name: &str) -> Tz {
        Tz::from_str(name).unwrap_or(chrono_tz::UTC)
    }

    pub fn tz(self) -> Tz {
        self.0
    }

    pub fn name(self) -> &'static str {
        self.0.name()
    }

    /// Every zone name, sorted: what `GET /api/time-zones` lists.
    pub fn all() -> Vec<&'static str> {
        let mut names: Vec<&'static str> =
            chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name()).collect();
        names.sort_unstable();
        names
    }
}

impl From<Tz> for Zone {
    fn from(tz: Tz) -> Self {
        Zone(tz)
    }
}

#[cfg(test)]
mod tests {
    use super::Zone;

    #[test]
    fn iana_names_parse_and_others_do_not() {
        assert_eq!(
            Zone::parse(" Europe/Berlin ").unwrap().name(),
            "Europe/Berlin"
        );
        assert_eq!(Zone::parse("UTC").unwrap().name(), "UTC");
        for bad in [
            "",
            "  ",
            "Nowhere/City",
            "Berlin",
            "+01:00",
            "europe/berlin\n",
        ] {
            let message = Zone::parse(bad).unwrap_err();
            assert!(!message.contains('`'), "{message}");
        }
    }

    #[test]
    fn the_list_is_sorted_and_parses_back() {
        let all = Zone::all();
        assert!(all.len() > 400, "{}", all.len());
        assert!(all.windows(2).all(|w| w[0] < w[1]));
        assert!(all.iter().all(|n| Zone::parse(n).is_ok()));
        assert!(all.contains(&"America/New_York") && all.contains(&"UTC"));
        assert_eq!(Zone::stored("garbage"), chrono_tz::UTC);
    }
}
