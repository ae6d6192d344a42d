//! Following doctors (a patient's "doctor is online" alerts can be limited to the
//! doctors they follow), and turning those alerts off from an email's link.

use chrono::Utc;
use mediconnect_shared::{Doctor, DoctorOnlineAlerts};
use uuid::Uuid;

use crate::auth::PatientUser;
use crate::db::models::{follows, patients};
use crate::db::{AnyConnection, DbAlerts};
use crate::error::ApiError;
use crate::mail::unsubscribe;
use crate::state::AppState;

/// The patient id of the signed-in patient.
fn patient_of(conn: &mut AnyConnection, patient: PatientUser) -> Result<Uuid, ApiError> {
    patients::find_by_user(conn, patient.0.id)?
        .map(|row| row.id.0)
        .ok_or_else(|| ApiError::Forbidden("This account has no patient profile.".into()))
}

/// Follows an active doctor (404 otherwise); following again changes nothing.
pub async fn follow(state: &AppState, patient: PatientUser, doctor: Uuid) -> Result<(), ApiError> {
    state
        .db
        .run(move |conn| {
            let me = patient_of(conn, patient)?;
            crate::doctors::require_active(conn, doctor)?;
            Ok(follows::add(conn, me, doctor, Utc::now())?)
        })
        .await
}

/// Stops following a doctor; not following already changes nothing.
pub async fn unfollow(
    state: &AppState,
    patient: PatientUser,
    doctor: Uuid,
) -> Result<(), ApiError> {
    state
        .db
        .run(move |conn| {
            let me = patient_of(conn, patient)?;
            Ok(follows::remove(conn, me, doctor)?)
        })
        .await
}

/// The active doctors the patient follows, by name.
pub async fn followed(state: &AppState, patient: PatientUser) -> Result<Vec<Doctor>, ApiError> {
    state
        .db
        .run(move |conn| {
            let me = patient_of(conn, patient)?;
            Ok(follows::doctors_of(conn, me)?)
        })
        .await
}

/// The account an unsubscribe link names, if the link verifies.
pub fn unsubscriber(state: &AppState, token: &str) -> Result<Uuid, unsubscribe::Invalid> {
    unsubscribe::verify(&state.mail_ctx.unsubscribe_key, token, Utc::now())
}

/// Turns the account's "doctor is online" alerts off.
pub async fn unsubscribe(state: &AppState, user: Uuid) -> Result<(), ApiError> {
    state
        .db
        .run(move |conn| {
            let off = patients::PatientChanges {
                notify_doctor_online: Some(DbAlerts(DoctorOnlineAlerts::Off)),
                ..Default::default()
            };
            Ok(patients::update(conn, user, &off)?)
        })
        .await?;
    tracing::info!(user_id = %user, "doctor-online alerts turned off by unsubscribe link");
    Ok(())
}
