use crate::routes::responses::{
    BadParameter, MalformedJson, NoSuchAppointment, NoSuchDoctor, NotADoctor, NotSignedIn,
};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, delete, get, post, put, web};
use mediconnect_shared::{
    Appointment, AppointmentChange, AppointmentHistory, AppointmentList, AppointmentQuery,
    BookingRules, NewAppointment, NewTimeOff, PageQuery, Problem, Schedule, SlotList, SlotQuery,
    TimeOff, TimeOffList,
};
use uuid::Uuid;

use crate::appointments;
use crate::audit::{Actor, ClientIp};
use crate::auth::{AuthUser, DoctorUser, PatientUser};
use crate::error::ApiError;
use crate::routes::auth::no_store;
use crate::routes::json::Json;
use crate::routes::query::Query;
use crate::state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(book)
        .service(list)
        .service(get_one)
        .service(update)
        .service(cancel)
        .service(history)
        .service(get_schedule)
        .service(put_schedule)
        .service(get_booking_rules)
        .service(put_booking_rules)
        .service(list_time_off)
        .service(add_time_off)
        .service(remove_time_off)
        .service(slots)
        .service(doctor_hours);
}

/// Books an appointment with a doctor, for the signed-in patient. Send an
/// `Idempotency-Key` header to make retries safe: a retry with the same key and body
/// gets the first answer, and books nothing more.
#[utoipa::path(
    post,
    operation_id = "bookAppointment",
    path = "/api/appointments",
    tag = "appointments",
    security(("bearer" = [])),
    request_body = NewAppointment,
    params((
        "Idempotency-Key" = Option<String>,
        Header,
        description = "1–255 visible ASCII characters, unique per booking"
    )),
    responses(
        (status = 201, description = "Booked", body = Appointment),
        (
            status = 400,
            description = "Malformed JSON or Idempotency-Key",
            body = Problem,
            content_type = "application/problem+json"
        ),
        NotSignedIn,
        (
            status = 403,
            description = "Not a patient, or a patient whose email address is not yet \
                confirmed (`email-unverified`)",
            body = Problem,
            content_type = "application/problem+json"
        ),
        (
            status = 409,
            description = "The doctor (`doctor-unavailable`) or the patient (`patient-overlap`) \
                already has an appointment then",
            body = Problem,
            content_type = "application/problem+json"
        ),
        (
            status = 422,
            description = "Past, too far ahead, outside the doctor's hours, unknown doctor, \
                reason too long",
            body = Problem,
            content_type = "application/problem+json"
        ),
    )
)]
#[post("/appointments")]
pub async fn book(
    req: HttpRequest,
    state: web::Data<AppState>,
    patient: PatientUser,
    body: Json<NewAppointment>,
) -> Result<HttpResponse, ApiError> {
    let key = match req.headers().get("idempotency-key") {
        Some(v) => Some(appointments::parse_idempotency_key(v.to_str().map_err(
            |_| ApiError::BadRequest("Idempotency-Key must be visible ASCII.".into()),
        )?)?),
        None => None,
    };
    let answer = appointments::book(&state, patient, body.into_inner(), key).await?;
    let mut res = no_store(HttpResponse::build(
        StatusCode::from_u16(answer.status).unwrap_or(StatusCode::CREATED),
    ));
    if answer.replayed {
        res.insert_header(("Idempotent-Replayed", "true"));
    }
    Ok(res.content_type("application/json").body(answer.body))
}

/// The caller's appointments: a patient's or a doctor's own, or all for an admin,
/// ordered by `scheduledFor`.
#[utoipa::path(
    get,
    operation_id = "listAppointments",
    path = "/api/appointments",
    tag = "appointments",
    security(("bearer" = [])),
    params(AppointmentQuery, PageQuery),
    responses(
        (status = 200, description = "A page of appointments", body = AppointmentList),
        BadParameter,
        NotSignedIn,
    )
)]
#[get("/appointments")]
pub async fn list(
    state: web::Data<AppState>,
    user: AuthUser,
    ip: ClientIp,
    query: Query<AppointmentQuery>,
) -> Result<HttpResponse, ApiError> {
    let list = appointments::list(&state, Actor::new(user, ip), query.into_inner()).await?;
    Ok(no_store(HttpResponse::Ok()).json(list))
}

