//! A doctor's booking rules (notice, cancel cutoff, horizon, appointments ahead per
//! patient) and the clinic's cap on a patient's appointments ahead. Checked in the
//! booking's transaction after the turns are taken, so that parallel bookings count
//! each other: 20 at once by one patient with a cap of 3 make exactly 3.

use mediconnect_shared::BookingRules;

use super::*;
use crate::domain::Fields;

/// "2 hours", "90 minutes", "1 day".
pub(crate) fn span_in_words(minutes: u32) -> String {
    crate::domain::span_in_words(minutes, 1440)
}

/// The rules, checked field by field.
fn parse(rules: &BookingRules) -> Result<BookingRules, ApiError> {
    let mut fields = Fields::new();
    let month = 43_200;
    let checks = [
        (
            "minNoticeMinutes",
            rules.min_notice_minutes,
            0..=month,
            "The notice must be from 0 minutes to 30 days",
        ),
        (
            "cancelCutoffMinutes",
            rules.cancel_cutoff_minutes,
            0..=month,
            "The cancellation cutoff must be from 0 minutes to 30 days",
        ),
        (
            "horizonDays",
            rules.horizon_days,
            1..=MAX_DAYS_AHEAD as u32,
            "Bookings open from 1 to 180 days ahead",
        ),
        (
            "maxOpenPerPatient",
            rules.max_open_per_patient,
            1..=100,
            "Appointments ahead per patient must be from 1 to 100",
        ),
    ];
    for (field, value, range, message) in checks {
        if !range.contains(&value) {
            fields.push(field, message);
        }
    }
    fields.finish()?;
    Ok(*rules)
}

pub async fn booking_rules(state: &AppState, doctor: DoctorUser) -> Result<BookingRules, ApiError> {
    state
        .db
        .run(move |conn| {
            let Party::Doctor(id) = party(conn, doctor.0)? else {
                unreachable!("a doctor")
            };
            Ok(models::booking_rules::of_doctor(conn, id)?)
        })
        .await
}

pub async fn set_booking_rules(
    state: &AppState,
    doctor: DoctorUser,
    req: BookingRules,
) -> Result<BookingRules, ApiError> {
    let rules = parse(&req)?;
    state
        .db
        .write(move |conn| {
            let Party::Doctor(id) = party(conn, doctor.0)? else {
                unreachable!("a doctor")
            };
            models::appointments::take_doctor_turn(conn, id)?;
            models::booking_rules::set(conn, id, &rules, Utc::now())?;
            Ok(models::booking_rules::of_doctor(conn, id)?)
        })
        .await
}

/// Refuses a booking or a move to `start` with too little notice or too far ahead.
pub(super) fn check_time(
    rules: &BookingRules,
    doctor_name: &str,
    start: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let notice = i64::from(rules.min_notice_minutes);
    if start < now + Duration::minutes(notice) {
        return Err(ApiError::Rule {
            rule: "min-notice",
            detail: format!(
                "{doctor_name} takes bookings at least {} ahead. Pick a later time.",
                span_in_words(rules.min_notice_minutes)
            ),
        });
    }
    if start > now + Duration::days(i64::from(rules.horizon_days)) {
        return Err(ApiError::Rule {
            rule: "booking-horizon",
            detail: format!(
                "{doctor_name} takes bookings up to {} ahead. Pick an earlier time.",
                span_in_words(rules.horizon_days * 1440)
            ),
        });
    }
    Ok(())
}

/// Why the patient may not book another appointment with the doctor now (they hold
/// as many ahead as the doctor or the clinic allows), if so.
pub(super) fn open_limit(
    conn: &mut AnyConnection,
    rules: &BookingRules,
    (doctor, doctor_name): (Uuid, &str),
    patient: Uuid,
    clinic_max: u32,
    now: DateTime<Utc>,
) -> Result<Option<ApiError>, ApiError> {
    let with_doctor = models::appointments::open_of_patient(conn, patient, Some(doctor), now)?;
    if with_doctor >= i64::from(rules.max_open_per_patient) {
        let n = rules.max_open_per_patient;
        return Ok(Some(ApiError::Conflict {
            rule: "max-open-with-doctor",
            detail: format!(
                "You already have {} with {doctor_name}, the most they take from one \
                 patient. Cancel one, or book after one has taken place.",
                count_appointments_ahead(n)
            ),
        }));
    }
    if clinic_max > 0 {
        let total = models::appointments::open_of_patient(conn, patient, None, now)?;
        if total >= i64::from(clinic_max) {
            return Ok(Some(ApiError::Conflict {
                rule: "max-open-bookings",
                detail: format!(
                    "You already have {}, the most the clinic allows. Cancel one, or \
                     book after one has taken place.",
                    count_appointments_ahead(clinic_max)
                ),
            }));
        }
    }
    Ok(None)
}

fn count_appointments_ahead(n: u32) -> String {
    if n == 1 {
        "1 appointment ahead".into()
    } else {
        format!("{n} appointments ahead")
    }
}

/// Refuses a patient's cancellation or move within the doctor's cutoff before the
/// start. Doctors may always cancel.
pub(super) fn check_cutoff(
    rules: &BookingRules,
    doctor_name: &str,
    start: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let cutoff = rules.cancel_cutoff_minutes;
    if cutoff > 0 && now > start - Duration::minutes(i64::from(cutoff)) {
        return Err(ApiError::Conflict {
            rule: "cancel-cutoff",
            detail: format!(
                "Appointments with {doctor_name} can be cancelled or moved up to {} before \
                 they start. Contact the clinic to change this one.",
                span_in_words(cutoff)
            ),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_read_as_words() {
        assert_eq!(span_in_words(1), "1 minute");
        assert_eq!(span_in_words(90), "90 minutes");
        assert_eq!(span_in_words(120), "2 hours");
        assert_eq!(span_in_words(1440), "1 day");
        assert_eq!(span_in_words(1500), "25 hours");
        assert_eq!(span_in_words(14 * 1440), "14 days");
    }

    #[test]
    fn rules_out_of_range_name_their_field() {
        let bad = BookingRules {
            min_notice_minutes: 50_000,
            cancel_cutoff_minutes: 0,
            horizon_days: 0,
            max_open_per_patient: 101,
        };
        let Err(ApiError::Validation(errors)) = parse(&bad) else {
            panic!("refused")
        };
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["minNoticeMinutes", "horizonDays", "maxOpenPerPatient"]
        );
        assert!(parse(&BookingRules::default()).is_ok());
    }
}
