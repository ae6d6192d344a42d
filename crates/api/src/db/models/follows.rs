//! The `follows` table: which patient follows which doctor.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use mediconnect_shared::Doctor;
use uuid::Uuid;

use crate::db::models::doctors::{DoctorRow, DoctorWithName, to_dto};
use crate::db::schema::{doctors, follows, users};
use crate::db::{AnyConnection, DbId, DbTime, is_unique_violation};

/// Follows `doctor`; following again changes nothing.
pub fn add(
    conn: &mut AnyConnection,
    patient: Uuid,
    doctor: Uuid,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    let inserted = diesel::insert_into(follows::table)
        .values((
            follows::patient_id.eq(DbId(patient)),
            follows::doctor_id.eq(DbId(doctor)),
            follows::created_at.eq(DbTime(now)),
        ))
        .execute(conn);
    match inserted {
        Err(e) if !is_unique_violation(&e) => Err(e),
        _ => Ok(()),
    }
}

/// Stops following `doctor`; not following already changes nothing.
pub fn remove(conn: &mut AnyConnection, patient: Uuid, doctor: Uuid) -> QueryResult<()> {
    diesel::delete(
        follows::table
            .filter(follows::patient_id.eq(DbId(patient)))
            .filter(follows::doctor_id.eq(DbId(doctor))),
    )
    .execute(conn)?;
    Ok(())
}

/// The active doctors `patient` follows, by name.
pub fn doctors_of(conn: &mut AnyConnection, patient: Uuid) -> QueryResult<Vec<Doctor>> {
    let rows: Vec<DoctorWithName> = doctors::table
        .inner_join(users::table)
        .inner_join(follows::table)
        .filter(follows::patient_id.eq(DbId(patient)))
        .filter(users::active.eq(true))
        .order(users::name.asc())
        .select((DoctorRow::as_select(), users::name))
        .load(conn)?;
    Ok(rows.into_iter().map(to_dto).collect())
}

/// Those of `patients` who follow `doctor`.
pub fn followers_among(
    conn: &mut AnyConnection,
    doctor: Uuid,
    patients: &[Uuid],
) -> QueryResult<HashSet<Uuid>> {
    let ids: Vec<DbId> = patients.iter().copied().map(DbId).collect();
    Ok(follows::table
        .filter(follows::doctor_id.eq(DbId(doctor)))
        .filter(follows::patient_id.eq_any(ids))
        .select(follows::patient_id)
        .load::<DbId>(conn)?
        .into_iter()
        .map(|d| d.0)
        .collect())
}
