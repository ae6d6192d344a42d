//! Analytics: the spec's overview, daily time series, and each doctor's own figures.
//! Days are the days of ANALYTICS_TZ; an online interval crossing midnight counts on
//! both days.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use mediconnect_shared::{
    Analytics, AppointmentStatus, AppointmentsByStatus, Bucket, DoctorFigures, Metric,
    OutboxStatus, Role, Timeseries, TimeseriesQuery,
};
use uuid::Uuid;

use crate::audit::{self, Actor};
use crate::db::AnyConnection;
use crate::db::models::{analytics, doctors, notifications as outbox, presence_intervals, users};
use crate::error::ApiError;
use crate::state::AppState;

pub use crate::domain::zone::day_start;

/// An online interval; `None` is still open.
pub use presence_intervals::Interval;

/// Minutes of each local day covered by the intervals, clipped to `[from, to)`.
pub fn minutes_per_day(
    tz: Tz,
    intervals: &[Interval],
    first: NaiveDate,
    last: NaiveDate,
    now: DateTime<Utc>,
) -> BTreeMap<NaiveDate, u64> {
    let mut out = BTreeMap::new();
    let mut date = first;
    while date <= last {
        let (start, end) = (day_start(tz, date), day_start(tz, date + Duration::days(1)));
        let secs: i64 = intervals
            .iter()
            .map(|&(s, e)| {
                let e = e.unwrap_or(now).min(now);
                let (s, e) = (s.max(start), e.min(end));
                (e - s).num_seconds().max(0)
            })
            .sum();
        out.insert(date, (secs / 60) as u64);
        date += Duration::days(1);
    }
    out
}

/// How many of `times` fall on each local day from `first` to `last`.
fn count_per_day(
    tz: Tz,
    times: &[DateTime<Utc>],
    first: NaiveDate,
    last: NaiveDate,
) -> BTreeMap<NaiveDate, u64> {
    let mut values: BTreeMap<NaiveDate, u64> = BTreeMap::new();
    let mut date = first;
    while date <= last {
        values.insert(date, 0);
        date += Duration::days(1);
    }
    for t in times {
        *values.entry(t.with_timezone(&tz).date_naive()).or_default() += 1;
    }
    values
}

/// The median wait of the consults taken on each local day from `first` to `last`, in
/// whole minutes (the lower middle of an even count); 0 on a day with none.
fn median_wait_per_day(
    tz: Tz,
    consults: &[(DateTime<Utc>, DateTime<Utc>)],
    first: NaiveDate,
    last: NaiveDate,
) -> BTreeMap<NaiveDate, u64> {
    let mut waits: BTreeMap<NaiveDate, Vec<i64>> = BTreeMap::new();
    for &(joined, taken) in consults {
        let day = taken.with_timezone(&tz).date_naive();
        waits
            .entry(day)
            .or_default()
            .push((taken - joined).num_seconds().max(0));
    }
    let mut out = count_per_day(tz, &[], first, last);
    for (day, mut secs) in waits {
        if let Some(value) = out.get_mut(&day) {
            secs.sort_unstable();
            *value = (secs[(secs.len() - 1) / 2] / 60) as u64;
        }
    }
    out
}

/// A count as the figures show it.
fn n(count: i64) -> u64 {
    count.max(0) as u64
}

fn doctor_of(conn: &mut AnyConnection, user: Uuid) -> Result<Uuid, ApiError> {
    let doctor = doctors::find_by_user(conn, user)?.ok_or(diesel::NotFound)?;
    Ok(doctor.id.0)
}

fn by_status(conn: &mut AnyConnection) -> Result<AppointmentsByStatus, ApiError> {
    let mut out = AppointmentsByStatus::default();
    for (status, count) in analytics::appointments_by_status(conn)? {
        let count = n(count);
        match status {
            AppointmentStatus::Scheduled => out.scheduled = count,
            AppointmentStatus::Completed => out.completed = count,
            AppointmentStatus::Cancelled => out.cancelled = count,
            AppointmentStatus::NoShow => out.no_show = count,
        }
    }
    Ok(out)
}

