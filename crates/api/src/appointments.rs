//! Appointment use cases: booking (idempotent, never double-booked), reading, the
//! lifecycle, history, working hours and free slots. Double-booking is refused by the
//! database itself (an exclusion constraint on PostgreSQL, triggers on SQLite); these
//! functions map its refusal to a 409 that names the rule.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use mediconnect_shared::{
    Actor, Appointment, AppointmentAction, AppointmentChange, AppointmentDoctor, AppointmentEvent,
    AppointmentHistory, AppointmentList, AppointmentPatient, AppointmentQuery, AppointmentStatus,
    NewAppointment, Order, Pagination, Role, Schedule, SlotList, SlotQuery,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::audit;
use crate::auth::{AuthUser, DoctorUser, PatientUser};
use crate::db::models::appointments::{AppointmentRow, EventRow, NewAppointmentRow, NewEventRow};
use crate::db::schema::{
    appointment_events, appointments, doctors, idempotency_keys, patients, schedule_exceptions,
    users, working_hours,
};
use crate::db::{AnyConnection, DbId, DbTime, is_unique_violation};
use crate::domain::Zone;
use crate::error::ApiError;
use crate::live::bridge::{self, LiveEvent};
use crate::mail::{MailContext, compose, outbox};
use crate::schedule::{Hours, Interval};
use crate::state::AppState;

/// How far ahead an appointment may be booked.
pub const MAX_DAYS_AHEAD: i64 = 180;
pub const REASON_MAX: usize = 500;

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
            patients::table
                .filter(patients::user_id.eq(DbId(user.id)))
                .select(patients::id)
                .first::<DbId>(conn)
                .optional()?
                .ok_or_else(missing)?
                .0,
        ),
        Role::Doctor => Party::Doctor(
            doctors::table
                .filter(doctors::user_id.eq(DbId(user.id)))
                .select(doctors::id)
                .first::<DbId>(conn)
                .optional()?
                .ok_or_else(missing)?
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
    AppointmentStatus::parse(&row.status).unwrap_or(AppointmentStatus::Scheduled)
}

/// A history entry's actor: id, name, role.
type ActorRow = (DbId, String, String);

/// An appointment with the user ids of its two parties (for personal events).
struct Loaded {
    dto: Appointment,
    users: [Uuid; 2],
}

fn to_dtos(conn: &mut AnyConnection, rows: Vec<AppointmentRow>) -> Result<Vec<Loaded>, ApiError> {
    let doctor_ids: Vec<DbId> = rows.iter().map(|r| r.doctor_id).collect();
    let patient_ids: Vec<DbId> = rows.iter().map(|r| r.patient_id).collect();
    let doctor_info: HashMap<Uuid, (String, String, Uuid)> = doctors::table
        .inner_join(users::table)
        .filter(doctors::id.eq_any(doctor_ids))
        .select((doctors::id, users::name, doctors::specialization, users::id))
        .load::<(DbId, String, String, DbId)>(conn)?
        .into_iter()
        .map(|(id, name, spec, user)| (id.0, (name, spec, user.0)))
        .collect();
    let patient_info: HashMap<Uuid, (String, Uuid, Option<String>)> = patients::table
        .inner_join(users::table)
        .filter(patients::id.eq_any(patient_ids))
        .select((patients::id, users::name, users::id, patients::phone_number))
        .load::<(DbId, String, DbId, Option<String>)>(conn)?
        .into_iter()
        .map(|(id, name, user, phone)| (id.0, (name, user.0, phone)))
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
    Ok(appointments::table
        .find(DbId(id))
        .select(AppointmentRow::as_select())
        .first(conn)
        .optional()?)
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
    if start <= now {
        return Err(ApiError::field(
            "scheduledFor",
            "The time must be in the future",
        ));
    }
    if start > now + Duration::days(MAX_DAYS_AHEAD) {
        return Err(ApiError::field(
            "scheduledFor",
            format!("Appointments can be booked at most {MAX_DAYS_AHEAD} days ahead"),
        ));
    }
    Ok(())
}

