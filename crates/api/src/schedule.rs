//! Working hours and free slots. Hours are local to the doctor's IANA time zone; every
//! instant that leaves this module is UTC. Windows are computed per local date and
//! slots are stepped in real time from the window's start, so a day with a DST change
//! has the slots its real hours hold: none inside a skipped hour, and the repeated hour
//! counted twice.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use mediconnect_shared::{Schedule, ScheduleException, Slot, TimeRange, WeeklyHours};

use crate::domain::{Fields, Zone};
use crate::error::ApiError;

/// Minutes since local midnight, `[start, end)`; `end` may be 1440.
pub type Interval = (u16, u16);

pub const DEFAULT_SLOT_MINUTES: u32 = 30;

/// A doctor's hours, validated.
#[derive(Debug, Clone)]
pub struct Hours {
    pub tz: Tz,
    pub slot_minutes: u32,
    /// Index 0 is Monday.
    pub weekly: [Vec<Interval>; 7],
    pub exceptions: BTreeMap<NaiveDate, Vec<Interval>>,
}

fn parse_hhmm(s: &str, allow_24: bool) -> Result<u16, String> {
    if allow_24 && s == "24:00" {
        return Ok(1440);
    }
    let t = NaiveTime::parse_from_str(s, "%H:%M")
        .map_err(|_| format!("“{s}” is not a time like 09:30"))?;
    Ok((t.hour_minute()) as u16)
}

trait HourMinute {
    fn hour_minute(&self) -> u32;
}

impl HourMinute for NaiveTime {
    fn hour_minute(&self) -> u32 {
        use chrono::Timelike;
        self.hour() * 60 + self.minute()
    }
}

pub fn format_minute(m: u16) -> String {
    format!("{:02}:{:02}", m / 60, m % 60)
}

fn parse_range(r: &TimeRange) -> Result<Interval, String> {
    let start = parse_hhmm(&r.start, false)?;
    let end = parse_hhmm(&r.end, true)?;
    if end <= start {
        return Err(format!("{}–{} ends before it starts", r.start, r.end));
    }
    Ok((start, end))
}

/// Sorts intervals and refuses overlaps.
fn disjoint(mut intervals: Vec<Interval>) -> Result<Vec<Interval>, String> {
    intervals.sort();
    for pair in intervals.windows(2) {
        if pair[1].0 < pair[0].1 {
            return Err(format!(
                "{}–{} overlaps {}–{}",
                format_minute(pair[0].0),
                format_minute(pair[0].1),
                format_minute(pair[1].0),
                format_minute(pair[1].1)
            ));
        }
    }
    Ok(intervals)
}

impl Hours {
    pub fn parse(s: &Schedule) -> Result<Hours, ApiError> {
        let mut fields = Fields::new();
        let tz = fields.check("timeZone", Zone::parse(&s.time_zone).map(Zone::tz));
        if !(10..=120).contains(&s.slot_minutes) {
            fields.push("slotMinutes", "Slot length must be from 10 to 120 minutes");
        }
        if s.weekly.len() > 70 {
            fields.push("weekly", "At most 70 weekly intervals");
        }
        if s.exceptions.len() > 400 {
            fields.push("exceptions", "At most 400 exceptions");
        }
        let mut weekly: [Vec<Interval>; 7] = Default::default();
        for (i, w) in s.weekly.iter().enumerate() {
            if !(1..=7).contains(&w.weekday) {
                fields.push(
                    &format!("weekly[{i}].weekday"),
                    "Weekday must be 1 (Monday) to 7 (Sunday)",
                );
                continue;
            }
            match parse_range(&TimeRange {
                start: w.start.clone(),
                end: w.end.clone(),
            }) {
                Ok(iv) => weekly[usize::from(w.weekday - 1)].push(iv),
                Err(m) => fields.push(&format!("weekly[{i}]"), m),
            }
        }
        for (day, list) in weekly.iter_mut().enumerate() {
            match disjoint(std::mem::take(list)) {
                Ok(sorted) => *list = sorted,
                Err(m) => fields.push(
                    "weekly",
                    format!("{}: {m}", mediconnect_shared::WEEKDAYS[day]),
                ),
            }
        }
        let mut exceptions = BTreeMap::new();
        for (i, e) in s.exceptions.iter().enumerate() {
            if e.intervals.len() > 10 {
                fields.push(&format!("exceptions[{i}]"), "At most 10 intervals a day");
                continue;
            }
            let parsed: Result<Vec<Interval>, String> =
                e.intervals.iter().map(parse_range).collect();
            match parsed.and_then(disjoint) {
                Ok(list) => {
                    if exceptions.insert(e.date, list).is_some() {
                        fields.push(
                            &format!("exceptions[{i}].date"),
                            format!("{} is listed twice", e.date),
                        );
                    }
                }
                Err(m) => fields.push(&format!("exceptions[{i}]"), m),
            }
        }
        fields.finish()?;
        Ok(Hours {
            tz: tz.expect("checked"),
            slot_minutes: s.slot_minutes,
            weekly,
            exceptions,
        })
    }

