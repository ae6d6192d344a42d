//! The `time_off` table: ranges in which a doctor takes no appointments.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::schema::time_off;
use crate::db::{AnyConnection, DbId, DbTime};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = time_off)]
pub struct TimeOffRow {
    pub id: DbId,
    pub doctor_id: DbId,
    pub starts_at: DbTime,
    pub ends_at: DbTime,
    pub time_zone: String,
    pub note: Option<String>,
    pub created_at: DbTime,
}

pub fn insert(conn: &mut AnyConnection, row: &TimeOffRow) -> QueryResult<()> {
    diesel::insert_into(time_off::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// The doctor's ranges that end after `now`, soonest first.
pub fn upcoming(
    conn: &mut AnyConnection,
    doctor: Uuid,
    now: DateTime<Utc>,
) -> QueryResult<Vec<TimeOffRow>> {
    time_off::table
        .filter(time_off::doctor_id.eq(DbId(doctor)))
        .filter(time_off::ends_at.gt(DbTime(now)))
        .order((time_off::starts_at.asc(), time_off::id.asc()))
        .select(TimeOffRow::as_select())
        .load(conn)
}

/// The start and end of each of the doctor's ranges that overlaps `from`..`to`.
pub fn between(
    conn: &mut AnyConnection,
    doctor: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> QueryResult<Vec<(DateTime<Utc>, DateTime<Utc>)>> {
    let rows: Vec<(DbTime, DbTime)> = time_off::table
        .filter(time_off::doctor_id.eq(DbId(doctor)))
        .filter(time_off::starts_at.lt(DbTime(to)))
        .filter(time_off::ends_at.gt(DbTime(from)))
        .select((time_off::starts_at, time_off::ends_at))
        .load(conn)?;
    Ok(rows.into_iter().map(|(s, e)| (s.0, e.0)).collect())
}

/// Removes the doctor's range `id`; whether there was one.
pub fn delete(conn: &mut AnyConnection, doctor: Uuid, id: Uuid) -> QueryResult<bool> {
    let n = diesel::delete(
        time_off::table
            .filter(time_off::id.eq(DbId(id)))
            .filter(time_off::doctor_id.eq(DbId(doctor))),
    )
    .execute(conn)?;
    Ok(n > 0)
}