fn parse_reason(reason: Option<&str>) -> Result<Option<String>, ApiError> {
    match reason.map(str::trim) {
        None | Some("") => Ok(None),
        Some(r) if r.chars().count() > REASON_MAX => Err(ApiError::field(
            "reason",
            format!("The reason must be at most {REASON_MAX} characters"),
        )),
        Some(r)
            if r.chars()
                .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) =>
        {
            Err(ApiError::field(
                "reason",
                "The reason must not contain control characters other than line breaks and tabs",
            ))
        }
        Some(r) => Ok(Some(r.to_owned())),
    }
}

/// The doctor's hours (time zone, slot length, weekly hours, exceptions).
fn load_hours(conn: &mut AnyConnection, doctor: Uuid) -> Result<Hours, ApiError> {
    let (slot_minutes, time_zone): (i32, String) = doctors::table
        .find(DbId(doctor))
        .select((doctors::slot_minutes, doctors::time_zone))
        .first(conn)?;
    let tz = Zone::stored(&time_zone);
    let mut hours = Hours {
        tz,
        slot_minutes: slot_minutes.clamp(10, 120) as u32,
        weekly: Default::default(),
        exceptions: Default::default(),
    };
    let weekly: Vec<(i32, i32, i32)> = working_hours::table
        .filter(working_hours::doctor_id.eq(DbId(doctor)))
        .select((
            working_hours::weekday,
            working_hours::start_minute,
            working_hours::end_minute,
        ))
        .load(conn)?;
    for (day, start, end) in weekly {
        if let Some(list) = hours.weekly.get_mut((day - 1).clamp(0, 6) as usize) {
            list.push((start as u16, end as u16));
        }
    }
    for list in hours.weekly.iter_mut() {
        list.sort();
    }
    let exceptions: Vec<(chrono::NaiveDate, Option<i32>, Option<i32>)> = schedule_exceptions::table
        .filter(schedule_exceptions::doctor_id.eq(DbId(doctor)))
        .select((
            schedule_exceptions::day,
            schedule_exceptions::start_minute,
            schedule_exceptions::end_minute,
        ))
        .load(conn)?;
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
    let action = match action {
        AppointmentAction::Created => "CREATED",
        AppointmentAction::StatusChanged => "STATUS_CHANGED",
        AppointmentAction::Rescheduled => "RESCHEDULED",
        AppointmentAction::ReasonChanged => "REASON_CHANGED",
    };
    diesel::insert_into(appointment_events::table)
        .values(&NewEventRow {
            id: DbId(Uuid::new_v4()),
            appointment_id: DbId(appointment),
            actor_id: Some(DbId(actor)),
            action,
            from_status: status.0.map(AppointmentStatus::as_str),
            to_status: status.1.map(AppointmentStatus::as_str),
            from_time: time.0.map(DbTime),
            to_time: time.1.map(DbTime),
            created_at: DbTime(now),
        })
        .execute(conn)?;
    Ok(())
}

/// Queues the personal event for both parties, in the transaction.
fn announce(
    conn: &mut AnyConnection,
    state_hub: &crate::live::hub::Hub,
    l: &Loaded,
) -> Result<LiveEvent, ApiError> {
    // The same message goes to both parties: without the patient's phone, which the
    // doctor reads (audited) when the page reloads the appointment.
    let mut appointment = l.dto.clone();
    appointment.patient.phone_number = None;
    let event = LiveEvent::Appointment {
        appointment,
        users: l.users.to_vec(),
    };
    bridge::notify_in_tx(conn, state_hub, &event)?;
    Ok(event)
}

// ------------------------------------------------------------------------- mail

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
    let (d_user, d_name, d_email, d_zone, spec): (DbId, String, String, String, String) =
        doctors::table
            .inner_join(users::table)
            .filter(doctors::id.eq(row.doctor_id))
            .select((
                users::id,
                users::name,
                users::email,
                users::time_zone,
                doctors::specialization,
            ))
            .first(conn)?;
    let (p_user, p_name, p_email, p_zone): (DbId, String, String, String) = patients::table
        .inner_join(users::table)
        .filter(patients::id.eq(row.patient_id))
        .select((users::id, users::name, users::email, users::time_zone))
        .first(conn)?;
    Ok((
        Contact {
            user_id: d_user.0,
            name: d_name,
            email: d_email,
            tz: Zone::stored(&d_zone),
        },
        Contact {
            user_id: p_user.0,
            name: p_name,
            email: p_email,
            tz: Zone::stored(&p_zone),
        },
        spec,
    ))
}

