//! Analytics: the spec's overview, daily time series, and each doctor's own figures.
//! Days are the days of ANALYTICS_TZ; an online interval crossing midnight counts on
//! both days.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use diesel::prelude::*;
use mediconnect_shared::{
    Analytics, AppointmentsByStatus, Bucket, DoctorFigures, Metric, OutboxStatus, Role, Timeseries,
    TimeseriesQuery,
};
use uuid::Uuid;

use crate::audit::{self, Actor};
use crate::db::schema::{appointments, doctors, notifications, presence_intervals, users};
use crate::db::{AnyConnection, DbId, DbTime};
use crate::error::ApiError;
use crate::state::AppState;

/// The instant a local day starts (the first instant, if midnight is skipped by DST).
pub fn day_start(tz: Tz, date: NaiveDate) -> DateTime<Utc> {
    let midnight = date.and_hms_opt(0, 0, 0).expect("midnight exists");
    let mut local = midnight;
    for _ in 0..=180 {
        if let Some(t) = tz.from_local_datetime(&local).earliest() {
            return t.with_timezone(&Utc);
        }
        local += Duration::minutes(1);
    }
    midnight.and_utc()
}

/// An online interval; `None` is still open.
pub type Interval = (DateTime<Utc>, Option<DateTime<Utc>>);

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

fn count(
    conn: &mut AnyConnection,
    query: impl FnOnce(&mut AnyConnection) -> QueryResult<i64>,
) -> Result<u64, ApiError> {
    Ok(query(conn)?.max(0) as u64)
}

fn doctor_of(conn: &mut AnyConnection, user: Uuid) -> Result<Uuid, ApiError> {
    Ok(doctors::table
        .filter(doctors::user_id.eq(DbId(user)))
        .select(doctors::id)
        .first::<DbId>(conn)?
        .0)
}

fn intervals(
    conn: &mut AnyConnection,
    doctor: Option<Uuid>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Interval>, ApiError> {
    let mut query = presence_intervals::table
        .filter(presence_intervals::started_at.lt(DbTime(to)))
        .filter(
            presence_intervals::ended_at
                .is_null()
                .or(presence_intervals::ended_at.gt(DbTime(from))),
        )
        .select((presence_intervals::started_at, presence_intervals::ended_at))
        .into_boxed();
    if let Some(d) = doctor {
        query = query.filter(presence_intervals::doctor_id.eq(DbId(d)));
    }
    Ok(query
        .load::<(DbTime, Option<DbTime>)>(conn)?
        .into_iter()
        .map(|(s, e)| (s.0, e.map(|e| e.0)))
        .collect())
}

fn overview(conn: &mut AnyConnection, tz: Tz, doctor: Option<Uuid>) -> Result<Analytics, ApiError> {
    let now = Utc::now();
    let today = now.with_timezone(&tz).date_naive();
    let (start, end) = (
        day_start(tz, today),
        day_start(tz, today + Duration::days(1)),
    );
    let role_count = |conn: &mut AnyConnection, role: Role| {
        count(conn, |c| {
            users::table
                .filter(users::role.eq(role.as_str()))
                .count()
                .get_result(c)
        })
    };
    let by_status: Vec<(String, i64)> = appointments::table
        .group_by(appointments::status)
        .select((appointments::status, diesel::dsl::count_star()))
        .load(conn)?;
    let mut appointments_by_status = AppointmentsByStatus::default();
    for (status, n) in by_status {
        let n = n.max(0) as u64;
        match status.as_str() {
            "SCHEDULED" => appointments_by_status.scheduled = n,
            "COMPLETED" => appointments_by_status.completed = n,
            "CANCELLED" => appointments_by_status.cancelled = n,
            _ => appointments_by_status.no_show = n,
        }
    }
    let outbox = |conn: &mut AnyConnection, status: OutboxStatus| {
        let status = crate::db::DbOutboxStatus(status);
        count(conn, move |c| {
            notifications::table
                .filter(notifications::status.eq(status))
                .count()
                .get_result(c)
        })
    };
    let today_query = |doctor: Option<Uuid>| {
        let mut q = appointments::table
            .filter(appointments::scheduled_for.ge(DbTime(start)))
            .filter(appointments::scheduled_for.lt(DbTime(end)))
            .filter(appointments::status.ne("CANCELLED"))
            .into_boxed();
        if let Some(d) = doctor {
            q = q.filter(appointments::doctor_id.eq(DbId(d)));
        }
        q
    };
    let mine = match doctor {
        None => None,
        Some(d) => {
            let appointments_today = count(conn, |c| today_query(Some(d)).count().get_result(c))?;
            let done = |conn: &mut AnyConnection, status: &'static str| {
                count(conn, move |c| {
                    appointments::table
                        .filter(appointments::doctor_id.eq(DbId(d)))
                        .filter(appointments::status.eq(status))
                        .count()
                        .get_result(c)
                })
            };
            let (completed, missed) = (done(conn, "COMPLETED")?, done(conn, "NO_SHOW")?);
            let monday = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
            let week = intervals(conn, Some(d), day_start(tz, monday), end)?;
            Some(DoctorFigures {
                appointments_today,
                no_show_rate: (completed + missed > 0)
                    .then(|| missed as f64 / (completed + missed) as f64),
                online_minutes_this_week: minutes_per_day(tz, &week, monday, today, now)
                    .values()
                    .sum(),
            })
        }
    };
    Ok(Analytics {
        total_users: count(conn, |c| users::table.count().get_result(c))?,
        total_doctors: role_count(conn, Role::Doctor)?,
        total_patients: role_count(conn, Role::Patient)?,
        online_doctors: count(conn, |c| {
            doctors::table
                .inner_join(users::table)
                .filter(doctors::is_online.eq(true))
                .filter(users::active.eq(true))
                .count()
                .get_result(c)
        })?,
        appointments_today: count(conn, |c| today_query(None).count().get_result(c))?,
        emails_sent: outbox(conn, OutboxStatus::Sent)?,
        appointments_by_status,
        emails_queued: outbox(conn, OutboxStatus::Queued)?,
        emails_failed: outbox(conn, OutboxStatus::Failed)?,
        emails_expired: outbox(conn, OutboxStatus::Expired)?,
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
                Metric::OnlineMinutes => {
                    minutes_per_day(tz, &intervals(conn, doctor, from, to)?, first, last, now)
                }
                Metric::Registrations | Metric::Appointments => {
                    let times: Vec<DbTime> = if q.metric == Metric::Registrations {
                        users::table
                            .filter(users::created_at.ge(DbTime(from)))
                            .filter(users::created_at.lt(DbTime(to)))
                            .select(users::created_at)
                            .load(conn)?
                    } else {
                        let mut query = appointments::table
                            .filter(appointments::scheduled_for.ge(DbTime(from)))
                            .filter(appointments::scheduled_for.lt(DbTime(to)))
                            .filter(appointments::status.ne("CANCELLED"))
                            .select(appointments::scheduled_for)
                            .into_boxed();
                        if let Some(d) = doctor {
                            query = query.filter(appointments::doctor_id.eq(DbId(d)));
                        }
                        query.load(conn)?
                    };
                    let mut values: BTreeMap<NaiveDate, u64> = BTreeMap::new();
                    let mut date = first;
                    while date <= last {
                        values.insert(date, 0);
                        date += Duration::days(1);
                    }
                    for t in times {
                        *values
                            .entry(t.0.with_timezone(&tz).date_naive())
                            .or_default() += 1;
                    }
                    values
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
