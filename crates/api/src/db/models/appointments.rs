use diesel::prelude::*;
use uuid::Uuid;

use crate::db::schema::{appointment_events, appointments, users};
use crate::db::{AnyConnection, DbId, DbRole, DbStatus, DbTime};

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
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = appointment_events)]
pub struct EventRow {
    pub id: DbId,
    pub appointment_id: DbId,
    pub actor_id: Option<DbId>,
    pub action: String,
    pub from_status: Option<DbStatus>,
    pub to_status: Option<DbStatus>,
    pub from_time: Option<DbTime>,
    pub to_time: Option<DbTime>,
    pub created_at: DbTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = appointment_events)]
pub struct NewEventRow<'a> {
    pub id: DbId,
    pub appointment_id: DbId,
    pub actor_id: Option<DbId>,
    pub action: &'a str,
    pub from_status: Option<DbStatus>,
    pub to_status: Option<DbStatus>,
    pub from_time: Option<DbTime>,
    pub to_time: Option<DbTime>,
    pub created_at: DbTime,
}

/// Who made a change, as the history names them: id, name, role.
pub type ActorRow = (DbId, String, DbRole);

/// Records one change in the appointment's history.
pub fn insert_event(conn: &mut AnyConnection, event: &NewEventRow<'_>) -> QueryResult<()> {
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
        .filter(appointment_events::action.eq("RESCHEDULED"))
        .count()
        .get_result(conn)
}
