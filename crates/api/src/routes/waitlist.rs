//! Waitlists: joining, leaving, and claiming or declining the times offered.

use crate::routes::responses::{MalformedJson, NoSuchOffer, NotAPatient, NotSignedIn};
use actix_web::{HttpResponse, delete, get, post, web};
use mediconnect_shared::{Appointment, NewWaitlistEntry, Problem, WaitlistEntry, WaitlistList};
use uuid::Uuid;

use crate::appointments;
use crate::auth::PatientUser;
use crate::error::ApiError;
use crate::routes::auth::no_store;
use crate::routes::json::Json;
use crate::state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(join)
        .service(list)
        .service(leave)
        .service(claim)
        .service(decline);
}

/// Joins a doctor's waitlist for a window of the doctor's days (`from` to `to`, both
/// included; at most 92 days, within the doctor's horizon). When a time in the window
/// frees up, the earliest waiter is offered it by email and live, and it is held for
/// them for `WAITLIST_HOLD_MINUTES` (default 15): nobody else can book it meanwhile.
/// With `earlierThan` (one of the patient's bookings with this doctor), only earlier
/// times are offered, and claiming one cancels that booking. A time already free is
/// offered at once.
#[utoipa::path(
    post,
    operation_id = "joinWaitlist",
    path = "/api/waitlist",
    tag = "appointments",
    security(("bearer" = [])),
    request_body = NewWaitlistEntry,
    responses(
        (
            status = 201,
            description = "The entry, with an offer if a time was free",
            body = WaitlistEntry
        ),
        MalformedJson,
        NotSignedIn,
        NotAPatient,
        (
            status = 409,
            description = "On this doctor's waitlist already (`already-waiting`), or on 10 \
                           waitlists (`waitlist-limit`)",
            body = Problem,
            content_type = "application/problem+json"
        ),
        (
            status = 422,
            description = "No such doctor, or one without published hours, a window in the \
                           past, backwards, over 92 days or past the doctor's horizon, or \
                           `earlierThan` not a booking of the patient's with this doctor (each \
                           named in `errors`); or the patient holds as many appointments ahead \
                           as allowed (`max-open-with-doctor`, `max-open-bookings`)",
            body = Problem,
            content_type = "application/problem+json"
        ),
    )
)]
#[post("/waitlist")]
pub async fn join(
    state: web::Data<AppState>,
    patient: PatientUser,
    body: Json<NewWaitlistEntry>,
) -> Result<HttpResponse, ApiError> {
    let entry = appointments::join_waitlist(&state, patient, body.into_inner()).await?;
    Ok(no_store(HttpResponse::Created()).json(entry))
}

/// The signed-in patient's waitlist entries, oldest first, each with the time held for
/// them (`offer`), if any.
#[utoipa::path(
    get,
    operation_id = "listWaitlist",
    path = "/api/waitlist",
    tag = "appointments",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The entries", body = WaitlistList),
        NotSignedIn,
        NotAPatient,
    )
)]
#[get("/waitlist")]
pub async fn list(
    state: web::Data<AppState>,
    patient: PatientUser,
) -> Result<HttpResponse, ApiError> {
    Ok(no_store(HttpResponse::Ok()).json(appointments::waitlist(&state, patient).await?))
}

/// Leaves a waitlist. A time held for the patient passes on to the next waiter.
#[utoipa::path(
    delete,
    operation_id = "leaveWaitlist",
    path = "/api/waitlist/{id}",
    tag = "appointments",
    security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses(
        (status = 204, description = "Left"),
        NotSignedIn,
        NotAPatient,
        (
            status = 404,
            description = "No such entry of the patient's",
            body = Problem,
            content_type = "application/problem+json"
        ),
    )
)]
#[delete("/waitlist/{id}")]
pub async fn leave(
    state: web::Data<AppState>,
    patient: PatientUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    appointments::leave_waitlist(&state, patient, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Books the time held for the patient, and cancels the later booking the entry named
/// (`earlierThan`), in one transaction. The entry is done.
#[utoipa::path(
    post,
    operation_id = "claimWaitlistOffer",
    path = "/api/waitlist/offers/{id}/claim",
    tag = "appointments",
    security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses(
        (status = 201, description = "The booked appointment", body = Appointment),
        NotSignedIn,
        NotAPatient,
        NoSuchOffer,
        (
            status = 409,
            description = "The offer ended (`offer-ended`: declined, run out or passed on), \
                           or the patient has another appointment then (`patient-overlap`)",
            body = Problem,
            content_type = "application/problem+json"
        ),
        (
            status = 422,
            description = "The doctor's hours or time off changed and no longer hold the \
                           time, or a booking rule refuses it now (the rule named in `type`)",
            body = Problem,
            content_type = "application/problem+json"
        ),
    )
)]
#[post("/waitlist/offers/{id}/claim")]
pub async fn claim(
    state: web::Data<AppState>,
    patient: PatientUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let appointment = appointments::claim_offer(&state, patient, id.into_inner()).await?;
    Ok(no_store(HttpResponse::Created()).json(appointment))
}

/// Passes the time held for the patient on to the next waiter at once; the patient
/// stays on the waitlist (that time is not offered to them again).
#[utoipa::path(
    post,
    operation_id = "declineWaitlistOffer",
    path = "/api/waitlist/offers/{id}/decline",
    tag = "appointments",
    security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses(
        (status = 204, description = "Passed on"),
        NotSignedIn,
        NotAPatient,
        NoSuchOffer,
        (
            status = 409,
            description = "The offer ended already (`offer-ended`)",
            body = Problem,
            content_type = "application/problem+json"
        ),
    )
)]
#[post("/waitlist/offers/{id}/decline")]
pub async fn decline(
    state: web::Data<AppState>,
    patient: PatientUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    appointments::decline_offer(&state, patient, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}
