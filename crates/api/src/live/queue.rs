//! A doctor's consult queue, told live: the doctor their queue, each waiting patient
//! their place. When the doctor goes offline (by the switch, by expiry, or deactivated)
//! the queue ends, and each waiting patient is told live and by email, with a link to
//! book the doctor instead, in the transaction of going offline. A waiting patient
//! whose connection is gone for the presence grace leaves the queue.

use chrono::{DateTime, Utc};
use mediconnect_shared::{Consult, ConsultQueue, ConsultStatus, QueuedPatient, ServerMessage};
use uuid::Uuid;

use crate::db::AnyConnection;
use crate::db::models::consults::{self, ConsultRow};
use crate::db::models::{doctors, patients};
use crate::error::ApiError;
use crate::live::bridge::LiveEvent;
use crate::live::effects::Effects;
use crate::mail::{MailContext, compose, outbox};

/// Minutes a consult is assumed to take, for the estimate.
const MINUTES_EACH: u32 = 10;

pub fn status(row: &ConsultRow) -> ConsultStatus {
    match row.status.as_str() {
        consults::WAITING => ConsultStatus::Waiting,
        consults::ACTIVE => ConsultStatus::Active,
        consults::LEFT => ConsultStatus::Left,
        consults::ENDED => ConsultStatus::Ended,
        _ => ConsultStatus::Dropped,
    }
}

/// The consult as its patient sees it: their place in the queue and the wait.
pub fn ticket(conn: &mut AnyConnection, row: &ConsultRow) -> Result<Consult, ApiError> {
    let position = if row.status == consults::WAITING {
        let ahead = consults::queue(conn, row.doctor_id.0)?
            .iter()
            .take_while(|(c, _)| c.id.0 != row.id.0)
            .count();
        ahead as u32 + 1
    } else {
        0
    };
    Ok(Consult {
        id: row.id.0,
        doctor_id: row.doctor_id.0,
        status: status(row),
        position,
        estimated_wait_minutes: position.saturating_sub(1) * MINUTES_EACH,
    })
}

/// The doctor's queue, as the doctor reads it.
pub fn queue_of(conn: &mut AnyConnection, doctor: Uuid) -> Result<ConsultQueue, ApiError> {
    let patients = consults::queue(conn, doctor)?
        .into_iter()
        .map(|(c, name)| QueuedPatient {
            consult_id: c.id.0,
            patient_name: name,
            reason: c.reason,
            waiting_since: c.created_at.0,
        })
        .collect();
    Ok(ConsultQueue {
        accepting: consults::accepting(conn, doctor)?,
        patients,
    })
}

/// Tells the doctor their queue, and each patient still waiting their place, live.
pub fn announce_queue(
    conn: &mut AnyConnection,
    effects: &mut Effects,
    doctor: Uuid,
) -> Result<(), ApiError> {
    let doctor_user = doctors::contact(conn, doctor)?.0;
    let queue = queue_of(conn, doctor)?;
    effects.announce(
        conn,
        LiveEvent::Personal {
            message: ServerMessage::ConsultQueue {
                queue: queue.into(),
            },
            users: vec![doctor_user],
        },
    )?;
    for (row, _) in consults::queue(conn, doctor)? {
        tell_patient(conn, effects, &row)?;
    }
    Ok(())
}

/// Tells the consult's patient where it stands (`consult`).
fn tell_patient(
    conn: &mut AnyConnection,
    effects: &mut Effects,
    row: &ConsultRow,
) -> Result<(), ApiError> {
    let patient_user = patients::contact(conn, row.patient_id.0)?.0;
    let consult = ticket(conn, row)?;
    effects.announce(
        conn,
        LiveEvent::Personal {
            message: ServerMessage::Consult {
                consult: consult.into(),
            },
            users: vec![patient_user],
        },
    )
}

/// Ends the doctor's queue; how many were waiting.
pub fn end_queue(
    conn: &mut AnyConnection,
    effects: &mut Effects,
    ctx: &MailContext,
    doctor: Uuid,
    now: DateTime<Utc>,
) -> Result<usize, ApiError> {
    let dropped = consults::drop_waiting(conn, doctor, now)?;
    if dropped.is_empty() {
        return Ok(0);
    }
    let name = doctors::name(conn, doctor)?;
    for row in &dropped {
        let (user, patient_name, email, _) = patients::contact(conn, row.patient_id.0)?;
        let to = compose::Recipient {
            user_id: user,
            name: &patient_name,
            email: &email,
        };
        outbox::enqueue(
            conn,
            &compose::consult_dropped(ctx, to, (&name, doctor)),
            now,
        )?;
        // The row as dropped: status DROPPED, no place.
        tell_patient(conn, effects, row)?;
    }
    effects.wake_mail();
    Ok(dropped.len())
}

/// Takes the waiting consults `gone` (their patients' sockets are all gone) out of
/// their queues, and tells each doctor their queue; how many left.
pub fn drop_absent(
    conn: &mut AnyConnection,
    effects: &mut Effects,
    gone: &[Uuid],
    now: DateTime<Utc>,
) -> Result<usize, ApiError> {
    let mut doctors = Vec::new();
    let mut left = 0;
    for &id in gone {
        if consults::close(conn, id, consults::WAITING, consults::DROPPED, now)?
            && let Some(row) = consults::find(conn, id)?
        {
            left += 1;
            tell_patient(conn, effects, &row)?;
            if !doctors.contains(&row.doctor_id.0) {
                doctors.push(row.doctor_id.0);
            }
        }
    }
    for &doctor in &doctors {
        announce_queue(conn, effects, doctor)?;
    }
    Ok(left)
}
