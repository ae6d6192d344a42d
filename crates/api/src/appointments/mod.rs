//! Appointment use cases: booking (idempotent, never double-booked), reading, the
//! lifecycle, history, working hours and free slots. Double-booking is refused by the
//! database itself (an exclusion constraint on PostgreSQL, triggers on SQLite); these
//! functions map its refusal to a 409 that names the rule.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use mediconnect_shared::{
    Actor, Appointment, AppointmentAction, AppointmentChange, AppointmentDoctor, AppointmentEvent,
    AppointmentHistory, AppointmentKind, AppointmentList, AppointmentPatient, AppointmentQuery,
    AppointmentStatus, NewAppointment, Order, Pagination, Role, Schedule, SlotList, SlotQuery,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::audit;
use crate::auth::{AuthUser, DoctorUser, PatientUser};
use crate::db::models::{
    self,
    appointments::{AppointmentRow, NewAppointmentRow, NewEventRow},
};
use crate::db::{AnyConnection, DbAction, DbId, DbStatus, DbTime, is_unique_violation};
use crate::domain::{AppointmentStart, VisitReason, Zone};
use crate::error::ApiError;
use crate::live::bridge::LiveEvent;
use crate::live::effects::Effects;
use crate::mail::{MailContext, compose, outbox};
use crate::schedule::{Hours, Interval};
use crate::state::AppState;

/// How far ahead an appointment may be booked.
pub const MAX_DAYS_AHEAD: i64 = AppointmentStart::MAX_DAYS_AHEAD;

/// Who is asking, as a party to appointments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Party {
    Patient(Uuid),
    Doctor(Uuid),
    Admin,
}

fn party(conn: &mut AnyConnection, user: AuthUser) -> Result<Party, ApiError> {
    let missing = || ApiError::Forbidden("This account has no profile for appointments.".into());
    Ok(match user.role {
        Role::Patient => Party::Patient(
            models::patients::find_by_user(conn, user.id)?
                .ok_or_else(missing)?
                .id
                .0,
        ),
        Role::Doctor => Party::Doctor(
            models::doctors::find_by_user(conn, user.id)?
                .ok_or_else(missing)?
                .id
                .0,
        ),
        Role::Admin => Party::Admin,
    })
}

fn visible(party: Party, row: &AppointmentRow) -> bool {
    match party {
        Party::Patient(p) => row.patient_id.0 == p,
        Party::Doctor(d) => row.doctor_id.0 == d,
        Party::Admin => true,
    }
}

fn not_found() -> ApiError {
    ApiError::NotFound("There is no such appointment.".into())
}

fn status_of(row: &AppointmentRow) -> AppointmentStatus {
    row.status.0
}

/// An appointment with the user ids of its two parties (for personal events).
struct Loaded {
    dto: Appointment,
    users: [Uuid; 2],
}