    pub fn to_dto(&self) -> Schedule {
        let mut weekly = Vec::new();
        for (day, list) in self.weekly.iter().enumerate() {
            for &(start, end) in list {
                weekly.push(WeeklyHours {
                    weekday: day as u8 + 1,
                    start: format_minute(start),
                    end: format_minute(end),
                });
            }
        }
        Schedule {
            cancel_affected: false,
            time_zone: self.tz.name().to_owned(),
            slot_minutes: self.slot_minutes,
            weekly,
            exceptions: self
                .exceptions
                .iter()
                .map(|(date, list)| ScheduleException {
                    date: *date,
                    intervals: list
                        .iter()
                        .map(|&(s, e)| TimeRange {
                            start: format_minute(s),
                            end: format_minute(e),
                        })
                        .collect(),
                })
                .collect(),
        }
    }

    /// Whether the doctor has said when they work. Without hours, any time is bookable.
    pub fn published(&self) -> bool {
        self.weekly.iter().any(|l| !l.is_empty()) || !self.exceptions.is_empty()
    }

    fn intervals_on(&self, date: NaiveDate) -> &[Interval] {
        match self.exceptions.get(&date) {
            Some(list) => list,
            None => &self.weekly[date.weekday().num_days_from_monday() as usize],
        }
    }

    /// The offset from UTC at an instant.
    fn offset_at(&self, t: DateTime<Utc>) -> Duration {
        let offset = self.tz.offset_from_utc_datetime(&t.naive_utc()).fix();
        Duration::seconds(i64::from(offset.local_minus_utc()))
    }

    /// The first instant after `from`, up to `limit`, whose offset is not `offset`
    /// (or `limit`). Clocks change at most once in an hour, so hourly steps find the
    /// hour of a change, and halving finds its second.
    fn next_change(
        &self,
        from: DateTime<Utc>,
        limit: DateTime<Utc>,
        offset: Duration,
    ) -> DateTime<Utc> {
        let mut at = from;
        while at < limit {
            let next = (at + Duration::hours(1)).min(limit);
            if self.offset_at(next) != offset {
                let (mut same, mut changed) = (at, next);
                while changed - same > Duration::seconds(1) {
                    let mid = same + (changed - same) / 2;
                    if self.offset_at(mid) == offset {
                        same = mid;
                    } else {
                        changed = mid;
                    }
                }
                return changed;
            }
            at = next;
        }
        limit
    }