/// How often an appointment was moved: the SEQUENCE of its calendar entry.
fn times_moved(conn: &mut AnyConnection, id: Uuid) -> Result<u32, ApiError> {
    let n: i64 = appointment_events::table
        .filter(appointment_events::appointment_id.eq(DbId(id)))
        .filter(appointment_events::action.eq("RESCHEDULED"))
        .count()
        .get_result(conn)?;
    Ok(n.max(0) as u32)
}

/// Queues the mail a change calls for, in the transaction: the booking confirmation
/// and notice, or a message to the party who did not make the change.
fn queue_mail(
    conn: &mut AnyConnection,
    ctx: &MailContext,
    row: &AppointmentRow,
    change: MailChange,
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
    // The one who did not make the change hears of it, from the one who did.
    let (actor_contact, other) = if actor == doctor.user_id {
        (&doctor, (compose::Party::Patient, patient.recipient()))
    } else {
        (&patient, (compose::Party::Doctor, doctor.recipient()))
    };
    let emails = match change {
        MailChange::Booked => {
            compose::booked(ctx, &info, patient.recipient(), doctor.recipient(), now).to_vec()
        }
        MailChange::Moved(previous) => {
            vec![compose::moved(
                ctx,
                &info,
                previous,
                &actor_contact.name,
                other,
                now,
            )]
        }
        MailChange::Cancelled => vec![compose::cancelled(
            ctx,
            &info,
            &actor_contact.name,
            other,
            now,
        )],
    };
    for email in &emails {
        outbox::enqueue(conn, email, now)?;
    }
    Ok(())
}

enum MailChange {
    Booked,
    Moved(DateTime<Utc>),
    Cancelled,
}

// ------------------------------------------------------------------------- booking

/// The answer to a booking: what was sent the first time, for replays.
pub struct BookingAnswer {
    pub status: u16,
    pub body: String,
    pub replayed: bool,
}

/// Checks an `Idempotency-Key` header value.
pub fn parse_idempotency_key(raw: &str) -> Result<String, ApiError> {
    let key = raw.trim();
    if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::BadRequest(
            "Idempotency-Key must be 1 to 255 visible ASCII characters.".into(),
        ));
    }
    Ok(key.to_owned())
}

fn request_hash(req: &NewAppointment) -> String {
    hex::encode(Sha256::digest(serde_json::to_vec(req).unwrap_or_default()))
}

fn stored_answer(
    conn: &mut AnyConnection,
    user: Uuid,
    key: &str,
    hash: &str,
) -> Result<Option<BookingAnswer>, ApiError> {
    let row: Option<(String, Option<i32>, Option<String>)> = idempotency_keys::table
        .filter(idempotency_keys::user_id.eq(DbId(user)))
        .filter(idempotency_keys::key.eq(key))
        .select((
            idempotency_keys::request_hash,
            idempotency_keys::response_status,
            idempotency_keys::response_body,
        ))
        .first(conn)
        .optional()?;
    match row {
        None => Ok(None),
        Some((stored_hash, _, _)) if stored_hash != hash => Err(ApiError::Unprocessable(
            "This Idempotency-Key was already used for a different request.".into(),
        )),
        Some((_, Some(status), Some(body))) => Ok(Some(BookingAnswer {
            status: status as u16,
            body,
            replayed: true,
        })),
        Some(_) => Err(ApiError::Conflict {
            rule: "idempotency-in-progress",
            detail: "A request with this Idempotency-Key is still being processed.".into(),
        }),
    }
}