/// A doctor's own figures: today, the no-show rate, and this week's time online.
fn figures(
    conn: &mut AnyConnection,
    tz: Tz,
    doctor: Uuid,
    now: DateTime<Utc>,
) -> Result<DoctorFigures, ApiError> {
    let today = now.with_timezone(&tz).date_naive();
    let (start, end) = (
        day_start(tz, today),
        day_start(tz, today + Duration::days(1)),
    );
    let appointments_today = n(analytics::count_kept_between(
        conn,
        Some(doctor),
        start,
        end,
    )?);
    let mut done = |status| analytics::count_of_doctor_with_status(conn, doctor, status).map(n);
    let (completed, missed) = (
        done(AppointmentStatus::Completed)?,
        done(AppointmentStatus::NoShow)?,
    );
    let monday = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
    let week = presence_intervals::overlapping(conn, Some(doctor), day_start(tz, monday), end)?;
    Ok(DoctorFigures {
        appointments_today,
        no_show_rate: (completed + missed > 0).then(|| missed as f64 / (completed + missed) as f64),
        online_minutes_this_week: minutes_per_day(tz, &week, monday, today, now)
            .values()
            .sum(),
    })
}

fn overview(conn: &mut AnyConnection, tz: Tz, doctor: Option<Uuid>) -> Result<Analytics, ApiError> {
    let now = Utc::now();
    let today = now.with_timezone(&tz).date_naive();
    let (start, end) = (
        day_start(tz, today),
        day_start(tz, today + Duration::days(1)),
    );
    let appointments_by_status = by_status(conn)?;
    let outbox = outbox::count_by_status(conn)?;
    let emails = |status: OutboxStatus| {
        outbox
            .iter()
            .find(|(s, _)| *s == status)
            .map_or(0, |&(_, count)| n(count))
    };
    let mine = match doctor {
        None => None,
        Some(d) => Some(figures(conn, tz, d, now)?),
    };
    Ok(Analytics {
        total_users: n(users::count(conn)?),
        total_doctors: n(users::count_with_role(conn, Role::Doctor)?),
        total_patients: n(users::count_with_role(conn, Role::Patient)?),
        online_doctors: n(analytics::count_online_doctors(conn)?),
        appointments_today: n(analytics::count_kept_between(conn, None, start, end)?),
        emails_sent: emails(OutboxStatus::Sent),
        appointments_by_status,
        emails_queued: emails(OutboxStatus::Queued),
        emails_failed: emails(OutboxStatus::Failed),
        emails_expired: emails(OutboxStatus::Expired),
        mine,
    })
}

pub async fn get(state: &AppState, actor: Actor) -> Result<Analytics, ApiError> {
    let tz = state.config.analytics_tz;
    state
        .db
        .run(move |conn| {
            let doctor = match actor.user.role {
                Role::Doctor => Some(doctor_of(conn, actor.user.id)?),
                Role::Admin => {
                    audit::record(
                        conn,
                        &actor,
                        "admin.analytics.read",
                        "analytics",
                        None,
                        Utc::now(),
                    )?;
                    None
                }
                Role::Patient => {
                    return Err(ApiError::Forbidden(
                        "Analytics are for doctors and admins.".into(),
                    ));
                }
            };
            overview(conn, tz, doctor)
        })
        .await
}