fn to_dtos(conn: &mut AnyConnection, rows: Vec<AppointmentRow>) -> Result<Vec<Loaded>, ApiError> {
    let doctor_ids: Vec<Uuid> = rows.iter().map(|r| r.doctor_id.0).collect();
    let patient_ids: Vec<Uuid> = rows.iter().map(|r| r.patient_id.0).collect();
    let doctor_info: HashMap<Uuid, (String, String, Uuid)> =
        models::doctors::cards(conn, &doctor_ids)?
            .into_iter()
            .map(|(id, name, spec, user)| (id, (name, spec, user)))
            .collect();
    let patient_info: HashMap<Uuid, (String, Uuid, Option<String>)> =
        models::patients::cards(conn, &patient_ids)?
            .into_iter()
            .map(|(id, name, user, phone)| (id, (name, user, phone)))
            .collect();
    rows.into_iter()
        .map(|row| {
            let (doctor_name, specialization, doctor_user) =
                doctor_info.get(&row.doctor_id.0).cloned().ok_or_else(|| {
                    ApiError::internal(anyhow::anyhow!("appointment without a doctor"))
                })?;
            let (patient_name, patient_user, patient_phone) = patient_info
                .get(&row.patient_id.0)
                .cloned()
                .ok_or_else(|| {
                    ApiError::internal(anyhow::anyhow!("appointment without a patient"))
                })?;
            Ok(Loaded {
                users: [doctor_user, patient_user],
                dto: Appointment {
                    id: row.id.0,
                    scheduled_for: row.scheduled_for.0,
                    ends_at: row.ends_at.0,
                    duration_minutes: row.duration_minutes.max(0) as u32,
                    kind: if row.kind == AppointmentKind::Instant.as_str() {
                        AppointmentKind::Instant
                    } else {
                        AppointmentKind::Booked
                    },
                    status: status_of(&row),
                    reason: row.reason,
                    created_at: row.created_at.0,
                    updated_at: row.updated_at.0,
                    doctor: AppointmentDoctor {
                        id: row.doctor_id.0,
                        name: doctor_name,
                        specialization,
                    },
                    patient: AppointmentPatient {
                        id: row.patient_id.0,
                        name: patient_name,
                        phone_number: patient_phone,
                    },
                },
            })
        })
        .collect()
}

fn load_one(conn: &mut AnyConnection, id: Uuid) -> Result<Option<AppointmentRow>, ApiError> {
    Ok(models::appointments::find(conn, id)?)
}

fn loaded(conn: &mut AnyConnection, row: AppointmentRow) -> Result<Loaded, ApiError> {
    to_dtos(conn, vec![row])?
        .pop()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("appointment vanished")))
}

/// Maps the database's refusal of an overlap to a 409 naming the rule.
fn overlap_error(err: diesel::result::Error) -> ApiError {
    if let diesel::result::Error::DatabaseError(_, info) = &err {
        let text = format!(
            "{} {}",
            info.message(),
            info.constraint_name().unwrap_or_default()
        );
        if text.contains("appointments_doctor_overlap") {
            return ApiError::Conflict {
                rule: "doctor-unavailable",
                detail: "The doctor already has an appointment at that time. Pick another time."
                    .into(),
            };
        }
        if text.contains("appointments_slot_held") {
            return ApiError::Conflict {
                rule: "slot-held",
                detail: "This time is held for a patient on the doctor's waitlist. Pick another \
                         time."
                    .into(),
            };
        }
        if text.contains("appointments_patient_overlap") {
            return ApiError::Conflict {
                rule: "patient-overlap",
                detail: "You already have an appointment at that time.".into(),
            };
        }
    }
    err.into()
}

fn check_start(start: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), ApiError> {
    AppointmentStart::parse(start, now)
        .map(|_| ())
        .map_err(|m| ApiError::field("scheduledFor", m))
}

/// A visit reason as the API takes it (`reason`): trimmed, blank for none, at most 500
/// characters, no control characters; for bookings and consults alike.
pub fn parse_reason(reason: Option<&str>) -> Result<Option<String>, ApiError> {
    VisitReason::parse(reason)
        .map(|r| r.map(VisitReason::into_inner))
        .map_err(|m| ApiError::field("reason", m))
}

/// The doctor's hours (time zone, slot length, weekly hours, exceptions).
fn load_hours(conn: &mut AnyConnection, doctor: Uuid) -> Result<Hours, ApiError> {
    let (slot_minutes, time_zone) = models::doctors::slot_setting(conn, doctor)?;
    let tz = Zone::stored(&time_zone);
    let mut hours = Hours {
        tz,
        slot_minutes: slot_minutes.clamp(10, 120) as u32,
        weekly: Default::default(),
        exceptions: Default::default(),
    };
    let weekly = models::working_hours::of_doctor(conn, doctor)?;
    for (day, start, end) in weekly {
        if let Some(list) = hours.weekly.get_mut((day - 1).clamp(0, 6) as usize) {
            list.push((start as u16, end as u16));
        }
    }
    for list in hours.weekly.iter_mut() {
        list.sort();
    }
    let exceptions = models::schedule_exceptions::of_doctor(conn, doctor)?;
    for (day, start, end) in exceptions {
        let list: &mut Vec<Interval> = hours.exceptions.entry(day).or_default();
        if let (Some(s), Some(e)) = (start, end) {
            list.push((s as u16, e as u16));
            list.sort();
        }
    }
    Ok(hours)
}

