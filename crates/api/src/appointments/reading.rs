//! Reading appointments: lists, one, and its history; reads by anyone but the
//! patient are audited.

use super::*;

/// The filter that keeps a reader to their own appointments (an admin reads all).
fn own(party: Party) -> models::appointments::ListFilter {
    let (own_patient, own_doctor) = match party {
        Party::Patient(p) => (Some(p), None),
        Party::Doctor(d) => (None, Some(d)),
        Party::Admin => (None, None),
    };
    models::appointments::ListFilter {
        own_patient,
        own_doctor,
        ..Default::default()
    }
}

pub async fn list(
    state: &AppState,
    actor: audit::Actor,
    q: AppointmentQuery,
) -> Result<AppointmentList, ApiError> {
    let user = actor.user;
    let (page, limit) = crate::domain::paging(q.paging).map_err(ApiError::BadRequest)?;
    if let (Some(from), Some(to)) = (q.from, q.to)
        && to < from
    {
        return Err(ApiError::BadRequest("to must not be before from.".into()));
    }
    let doctor_pattern = crate::domain::contains_pattern(q.doctor.as_deref(), "doctor")
        .map_err(ApiError::BadRequest)?;
    let patient_pattern = crate::domain::contains_pattern(q.patient.as_deref(), "patient")
        .map_err(ApiError::BadRequest)?;
    state
        .db
        .run(move |conn| {
            let party = party(conn, user)?;
            let filter = models::appointments::ListFilter {
                patient: q.patient_id,
                doctor: q.doctor_id,
                status: q.status,
                from: q.from,
                to: q.to,
                doctor_name: doctor_pattern,
                patient_name: patient_pattern,
                ..own(party)
            };
            let newest_first = q.order.unwrap_or_default() == Order::Desc;
            let offset = i64::from(page - 1) * i64::from(limit);
            let (total, rows) =
                models::appointments::page(conn, &filter, newest_first, i64::from(limit), offset)?;
            // Reads by anyone but the patient are audited, one record per appointment.
            if !matches!(party, Party::Patient(_)) {
                let now = Utc::now();
                for row in &rows {
                    audit::record(
                        conn,
                        &actor,
                        "appointment.read",
                        "appointment",
                        Some(row.id.0),
                        now,
                    )?;
                }
            }
            Ok(AppointmentList {
                appointments: to_dtos(conn, rows)?
                    .into_iter()
                    .map(|l| for_reader(party, l.dto))
                    .collect(),
                pagination: Pagination::new(page, limit, total.max(0) as u64),
            })
        })
        .await
}

/// The appointment `id` if the reader may see it (404 otherwise), with the reader as a
/// party; a read by anyone but its patient is audited as `action`.
fn read_one(
    conn: &mut AnyConnection,
    actor: &audit::Actor,
    id: Uuid,
    action: &str,
) -> Result<(Party, AppointmentRow), ApiError> {
    let party = party(conn, actor.user)?;
    let row = load_one(conn, id)?
        .filter(|r| visible(party, r))
        .ok_or_else(not_found)?;
    if !matches!(party, Party::Patient(_)) {
        audit::record(conn, actor, action, "appointment", Some(id), Utc::now())?;
    }
    Ok((party, row))
}

pub async fn get(state: &AppState, actor: audit::Actor, id: Uuid) -> Result<Appointment, ApiError> {
    state
        .db
        .run(move |conn| {
            let (party, row) = read_one(conn, &actor, id, "appointment.read")?;
            Ok(for_reader(party, loaded(conn, row)?.dto))
        })
        .await
}

/// An appointment as `party` reads it: the visit reason is for the patient and the
/// doctor, not for admins (the booking form tells the patient so); the patient's phone
/// is for their doctor only (whose reads are audited).
pub(super) fn for_reader(party: Party, mut dto: Appointment) -> Appointment {
    if party == Party::Admin {
        dto.reason = None;
    }
    if !matches!(party, Party::Doctor(_)) {
        dto.patient.phone_number = None;
    }
    dto
}

pub async fn history(
    state: &AppState,
    actor: audit::Actor,
    id: Uuid,
) -> Result<AppointmentHistory, ApiError> {
    state
        .db
        .run(move |conn| {
            read_one(conn, &actor, id, "appointment.history.read")?;
            let rows = crate::db::models::appointments::history(conn, id)?;
            Ok(AppointmentHistory {
                events: rows
                    .into_iter()
                    .map(|(e, actor)| AppointmentEvent {
                        action: e.action.0,
                        actor: actor.map(|(id, name, role)| Actor {
                            id: id.0,
                            name,
                            role: role.0,
                        }),
                        at: e.created_at.0,
                        from_status: e.from_status.map(|s| s.0),
                        to_status: e.to_status.map(|s| s.0),
                        from_time: e.from_time.map(|t| t.0),
                        to_time: e.to_time.map(|t| t.0),
                        note: e.note,
                    })
                    .collect(),
            })
        })
        .await
}