    /// The instants whose wall clock on `date` reads from `start` to `end` minutes:
    /// one window, or two when the clocks fall back inside it and the range holds
    /// only part of the repeated time. A skipped time is never inside; a repeated one
    /// is inside twice.
    fn spans(
        &self,
        date: NaiveDate,
        (start, end): Interval,
    ) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
        // Local times read as if they were UTC; subtracting an offset makes them real.
        let midnight = date.and_time(NaiveTime::MIN).and_utc();
        let (local_start, local_end) = (
            midnight + Duration::minutes(i64::from(start)),
            midnight + Duration::minutes(i64::from(end)),
        );
        // Every offset lies between -12 and +14 hours.
        let limit = local_end + Duration::hours(13);
        let mut at = local_start - Duration::hours(15);
        let mut out: Vec<(DateTime<Utc>, DateTime<Utc>)> = Vec::new();
        while at < limit {
            let offset = self.offset_at(at);
            let until = self.next_change(at, limit, offset);
            let s = (local_start - offset).max(at);
            let e = (local_end - offset).min(until);
            if s < e {
                match out.last_mut() {
                    Some(last) if last.1 == s => last.1 = e,
                    _ => out.push((s, e)),
                }
            }
            at = until;
        }
        out
    }

    /// Open windows, in UTC, of the local dates that can touch `[from, to)`.
    pub fn windows(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
        let first = from.with_timezone(&self.tz).date_naive() - Duration::days(1);
        let last = to.with_timezone(&self.tz).date_naive() + Duration::days(1);
        let mut out = Vec::new();
        let mut date = first;
        while date <= last {
            for &interval in self.intervals_on(date) {
                out.extend(
                    self.spans(date, interval)
                        .into_iter()
                        .filter(|&(s, e)| e > from && s < to),
                );
            }
            date += Duration::days(1);
        }
        out.sort();
        out
    }

    /// Whether `[start, end)` is one of the slots: within one working window, and
    /// starting a whole number of slot lengths after it opens, as `free_slots` offers
    /// them. A start off that grid would leave gaps no slot fits into.
    pub fn is_slot(&self, start: DateTime<Utc>, end: DateTime<Utc>) -> bool {
        let step = i64::from(self.slot_minutes) * 60;
        self.windows(start, end)
            .iter()
            .any(|&(s, e)| s <= start && end <= e && (start - s).num_seconds() % step == 0)
    }

    /// Whether `[start, end)` lies within one working window (on the slot grid or
    /// not): an appointment booked earlier still fits new hours.
    pub fn covers(&self, start: DateTime<Utc>, end: DateTime<Utc>) -> bool {
        !self.published()
            || self
                .windows(start, end)
                .iter()
                .any(|&(s, e)| s <= start && end <= e)
    }

    /// Free slots in `[from, to)`: windows cut into slots, minus `booked` and the past.
    pub fn free_slots(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        booked: &[(DateTime<Utc>, DateTime<Utc>)],
    ) -> Vec<Slot> {
        let step = Duration::minutes(i64::from(self.slot_minutes));
        let mut slots = Vec::new();
        for (ws, we) in self.windows(from, to) {
            let mut start = ws;
            while start + step <= we {
                let end = start + step;
                let free = !booked.iter().any(|&(bs, be)| bs < end && be > start);
                if start >= from && end <= to && free {
                    slots.push(Slot { start, end });
                }
                start = end;
            }
        }
        slots.dedup_by_key(|s| s.start);
        slots
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule(tz: &str, weekly: &[(u8, &str, &str)]) -> Schedule {
        Schedule {
            cancel_affected: false,
            time_zone: tz.into(),
            slot_minutes: 30,
            weekly: weekly
                .iter()
                .map(|(d, s, e)| WeeklyHours {
                    weekday: *d,
                    start: (*s).into(),
                    end: (*e).into(),
                })
                .collect(),
            exceptions: vec![],
        }
    }

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn starts(slots: &[Slot]) -> Vec<String> {
        slots
            .iter()
            .map(|s| s.start.format("%Y-%m-%dT%H:%MZ").to_string())
            .collect()
    }

    #[test]
    fn spring_forward_has_no_slots_in_the_skipped_hour() {
        // Berlin, Sunday 2026-03-29: 02:00 CET jumps to 03:00 CEST.
        let h = Hours::parse(&schedule("Europe/Berlin", &[(7, "01:00", "04:00")])).unwrap();
        let slots = h.free_slots(
            utc("2026-03-28T00:00:00Z"),
            utc("2026-03-30T00:00:00Z"),
            &[],
        );
        // 01:00 CET = 00:00Z, 01:30 CET, then 03:00 CEST = 01:00Z, 03:30 CEST. Two real hours.
        assert_eq!(
            starts(&slots),
            [
                "2026-03-29T00:00Z",
                "2026-03-29T00:30Z",
                "2026-03-29T01:00Z",
                "2026-03-29T01:30Z"
            ]
        );
    }

    #[test]
    fn fall_back_counts_the_repeated_hour() {
        // Berlin, Sunday 2026-10-25: 03:00 CEST falls back to 02:00 CET.
        let h = Hours::parse(&schedule("Europe/Berlin", &[(7, "01:00", "04:00")])).unwrap();
        let slots = h.free_slots(
            utc("2026-10-24T00:00:00Z"),
            utc("2026-10-26T00:00:00Z"),
            &[],
        );
        // 01:00 CEST = 23:00Z the day before; 04:00 CET = 03:00Z: four real hours.
        assert_eq!(slots.len(), 8);
        assert_eq!(slots[0].start, utc("2026-10-24T23:00:00Z"));
        assert_eq!(slots[7].end, utc("2026-10-25T03:00:00Z"));
    }

    #[test]
    fn an_ordinary_week_in_new_york() {
        // Monday to Friday 09:00–12:00, New York (UTC-5 in January).
        let weekdays: Vec<(u8, &str, &str)> = (1..=5).map(|d| (d, "09:00", "12:00")).collect();
        let h = Hours::parse(&schedule("America/New_York", &weekdays)).unwrap();
        let slots = h.free_slots(
            utc("2027-01-04T00:00:00Z"),
            utc("2027-01-11T00:00:00Z"),
            &[],
        );
        assert_eq!(slots.len(), 5 * 6);
        assert_eq!(slots[0].start, utc("2027-01-04T14:00:00Z"));
    }

    #[test]
    fn booked_time_and_the_range_are_removed() {
        let h = Hours::parse(&schedule("UTC", &[(1, "09:00", "11:00")])).unwrap();
        let booked = [(utc("2027-01-04T09:15:00Z"), utc("2027-01-04T09:45:00Z"))];
        let slots = h.free_slots(
            utc("2027-01-04T09:30:00Z"),
            utc("2027-01-05T00:00:00Z"),
            &booked,
        );
        // 09:00 is before the range, 09:30 overlaps the booking.
        assert_eq!(starts(&slots), ["2027-01-04T10:00Z", "2027-01-04T10:30Z"]);
    }

    #[test]
    fn exceptions_replace_the_week() {
        let mut s = schedule("UTC", &[(1, "09:00", "10:00")]);
        s.exceptions = vec![
            ScheduleException {
                date: "2027-01-04".parse().unwrap(),
                intervals: vec![],
            },
            ScheduleException {
                date: "2027-01-09".parse().unwrap(),
                intervals: vec![TimeRange {
                    start: "20:00".into(),
                    end: "24:00".into(),
                }],
            },
        ];
        let h = Hours::parse(&s).unwrap();
        let slots = h.free_slots(
            utc("2027-01-04T00:00:00Z"),
            utc("2027-01-12T00:00:00Z"),
            &[],
        );
        assert_eq!(slots.len(), 8 + 2, "Saturday evening, then the next Monday");
        assert!(h.is_slot(utc("2027-01-09T23:30:00Z"), utc("2027-01-10T00:00:00Z")));
        assert!(
            !h.is_slot(utc("2027-01-04T09:00:00Z"), utc("2027-01-04T09:30:00Z")),
            "a day off"
        );
        assert!(h.is_slot(utc("2027-01-11T09:30:00Z"), utc("2027-01-11T10:00:00Z")));
        assert!(
            !h.is_slot(utc("2027-01-11T09:10:00Z"), utc("2027-01-11T09:40:00Z")),
            "off the grid"
        );
        assert!(!h.is_slot(utc("2027-01-11T09:40:00Z"), utc("2027-01-11T10:10:00Z")));
    }

    #[test]
    fn invalid_schedules_are_refused() {
        for bad in [
            schedule("Mars/Olympus", &[]),
            schedule("UTC", &[(0, "09:00", "10:00")]),
            schedule("UTC", &[(1, "10:00", "09:00")]),
            schedule("UTC", &[(1, "09:00", "11:00"), (1, "10:00", "12:00")]),
            schedule("UTC", &[(1, "9am", "10:00")]),
            schedule("UTC", &[(1, "24:00", "24:00")]),
        ] {
            assert!(Hours::parse(&bad).is_err(), "{bad:?}");
        }
        let mut s = schedule("UTC", &[]);
        s.slot_minutes = 5;
        assert!(Hours::parse(&s).is_err());
        assert!(!Hours::parse(&schedule("UTC", &[])).unwrap().published());
    }

    fn range(start: &str, end: &str) -> TimeRange {
        TimeRange {
            start: start.into(),
            end: end.into(),
        }
    }

    fn exception(date: &str, intervals: Vec<TimeRange>) -> ScheduleException {
        ScheduleException {
            date: date.parse().unwrap(),
            intervals,
        }
    }

    /// The fields a refused schedule names, in order.
    fn refused_fields(s: &Schedule) -> Vec<String> {
        match Hours::parse(s) {
            Err(ApiError::Validation(errors)) => errors.into_iter().map(|e| e.field).collect(),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn oversized_and_inconsistent_exceptions_name_their_field() {
        let mut s = schedule("UTC", &[]);
        s.weekly = (0..71)
            .map(|i| WeeklyHours {
                weekday: 1,
                start: format_minute(i * 10),
                end: format_minute(i * 10 + 5),
            })
            .collect();
        assert_eq!(refused_fields(&s), ["weekly"]);

        let mut s = schedule("UTC", &[]);
        s.exceptions = (0..401)
            .map(|i| {
                let date = NaiveDate::from_ymd_opt(2027, 1, 1).unwrap() + Duration::days(i);
                exception(&date.to_string(), vec![])
            })
            .collect();
        assert_eq!(refused_fields(&s), ["exceptions"]);

        let mut s = schedule("UTC", &[]);
        s.exceptions = vec![
            exception(
                "2027-01-04",
                (0..11)
                    .map(|h| range(&format!("{h:02}:00"), &format!("{h:02}:30")))
                    .collect(),
            ),
            exception("2027-01-05", vec![range("10:00", "09:00")]),
            exception("2027-01-06", vec![range("09:00", "10:00")]),
            exception("2027-01-06", vec![]),
        ];
        assert_eq!(
            refused_fields(&s),
            ["exceptions[0]", "exceptions[1]", "exceptions[3].date"]
        );
    }

    #[test]
    fn exceptions_round_trip_in_date_order() {
        let mut s = schedule("Asia/Kolkata", &[(3, "08:30", "12:15")]);
        s.exceptions = vec![
            exception(
                "2027-02-01",
                vec![range("10:00", "11:00"), range("13:00", "24:00")],
            ),
            exception("2027-01-15", vec![]),
        ];
        let dto = Hours::parse(&s).unwrap().to_dto();
        assert_eq!(
            dto.exceptions,
            vec![s.exceptions[1].clone(), s.exceptions[0].clone()]
        );
        assert_eq!(dto.weekly, s.weekly);
    }

    #[test]
    fn a_range_inside_a_repeated_hour_is_open_at_both_of_its_occurrences() {
        // Sydney, Sunday 2027-04-04: 03:00 AEDT falls back to 02:00 AEST, so the
        // clock reads 02:30 to 03:00 twice: 15:30Z (AEDT, UTC+11) and 16:30Z (AEST).
        // Between them it reads 02:00 to 02:30, outside the hours: no slot there.
        let h = Hours::parse(&schedule("Australia/Sydney", &[(7, "02:30", "03:00")])).unwrap();
        let slots = h.free_slots(
            utc("2027-04-03T00:00:00Z"),
            utc("2027-04-05T00:00:00Z"),
            &[],
        );
        assert_eq!(starts(&slots), ["2027-04-03T15:30Z", "2027-04-03T16:30Z"]);
        assert!(!h.is_slot(utc("2027-04-03T16:00:00Z"), utc("2027-04-03T16:30:00Z")));
    }

    #[test]
    fn a_change_at_a_quarter_to_the_hour_leaves_no_slot_outside_the_hours() {
        // Chatham Islands, Sunday 2028-04-02: 03:45 +1345 falls back to 02:45 +1245
        // (14:00Z). Hours 03:00-03:45 are open 13:15Z-14:00Z and again 14:15Z-15:00Z;
        // at 14:05Z the clock reads 02:50. Found by the property below.
        let h = Hours::parse(&Schedule {
            slot_minutes: 10,
            ..schedule("Pacific/Chatham", &[(7, "03:00", "03:45")])
        })
        .unwrap();
        let slots = h.free_slots(
            utc("2028-04-01T00:00:00Z"),
            utc("2028-04-03T00:00:00Z"),
            &[],
        );
        let starts = starts(&slots);
        assert_eq!(
            starts.first().map(String::as_str),
            Some("2028-04-01T13:15Z")
        );
        assert!(!starts.iter().any(|s| s.as_str() == "2028-04-01T14:05Z"));
        assert_eq!(starts.last().map(String::as_str), Some("2028-04-01T14:45Z"));
        assert_eq!(starts.len(), 8);
    }

    #[test]
    fn round_trips() {
        let s = schedule(
            "Europe/Berlin",
            &[(1, "09:00", "12:00"), (1, "13:00", "24:00")],
        );
        assert_eq!(Hours::parse(&s).unwrap().to_dto(), s);
    }
}

/// Properties of the slots over random hours, zones far from UTC with their clock
/// changes, slot lengths and bookings (proptest).
#[cfg(test)]
mod properties {
    use chrono::{DateTime, Duration, TimeZone, Timelike, Utc};
    use mediconnect_shared::{Schedule, WeeklyHours};
    use proptest::prelude::*;

    use super::{Hours, format_minute};

    /// Zones whose offsets are not whole hours, or whose clocks change, or both.
    const ZONES: [&str; 10] = [
        "Pacific/Chatham",
        "Australia/Lord_Howe",
        "America/St_Johns",
        "Pacific/Auckland",
        "America/Santiago",
        "Asia/Kathmandu",
        "Pacific/Kiritimati",
        "Europe/Berlin",
        "America/New_York",
        "Asia/Tehran",
    ];

    /// Up to two disjoint ranges a day, on a quarter-hour grid, ending by 24:00.
    fn weekly() -> impl Strategy<Value = Vec<WeeklyHours>> {
        proptest::collection::vec((1u8..=7, 0u16..96, 2u16..40), 0..10).prop_map(|raw| {
            let mut taken: Vec<(u8, u16, u16)> = Vec::new();
            for (day, start, len) in raw {
                let (s, e) = (start * 15, (start * 15 + len * 15).min(1440));
                let clash = taken
                    .iter()
                    .any(|&(d, ts, te)| d == day && s < te && ts < e);
                if e > s && !clash && taken.iter().filter(|t| t.0 == day).count() < 2 {
                    taken.push((day, s, e));
                }
            }
            taken
                .into_iter()
                .map(|(weekday, s, e)| WeeklyHours {
                    weekday,
                    start: format_minute(s),
                    end: format_minute(e),
                })
                .collect()
        })
    }

    fn instant() -> impl Strategy<Value = DateTime<Utc>> {
        // 2026 to 2029: every clock change of those years.
        (1_767_225_600i64..1_893_456_000).prop_map(|s| Utc.timestamp_opt(s, 0).unwrap())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn slots_fit_the_hours_in_any_zone(
            zone in 0usize..ZONES.len(),
            weekly in weekly(),
            minutes in prop::sample::select(vec![10u32, 15, 20, 30, 45, 60, 90, 120]),
            from in instant(),
            days in 1i64..31,
            booked in proptest::collection::vec((0i64..31 * 24 * 60, 10i64..180), 0..6),
        ) {
            let hours = Hours::parse(&Schedule {
                time_zone: ZONES[zone].into(),
                slot_minutes: minutes,
                weekly: weekly.clone(),
                exceptions: vec![],
                cancel_affected: false,
            })
            .unwrap();
            let to = from + Duration::days(days);
            let booked: Vec<_> = booked
                .iter()
                .map(|&(at, len)| {
                    let s = from + Duration::minutes(at);
                    (s, s + Duration::minutes(len))
                })
                .collect();
            let slots = hours.free_slots(from, to, &booked);
            let step = Duration::minutes(i64::from(minutes));
            for pair in slots.windows(2) {
                prop_assert!(pair[0].end <= pair[1].start, "sorted and apart");
            }
            for slot in &slots {
                prop_assert_eq!(slot.end - slot.start, step);
                prop_assert!(from <= slot.start && slot.end <= to);
                prop_assert!(!booked.iter().any(|&(s, e)| s < slot.end && slot.start < e));
                // What is offered can be booked.
                prop_assert!(hours.is_slot(slot.start, slot.end));
                // It starts inside a range of its own local day, on that day's clock.
                let local = slot.start.with_timezone(&hours.tz);
                let minute = (local.hour() * 60 + local.minute()) as u16;
                let weekday = chrono::Datelike::weekday(&local).number_from_monday() as u8;
                let inside = weekly.iter().any(|w| {
                    let (s, e) = (
                        super::parse_hhmm(&w.start, false).unwrap(),
                        super::parse_hhmm(&w.end, true).unwrap(),
                    );
                    w.weekday == weekday && s <= minute && minute < e
                });
                prop_assert!(inside, "{} local {local} outside the hours", slot.start);
            }
            // Without hours there is nothing to offer.
            if weekly.is_empty() {
                prop_assert!(slots.is_empty());
            }
        }
    }
}