fn check_hours(
    hours: &Hours,
    doctor_name: &str,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<(), ApiError> {
    if hours.published() && !hours.is_slot(start, end) {
        return Err(ApiError::field(
            "scheduledFor",
            format!("{doctor_name} does not see patients at that time; pick one of the free slots"),
        ));
    }
    Ok(())
}

fn record(
    conn: &mut AnyConnection,
    appointment: Uuid,
    actor: Uuid,
    action: AppointmentAction,
    status: (Option<AppointmentStatus>, Option<AppointmentStatus>),
    time: (Option<DateTime<Utc>>, Option<DateTime<Utc>>),
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let event = NewEventRow {
        from_status: status.0.map(DbStatus),
        to_status: status.1.map(DbStatus),
        from_time: time.0.map(DbTime),
        to_time: time.1.map(DbTime),
        ..event(appointment, actor, action, now)
    };
    Ok(models::appointments::insert_event(conn, &event)?)
}

/// A history entry of `action` by `actor`, with nothing else said.
fn event(
    appointment: Uuid,
    actor: Uuid,
    action: AppointmentAction,
    now: DateTime<Utc>,
) -> NewEventRow {
    NewEventRow {
        id: DbId(Uuid::new_v4()),
        appointment_id: DbId(appointment),
        actor_id: Some(DbId(actor)),
        action: DbAction(action),
        from_status: None,
        to_status: None,
        from_time: None,
        to_time: None,
        created_at: DbTime(now),
        note: None,
    }
}

mod booking;
mod changes;
mod feed;
mod hours;
mod instant;
mod notify;
mod reading;
mod rules;
mod time_off;
mod waitlist;
mod withdraw;

pub use booking::*;
pub use changes::*;
pub use feed::{calendar_document, calendar_feed, new_calendar_feed, remove_calendar_feed};
pub use hours::*;
pub use instant::keep_instant;
use notify::*;
pub use reading::*;
use rules::*;
pub use rules::{booking_rules, set_booking_rules};
use time_off::check_time_off;
pub use time_off::{add_time_off, remove_time_off, time_off};
use waitlist::offer_free;
pub use waitlist::{
    claim_offer, decline_offer, join_waitlist, leave_waitlist,
    start_sweeper as start_waitlist_sweeper, sweep as sweep_waitlists, waitlist,
};
pub(crate) use withdraw::*;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_rules() {
        let now = Utc::now();
        assert!(check_start(now - Duration::minutes(1), now).is_err());
        assert!(check_start(now, now).is_err());
        assert!(check_start(now + Duration::minutes(1), now).is_ok());
        assert!(check_start(now + Duration::days(180), now).is_ok());
        assert!(check_start(now + Duration::days(180) + Duration::seconds(1), now).is_err());
    }

    #[test]
    fn reason_rules() {
        assert_eq!(parse_reason(None).unwrap(), None);
        assert_eq!(parse_reason(Some("  ")).unwrap(), None);
        assert_eq!(
            parse_reason(Some(" Checkup ")).unwrap().as_deref(),
            Some("Checkup")
        );
        assert!(parse_reason(Some(&"é".repeat(500))).is_ok());
        assert!(parse_reason(Some(&"é".repeat(501))).is_err());
    }

    #[test]
    fn idempotency_keys_are_checked() {
        assert!(parse_idempotency_key("abc-123").is_ok());
        assert!(parse_idempotency_key("").is_err());
        assert!(parse_idempotency_key("has space").is_err());
        assert!(parse_idempotency_key(&"k".repeat(256)).is_err());
    }
}