/// On PostgreSQL, bookings and moves of one doctor, and of one patient, take turns
/// (transaction-scoped advisory locks). Two inserts that conflict under an exclusion
/// constraint can otherwise each wait for the other, and PostgreSQL aborts one with
/// "deadlock detected" after a second: a 500 where a 409 is due. With the turn, the
/// second sees the first committed and is refused cleanly. The doctor's lock comes
/// first, then the patient's: one order for everybody, so the turns cannot deadlock.
/// SQLite has one writer, and nothing to do.
fn take_turns(conn: &mut AnyConnection, doctor: Uuid, patient: Uuid) -> Result<(), ApiError> {
    if let AnyConnection::Postgresql(pg) = conn {
        for (space, id) in [(1, doctor), (2, patient)] {
            diesel::sql_query("SELECT pg_advisory_xact_lock($1, hashtext($2))")
                .bind::<diesel::sql_types::Integer, _>(space)
                .bind::<diesel::sql_types::Text, _>(id.to_string())
                .execute(pg)?;
        }
    }
    Ok(())
}

pub async fn book(
    state: &AppState,
    patient: PatientUser,
    req: NewAppointment,
    key: Option<String>,
) -> Result<BookingAnswer, ApiError> {
    let user = patient.0;
    let reason = parse_reason(req.reason.as_deref())?;
    check_start(req.scheduled_for, Utc::now())?;
    let hash = request_hash(&req);
    if let Some(key) = key.clone() {
        let hash = hash.clone();
        if let Some(answer) = state
            .db
            .run(move |conn| stored_answer(conn, user.id, &key, &hash))
            .await?
        {
            return Ok(answer);
        }
    }
    let hub = state.hub.clone();
    let mail_ctx = state.mail_ctx.clone();
    let attempt_key = key.clone();
    let attempt_hash = hash.clone();
    let result = state
        .db
        .write(move |conn| {
            let now = Utc::now();
            if let Some(key) = &attempt_key {
                // Claimed first: a concurrent retry with this key waits here, then
                // replays this request's answer.
                diesel::insert_into(idempotency_keys::table)
                    .values((
                        idempotency_keys::user_id.eq(DbId(user.id)),
                        idempotency_keys::key.eq(key),
                        idempotency_keys::request_hash.eq(&attempt_hash),
                        idempotency_keys::created_at.eq(DbTime(now)),
                    ))
                    .execute(conn)
                    .map_err(|e| {
                        if is_unique_violation(&e) {
                            ApiError::Conflict {
                                rule: "idempotency-replay",
                                detail: String::new(),
                            }
                        } else {
                            e.into()
                        }
                    })?;
            }
            let Party::Patient(patient_id) = party(conn, user)? else {
                return Err(ApiError::Forbidden("Only patients can book.".into()));
            };
            let doctor: Option<(i32, String)> = doctors::table
                .inner_join(users::table)
                .filter(doctors::id.eq(DbId(req.doctor_id)))
                .filter(users::active.eq(true))
                .select((doctors::slot_minutes, users::name))
                .first(conn)
                .optional()?;
            let Some((slot_minutes, doctor_name)) = doctor else {
                return Err(ApiError::field("doctorId", "There is no such doctor"));
            };
            let start = req.scheduled_for;
            let end = start + Duration::minutes(i64::from(slot_minutes));
            check_hours(&load_hours(conn, req.doctor_id)?, &doctor_name, start, end)?;
            take_turns(conn, req.doctor_id, patient_id)?;
            let id = Uuid::new_v4();
            diesel::insert_into(appointments::table)
                .values(&NewAppointmentRow {
                    id: DbId(id),
                    doctor_id: DbId(req.doctor_id),
                    patient_id: DbId(patient_id),
                    scheduled_for: DbTime(start),
                    ends_at: DbTime(end),
                    duration_minutes: slot_minutes,
                    reason: reason.as_deref(),
                    status: AppointmentStatus::Scheduled.as_str(),
                    created_at: DbTime(now),
                    updated_at: DbTime(now),
                })
                .execute(conn)
                .map_err(overlap_error)?;
            record(
                conn,
                id,
                user.id,
                AppointmentAction::Created,
                (None, Some(AppointmentStatus::Scheduled)),
                (None, Some(start)),
                now,
            )?;
            let row = load_one(conn, id)?.ok_or_else(not_found)?;
            queue_mail(conn, &mail_ctx, &row, MailChange::Booked, user.id, now)?;
            let l = loaded(conn, row)?;
            let body =
                serde_json::to_string(&for_reader(Party::Patient(patient_id), l.dto.clone()))
                    .map_err(ApiError::internal)?;
            if let Some(key) = &attempt_key {
                diesel::update(
                    idempotency_keys::table
                        .filter(idempotency_keys::user_id.eq(DbId(user.id)))
                        .filter(idempotency_keys::key.eq(key)),
                )
                .set((
                    idempotency_keys::response_status.eq(Some(201)),
                    idempotency_keys::response_body.eq(Some(&body)),
                ))
                .execute(conn)?;
            }
            let event = announce(conn, &hub, &l)?;
            Ok((
                BookingAnswer {
                    status: 201,
                    body,
                    replayed: false,
                },
                event,
            ))
        })
        .await;
    match result {
        Ok((answer, event)) => {
            tracing::info!(doctor_id = %req.doctor_id, "appointment booked");
            bridge::apply(&state.hub, event);
            state.mail.wake();
            Ok(answer)
        }
        Err(ApiError::Conflict {
            rule: "idempotency-replay",
            ..
        }) => {
            let key = key.unwrap_or_default();
            state
                .db
                .run(move |conn| stored_answer(conn, user.id, &key, &hash))
                .await?
                .ok_or_else(|| ApiError::internal(anyhow::anyhow!("idempotency key vanished")))
        }
        Err(e) => Err(e),
    }
}

