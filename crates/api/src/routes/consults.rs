//! Consult now: a patient waits in an online doctor's queue; the doctor takes the head;
//! the two meet in the consult's room (a call signalled over `/api/ws`, and a chat).

use crate::routes::responses::{
    ConsultNotActive, MalformedJson, NoSuchConsult, NotADoctor, NotAPatient, NotSignedIn,
};
use actix_web::{HttpResponse, delete, get, post, web};
use mediconnect_shared::{
    ChatList, ChatMessage, Consult, ConsultQueue, ConsultRoom, NewChatMessage, NewConsult, Problem,
    StartedConsult,
};
use uuid::Uuid;

use crate::audit::{Actor, ClientIp};
use crate::auth::{AuthUser, DoctorUser, PatientUser};
use crate::consults;
use crate::error::ApiError;
use crate::routes::auth::no_store;
use crate::routes::json::Json;
use crate::state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    // The fixed paths before `/consults/{id}`.
    cfg.service(join)
        .service(queue)
        .service(next)
        .service(current)
        .service(room)
        .service(end)
        .service(chat)
        .service(say)
        .service(leave);
}

/// Joins an online doctor's queue for a consult now. The patient's place and wait
/// then arrive live (`consult` messages), and `consult_started` when the doctor takes
/// them. One open consult per patient.
#[utoipa::path(
    post,
    operation_id = "joinConsultQueue",
    path = "/api/consults",
    tag = "consults",
    security(("bearer" = [])),
    request_body = NewConsult,
    responses(
        (status = 201, description = "The patient's place and wait", body = Consult),
        MalformedJson,
        NotSignedIn,
        NotAPatient,
        (
            status = 409,
            description = "The doctor is offline (`doctor-offline`) or not taking consults \
                           (`not-accepting-consults`), the queue is full \
                           (`consult-queue-full`, `CONSULT_QUEUE_MAX`), or the patient is in \
                           a consult already (`consult-open`)",
            body = Problem,
            content_type = "application/problem+json"
        ),
        (
            status = 422,
            description = "No such doctor, or a reason over 500 characters",
            body = Problem,
            content_type = "application/problem+json"
        ),
    )
)]
#[post("/consults")]
pub async fn join(
    state: web::Data<AppState>,
    patient: PatientUser,
    body: Json<NewConsult>,
) -> Result<HttpResponse, ApiError> {
    let max = state.config.consult_queue_max;
    let consult = consults::join(&state, patient, body.into_inner(), max).await?;
    Ok(no_store(HttpResponse::Created()).json(consult))
}

/// The signed-in doctor's queue, first come first, with each patient's reason (for
/// this doctor only); it also arrives live (`consult_queue`).
#[utoipa::path(
    get,
    operation_id = "getConsultQueue",
    path = "/api/consults/queue",
    tag = "consults",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The queue", body = ConsultQueue),
        NotSignedIn,
        NotADoctor,
    )
)]
#[get("/consults/queue")]
pub async fn queue(
    state: web::Data<AppState>,
    doctor: DoctorUser,
) -> Result<HttpResponse, ApiError> {
    Ok(no_store(HttpResponse::Ok()).json(consults::queue(&state, doctor).await?))
}

/// Takes the head of the signed-in doctor's queue: two sessions never take the same
/// patient, and none is skipped. Both parties get `consult_started`.
#[utoipa::path(
    post,
    operation_id = "takeNextConsult",
    path = "/api/consults/next",
    tag = "consults",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The consult taken", body = StartedConsult),
        NotSignedIn,
        NotADoctor,
        (
            status = 409,
            description = "Nobody is waiting (`consult-queue-empty`)",
            body = Problem,
            content_type = "application/problem+json"
        ),
    )
)]
#[post("/consults/next")]
pub async fn next(
    state: web::Data<AppState>,
    doctor: DoctorUser,
) -> Result<HttpResponse, ApiError> {
    Ok(no_store(HttpResponse::Ok()).json(consults::next(&state, doctor).await?))
}

