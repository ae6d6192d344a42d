//! The `working_hours` table: a doctor's weekly hours, as minutes from midnight in
//! the doctor's time zone, on weekdays 1 (Monday) to 7.

use diesel::prelude::*;
use uuid::Uuid;

use crate::db::schema::working_hours;
use crate::db::{AnyConnection, DbId};

/// The doctor's weekly hours: (weekday, start minute, end minute), unordered.
pub fn of_doctor(conn: &mut AnyConnection, doctor: Uuid) -> QueryResult<Vec<(i32, i32, i32)>> {
    working_hours::table
        .filter(working_hours::doctor_id.eq(DbId(doctor)))
        .select((
            working_hours::weekday,
            working_hours::start_minute,
            working_hours::end_minute,
        ))
        .load(conn)
}

/// Replaces the doctor's weekly hours with `hours`: (weekday, start, end).
pub fn replace(
    conn: &mut AnyConnection,
    doctor: Uuid,
    hours: &[(i32, i32, i32)],
) -> QueryResult<()> {
    diesel::delete(working_hours::table.filter(working_hours::doctor_id.eq(DbId(doctor))))
        .execute(conn)?;
    for &(weekday, start, end) in hours {
        diesel::insert_into(working_hours::table)
            .values((
                working_hours::id.eq(DbId(Uuid::new_v4())),
                working_hours::doctor_id.eq(DbId(doctor)),
                working_hours::weekday.eq(weekday),
                working_hours::start_minute.eq(start),
                working_hours::end_minute.eq(end),
            ))
            .execute(conn)?;
    }
    Ok(())
}
