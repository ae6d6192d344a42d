//! What an appointment's change tells people: the live event for both parties and the
//! mail each party gets, both queued in the change's transaction.

use super::*;

/// A party's name, address and time zone, for mail.
struct Contact {
    user_id: Uuid,
    name: String,
    email: String,
    tz: chrono_tz::Tz,
}

impl Contact {
    fn recipient(&self) -> compose::Recipient<'_> {
        compose::Recipient {
            user_id: self.user_id,
            name: &self.name,
            email: &self.email,
        }
    }
}

/// The two parties' contacts and the specialization.
fn contacts(
    conn: &mut AnyConnection,
    row: &AppointmentRow,
) -> Result<(Contact, Contact, String), ApiError> {
    let (d_user, d_name, d_email, d_zone, spec) = models::doctors::contact(conn, row.doctor_id.0)?;
    let (p_user, p_name, p_email, p_zone) = models::patients::contact(conn, row.patient_id.0)?;
    Ok((
        Contact {
            user_id: d_user,
            name: d_name,
            email: d_email,
            tz: Zone::stored(&d_zone),
        },
        Contact {
            user_id: p_user,
            name: p_name,
            email: p_email,
            tz: Zone::stored(&p_zone),
        },
        spec,
    ))
}

/// How often an appointment was moved: the SEQUENCE of its calendar entry.
fn times_moved(conn: &mut AnyConnection, id: Uuid) -> Result<u32, ApiError> {
    let n = crate::db::models::appointments::times_moved(conn, id)?;
    Ok(n.max(0) as u32)
}

/// Queues the mail a change calls for, in the transaction: the booking confirmation
/// and notice, or a message to the party who did not make the change.
pub(super) fn queue_mail(
    conn: &mut AnyConnection,
    effects: &mut Effects,
    ctx: &MailContext,
    row: &AppointmentRow,
    change: MailChange<'_>,
    actor: Uuid,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let (doctor, patient, specialization) = contacts(conn, row)?;
    let info = compose::AppointmentInfo {
        id: row.id.0,
        start: row.scheduled_for.0,
        end: row.ends_at.0,
        minutes: row.duration_minutes.max(0) as u32,
        doctor: &doctor.name,
        specialization: &specialization,
        patient: &patient.name,
        doctor_email: &doctor.email,
        patient_email: &patient.email,
        doctor_tz: doctor.tz,
        patient_tz: patient.tz,
        sequence: times_moved(conn, row.id.0)?,
    };
    // Both parties' calendars follow a change: the one who did not make it hears of
    // it from the one who did, and the one who did gets the same calendar update.
    let ((actor_party, actor_c), (other_party, other_c)) = if actor == doctor.user_id {
        (
            (compose::Party::Doctor, &doctor),
            (compose::Party::Patient, &patient),
        )
    } else {
        (
            (compose::Party::Patient, &patient),
            (compose::Party::Doctor, &doctor),
        )
    };
    let to_other = (other_party, other_c.recipient());
    let to_actor = (actor_party, actor_c.recipient());
    let (by_actor, by_you) = (
        compose::By::Other(&actor_c.name),
        compose::By::You(&other_c.name),
    );
    let emails = match &change {
        MailChange::Booked => {
            compose::booked(ctx, &info, patient.recipient(), doctor.recipient(), now).to_vec()
        }
        &MailChange::Moved(previous) => vec![
            compose::moved(ctx, &info, previous, by_actor, to_other, now),
            compose::moved(ctx, &info, previous, by_you, to_actor, now),
        ],
        MailChange::Cancelled => vec![
            compose::cancelled(ctx, &info, by_actor, to_other, now),
            compose::cancelled(ctx, &info, by_you, to_actor, now),
        ],
        MailChange::Withdrawn(reason) => vec![compose::withdrawn(
            ctx,
            &info,
            reason,
            patient.recipient(),
            now,
        )],
    };
    for email in &emails {
        outbox::enqueue(conn, email, now)?;
    }
    // Reminders follow the appointment: queued with it, re-timed when it moves,
    // withdrawn when it is cancelled.
    if !matches!(change, MailChange::Booked) {
        models::notifications::withdraw_reminders(conn, row.id.0)?;
    }
    if matches!(change, MailChange::Booked | MailChange::Moved(_))
        && models::patients::wants_reminders(conn, row.patient_id.0)?
    {
        for &minutes in &ctx.reminder_offsets {
            let due = info.start - Duration::minutes(i64::from(minutes));
            // One that would be due already would be late: none is sent.
            if due <= now {
                continue;
            }
            let email = compose::reminder(ctx, &info, minutes, patient.recipient(), now);
            let slot = models::notifications::ReminderSlot {
                appointment: row.id.0,
                minutes: minutes as i32,
                due,
                expires: info.start,
            };
            outbox::enqueue_reminder(conn, &email, &slot, now)?;
        }
    }
    effects.wake_mail();
    Ok(())
}

pub(super) enum MailChange<'a> {
    Booked,
    Moved(DateTime<Utc>),
    /// By the other party.
    Cancelled,
    /// For a reason of the clinic's or the doctor's, told to the patient.
    Withdrawn(&'a str),
}

/// Queues the personal event for both parties, in the transaction.
pub(super) fn announce(
    conn: &mut AnyConnection,
    effects: &mut Effects,
    l: &Loaded,
) -> Result<(), ApiError> {
    // The same message goes to both parties: without the patient's phone, which the
    // doctor reads (audited) when the page reloads the appointment.
    let mut appointment = l.dto.clone();
    appointment.patient.phone_number = None;
    let event = LiveEvent::Appointment {
        appointment,
        users: l.users.to_vec(),
    };
    effects.announce(conn, event)
}