// ------------------------------------------------------------------------- reading

pub async fn list(
    state: &AppState,
    actor: audit::Actor,
    q: AppointmentQuery,
) -> Result<AppointmentList, ApiError> {
    let user = actor.user;
    let (page, limit) = crate::routes::paging(q.page, q.limit)?;
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
fn for_reader(party: Party, mut dto: Appointment) -> Appointment {
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
            let rows: Vec<(EventRow, Option<ActorRow>)> = appointment_events::table
                .left_join(users::table)
                .filter(appointment_events::appointment_id.eq(DbId(id)))
                .order((
                    appointment_events::created_at.asc(),
                    appointment_events::id.asc(),
                ))
                .select((
                    EventRow::as_select(),
                    (users::id, users::name, users::role).nullable(),
                ))
                .load(conn)?;
            let status = |s: Option<String>| s.and_then(|s| AppointmentStatus::parse(&s));
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
                            role: Role::parse(&role).unwrap_or(Role::Patient),
                        }),
                        at: e.created_at.0,
                        from_status: status(e.from_status),
                        to_status: status(e.to_status),
                        from_time: e.from_time.map(|t| t.0),
                        to_time: e.to_time.map(|t| t.0),
                    })
                    .collect(),
            })
        })
        .await
}

// ------------------------------------------------------------------------- changes

