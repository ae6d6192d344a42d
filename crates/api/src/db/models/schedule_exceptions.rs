//! The `schedule_exceptions` table: the days a doctor works other hours than the
//! weekly ones. A row without minutes is a day off.

use chrono::NaiveDate;
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::schema::schedule_exceptions;
use crate::db::{AnyConnection, DbId};

/// One exception: the day, and the minutes of one interval (none for a day off).
pub type Exception = (NaiveDate, Option<i32>, Option<i32>);

/// The doctor's exceptions, unordered.
pub fn of_doctor(conn: &mut AnyConnection, doctor: Uuid) -> QueryResult<Vec<Exception>> {
    schedule_exceptions::table
        .filter(schedule_exceptions::doctor_id.eq(DbId(doctor)))
        .select((
            schedule_exceptions::day,
            schedule_exceptions::start_minute,
            schedule_exceptions::end_minute,
        ))
        .load(conn)
}

/// Replaces the doctor's exceptions with `exceptions`.
pub fn replace(
    conn: &mut AnyConnection,
    doctor: Uuid,
    exceptions: &[Exception],
) -> QueryResult<()> {
    diesel::delete(
        schedule_exceptions::table.filter(schedule_exceptions::doctor_id.eq(DbId(doctor))),
    )
    .execute(conn)?;
    for &(day, start, end) in exceptions {
        diesel::insert_into(schedule_exceptions::table)
            .values((
                schedule_exceptions::id.eq(DbId(Uuid::new_v4())),
                schedule_exceptions::doctor_id.eq(DbId(doctor)),
                schedule_exceptions::day.eq(day),
                schedule_exceptions::start_minute.eq(start),
                schedule_exceptions::end_minute.eq(end),
            ))
            .execute(conn)?;
    }
    Ok(())
}