pub async fn timeseries(
    state: &AppState,
    actor: Actor,
    q: TimeseriesQuery,
) -> Result<Timeseries, ApiError> {
    let days = q.days.unwrap_or(30);
    if !(7..=90).contains(&days) {
        return Err(ApiError::BadRequest("days must be from 7 to 90.".into()));
    }
    let tz = state.config.analytics_tz;
    state
        .db
        .run(move |conn| {
            let doctor = match (actor.user.role, q.metric) {
                (Role::Patient, _) => {
                    return Err(ApiError::Forbidden(
                        "Analytics are for doctors and admins.".into(),
                    ));
                }
                (Role::Doctor, Metric::Registrations) => {
                    return Err(ApiError::Forbidden("Registrations are for admins.".into()));
                }
                (Role::Doctor, _) => Some(doctor_of(conn, actor.user.id)?),
                // Daily counts, no one's record: the dashboard's one audited read is
                // the overview (a load asks for it once and for three series).
                (Role::Admin, _) => None,
            };
            let now = Utc::now();
            let last = now.with_timezone(&tz).date_naive();
            let first = last - Duration::days(i64::from(days) - 1);
            let (from, to) = (
                day_start(tz, first),
                day_start(tz, last + Duration::days(1)),
            );
            let values: BTreeMap<NaiveDate, u64> = match q.metric {
                Metric::Consults => {
                    let taken = crate::db::models::consults::taken_between(conn, doctor, from, to)?;
                    let times: Vec<DateTime<Utc>> = taken.iter().map(|&(_, t)| t).collect();
                    count_per_day(tz, &times, first, last)
                }
                Metric::ConsultWaitMinutes => {
                    let taken = crate::db::models::consults::taken_between(conn, doctor, from, to)?;
                    median_wait_per_day(tz, &taken, first, last)
                }
                Metric::OnlineMinutes => {
                    let intervals = presence_intervals::overlapping(conn, doctor, from, to)?;
                    minutes_per_day(tz, &intervals, first, last, now)
                }
                Metric::Registrations | Metric::Appointments => {
                    let times = if q.metric == Metric::Registrations {
                        users::created_between(conn, from, to)?
                    } else {
                        analytics::kept_times_between(conn, doctor, from, to)?
                    };
                    count_per_day(tz, &times, first, last)
                }
            };
            Ok(Timeseries {
                metric: q.metric,
                time_zone: tz.name().to_owned(),
                buckets: values
                    .into_iter()
                    .map(|(date, value)| Bucket { date, value })
                    .collect(),
            })
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_wait_is_per_day_of_taking() {
        let tz: Tz = "UTC".parse().unwrap();
        let at = |s: &str| t(s);
        let consults = [
            (at("2026-03-02T09:00:00Z"), at("2026-03-02T09:04:00Z")),
            (at("2026-03-02T09:00:00Z"), at("2026-03-02T09:10:30Z")),
            (at("2026-03-02T10:00:00Z"), at("2026-03-02T10:30:00Z")),
            (at("2026-03-02T23:50:00Z"), at("2026-03-03T00:02:00Z")),
        ];
        let got = median_wait_per_day(tz, &consults, d("2026-03-01"), d("2026-03-03"));
        let want: BTreeMap<NaiveDate, u64> = [
            (d("2026-03-01"), 0),
            (d("2026-03-02"), 10),
            (d("2026-03-03"), 12),
        ]
        .into();
        assert_eq!(got, want);
    }

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn an_interval_across_midnight_counts_on_both_days() {
        let intervals = [(t("2027-01-04T23:30:00Z"), Some(t("2027-01-05T00:45:00Z")))];
        let m = minutes_per_day(
            chrono_tz::UTC,
            &intervals,
            d("2027-01-04"),
            d("2027-01-05"),
            t("2027-01-06T00:00:00Z"),
        );
        assert_eq!(m[&d("2027-01-04")], 30);
        assert_eq!(m[&d("2027-01-05")], 45);
    }

    #[test]
    fn days_are_local_days() {
        // 23:30 UTC is already the next day in Berlin.
        let intervals = [(t("2027-01-04T23:30:00Z"), Some(t("2027-01-05T00:00:00Z")))];
        let m = minutes_per_day(
            chrono_tz::Europe::Berlin,
            &intervals,
            d("2027-01-04"),
            d("2027-01-05"),
            t("2027-01-06T00:00:00Z"),
        );
        assert_eq!(m[&d("2027-01-04")], 0);
        assert_eq!(m[&d("2027-01-05")], 30);
    }

    #[test]
    fn open_intervals_end_now() {
        let intervals = [(t("2027-01-04T10:00:00Z"), None)];
        let m = minutes_per_day(
            chrono_tz::UTC,
            &intervals,
            d("2027-01-04"),
            d("2027-01-04"),
            t("2027-01-04T11:15:00Z"),
        );
        assert_eq!(m[&d("2027-01-04")], 75);
    }

    #[test]
    fn a_dst_day_has_its_real_length() {
        // Berlin, 2027-03-28 has 23 hours.
        let tz = chrono_tz::Europe::Berlin;
        let len = day_start(tz, d("2027-03-29")) - day_start(tz, d("2027-03-28"));
        assert_eq!(len, Duration::hours(23));
    }
}
