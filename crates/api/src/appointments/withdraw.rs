//! Withdrawing a doctor's booked appointments for a reason of the clinic's or the
//! doctor's: a departure (the account deactivated, or its approval withdrawn) or new
//! hours that leave them outside. Unless told to, the change is refused with a 409
//! that lists them; told to, each is cancelled in the change's transaction: its
//! history names who and why, its patient is emailed (with the calendar entry that
//! removes it), and both parties see it live.

use mediconnect_shared::AffectedAppointment;

use super::*;

/// The doctor's booked appointments that have not started, soonest first. Holds the
/// doctor's turn to the end of the transaction, so that no booking lands beside the
/// change unseen.
pub(crate) fn ahead(
    conn: &mut AnyConnection,
    doctor: Uuid,
    now: DateTime<Utc>,
) -> Result<Vec<AppointmentRow>, ApiError> {
    models::appointments::take_doctor_turn(conn, doctor)?;
    Ok(models::appointments::scheduled_ahead(conn, doctor, now)?)
}

/// 409 `rule`, listing `rows` (when, and nothing about the patients), unless the
/// caller said to cancel them.
pub(crate) fn refuse_unless(
    confirmed: bool,
    rows: &[AppointmentRow],
    rule: &'static str,
    detail: impl FnOnce(usize) -> String,
) -> Result<(), ApiError> {
    if confirmed || rows.is_empty() {
        return Ok(());
    }
    Err(ApiError::Affected {
        rule,
        detail: detail(rows.len()),
        affected: rows
            .iter()
            .map(|r| AffectedAppointment {
                id: r.id.0,
                scheduled_for: r.scheduled_for.0,
                ends_at: r.ends_at.0,
            })
            .collect(),
    })
}

/// "1 appointment", "3 appointments".
pub(crate) fn count_appointments(n: usize) -> String {
    if n == 1 {
        "1 booked appointment".to_owned()
    } else {
        format!("{n} booked appointments")
    }
}

/// "it" for one appointment, "them" for more.
pub(crate) fn it_or_them(n: usize) -> &'static str {
    if n == 1 { "it" } else { "them" }
}

/// Cancels each of `rows`, by the user `by`, for `reason`.
pub(crate) fn withdraw(
    conn: &mut AnyConnection,
    effects: &mut Effects,
    ctx: &MailContext,
    rows: Vec<AppointmentRow>,
    by: Uuid,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    use AppointmentStatus::{Cancelled, Scheduled};
    for row in rows {
        let id = row.id.0;
        models::appointments::set_status(conn, id, Cancelled)?;
        models::appointments::touch(conn, id, now)?;
        let entry = NewEventRow {
            from_status: Some(DbStatus(Scheduled)),
            to_status: Some(DbStatus(Cancelled)),
            note: Some(reason.to_owned()),
            ..event(id, by, AppointmentAction::StatusChanged, now)
        };
        models::appointments::insert_event(conn, &entry)?;
        let row = load_one(conn, id)?.ok_or_else(not_found)?;
        let mail = MailChange::Withdrawn(reason);
        queue_mail(conn, effects, ctx, &row, mail, by, now)?;
        let l = loaded(conn, row)?;
        announce(conn, effects, &l)?;
    }
    Ok(())
}
