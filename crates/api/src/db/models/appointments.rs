use chrono::{DateTime, Utc};
use diesel::BoxableExpression;
use diesel::prelude::*;
use mediconnect_shared::{AppointmentAction, AppointmentStatus};
use uuid::Uuid;

use crate::db::schema::{appointment_events, appointments, doctors, patients, users};
use crate::db::{AnyConnection, DbAction, DbId, DbRole, DbStatus, DbTime};

type Backend = <AnyConnection as diesel::Connection>::Backend;
type Bool = diesel::sql_types::Bool;

/// An appointment row. Holds the visit reason: never logged, never serialized.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = appointments)]
pub struct AppointmentRow {
    pub id: DbId,
    pub doctor_id: DbId,
    pub patient_id: DbId,
    pub scheduled_for: DbTime,
    pub duration_minutes: i32,
    pub reason: Option<String>,
    pub status: DbStatus,
    pub created_at: DbTime,
    pub updated_at: DbTime,
    pub ends_at: DbTime,
    /// `BOOKED` or `INSTANT`.
    pub kind: String,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = appointments)]
pub struct NewAppointmentRow<'a> {
    pub id: DbId,
    pub doctor_id: DbId,
    pub patient_id: DbId,
    pub scheduled_for: DbTime,
    pub ends_at: DbTime,
    pub duration_minutes: i32,
    pub reason: Option<&'a str>,
    pub status: DbStatus,
    pub created_at: DbTime,
    pub updated_at: DbTime,
    pub kind: &'static str,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = appointment_events)]
pub struct EventRow {
    pub id: DbId,
    pub appointment_id: DbId,
    pub actor_id: Option<DbId>,
    pub action: DbAction,
    pub from_status: Option<DbStatus>,
    pub to_status: Option<DbStatus>,
    pub from_time: Option<DbTime>,
    pub to_time: Option<DbTime>,
    pub created_at: DbTime,
    pub note: Option<String>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = appointment_events)]
pub struct NewEventRow {
    pub id: DbId,
    pub appointment_id: DbId,
    pub actor_id: Option<DbId>,
    pub action: DbAction,
    pub from_status: Option<DbStatus>,
    pub to_status: Option<DbStatus>,
    pub from_time: Option<DbTime>,
    pub to_time: Option<DbTime>,
    pub created_at: DbTime,
    pub note: Option<String>,
}

/// The appointment `id`, if there is one.
pub fn find(conn: &mut AnyConnection, id: Uuid) -> QueryResult<Option<AppointmentRow>> {
    appointments::table
        .find(DbId(id))
        .select(AppointmentRow::as_select())
        .first(conn)
        .optional()
}

/// Inserts a booking. The database refuses one that overlaps another appointment of
/// the doctor or of the patient.
pub fn insert(conn: &mut AnyConnection, new: &NewAppointmentRow<'_>) -> QueryResult<()> {
    diesel::insert_into(appointments::table)
        .values(new)
        .execute(conn)?;
    Ok(())
}

/// Sets the visit reason (`None` removes it).
pub fn set_reason(conn: &mut AnyConnection, id: Uuid, reason: Option<&str>) -> QueryResult<()> {
    diesel::update(appointments::table.find(DbId(id)))
        .set(appointments::reason.eq(reason))
        .execute(conn)?;
    Ok(())
}