/// One appointment of the caller. Another user's appointment answers 404.
#[utoipa::path(
    get,
    operation_id = "getAppointment",
    path = "/api/appointments/{id}",
    tag = "appointments",
    security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "The appointment", body = Appointment),
        NotSignedIn,
        NoSuchAppointment,
    )
)]
#[get("/appointments/{id}")]
pub async fn get_one(
    state: web::Data<AppState>,
    user: AuthUser,
    ip: ClientIp,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let appointment = appointments::get(&state, Actor::new(user, ip), id.into_inner()).await?;
    Ok(no_store(HttpResponse::Ok()).json(appointment))
}

/// Changes the status, the time or the reason. SCHEDULED becomes COMPLETED or NO_SHOW
/// (the doctor, once it has started) or CANCELLED (either party, the patient only before
/// it starts); a final status never changes again, except that within 24 hours of
/// marking it the doctor may correct COMPLETED to NO_SHOW or back (recorded in the
/// history and the audit trail).
#[utoipa::path(
    put,
    operation_id = "updateAppointment",
    path = "/api/appointments/{id}",
    tag = "appointments",
    security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    request_body = AppointmentChange,
    responses(
        (status = 200, description = "The changed appointment", body = Appointment),
        MalformedJson,
        NotSignedIn,
        (
            status = 403,
            description = "Not allowed for this party (e.g. a patient marking COMPLETED)",
            body = Problem,
            content_type = "application/problem+json"
        ),
        NoSuchAppointment,
        (
            status = 409,
            description = "Final already (`appointment-final`), started and so no longer the \
                patient's to cancel or move (`appointment-started`), or the new time overlaps",
            body = Problem,
            content_type = "application/problem+json"
        ),
        (
            status = 422,
            description = "Invalid change",
            body = Problem,
            content_type = "application/problem+json"
        ),
    )
)]
#[put("/appointments/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    user: AuthUser,
    ip: ClientIp,
    id: web::Path<Uuid>,
    body: Json<AppointmentChange>,
) -> Result<HttpResponse, ApiError> {
    let actor = Actor::new(user, ip);
    let appointment =
        appointments::change(&state, actor, id.into_inner(), body.into_inner()).await?;
    Ok(no_store(HttpResponse::Ok()).json(appointment))
}

/// Cancels: the status becomes CANCELLED and the appointment is kept.
#[utoipa::path(
    delete,
    operation_id = "cancelAppointment",
    path = "/api/appointments/{id}",
    tag = "appointments",
    security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "The cancelled appointment", body = Appointment),
        NotSignedIn,
        (
            status = 403,
            description = "An admin (who may read, not change)",
            body = Problem,
            content_type = "application/problem+json"
        ),
        NoSuchAppointment,
        (
            status = 409,
            description = "Already final",
            body = Problem,
            content_type = "application/problem+json"
        ),
    )
)]
#[delete("/appointments/{id}")]
pub async fn cancel(
    state: web::Data<AppState>,
    user: AuthUser,
    ip: ClientIp,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let appointment = appointments::cancel(&state, Actor::new(user, ip), id.into_inner()).await?;
    Ok(no_store(HttpResponse::Ok()).json(appointment))
}

/// Every change of an appointment: who, when, from what to what.
#[utoipa::path(
    get,
    operation_id = "getAppointmentHistory",
    path = "/api/appointments/{id}/history",
    tag = "appointments",
    security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "Oldest first", body = AppointmentHistory),
        NotSignedIn,
        NoSuchAppointment,
    )
)]
#[get("/appointments/{id}/history")]
pub async fn history(
    state: web::Data<AppState>,
    user: AuthUser,
    ip: ClientIp,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let history = appointments::history(&state, Actor::new(user, ip), id.into_inner()).await?;
    Ok(no_store(HttpResponse::Ok()).json(history))
}

