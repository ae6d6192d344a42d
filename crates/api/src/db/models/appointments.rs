use diesel::prelude::*;

use crate::db::schema::{appointment_events, appointments};
use crate::db::{DbId, DbStatus, DbTime};

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
