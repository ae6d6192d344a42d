//! Consult now: a patient joins an online doctor's queue, the doctor takes the head of
//! it, and the two meet in the consult's room: a call whose signals the server relays
//! between them (and only them), and a chat kept with the consult. Either party ends
//! it, and it is kept as an INSTANT appointment.

use chrono::{DateTime, Utc};
use mediconnect_shared::{
    AppointmentDoctor, ChatList, ChatMessage, Consult, ConsultQueue, ConsultRoom, NewChatMessage,
    NewConsult, Role, ServerMessage, SignalData, StartedConsult,
};
use uuid::Uuid;

use crate::audit::{self, Actor};
use crate::auth::{AuthUser, DoctorUser, PatientUser};
use crate::db::models::consults::{self as rows, ConsultRow};
use crate::db::models::{doctors, patients};
use crate::db::{AnyConnection, DbId, DbTime, is_unique_violation};
use crate::error::ApiError;
use crate::live::bridge::LiveEvent;
use crate::live::queue::{announce_queue, queue_of, status, ticket};
use crate::state::AppState;

fn patient_of(conn: &mut AnyConnection, user: AuthUser) -> Result<Uuid, ApiError> {
    Ok(patients::find_by_user(conn, user.id)?
        .ok_or_else(|| ApiError::Forbidden("Only patients ask for consults.".into()))?
        .id
        .0)
}

fn doctor_of(conn: &mut AnyConnection, user: AuthUser) -> Result<Uuid, ApiError> {
    Ok(doctors::find_by_user(conn, user.id)?
        .ok_or_else(|| ApiError::Forbidden("Only doctors take consults.".into()))?
        .id
        .0)
}

fn refused(rule: &'static str, detail: impl Into<String>) -> ApiError {
    ApiError::Conflict {
        rule,
        detail: detail.into(),
    }
}

/// Joins the doctor's queue: the doctor must be online and accepting, the queue not
/// full, and the patient in no other consult.
pub async fn join(
    state: &AppState,
    patient: PatientUser,
    req: NewConsult,
    queue_max: u32,
) -> Result<Consult, ApiError> {
    let user = patient.0;
    let reason = crate::appointments::parse_reason(req.reason.as_deref())?;
    state
        .write(move |conn, effects| {
            let patient = patient_of(conn, user)?;
            if !crate::db::models::users::is_verified(conn, user.id)? {
                return Err(ApiError::email_unverified(Role::Patient));
            }
            let doctor = req.doctor_id;
            crate::db::models::appointments::take_doctor_turn(conn, doctor)?;
            // Stamped once the turn is ours: the queue's order is the order of the turns,
            // so a place computed here is never taken by a join that began earlier.
            let now = Utc::now();
            let Some(d) = doctors::find(conn, doctor, true)? else {
                return Err(ApiError::field("doctorId", "There is no such doctor"));
            };
            if !d.is_online {
                return Err(refused("doctor-offline", "The doctor is not online now."));
            }
            if !rows::accepting(conn, doctor)? {
                return Err(refused(
                    "not-accepting-consults",
                    "The doctor is not taking consults now. Book a time instead.",
                ));
            }
            if rows::waiting_count(conn, doctor)? >= i64::from(queue_max) {
                return Err(refused(
                    "consult-queue-full",
                    "The doctor's queue is full. Try again in a few minutes, or book a time.",
                ));
            }
            let row = ConsultRow {
                id: DbId(Uuid::new_v4()),
                patient_id: DbId(patient),
                doctor_id: DbId(doctor),
                reason,
                status: rows::WAITING.to_owned(),
                created_at: DbTime(now),
                started_at: None,
                ended_at: None,
                appointment_id: None,
            };
            rows::insert(conn, &row).map_err(|e| {
                if is_unique_violation(&e) {
                    refused(
                        "consult-open",
                        "You are in a consult queue already. Leave it to join another.",
                    )
                } else {
                    e.into()
                }
            })?;
            announce_queue(conn, effects, doctor)?;
            ticket(conn, &row)
        })
        .await
}

/// Leaves the queue.
pub async fn leave(state: &AppState, patient: PatientUser, id: Uuid) -> Result<(), ApiError> {
    state
        .write(move |conn, effects| {
            let patient = patient_of(conn, patient.0)?;
            let row = rows::find(conn, id)?
                .filter(|r| r.patient_id.0 == patient)
                .ok_or_else(|| ApiError::NotFound("There is no such consult.".into()))?;
            if !rows::close(conn, row.id.0, rows::WAITING, rows::LEFT, Utc::now())? {
                return Err(refused(
                    "consult-not-waiting",
                    "This consult is not waiting.",
                ));
            }
            announce_queue(conn, effects, row.doctor_id.0)
        })
        .await
}

/// The doctor's queue.
pub async fn queue(state: &AppState, doctor: DoctorUser) -> Result<ConsultQueue, ApiError> {
    state
        .db
        .run(move |conn| {
            let doctor = doctor_of(conn, doctor.0)?;
            queue_of(conn, doctor)
        })
        .await
}