/// Leaves the queue.
#[utoipa::path(
    delete,
    operation_id = "leaveConsultQueue",
    path = "/api/consults/{id}",
    tag = "consults",
    security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses(
        (status = 204, description = "Left"),
        NotSignedIn,
        NotAPatient,
        (
            status = 404,
            description = "No such consult of the patient's",
            body = Problem,
            content_type = "application/problem+json"
        ),
        (
            status = 409,
            description = "The consult is not waiting (`consult-not-waiting`)",
            body = Problem,
            content_type = "application/problem+json"
        ),
    )
)]
#[delete("/consults/{id}")]
pub async fn leave(
    state: web::Data<AppState>,
    patient: PatientUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    consults::leave(&state, patient, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The signed-in patient's consult that is waiting or under way (after a reload: the
/// place in the queue, or the room to go back to).
#[utoipa::path(
    get,
    operation_id = "getCurrentConsult",
    path = "/api/consults/current",
    tag = "consults",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The patient's open consult", body = Consult),
        NotSignedIn,
        NotAPatient,
        (
            status = 404,
            description = "The patient is in no consult now",
            body = Problem,
            content_type = "application/problem+json"
        ),
    )
)]
#[get("/consults/current")]
pub async fn current(
    state: web::Data<AppState>,
    patient: PatientUser,
) -> Result<HttpResponse, ApiError> {
    Ok(no_store(HttpResponse::Ok()).json(consults::current(&state, patient).await?))
}

/// A consult's room: its parties, status and times, the caller's part, and the ICE
/// servers for the call (`ICE_SERVERS`). For its doctor and patient; an admin may read
/// it (audited, as is the doctor's read) but not join.
#[utoipa::path(
    get,
    operation_id = "getConsultRoom",
    path = "/api/consults/{id}",
    tag = "consults",
    security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "The room", body = ConsultRoom),
        NotSignedIn,
        NoSuchConsult,
    )
)]
#[get("/consults/{id}")]
pub async fn room(
    state: web::Data<AppState>,
    user: AuthUser,
    ip: ClientIp,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let found = consults::room(&state, Actor::new(user, ip), id.into_inner()).await?;
    Ok(no_store(HttpResponse::Ok()).json(found))
}

/// Ends a consult under way (either party). It is kept as an appointment of kind
/// `INSTANT`, `COMPLETED`, with its real start and length; both parties get
/// `consult_started` with status `ENDED`.
#[utoipa::path(
    post,
    operation_id = "endConsult",
    path = "/api/consults/{id}/end",
    tag = "consults",
    security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "The ended room, with `appointmentId`", body = ConsultRoom),
        NotSignedIn,
        NoSuchConsult,
        ConsultNotActive,
    )
)]
#[post("/consults/{id}/end")]
pub async fn end(
    state: web::Data<AppState>,
    user: AuthUser,
    ip: ClientIp,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let ended = consults::end(&state, Actor::new(user, ip), id.into_inner()).await?;
    Ok(no_store(HttpResponse::Ok()).json(ended))
}

/// The consult's chat, oldest first. Kept with the consult: for its two parties, and
/// admins (a read by anyone but the patient is audited).
#[utoipa::path(
    get,
    operation_id = "listConsultMessages",
    path = "/api/consults/{id}/messages",
    tag = "consults",
    security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "The chat", body = ChatList),
        NotSignedIn,
        NoSuchConsult,
    )
)]
#[get("/consults/{id}/messages")]
pub async fn chat(
    state: web::Data<AppState>,
    user: AuthUser,
    ip: ClientIp,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let chat = consults::chat(&state, Actor::new(user, ip), id.into_inner()).await?;
    Ok(no_store(HttpResponse::Ok()).json(chat))
}

/// Writes in the chat of a consult under way (either party); both parties get it live
/// (`consult_chat`).
#[utoipa::path(
    post,
    operation_id = "sendConsultMessage",
    path = "/api/consults/{id}/messages",
    tag = "consults",
    security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    request_body = NewChatMessage,
    responses(
        (status = 201, description = "The message, as kept", body = ChatMessage),
        MalformedJson,
        NotSignedIn,
        NoSuchConsult,
        ConsultNotActive,
        (
            status = 422,
            description = "Empty, or over 2000 characters",
            body = Problem,
            content_type = "application/problem+json"
        ),
    )
)]
#[post("/consults/{id}/messages")]
pub async fn say(
    state: web::Data<AppState>,
    user: AuthUser,
    ip: ClientIp,
    id: web::Path<Uuid>,
    body: Json<NewChatMessage>,
) -> Result<HttpResponse, ApiError> {
    let actor = Actor::new(user, ip);
    let message = consults::say(&state, actor, id.into_inner(), body.into_inner()).await?;
    Ok(no_store(HttpResponse::Created()).json(message))
}
