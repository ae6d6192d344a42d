//! Reading appointments: lists, one, and its history; reads by anyone but the
//! patient are audited.

use super::*;

pub async fn list(
    state: &AppState,
    actor: audit::Actor,
    q: AppointmentQuery,
) -> Result<AppointmentList, ApiError> {
    let user = actor.user;
    let (page, limit) = crate::domain::paging(q.page, q.limit).map_err(ApiError::BadRequest)?;
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
            macro_rules! query {
                () => {{
                    let mut query = appointments::table.into_boxed();
                    match party {
                        Party::Patient(p) => {
                            query = query.filter(appointments::patient_id.eq(DbId(p)))
                        }
                        Party::Doctor(d) => {
                            query = query.filter(appointments::doctor_id.eq(DbId(d)))
                        }
                        Party::Admin => {}
                    }
                    if let Some(s) = q.status {
                        query = query.filter(appointments::status.eq(s.as_str()));
                    }
                    if let Some(from) = q.from {
                        query = query.filter(appointments::scheduled_for.ge(DbTime(from)));
                    }
                    if let Some(to) = q.to {
                        query = query.filter(appointments::scheduled_for.lt(DbTime(to)));
                    }
                    if let Some(d) = q.doctor_id {
                        query = query.filter(appointments::doctor_id.eq(DbId(d)));
                    }
                    if let Some(p) = q.patient_id {
                        query = query.filter(appointments::patient_id.eq(DbId(p)));
                    }
                    if let Some(pattern) = &doctor_pattern {
                        query = query.filter(
                            appointments::doctor_id.eq_any(
                                doctors::table
                                    .inner_join(users::table)
                                    .filter(users::name_folded.like(pattern.clone()).escape('\\'))
                                    .select(doctors::id),
                            ),
                        );
                    }
                    if let Some(pattern) = &patient_pattern {
                        query = query.filter(
                            appointments::patient_id.eq_any(
                                patients::table
                                    .inner_join(users::table)
                                    .filter(users::name_folded.like(pattern.clone()).escape('\\'))
                                    .select(patients::id),
                            ),
                        );
                    }
                    query
                }};
            }
            let total: i64 = query!().count().get_result(conn)?;
            let ordered = match q.order.unwrap_or_default() {
                Order::Asc => {
                    query!().order((appointments::scheduled_for.asc(), appointments::id.asc()))
                }
                Order::Desc => {
                    query!().order((appointments::scheduled_for.desc(), appointments::id.desc()))
                }
            };
            let rows: Vec<AppointmentRow> = ordered
                .limit(i64::from(limit))
                .offset(i64::from(page - 1) * i64::from(limit))
                .select(AppointmentRow::as_select())
                .load(conn)?;
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

pub async fn get(state: &AppState, actor: audit::Actor, id: Uuid) -> Result<Appointment, ApiError> {
    state
        .db
        .run(move |conn| {
            let party = party(conn, actor.user)?;
            let row = load_one(conn, id)?
                .filter(|r| visible(party, r))
                .ok_or_else(not_found)?;
            if !matches!(party, Party::Patient(_)) {
                audit::record(
                    conn,
                    &actor,
                    "appointment.read",
                    "appointment",
                    Some(id),
                    Utc::now(),
                )?;
            }
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
            let party = party(conn, actor.user)?;
            load_one(conn, id)?
                .filter(|r| visible(party, r))
                .ok_or_else(not_found)?;
            if !matches!(party, Party::Patient(_)) {
                audit::record(
                    conn,
                    &actor,
                    "appointment.history.read",
                    "appointment",
                    Some(id),
                    Utc::now(),
                )?;
            }
            let rows = crate::db::models::appointments::history(conn, id)?;
            Ok(AppointmentHistory {
                events: rows
                    .into_iter()
                    .map(|(e, actor)| AppointmentEvent {
                        action: match e.action.as_str() {
                            "CREATED" => AppointmentAction::Created,
                            "RESCHEDULED" => AppointmentAction::Rescheduled,
                            "REASON_CHANGED" => AppointmentAction::ReasonChanged,
                            _ => AppointmentAction::StatusChanged,
                        },
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
                    })
                    .collect(),
            })
        })
        .await
}