pub async fn change(
    state: &AppState,
    actor: audit::Actor,
    id: Uuid,
    req: AppointmentChange,
) -> Result<Appointment, ApiError> {
    let user = actor.user;
    if req.status.is_none() && req.scheduled_for.is_none() && req.reason.is_none() {
        return Err(ApiError::Unprocessable(
            "Nothing to change: send status, scheduledFor or reason.".into(),
        ));
    }
    if req.scheduled_for.is_some()
        && req
            .status
            .is_some_and(|s| s != AppointmentStatus::Scheduled)
    {
        return Err(ApiError::Unprocessable(
            "Reschedule or change the status, not both at once.".into(),
        ));
    }
    // `Some(None)`: the reason is removed, as by an empty string.
    let reason = match &req.reason {
        Some(r) => Some(parse_reason(r.as_deref())?),
        None => None,
    };
    let hub = state.hub.clone();
    let mail_ctx = state.mail_ctx.clone();
    let (dto, event) = state
        .db
        .write(move |conn| {
            let now = Utc::now();
            let party = party(conn, user)?;
            let row = load_one(conn, id)?.filter(|r| visible(party, r)).ok_or_else(not_found)?;
            if party == Party::Admin {
                return Err(ApiError::Forbidden(
                    "Administrators can read appointments but not change them.".into(),
                ));
            }
            let current = status_of(&row);
            let correcting = current.is_final() && is_correction(party, current, &req, row.updated_at.0, now)?;
            // Once it has started, only the doctor may end it (completed or missed): a
            // patient who could cancel or move it then would turn a no-show into a
            // cancellation.
            let cancels = req.status == Some(AppointmentStatus::Cancelled);
            let moves = req.scheduled_for.is_some_and(|s| s != row.scheduled_for.0);
            if matches!(party, Party::Patient(_)) && now >= row.scheduled_for.0 && (cancels || moves) {
                return Err(ApiError::Conflict {
                    rule: "appointment-started",
                    detail: "This appointment has already started: it can no longer be cancelled or moved. \
                             Your doctor will mark it completed or missed."
                        .into(),
                });
            }
            let mut changed = false;
            let mut mail = None;
            if let Some(reason) = reason {
                if !matches!(party, Party::Patient(_)) {
                    return Err(ApiError::Forbidden("Only the patient can change the reason.".into()));
                }
                if reason != row.reason {
                    diesel::update(appointments::table.find(DbId(id)))
                        .set(appointments::reason.eq(reason))
                        .execute(conn)?;
                    record(conn, id, user.id, AppointmentAction::ReasonChanged, (None, None), (None, None), now)?;
                    changed = true;
                }
            }
            if let Some(start) = req.scheduled_for
                && start != row.scheduled_for.0
            {
                check_start(start, now)?;
                let end = start + Duration::minutes(i64::from(row.duration_minutes));
                let doctor_name: String = doctors::table
                    .inner_join(users::table)
                    .filter(doctors::id.eq(row.doctor_id))
                    .select(users::name)
                    .first(conn)?;
                check_hours(&load_hours(conn, row.doctor_id.0)?, &doctor_name, start, end)?;
                take_turns(conn, row.doctor_id.0, row.patient_id.0)?;
                diesel::update(appointments::table.find(DbId(id)))
                    .set((appointments::scheduled_for.eq(DbTime(start)), appointments::ends_at.eq(DbTime(end))))
                    .execute(conn)
                    .map_err(overlap_error)?;
                record(
                    conn,
                    id,
                    user.id,
                    AppointmentAction::Rescheduled,
                    (None, None),
                    (Some(row.scheduled_for.0), Some(start)),
                    now,
                )?;
                changed = true;
                mail = Some(MailChange::Moved(row.scheduled_for.0));
            }
            if let Some(next) = req.status.filter(|s| *s != current) {
                match next {
                    AppointmentStatus::Cancelled => {}
                    AppointmentStatus::Completed | AppointmentStatus::NoShow => {
                        if !matches!(party, Party::Doctor(_)) {
                            return Err(ApiError::Forbidden(
                                "Only the doctor can mark an appointment completed or missed.".into(),
                            ));
                        }
                        if now < row.scheduled_for.0 {
                            return Err(ApiError::Unprocessable(
                                "An appointment can be marked completed or missed only once it has started.".into(),
                            ));
                        }
                    }
                    AppointmentStatus::Scheduled => unreachable!("filtered: same as current"),
                }
                diesel::update(appointments::table.find(DbId(id)))
                    .set(appointments::status.eq(next.as_str()))
                    .execute(conn)?;
                record(conn, id, user.id, AppointmentAction::StatusChanged, (Some(current), Some(next)), (None, None), now)?;
                changed = true;
                if next == AppointmentStatus::Cancelled {
                    mail = Some(MailChange::Cancelled);
                }
            }
            if changed {
                diesel::update(appointments::table.find(DbId(id)))
                    .set(appointments::updated_at.eq(DbTime(now)))
                    .execute(conn)?;
                if matches!(party, Party::Doctor(_)) {
                    let action = if correcting { "appointment.status.corrected" } else { "appointment.update" };
                    audit::record(conn, &actor, action, "appointment", Some(id), now)?;
                }
            }
            let row = load_one(conn, id)?.ok_or_else(not_found)?;
            let mailed = mail.is_some();
            if let Some(change) = mail {
                queue_mail(conn, &mail_ctx, &row, change, user.id, now)?;
            }
            let l = loaded(conn, row)?;
            let event = if changed { Some(announce(conn, &hub, &l)?) } else { None };
            Ok((for_reader(party, l.dto), event.map(|e| (e, mailed))))
        })
        .await?;
    if let Some((event, mailed)) = event {
        bridge::apply(&state.hub, event);
        if mailed {
            state.mail.wake();
        }
    }
    Ok(dto)
}

