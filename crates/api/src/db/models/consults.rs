//! The `consults` table: patients waiting for, or in, an instant consultation with an
//! online doctor.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::schema::{consult_messages, consults, doctors, patients, users};
use crate::db::{AnyConnection, DbId, DbTime};

pub const WAITING: &str = "WAITING";
pub const ACTIVE: &str = "ACTIVE";
pub const LEFT: &str = "LEFT";
pub const ENDED: &str = "ENDED";

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = consults)]
pub struct ConsultRow {
    pub id: DbId,
    pub patient_id: DbId,
    pub doctor_id: DbId,
    pub reason: Option<String>,
    pub status: String,
    pub created_at: DbTime,
    pub started_at: Option<DbTime>,
    pub ended_at: Option<DbTime>,
    pub appointment_id: Option<DbId>,
}

pub fn insert(conn: &mut AnyConnection, row: &ConsultRow) -> QueryResult<()> {
    diesel::insert_into(consults::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut AnyConnection, id: Uuid) -> QueryResult<Option<ConsultRow>> {
    consults::table
        .find(DbId(id))
        .select(ConsultRow::as_select())
        .first(conn)
        .optional()
}

/// The patient's consult that is waiting or under way, if any.
pub fn open_of_patient(conn: &mut AnyConnection, patient: Uuid) -> QueryResult<Option<ConsultRow>> {
    consults::table
        .filter(consults::patient_id.eq(DbId(patient)))
        .filter(consults::status.eq_any([WAITING, ACTIVE]))
        .select(ConsultRow::as_select())
        .first(conn)
        .optional()
}

/// How many wait for the doctor.
pub fn waiting_count(conn: &mut AnyConnection, doctor: Uuid) -> QueryResult<i64> {
    consults::table
        .filter(consults::doctor_id.eq(DbId(doctor)))
        .filter(consults::status.eq(WAITING))
        .count()
        .get_result(conn)
}

/// The doctor's queue, first come first: each consult with its patient's name.
pub fn queue(conn: &mut AnyConnection, doctor: Uuid) -> QueryResult<Vec<(ConsultRow, String)>> {
    consults::table
        .inner_join(patients::table.inner_join(users::table))
        .filter(consults::doctor_id.eq(DbId(doctor)))
        .filter(consults::status.eq(WAITING))
        .order((consults::created_at.asc(), consults::id.asc()))
        .select((ConsultRow::as_select(), users::name))
        .load(conn)
}

/// Takes the head of the doctor's queue at `now`: it becomes ACTIVE. On PostgreSQL a
/// head another transaction is taking is skipped (it is being taken), so two takers
/// get two patients and none is skipped; SQLite has one writer.
pub fn take_next(
    conn: &mut AnyConnection,
    doctor: Uuid,
    now: DateTime<Utc>,
) -> QueryResult<Option<ConsultRow>> {
    let head = consults::table
        .filter(consults::doctor_id.eq(DbId(doctor)))
        .filter(consults::status.eq(WAITING))
        .order((consults::created_at.asc(), consults::id.asc()))
        .select(consults::id)
        .limit(1);
    let id: Option<DbId> = match conn {
        AnyConnection::Postgresql(pg) => head.for_update().skip_locked().first(pg).optional()?,
        AnyConnection::Sqlite(lite) => head.first(lite).optional()?,
    };
    let Some(id) = id else { return Ok(None) };
    diesel::update(
        consults::table
            .filter(consults::id.eq(id))
            .filter(consults::status.eq(WAITING)),
    )
    .set((
        consults::status.eq(ACTIVE),
        consults::started_at.eq(Some(DbTime(now))),
    ))
    .execute(conn)?;
    find(conn, id.0)
}

/// Moves the consult from `from` to `to` (with `ended_at` = `now`); whether it was in
/// `from`.
pub fn close(
    conn: &mut AnyConnection,
    id: Uuid,
    from: &str,
    to: &str,
    now: DateTime<Utc>,
) -> QueryResult<bool> {
    let n = diesel::update(
        consults::table
            .filter(consults::id.eq(DbId(id)))
            .filter(consults::status.eq(from)),
    )
    .set((
        consults::status.eq(to),
        consults::ended_at.eq(Some(DbTime(now))),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

pub const DROPPED: &str = "DROPPED";

/// Ends the doctor's whole queue at `now` (they went offline): the consults that were
/// waiting.
pub fn drop_waiting(
    conn: &mut AnyConnection,
    doctor: Uuid,
    now: DateTime<Utc>,
) -> QueryResult<Vec<ConsultRow>> {
    let waiting: Vec<ConsultRow> = consults::table
        .filter(consults::doctor_id.eq(DbId(doctor)))
        .filter(consults::status.eq(WAITING))
        .select(ConsultRow::as_select())
        .load(conn)?;
    let mut dropped = Vec::new();
    for row in waiting {
        if close(conn, row.id.0, WAITING, DROPPED, now)? {
            dropped.push(find(conn, row.id.0)?.unwrap_or(row));
        }
    }
    Ok(dropped)
}

/// Whether the doctor accepts instant consults now.
pub fn accepting(conn: &mut AnyConnection, doctor: Uuid) -> QueryResult<bool> {
    doctors::table
        .find(DbId(doctor))
        .select(doctors::accepting_consults)
        .first(conn)
}

pub fn set_accepting(conn: &mut AnyConnection, doctor: Uuid, on: bool) -> QueryResult<()> {
    diesel::update(doctors::table.find(DbId(doctor)))
        .set(doctors::accepting_consults.eq(on))
        .execute(conn)?;
    Ok(())
}

/// Ends the active consult at `now`, kept as `appointment`; whether it was active.
pub fn end(
    conn: &mut AnyConnection,
    id: Uuid,
    appointment: Uuid,
    now: DateTime<Utc>,
) -> QueryResult<bool> {
    let n = diesel::update(
        consults::table
            .filter(consults::id.eq(DbId(id)))
            .filter(consults::status.eq(ACTIVE)),
    )
    .set((
        consults::status.eq(ENDED),
        consults::ended_at.eq(Some(DbTime(now))),
        consults::appointment_id.eq(Some(DbId(appointment))),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// The user ids of the consult's doctor and patient, and its status.
pub fn parties(conn: &mut AnyConnection, id: Uuid) -> QueryResult<Option<(Uuid, Uuid, String)>> {
    consults::table
        .inner_join(doctors::table)
        .inner_join(patients::table)
        .filter(consults::id.eq(DbId(id)))
        .select((doctors::user_id, patients::user_id, consults::status))
        .first::<(DbId, DbId, String)>(conn)
        .optional()
        .map(|found| found.map(|(d, p, status)| (d.0, p.0, status)))
}

/// A chat message of a consult.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = consult_messages)]
pub struct ChatRow {
    pub id: DbId,
    pub consult_id: DbId,
    pub sender_id: Option<DbId>,
    /// `DOCTOR` or `PATIENT`.
    pub from_role: String,
    pub body: String,
    pub created_at: DbTime,
}

pub fn insert_chat(conn: &mut AnyConnection, row: &ChatRow) -> QueryResult<()> {
    diesel::insert_into(consult_messages::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// The consult's chat, oldest first.
pub fn chat(conn: &mut AnyConnection, consult: Uuid) -> QueryResult<Vec<ChatRow>> {
    consult_messages::table
        .filter(consult_messages::consult_id.eq(DbId(consult)))
        .order((
            consult_messages::created_at.asc(),
            consult_messages::id.asc(),
        ))
        .select(ChatRow::as_select())
        .load(conn)
}

/// When each consult taken in `[from, to)` (of `doctor`, or all) joined the queue and
/// was taken.
pub fn taken_between(
    conn: &mut AnyConnection,
    doctor: Option<Uuid>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> QueryResult<Vec<(DateTime<Utc>, DateTime<Utc>)>> {
    let mut q = consults::table
        .filter(consults::started_at.ge(DbTime(from)))
        .filter(consults::started_at.lt(DbTime(to)))
        .select((consults::created_at, consults::started_at))
        .into_boxed();
    if let Some(d) = doctor {
        q = q.filter(consults::doctor_id.eq(DbId(d)));
    }
    let rows: Vec<(DbTime, Option<DbTime>)> = q.load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(joined, taken)| Some((joined.0, taken?.0)))
        .collect())
}
