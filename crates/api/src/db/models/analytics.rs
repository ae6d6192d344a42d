//! The analytics dashboard's figures on appointments and doctors: counts and times
//! read for reporting, across the `appointments`, `doctors` and `users` tables. A read
//! model: no table of its own, nothing written. The dashboard's counts of users, emails
//! and online time are with their tables (users.rs, outbox.rs, presence_intervals.rs).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use mediconnect_shared::AppointmentStatus;
use uuid::Uuid;

use crate::db::connection::MultiBackend;
use crate::db::schema::{appointments, doctors, users};
use crate::db::{AnyConnection, DbId, DbStatus, DbTime};

/// How many appointments have each status; a status no appointment has is missing.
pub fn appointments_by_status(
    conn: &mut AnyConnection,
) -> QueryResult<Vec<(AppointmentStatus, i64)>> {
    let rows: Vec<(DbStatus, i64)> = appointments::table
        .group_by(appointments::status)
        .select((appointments::status, diesel::dsl::count_star()))
        .load(conn)?;
    Ok(rows.into_iter().map(|(s, n)| (s.0, n)).collect())
}

/// The appointments not cancelled that start in `[from, to)`, of `doctor` or of all.
fn kept_between(
    doctor: Option<Uuid>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> appointments::BoxedQuery<'static, MultiBackend> {
    let mut query = appointments::table
        .filter(appointments::scheduled_for.ge(DbTime(from)))
        .filter(appointments::scheduled_for.lt(DbTime(to)))
        .filter(appointments::status.ne(AppointmentStatus::Cancelled.as_str()))
        .into_boxed();
    if let Some(d) = doctor {
        query = query.filter(appointments::doctor_id.eq(DbId(d)));
    }
    query
}

/// How many appointments, not cancelled, start in `[from, to)`: `doctor`'s, or all.
pub fn count_kept_between(
    conn: &mut AnyConnection,
    doctor: Option<Uuid>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> QueryResult<i64> {
    kept_between(doctor, from, to).count().get_result(conn)
}

/// When each appointment not cancelled that starts in `[from, to)` starts: `doctor`'s,
/// or all.
pub fn kept_times_between(
    conn: &mut AnyConnection,
    doctor: Option<Uuid>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> QueryResult<Vec<DateTime<Utc>>> {
    let times: Vec<DbTime> = kept_between(doctor, from, to)
        .select(appointments::scheduled_for)
        .load(conn)?;
    Ok(times.into_iter().map(|t| t.0).collect())
}

/// How many of `doctor`'s appointments have `status`.
pub fn count_of_doctor_with_status(
    conn: &mut AnyConnection,
    doctor: Uuid,
    status: AppointmentStatus,
) -> QueryResult<i64> {
    appointments::table
        .filter(appointments::doctor_id.eq(DbId(doctor)))
        .filter(appointments::status.eq(status.as_str()))
        .count()
        .get_result(conn)
}

/// How many doctors of active accounts are online.
pub fn count_online_doctors(conn: &mut AnyConnection) -> QueryResult<i64> {
    doctors::table
        .inner_join(users::table)
        .filter(doctors::is_online.eq(true))
        .filter(users::active.eq(true))
        .count()
        .get_result(conn)
}