/// Takes the head of the doctor's queue.
pub async fn next(state: &AppState, doctor: DoctorUser) -> Result<StartedConsult, ApiError> {
    state
        .write(move |conn, effects| {
            let now: DateTime<Utc> = Utc::now();
            let user = doctor.0.id;
            let doctor = doctor_of(conn, doctor.0)?;
            let row = rows::take_next(conn, doctor, now)?
                .ok_or_else(|| refused("consult-queue-empty", "Nobody is waiting."))?;
            let (patient_user, name, ..) = patients::contact(conn, row.patient_id.0)?;
            let consult = ticket(conn, &row)?;
            effects.announce(
                conn,
                LiveEvent::Personal {
                    message: ServerMessage::ConsultStarted {
                        consult: consult.into(),
                    },
                    users: vec![patient_user, user],
                },
            )?;
            announce_queue(conn, effects, doctor)?;
            Ok(StartedConsult {
                id: row.id.0,
                patient_name: name,
                reason: row.reason,
                started_at: now,
            })
        })
        .await
}

/// The patient's consult that is waiting or under way.
pub async fn current(state: &AppState, patient: PatientUser) -> Result<Consult, ApiError> {
    state
        .db
        .run(move |conn| {
            let patient = patient_of(conn, patient.0)?;
            let row = rows::open_of_patient(conn, patient)?
                .ok_or_else(|| ApiError::NotFound("You are in no consult now.".into()))?;
            ticket(conn, &row)
        })
        .await
}

/// The longest chat message, in characters.
const CHAT_MAX: usize = 2000;

/// A consult as one of its readers may see it: its two parties, and admins.
struct Reader {
    role: Role,
    row: ConsultRow,
    /// The user ids of the doctor and the patient.
    parties: (Uuid, Uuid),
}

fn no_such_consult() -> ApiError {
    ApiError::NotFound("There is no such consult.".into())
}

/// The consult `id` if `user` may read it (404 otherwise). A read by anyone but its
/// patient is audited as `action`.
fn read(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: Uuid,
    action: &str,
) -> Result<Reader, ApiError> {
    let row = rows::find(conn, id)?.ok_or_else(no_such_consult)?;
    let (doctor_user, patient_user, _) = rows::parties(conn, id)?.ok_or_else(no_such_consult)?;
    let user = actor.user;
    let role = match user.role {
        Role::Admin => Role::Admin,
        _ if user.id == doctor_user => Role::Doctor,
        _ if user.id == patient_user => Role::Patient,
        _ => return Err(no_such_consult()),
    };
    if role != Role::Patient {
        audit::record(conn, actor, action, "consult", Some(id), Utc::now())?;
    }
    Ok(Reader {
        role,
        row,
        parties: (doctor_user, patient_user),
    })
}

/// The room of the consult `reader` reads.
fn room_of(
    conn: &mut AnyConnection,
    reader: Reader,
    ice_servers: Vec<mediconnect_shared::IceServer>,
) -> Result<ConsultRoom, ApiError> {
    let Reader { role, row, .. } = reader;
    let (doctor_id, doctor_name, specialization, _) = doctors::cards(conn, &[row.doctor_id.0])?
        .into_iter()
        .next()
        .ok_or_else(no_such_consult)?;
    let patient_name = patients::contact(conn, row.patient_id.0)?.1;
    let party = role != Role::Admin;
    Ok(ConsultRoom {
        id: row.id.0,
        status: status(&row),
        doctor: AppointmentDoctor {
            id: doctor_id,
            name: doctor_name,
            specialization,
        },
        patient_name,
        reason: row.reason.filter(|_| party),
        created_at: row.created_at.0,
        started_at: row.started_at.map(|t| t.0),
        ended_at: row.ended_at.map(|t| t.0),
        appointment_id: row.appointment_id.map(|a| a.0),
        role,
        ice_servers: if party { ice_servers } else { Vec::new() },
    })
}

/// `GET /api/consults/{id}`: the room.
pub async fn room(state: &AppState, actor: Actor, id: Uuid) -> Result<ConsultRoom, ApiError> {
    let ice_servers = state.config.ice_servers.clone();
    state
        .db
        .run(move |conn| {
            let reader = read(conn, &actor, id, "consult.read")?;
            room_of(conn, reader, ice_servers)
        })
        .await
}

fn not_active() -> ApiError {
    refused("consult-not-active", "This consult is not under way.")
}