/// The signed-in doctor's working hours, slot length and time zone.
#[utoipa::path(
    get,
    operation_id = "getMySchedule",
    path = "/api/doctors/me/schedule",
    tag = "appointments",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The schedule", body = Schedule),
        NotSignedIn,
        NotADoctor,
    )
)]
#[get("/doctors/me/schedule")]
pub async fn get_schedule(
    state: web::Data<AppState>,
    doctor: DoctorUser,
) -> Result<HttpResponse, ApiError> {
    Ok(no_store(HttpResponse::Ok()).json(appointments::schedule(&state, doctor).await?))
}

/// Replaces the signed-in doctor's working hours, exceptions, slot length and time zone.
/// Booked appointments the new hours or days off leave outside are listed in a 409
/// unless `cancelAffected: true` is sent, which cancels them and emails each patient.
#[utoipa::path(
    put,
    operation_id = "setMySchedule",
    path = "/api/doctors/me/schedule",
    tag = "appointments",
    security(("bearer" = [])),
    request_body = Schedule,
    responses(
        (status = 200, description = "The stored schedule", body = Schedule),
        MalformedJson,
        NotSignedIn,
        NotADoctor,
        (
            status = 409,
            description = "Booked appointments would fall outside the new hours \
                           (`appointments-affected`): the problem's `affected` lists them, \
                           and nothing was saved",
            body = Problem,
            content_type = "application/problem+json"
        ),
        (
            status = 422,
            description = "Invalid hours, time zone or slot length",
            body = Problem,
            content_type = "application/problem+json"
        ),
    )
)]
#[put("/doctors/me/schedule")]
pub async fn put_schedule(
    state: web::Data<AppState>,
    doctor: DoctorUser,
    body: Json<Schedule>,
) -> Result<HttpResponse, ApiError> {
    Ok(no_store(HttpResponse::Ok())
        .json(appointments::set_schedule(&state, doctor, body.into_inner()).await?))
}

/// The signed-in doctor's booking rules.
#[utoipa::path(
    get,
    operation_id = "getMyBookingRules",
    path = "/api/doctors/me/booking-rules",
    tag = "appointments",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The rules (the defaults until set)", body = BookingRules),
        NotSignedIn,
        NotADoctor,
    )
)]
#[get("/doctors/me/booking-rules")]
pub async fn get_booking_rules(
    state: web::Data<AppState>,
    doctor: DoctorUser,
) -> Result<HttpResponse, ApiError> {
    Ok(no_store(HttpResponse::Ok()).json(appointments::booking_rules(&state, doctor).await?))
}

/// Sets the signed-in doctor's booking rules: notice, patients' cancellation cutoff,
/// how far ahead, and appointments ahead per patient. Bookings and slots follow them at
/// once; appointments already booked stay.
#[utoipa::path(
    put,
    operation_id = "setMyBookingRules",
    path = "/api/doctors/me/booking-rules",
    tag = "appointments",
    security(("bearer" = [])),
    request_body = BookingRules,
    responses(
        (status = 200, description = "The stored rules", body = BookingRules),
        MalformedJson,
        NotSignedIn,
        NotADoctor,
        (
            status = 422,
            description = "A value out of its range (each named in `errors`)",
            body = Problem,
            content_type = "application/problem+json"
        ),
    )
)]
#[put("/doctors/me/booking-rules")]
pub async fn put_booking_rules(
    state: web::Data<AppState>,
    doctor: DoctorUser,
    body: Json<BookingRules>,
) -> Result<HttpResponse, ApiError> {
    let rules = appointments::set_booking_rules(&state, doctor, body.into_inner()).await?;
    Ok(no_store(HttpResponse::Ok()).json(rules))
}