/// Moves it to `start`..`end`; refused by the database on an overlap.
pub fn set_time(
    conn: &mut AnyConnection,
    id: Uuid,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::update(appointments::table.find(DbId(id)))
        .set((
            appointments::scheduled_for.eq(DbTime(start)),
            appointments::ends_at.eq(DbTime(end)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Sets its status.
pub fn set_status(
    conn: &mut AnyConnection,
    id: Uuid,
    status: AppointmentStatus,
) -> QueryResult<()> {
    diesel::update(appointments::table.find(DbId(id)))
        .set(appointments::status.eq(DbStatus(status)))
        .execute(conn)?;
    Ok(())
}

/// Notes that it changed at `now`.
pub fn touch(conn: &mut AnyConnection, id: Uuid, now: DateTime<Utc>) -> QueryResult<()> {
    diesel::update(appointments::table.find(DbId(id)))
        .set(appointments::updated_at.eq(DbTime(now)))
        .execute(conn)?;
    Ok(())
}

/// How many booked appointments the patient has that have not started by `now`: with
/// `doctor` only, or with anyone.
pub fn open_of_patient(
    conn: &mut AnyConnection,
    patient: Uuid,
    doctor: Option<Uuid>,
    now: DateTime<Utc>,
) -> QueryResult<i64> {
    let mut query = appointments::table
        .filter(appointments::patient_id.eq(DbId(patient)))
        .filter(appointments::status.eq(DbStatus(AppointmentStatus::Scheduled)))
        .filter(appointments::scheduled_for.gt(DbTime(now)))
        .into_boxed();
    if let Some(doctor) = doctor {
        query = query.filter(appointments::doctor_id.eq(DbId(doctor)));
    }
    query.count().get_result(conn)
}

/// The start and end of each scheduled appointment of `doctor` that overlaps
/// `from`..`to`.
pub fn booked_between(
    conn: &mut AnyConnection,
    doctor: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> QueryResult<Vec<(DateTime<Utc>, DateTime<Utc>)>> {
    let whose = Box::new(appointments::doctor_id.eq(DbId(doctor)));
    scheduled_overlapping(conn, whose, from, to)
}

/// The start and end of each scheduled appointment matching `whose` that overlaps
/// `from`..`to`.
fn scheduled_overlapping(
    conn: &mut AnyConnection,
    whose: Box<dyn BoxableExpression<appointments::table, Backend, SqlType = Bool>>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> QueryResult<Vec<(DateTime<Utc>, DateTime<Utc>)>> {
    let rows: Vec<(DbTime, DbTime)> = appointments::table
        .into_boxed()
        .filter(whose)
        .filter(appointments::status.eq(DbStatus(AppointmentStatus::Scheduled)))
        .filter(appointments::scheduled_for.lt(DbTime(to)))
        .filter(appointments::ends_at.gt(DbTime(from)))
        .select((appointments::scheduled_for, appointments::ends_at))
        .load(conn)?;
    Ok(rows.into_iter().map(|(s, e)| (s.0, e.0)).collect())
}

/// The doctor's scheduled appointments that have not started by `now`, soonest first.
pub fn scheduled_ahead(
    conn: &mut AnyConnection,
    doctor: Uuid,
    now: DateTime<Utc>,
) -> QueryResult<Vec<AppointmentRow>> {
    appointments::table
        .filter(appointments::doctor_id.eq(DbId(doctor)))
        .filter(appointments::status.eq(DbStatus(AppointmentStatus::Scheduled)))
        .filter(appointments::scheduled_for.gt(DbTime(now)))
        .order((appointments::scheduled_for.asc(), appointments::id.asc()))
        .select(AppointmentRow::as_select())
        .load(conn)
}

/// Which appointments a list holds. Every field that is set must match.
#[derive(Debug, Default, Clone)]
pub struct ListFilter {
    /// The patient or the doctor whose appointments these are (the reader's own).
    pub own_patient: Option<Uuid>,
    pub own_doctor: Option<Uuid>,
    /// The filters the reader asked for.
    pub patient: Option<Uuid>,
    pub doctor: Option<Uuid>,
    pub status: Option<AppointmentStatus>,
    /// Starting at or after `from`, and before `to`.
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// `LIKE` patterns (escaped with `\\`) on the folded names of the parties.
    pub doctor_name: Option<String>,
    pub patient_name: Option<String>,
}

impl ListFilter {
    fn query(&self) -> appointments::BoxedQuery<'_, Backend> {
        let mut query = appointments::table.into_boxed();
        for p in [self.own_patient, self.patient].into_iter().flatten() {
            query = query.filter(appointments::patient_id.eq(DbId(p)));
        }
        for d in [self.own_doctor, self.doctor].into_iter().flatten() {
            query = query.filter(appointments::doctor_id.eq(DbId(d)));
        }
        if let Some(s) = self.status {
            query = query.filter(appointments::status.eq(DbStatus(s)));
        }
        if let Some(from) = self.from {
            query = query.filter(appointments::scheduled_for.ge(DbTime(from)));
        }
        if let Some(to) = self.to {
            query = query.filter(appointments::scheduled_for.lt(DbTime(to)));
        }
        if let Some(pattern) = &self.doctor_name {
            let named = doctors::table
                .inner_join(users::table)
                .filter(users::name_folded.like(pattern.clone()).escape('\\'))
                .select(doctors::id);
            query = query.filter(appointments::doctor_id.eq_any(named));
        }
        if let Some(pattern) = &self.patient_name {
            let named = patients::table
                .inner_join(users::table)
                .filter(users::name_folded.like(pattern.clone()).escape('\\'))
                .select(patients::id);
            query = query.filter(appointments::patient_id.eq_any(named));
        }
        query
    }
}

/// How many appointments match `filter`, and the `limit` of them after `offset`, by
/// time (then id), oldest or newest first.
pub fn page(
    conn: &mut AnyConnection,
    filter: &ListFilter,
    newest_first: bool,
    limit: i64,
    offset: i64,
) -> QueryResult<(i64, Vec<AppointmentRow>)> {
    let total: i64 = filter.query().count().get_result(conn)?;
    let ordered = if newest_first {
        filter
            .query()
            .order((appointments::scheduled_for.desc(), appointments::id.desc()))
    } else {
        filter
            .query()
            .order((appointments::scheduled_for.asc(), appointments::id.asc()))
    };
    let rows = ordered
        .limit(limit)
        .offset(offset)
        .select(AppointmentRow::as_select())
        .load(conn)?;
    Ok((total, rows))
}

/// On PostgreSQL, bookings and moves of one doctor, and of one patient, take turns
/// (transaction-scoped advisory locks). Two inserts that conflict under an exclusion
/// constraint can otherwise each wait for the other, and PostgreSQL aborts one with
/// "deadlock detected" after a second: a 500 where a 409 is due. With the turn, the
/// second sees the first committed and is refused cleanly. The doctor's lock comes
/// first, then the patient's: one order for everybody, so the turns cannot deadlock.
/// SQLite has one writer, and nothing to do.
pub fn take_turns(conn: &mut AnyConnection, doctor: Uuid, patient: Uuid) -> QueryResult<()> {
    turns(conn, &[(1, doctor), (2, patient)])
}

/// The doctor's turn alone, for a change to all of a doctor's appointments at once
/// (a departure, new hours): bookings wait for it, and see its outcome.
pub fn take_doctor_turn(conn: &mut AnyConnection, doctor: Uuid) -> QueryResult<()> {
    turns(conn, &[(1, doctor)])
}

fn turns(conn: &mut AnyConnection, locks: &[(i32, Uuid)]) -> QueryResult<()> {
    if let AnyConnection::Postgresql(pg) = conn {
        for &(space, id) in locks {
            diesel::sql_query("SELECT pg_advisory_xact_lock($1, hashtext($2))")
                .bind::<diesel::sql_types::Integer, _>(space)
                .bind::<diesel::sql_types::Text, _>(id.to_string())
                .execute(pg)?;
        }
    }
    Ok(())
}

/// Who made a change, as the history names them: id, name, role.
pub type ActorRow = (DbId, String, DbRole);

/// Records one change in the appointment's history.
pub fn insert_event(conn: &mut AnyConnection, event: &NewEventRow) -> QueryResult<()> {
    diesel::insert_into(appointment_events::table)
        .values(event)
        .execute(conn)?;
    Ok(())
}

/// The appointment's history, oldest first, each change with who made it (if the
/// account still exists).
pub fn history(
    conn: &mut AnyConnection,
    appointment: Uuid,
) -> QueryResult<Vec<(EventRow, Option<ActorRow>)>> {
    appointment_events::table
        .left_join(users::table)
        .filter(appointment_events::appointment_id.eq(DbId(appointment)))
        .order((
            appointment_events::created_at.asc(),
            appointment_events::id.asc(),
        ))
        .select((
            EventRow::as_select(),
            (users::id, users::name, users::role).nullable(),
        ))
        .load(conn)
}

/// How many times the appointment was moved.
pub fn times_moved(conn: &mut AnyConnection, appointment: Uuid) -> QueryResult<i64> {
    appointment_events::table
        .filter(appointment_events::appointment_id.eq(DbId(appointment)))
        .filter(appointment_events::action.eq(DbAction(AppointmentAction::Rescheduled)))
        .count()
        .get_result(conn)
}

/// [`times_moved`] of each of `ids` that was moved at all.
pub fn times_moved_each(
    conn: &mut AnyConnection,
    ids: &[Uuid],
) -> QueryResult<std::collections::HashMap<Uuid, i64>> {
    let ids: Vec<DbId> = ids.iter().copied().map(DbId).collect();
    let rows: Vec<(DbId, i64)> = appointment_events::table
        .filter(appointment_events::appointment_id.eq_any(ids))
        .filter(appointment_events::action.eq(DbAction(AppointmentAction::Rescheduled)))
        .group_by(appointment_events::appointment_id)
        .select((
            appointment_events::appointment_id,
            diesel::dsl::count_star(),
        ))
        .load(conn)?;
    Ok(rows.into_iter().map(|(id, n)| (id.0, n)).collect())
}

/// An appointment of a doctor's day: start, end and the patient's name.
pub type AgendaRow = (DateTime<Utc>, DateTime<Utc>, String);

/// The doctor's scheduled appointments starting in `from`..`to`, soonest first.
pub fn agenda(
    conn: &mut AnyConnection,
    doctor: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> QueryResult<Vec<AgendaRow>> {
    let rows: Vec<(DbTime, DbTime, String)> = appointments::table
        .inner_join(patients::table.inner_join(users::table))
        .filter(appointments::doctor_id.eq(DbId(doctor)))
        .filter(appointments::status.eq(DbStatus(AppointmentStatus::Scheduled)))
        .filter(appointments::scheduled_for.ge(DbTime(from)))
        .filter(appointments::scheduled_for.lt(DbTime(to)))
        .order((appointments::scheduled_for.asc(), appointments::id.asc()))
        .select((
            appointments::scheduled_for,
            appointments::ends_at,
            users::name,
        ))
        .load(conn)?;
    Ok(rows.into_iter().map(|(s, e, n)| (s.0, e.0, n)).collect())
}

/// The patient's scheduled appointments that overlap `from`..`to`: start and end.
pub fn patient_between(
    conn: &mut AnyConnection,
    patient: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> QueryResult<Vec<(DateTime<Utc>, DateTime<Utc>)>> {
    let whose = Box::new(appointments::patient_id.eq(DbId(patient)));
    scheduled_overlapping(conn, whose, from, to)
}
