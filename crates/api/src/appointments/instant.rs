//! A consult now, kept once it ended: an appointment of kind INSTANT, COMPLETED, at its
//! real start and for its real length, so that histories, the doctor's numbers and the
//! analytics count it. It takes no slot and follows no booking rule (it happened).

use chrono::{DateTime, Utc};
use mediconnect_shared::{AppointmentAction, AppointmentKind, AppointmentStatus};
use uuid::Uuid;

use super::{loaded, notify, record};
use crate::db::models::{self, appointments::NewAppointmentRow};
use crate::db::{AnyConnection, DbId, DbStatus, DbTime};
use crate::error::ApiError;
use crate::live::effects::Effects;

/// The length kept for a consult from `start` to `end`: whole minutes, at least one.
pub fn instant_minutes(start: DateTime<Utc>, end: DateTime<Utc>) -> i32 {
    let seconds = (end - start).num_seconds().max(1);
    ((seconds + 59) / 60).min(i64::from(i32::MAX)) as i32
}

/// Keeps the consult of `doctor` and `patient` from `start` to `now`, ended by `by`,
/// as a COMPLETED INSTANT appointment; its id. Both parties hear of it live.
pub fn keep_instant(
    conn: &mut AnyConnection,
    effects: &mut Effects,
    (doctor, patient): (Uuid, Uuid),
    reason: Option<&str>,
    start: DateTime<Utc>,
    by: Uuid,
    now: DateTime<Utc>,
) -> Result<Uuid, ApiError> {
    let minutes = instant_minutes(start, now);
    let id = Uuid::new_v4();
    let new = NewAppointmentRow {
        id: DbId(id),
        doctor_id: DbId(doctor),
        patient_id: DbId(patient),
        scheduled_for: DbTime(start),
        ends_at: DbTime(start + chrono::Duration::minutes(i64::from(minutes))),
        duration_minutes: minutes,
        reason,
        status: DbStatus(AppointmentStatus::Completed),
        created_at: DbTime(now),
        updated_at: DbTime(now),
        kind: AppointmentKind::Instant.as_str(),
    };
    models::appointments::insert(conn, &new)?;
    record(
        conn,
        id,
        by,
        AppointmentAction::Created,
        (None, Some(AppointmentStatus::Completed)),
        (None, Some(start)),
        now,
    )?;
    let row = models::appointments::find(conn, id)?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("the kept consult is gone")))?;
    let kept = loaded(conn, row)?;
    notify::announce(conn, effects, &kept)?;
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_consult_is_kept_in_whole_minutes_of_at_least_one() {
        let start = Utc::now();
        let at = |s: i64| instant_minutes(start, start + chrono::Duration::seconds(s));
        assert_eq!(at(0), 1);
        assert_eq!(at(-5), 1);
        assert_eq!(at(59), 1);
        assert_eq!(at(60), 1);
        assert_eq!(at(61), 2);
        assert_eq!(at(12 * 60 + 30), 13);
    }
}