/// How long after an appointment was marked completed or missed its doctor may correct
/// that (a mis-click): to the other of the two.
pub const CORRECTION_WINDOW_HOURS: i64 = 24;

/// Whether a change to an appointment in a final status (`current`) is its doctor's
/// correction of a completed or missed appointment to the other, within
/// [`CORRECTION_WINDOW_HOURS`] of being set (`set_at`); 409 for any other change.
/// Cancellations are final: the slot may have been booked again since.
fn is_correction(
    party: Party,
    current: AppointmentStatus,
    req: &AppointmentChange,
    set_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<bool, ApiError> {
    use AppointmentStatus::{Completed, NoShow};
    let only_status = req.scheduled_for.is_none() && req.reason.is_none();
    let to_other = matches!(
        (current, req.status),
        (Completed, Some(NoShow)) | (NoShow, Some(Completed))
    );
    if matches!(party, Party::Doctor(_)) && only_status && to_other {
        if now < set_at + Duration::hours(CORRECTION_WINDOW_HOURS) {
            return Ok(true);
        }
        return Err(ApiError::Conflict {
            rule: "appointment-final",
            detail: format!(
                "This appointment was marked {} more than {CORRECTION_WINDOW_HOURS} hours ago, and can no longer change.",
                current.as_str()
            ),
        });
    }
    Err(ApiError::Conflict {
        rule: "appointment-final",
        detail: format!(
            "This appointment is {} and can no longer change.",
            current.as_str()
        ),
    })
}

pub async fn cancel(
    state: &AppState,
    actor: audit::Actor,
    id: Uuid,
) -> Result<Appointment, ApiError> {
    change(
        state,
        actor,
        id,
        AppointmentChange {
            status: Some(AppointmentStatus::Cancelled),
            ..Default::default()
        },
    )
    .await
}

// --------------------------------------------------------------- hours and slots

pub async fn schedule(state: &AppState, doctor: DoctorUser) -> Result<Schedule, ApiError> {
    state
        .db
        .run(move |conn| {
            let Party::Doctor(id) = party(conn, doctor.0)? else {
                unreachable!("a doctor")
            };
            Ok(load_hours(conn, id)?.to_dto())
        })
        .await
}

/// 404 unless `doctor` is the id of an active doctor.
fn active_doctor(conn: &mut AnyConnection, doctor: Uuid) -> Result<(), ApiError> {
    let exists: i64 = doctors::table
        .inner_join(users::table)
        .filter(doctors::id.eq(DbId(doctor)))
        .filter(users::active.eq(true))
        .count()
        .get_result(conn)?;
    if exists == 0 {
        return Err(ApiError::NotFound("There is no such doctor.".into()));
    }
    Ok(())
}

/// A doctor's published hours, for anyone: the weekly hours, and the exceptions from
/// today on (past ones are nobody's business).
pub async fn public_hours(state: &AppState, doctor: Uuid) -> Result<Schedule, ApiError> {
    state
        .db
        .run(move |conn| {
            active_doctor(conn, doctor)?;
            let mut hours = load_hours(conn, doctor)?.to_dto();
            let today = Utc::now()
                .with_timezone(&Zone::stored(&hours.time_zone))
                .date_naive();
            hours.exceptions.retain(|e| e.date >= today);
            Ok(hours)
        })
        .await
}

pub async fn set_schedule(
    state: &AppState,
    doctor: DoctorUser,
    req: Schedule,
) -> Result<Schedule, ApiError> {
    let hours = Hours::parse(&req)?;
    state
        .db
        .write(move |conn| {
            let Party::Doctor(id) = party(conn, doctor.0)? else {
                unreachable!("a doctor")
            };
            diesel::update(doctors::table.find(DbId(id)))
                .set((
                    doctors::slot_minutes.eq(hours.slot_minutes as i32),
                    doctors::time_zone.eq(hours.tz.name()),
                ))
                .execute(conn)?;
            diesel::delete(working_hours::table.filter(working_hours::doctor_id.eq(DbId(id))))
                .execute(conn)?;
            diesel::delete(
                schedule_exceptions::table.filter(schedule_exceptions::doctor_id.eq(DbId(id))),
            )
            .execute(conn)?;
            for (day, list) in hours.weekly.iter().enumerate() {
                for &(start, end) in list {
                    diesel::insert_into(working_hours::table)
                        .values((
                            working_hours::id.eq(DbId(Uuid::new_v4())),
                            working_hours::doctor_id.eq(DbId(id)),
                            working_hours::weekday.eq(day as i32 + 1),
                            working_hours::start_minute.eq(i32::from(start)),
                            working_hours::end_minute.eq(i32::from(end)),
                        ))
                        .execute(conn)?;
                }
            }
            for (date, list) in &hours.exceptions {
                let rows: Vec<(Option<i32>, Option<i32>)> = if list.is_empty() {
                    vec![(None, None)]
                } else {
                    list.iter()
                        .map(|&(s, e)| (Some(i32::from(s)), Some(i32::from(e))))
                        .collect()
                };
                for (start, end) in rows {
                    diesel::insert_into(schedule_exceptions::table)
                        .values((
                            schedule_exceptions::id.eq(DbId(Uuid::new_v4())),
                            schedule_exceptions::doctor_id.eq(DbId(id)),
                            schedule_exceptions::day.eq(*date),
                            schedule_exceptions::start_minute.eq(start),
                            schedule_exceptions::end_minute.eq(end),
                        ))
                        .execute(conn)?;
                }
            }
            Ok(load_hours(conn, id)?.to_dto())
        })
        .await
}

pub async fn slots(state: &AppState, doctor: Uuid, q: SlotQuery) -> Result<SlotList, ApiError> {
    let now = Utc::now();
    let from = q.from.unwrap_or(now).max(now);
    let to = q.to.unwrap_or(from + Duration::days(7));
    let bookable_until = now + Duration::days(MAX_DAYS_AHEAD);
    if to <= from {
        return Err(ApiError::BadRequest(
            "to must be after from (and after now).".into(),
        ));
    }
    if to - from > Duration::days(31) {
        return Err(ApiError::BadRequest(
            "Ask for at most 31 days of slots at a time.".into(),
        ));
    }
    state
        .db
        .run(move |conn| {
            active_doctor(conn, doctor)?;
            let hours = load_hours(conn, doctor)?;
            let booked: Vec<(DbTime, DbTime)> = appointments::table
                .filter(appointments::doctor_id.eq(DbId(doctor)))
                .filter(appointments::status.eq(AppointmentStatus::Scheduled.as_str()))
                .filter(appointments::scheduled_for.lt(DbTime(to)))
                .filter(appointments::ends_at.gt(DbTime(from)))
                .select((appointments::scheduled_for, appointments::ends_at))
                .load(conn)?;
            let booked: Vec<_> = booked.into_iter().map(|(s, e)| (s.0, e.0)).collect();
            let published = hours.published();
            Ok(SlotList {
                doctor_id: doctor,
                time_zone: hours.tz.name().to_owned(),
                slot_minutes: hours.slot_minutes,
                hours_published: published,
                bookable_until,
                slots: if published {
                    hours.free_slots(from, to.min(bookable_until), &booked)
                } else {
                    Vec::new()
                },
            })
        })
        .await
}

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
