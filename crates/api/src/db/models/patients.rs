use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use mediconnect_shared::{DoctorOnlineAlerts, NotificationPreferences, PatientProfile};
use uuid::Uuid;

use crate::db::schema::{notifications, patients, users};
use crate::db::{AnyConnection, DbAlerts, DbId, DbTime};

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = patients)]
pub struct PatientRow {
    pub id: DbId,
    pub user_id: DbId,
    pub date_of_birth: Option<NaiveDate>,
    pub phone_number: Option<String>,
    pub notify_doctor_online: DbAlerts,
    pub appointment_reminders: bool,
}

impl From<&PatientRow> for PatientProfile {
    fn from(row: &PatientRow) -> Self {
        PatientProfile {
            id: row.id.0,
            date_of_birth: row.date_of_birth,
            phone_number: row.phone_number.clone(),
            notifications: NotificationPreferences {
                doctor_online: row.notify_doctor_online.0,
                appointment_reminders: row.appointment_reminders,
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
    pub notify_doctor_online: Option<DbAlerts>,
    pub appointment_reminders: Option<bool>,
}

pub fn update(
    conn: &mut AnyConnection,
    user_id: Uuid,
    changes: &PatientChanges,
) -> QueryResult<()> {
    if changes.date_of_birth.is_none()
        && changes.phone_number.is_none()
        && changes.notify_doctor_online.is_none()
        && changes.appointment_reminders.is_none()
    {
        return Ok(());
    }
    diesel::update(patients::table.filter(patients::user_id.eq(DbId(user_id))))
        .set(changes)
        .execute(conn)?;
    Ok(())
}

/// Whether the patient wants reminder emails before their appointments.
pub fn wants_reminders(conn: &mut AnyConnection, patient: Uuid) -> QueryResult<bool> {
    patients::table
        .find(DbId(patient))
        .select(patients::appointment_reminders)
        .first(conn)
}

/// A patient who may be told that a doctor is online.
#[derive(Debug, Clone)]
pub struct AlertCandidate {
    pub patient_id: Uuid,
    pub user_id: Uuid,
    pub email: String,
    pub name: String,
    /// Their "doctor is online" preference: never `Off`.
    pub preference: DoctorOnlineAlerts,
}

/// Which part of a doctor's alert audience to read.
#[derive(Debug, Clone, Copy)]
pub struct AudiencePage<'a> {
    pub doctor: Uuid,
    /// The kind of the alert: a patient sent one about the doctor after
    /// `alerted_after` is left out (their cooldown).
    pub kind: &'a str,
    pub alerted_after: DateTime<Utc>,
    /// Only users whose id comes after this one.
    pub after_user: Option<Uuid>,
    /// Only patients stamped after this audience counter.
    pub stamped_after: Option<i64>,
    pub limit: i64,
}

/// Up to `page.limit` active patients with a confirmed address who want "doctor is
/// online" alerts and are not in their cooldown for the doctor, by user id.
pub fn alert_candidates(
    conn: &mut AnyConnection,
    page: &AudiencePage<'_>,
) -> QueryResult<Vec<AlertCandidate>> {
    // Patients alerted about this doctor within the cooldown are left out by the query
    // itself, so a doctor who comes back online soon after costs one query that finds
    // nobody, not a pass over every patient. It is a correlated NOT EXISTS, which both
    // databases run as an anti-join (PostgreSQL hashes the doctor's recent alerts or
    // probes the index per patient; SQLite probes it). Not `ne_all`: on PostgreSQL
    // diesel writes that as `!= ALL (subquery)`, which PostgreSQL cannot hash and ran
    // as a rescan of the subquery for every patient (4.7 s for 10,000 patients).
    let alerted_recently = notifications::table
        .filter(notifications::doctor_id.eq(Some(DbId(page.doctor))))
        .filter(notifications::kind.eq(page.kind))
        .filter(notifications::user_id.eq(users::id.nullable()))
        .filter(notifications::created_at.gt(DbTime(page.alerted_after)));
    let mut candidates = patients::table
        .inner_join(users::table)
        .filter(users::active.eq(true))
        .filter(users::email_verified_at.is_not_null())
        .filter(patients::notify_doctor_online.ne(DbAlerts(DoctorOnlineAlerts::Off)))
        .filter(diesel::dsl::not(diesel::dsl::exists(alerted_recently)))
        .order(users::id.asc())
        .limit(page.limit)
        .select((
            patients::id,
            users::id,
            users::email,
            users::name,
            patients::notify_doctor_online,
        ))
        .into_boxed();
    if let Some(after) = page.after_user {
        candidates = candidates.filter(users::id.gt(DbId(after)));
    }
    if let Some(stamp) = page.stamped_after {
        candidates = candidates.filter(patients::alerts_version.gt(stamp));
    }
    let rows: Vec<(DbId, DbId, String, String, DbAlerts)> = candidates.load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(patient, user, email, name, preference)| AlertCandidate {
            patient_id: patient.0,
            user_id: user.0,
            email,
            name,
            preference: preference.0,
        })
        .collect())
}