/// Ends an active consult (either party): it is kept as a COMPLETED INSTANT
/// appointment, and both parties are told (`consult_started` with status `ENDED`).
pub async fn end(state: &AppState, actor: Actor, id: Uuid) -> Result<ConsultRoom, ApiError> {
    let ice_servers = state.config.ice_servers.clone();
    state
        .write(move |conn, effects| {
            let now = Utc::now();
            let reader = read(conn, &actor, id, "consult.end")?;
            if reader.role == Role::Admin {
                return Err(no_such_consult());
            }
            let row = &reader.row;
            let Some(started) = row.started_at.filter(|_| row.status == rows::ACTIVE) else {
                return Err(not_active());
            };
            let kept = crate::appointments::keep_instant(
                conn,
                effects,
                (row.doctor_id.0, row.patient_id.0),
                row.reason.as_deref(),
                started.0,
                actor.user.id,
                now,
            )?;
            if !rows::end(conn, id, kept, now)? {
                return Err(not_active());
            }
            let ended = rows::find(conn, id)?.ok_or_else(no_such_consult)?;
            let consult = ticket(conn, &ended)?;
            let (doctor_user, patient_user) = reader.parties;
            effects.announce(
                conn,
                LiveEvent::Personal {
                    message: ServerMessage::ConsultStarted {
                        consult: consult.into(),
                    },
                    users: vec![doctor_user, patient_user],
                },
            )?;
            room_of(
                conn,
                Reader {
                    row: ended,
                    ..reader
                },
                ice_servers,
            )
        })
        .await
}

fn chat_dto(row: rows::ChatRow) -> ChatMessage {
    ChatMessage {
        id: row.id.0,
        consult_id: row.consult_id.0,
        from: if row.from_role == Role::Doctor.as_str() {
            Role::Doctor
        } else {
            Role::Patient
        },
        text: row.body,
        sent_at: row.created_at.0,
    }
}

/// Sends a chat message in an active consult (either party); both parties get it live.
pub async fn say(
    state: &AppState,
    actor: Actor,
    id: Uuid,
    req: NewChatMessage,
) -> Result<ChatMessage, ApiError> {
    let text = req.text.trim().to_owned();
    if text.is_empty() || text.chars().count() > CHAT_MAX {
        return Err(ApiError::field(
            "text",
            format!("Write 1 to {CHAT_MAX} characters"),
        ));
    }
    state
        .write(move |conn, effects| {
            // Writing is not reading: only the two parties, and nothing to audit.
            let (doctor_user, patient_user, status) =
                rows::parties(conn, id)?.ok_or_else(no_such_consult)?;
            let user = actor.user.id;
            let from = match user {
                u if u == doctor_user => Role::Doctor,
                u if u == patient_user => Role::Patient,
                _ => return Err(no_such_consult()),
            };
            if status != rows::ACTIVE {
                return Err(not_active());
            }
            let row = rows::ChatRow {
                id: DbId(Uuid::new_v4()),
                consult_id: DbId(id),
                sender_id: Some(DbId(user)),
                from_role: from.as_str().to_owned(),
                body: text,
                created_at: DbTime(Utc::now()),
            };
            rows::insert_chat(conn, &row)?;
            let chat = chat_dto(row);
            effects.announce(
                conn,
                LiveEvent::Personal {
                    message: ServerMessage::ConsultChat {
                        chat: chat.clone().into(),
                    },
                    users: vec![doctor_user, patient_user],
                },
            )?;
            Ok(chat)
        })
        .await
}

/// The consult's chat: for its two parties, and admins (a read by anyone but the
/// patient is audited).
pub async fn chat(state: &AppState, actor: Actor, id: Uuid) -> Result<ChatList, ApiError> {
    state
        .db
        .run(move |conn| {
            read(conn, &actor, id, "consult.chat.read")?;
            Ok(ChatList {
                messages: rows::chat(conn, id)?.into_iter().map(chat_dto).collect(),
            })
        })
        .await
}

/// Relays a call signal from `user` to the other party of the active consult `id`, on
/// whichever replica their sockets are. Refused (with the reason, for the sender's
/// socket) when `user` is not a party or the consult is not under way.
pub async fn relay_signal(
    state: &AppState,
    user: Uuid,
    id: Uuid,
    data: SignalData,
) -> Result<(), &'static str> {
    let hub = state.hub.clone();
    let event = state
        .db
        .run(move |conn| {
            let Some((doctor_user, patient_user, status)) = rows::parties(conn, id)? else {
                return Ok(None);
            };
            let (from, to) = match user {
                u if u == doctor_user => (Role::Doctor, patient_user),
                u if u == patient_user => (Role::Patient, doctor_user),
                _ => return Ok(None),
            };
            if status != rows::ACTIVE {
                return Ok(Some(Err("This consult is not under way.")));
            }
            let event = LiveEvent::Signal {
                consult_id: id,
                from,
                data: data.json(),
                user: to,
            };
            crate::live::bridge::notify_in_tx(conn, &hub, &event)?;
            Ok(Some(Ok(event)))
        })
        .await
        .map_err(|_| "The signal could not be relayed; try again.")?
        .unwrap_or(Err("There is no such consult under way for you."))?;
    crate::live::bridge::apply(&state.hub, event);
    Ok(())
}