/// The signed-in doctor's time off that is not over yet, soonest first.
#[utoipa::path(
    get,
    operation_id = "listMyTimeOff",
    path = "/api/doctors/me/time-off",
    tag = "appointments",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The ranges", body = TimeOffList),
        NotSignedIn,
        NotADoctor,
    )
)]
#[get("/doctors/me/time-off")]
pub async fn list_time_off(
    state: web::Data<AppState>,
    doctor: DoctorUser,
) -> Result<HttpResponse, ApiError> {
    Ok(no_store(HttpResponse::Ok()).json(appointments::time_off(&state, doctor).await?))
}

/// Adds a range of time off, from and to local date-times in the doctor's time zone.
/// No slot is offered in it and nothing can be booked. Booked appointments inside are
/// listed in a 409 unless `cancelAffected: true` is sent, which cancels them (each
/// patient is emailed that the doctor is away, with a calendar update).
#[utoipa::path(
    post,
    operation_id = "addTimeOff",
    path = "/api/doctors/me/time-off",
    tag = "appointments",
    security(("bearer" = [])),
    request_body = NewTimeOff,
    responses(
        (status = 201, description = "The range", body = TimeOff),
        MalformedJson,
        NotSignedIn,
        NotADoctor,
        (
            status = 409,
            description = "Booked appointments inside (`appointments-affected`): the \
                           problem's `affected` lists them, and nothing was saved",
            body = Problem,
            content_type = "application/problem+json"
        ),
        (
            status = 422,
            description = "An end before the start or in the past, a range over 366 days, \
                           or a note over 200 characters",
            body = Problem,
            content_type = "application/problem+json"
        ),
    )
)]
#[post("/doctors/me/time-off")]
pub async fn add_time_off(
    state: web::Data<AppState>,
    doctor: DoctorUser,
    body: Json<NewTimeOff>,
) -> Result<HttpResponse, ApiError> {
    let range = appointments::add_time_off(&state, doctor, body.into_inner()).await?;
    Ok(no_store(HttpResponse::Created()).json(range))
}

/// Removes a range of the signed-in doctor's time off.
#[utoipa::path(
    delete,
    operation_id = "removeTimeOff",
    path = "/api/doctors/me/time-off/{id}",
    tag = "appointments",
    security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses(
        (status = 204, description = "Removed"),
        NotSignedIn,
        NotADoctor,
        (
            status = 404,
            description = "No such time off of this doctor",
            body = Problem,
            content_type = "application/problem+json"
        ),
    )
)]
#[delete("/doctors/me/time-off/{id}")]
pub async fn remove_time_off(
    state: web::Data<AppState>,
    doctor: DoctorUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    appointments::remove_time_off(&state, doctor, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A doctor's published hours: weekly hours and upcoming exceptions, in the doctor's
/// time zone. Public. Empty `weekly` and `exceptions` mean no hours are published.
#[utoipa::path(
    get,
    operation_id = "getDoctorHours",
    path = "/api/doctors/{id}/hours",
    tag = "appointments",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "The hours", body = Schedule),
        NoSuchDoctor,
    )
)]
#[get("/doctors/{id}/hours")]
pub async fn doctor_hours(
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(appointments::public_hours(&state, id.into_inner()).await?))
}

/// A doctor's free slots: working hours minus booked time, in UTC.
#[utoipa::path(
    get,
    operation_id = "listDoctorSlots",
    path = "/api/doctors/{id}/slots",
    tag = "appointments",
    params(("id" = Uuid, Path), SlotQuery),
    responses(
        (status = 200, description = "Free slots", body = SlotList),
        (
            status = 400,
            description = "A bad range",
            body = Problem,
            content_type = "application/problem+json"
        ),
        NoSuchDoctor,
    )
)]
#[get("/doctors/{id}/slots")]
pub async fn slots(
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    query: Query<SlotQuery>,
    caller: Option<AuthUser>,
) -> Result<HttpResponse, ApiError> {
    // A patient's answer says whether they may book: it is theirs alone.
    let personal = caller.is_some();
    let found = appointments::slots(&state, id.into_inner(), query.into_inner(), caller).await?;
    if personal {
        return Ok(no_store(HttpResponse::Ok()).json(found));
    }
    Ok(HttpResponse::Ok().json(found))
}
