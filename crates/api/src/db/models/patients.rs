use chrono::NaiveDate;
use diesel::prelude::*;
use mediconnect_shared::{DoctorOnlineAlerts, NotificationPreferences, PatientProfile};
use uuid::Uuid;

use crate::db::schema::{patients, users};
use crate::db::{AnyConnection, DbId};

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = patients)]
pub struct PatientRow {
    pub id: DbId,
    pub user_id: DbId,
    pub date_of_birth: Option<NaiveDate>,
    pub phone_number: Option<String>,
    pub notify_doctor_online: String,
}

impl From<&PatientRow> for PatientProfile {
    fn from(row: &PatientRow) -> Self {
        PatientProfile {
            id: row.id.0,
            date_of_birth: row.date_of_birth,
            phone_number: row.phone_number.clone(),
            notifications: NotificationPreferences {
                doctor_online: DoctorOnlineAlerts::parse(&row.notify_doctor_online)
                    .unwrap_or_default(),
            },
        }
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = patients)]
pub struct NewPatient {
    pub id: DbId,
    pub user_id: DbId,
}

pub fn insert(conn: &mut AnyConnection, new: &NewPatient) -> QueryResult<()> {
    diesel::insert_into(patients::table)
        .values(new)
        .execute(conn)?;
    Ok(())
}

pub fn find_by_user(conn: &mut AnyConnection, user_id: Uuid) -> QueryResult<Option<PatientRow>> {
    patients::table
        .filter(patients::user_id.eq(DbId(user_id)))
        .select(PatientRow::as_select())
        .first(conn)
        .optional()
}

/// A patient as an appointment names them: id, name, user id, phone number.
pub type PatientCard = (Uuid, String, Uuid, Option<String>);

/// Each of `patients` with its name, user id and phone number.
pub fn cards(conn: &mut AnyConnection, patients: &[Uuid]) -> QueryResult<Vec<PatientCard>> {
    let ids: Vec<DbId> = patients.iter().copied().map(DbId).collect();
    let rows: Vec<(DbId, String, DbId, Option<String>)> = patients::table
        .inner_join(users::table)
        .filter(patients::id.eq_any(ids))
        .select((patients::id, users::name, users::id, patients::phone_number))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, name, user, phone)| (id.0, name, user.0, phone))
        .collect())
}

/// Where mail to the patient goes: user id, name, email and time zone.
pub fn contact(conn: &mut AnyConnection, id: Uuid) -> QueryResult<(Uuid, String, String, String)> {
    let (user, name, email, zone): (DbId, String, String, String) = patients::table
        .inner_join(users::table)
        .filter(patients::id.eq(DbId(id)))
        .select((users::id, users::name, users::email, users::time_zone))
        .first(conn)?;
    Ok((user.0, name, email, zone))
}

/// The patient fields of a profile update; `None` leaves a field as it is.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = patients)]
pub struct PatientChanges {
    pub date_of_birth: Option<Option<NaiveDate>>,
    pub phone_number: Option<Option<String>>,
    pub notify_doctor_online: Option<&'static str>,
}

pub fn update(
    conn: &mut AnyConnection,
    user_id: Uuid,
    changes: &PatientChanges,
) -> QueryResult<()> {
    if changes.date_of_birth.is_none()
        && changes.phone_number.is_none()
        && changes.notify_doctor_online.is_none()
    {
        return Ok(());
    }
    diesel::update(patients::table.filter(patients::user_id.eq(DbId(user_id))))
        .set(changes)
        .execute(conn)?;
    Ok(())
}
