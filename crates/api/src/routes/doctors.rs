use crate::routes::responses::{MalformedJson, NoSuchDoctor, NotSignedIn};
use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use actix_web::{HttpResponse, get, put, web};
use mediconnect_shared::{
    Doctor, DoctorList, DoctorQuery, OnlineDoctors, PageQuery, Problem, SpecializationSummary,
    StatusUpdate,
};
use uuid::Uuid;

use crate::auth::DoctorUser;
use crate::doctors;
use crate::error::ApiError;
use crate::routes::json::Json;
use crate::routes::query::Query;
use crate::state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    // `/doctors/online` and `/doctors/status` before `/doctors/{id}`.
    cfg.service(online)
        .service(set_status)
        .service(list)
        .service(get_one)
        .service(specializations);
}

/// Lists active doctors, filtered and paged.
#[utoipa::path(
    get,
    operation_id = "listDoctors",
    path = "/api/doctors",
    tag = "doctors",
    params(DoctorQuery, PageQuery),
    responses(
        (status = 200, description = "A page of doctors, sorted by name", body = DoctorList),
        (
            status = 400,
            description = "A bad parameter (page, limit, online, ...)",
            body = Problem,
            content_type = "application/problem+json"
        ),
    )
)]
#[get("/doctors")]
pub async fn list(
    state: web::Data<AppState>,
    query: Query<DoctorQuery>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(doctors::list(&state, &query).await?))
}

/// The doctors online right now, from the live presence view (no database query).
#[utoipa::path(
    get,
    operation_id = "listOnlineDoctors",
    path = "/api/doctors/online",
    tag = "doctors",
    responses((status = 200, description = "Online doctors, sorted by name", body = OnlineDoctors))
)]
#[get("/doctors/online")]
pub async fn online(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "application/json"))
        .insert_header((CACHE_CONTROL, "no-cache"))
        .body(state.hub.online_json())
}

/// One doctor.
#[utoipa::path(
    get,
    operation_id = "getDoctor",
    path = "/api/doctors/{id}",
    tag = "doctors",
    params(("id" = Uuid, Path, description = "The doctor id")),
    responses(
        (status = 200, description = "The doctor", body = Doctor),
        NoSuchDoctor,
    )
)]
#[get("/doctors/{id}")]
pub async fn get_one(
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(doctors::get(&state, id.into_inner()).await?))
}

/// Sets the signed-in doctor's status. Setting the current status again is a no-op.
#[utoipa::path(
    put,
    operation_id = "setDoctorStatus",
    path = "/api/doctors/status",
    tag = "doctors",
    security(("bearer" = [])),
    request_body = StatusUpdate,
    responses(
        (status = 200, description = "The doctor, with the new status", body = Doctor),
        MalformedJson,
        NotSignedIn,
        (
            status = 403,
            description = "Not a doctor, or going online before the email address is \
                confirmed (`email-unverified`)",
            body = Problem,
            content_type = "application/problem+json"
        ),
        (
            status = 422,
            description = "`isOnline` missing or not a boolean",
            body = Problem,
            content_type = "application/problem+json"
        ),
    )
)]
#[put("/doctors/status")]
pub async fn set_status(
    state: web::Data<AppState>,
    doctor: DoctorUser,
    body: Json<StatusUpdate>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let doctor =
        doctors::set_status(&state, doctor, body.is_online, body.accepting_consults).await?;
    Ok(HttpResponse::Ok().json(doctor))
}

/// Specializations with their number of doctors, and how many are online, for filters.
#[utoipa::path(
    get,
    operation_id = "listSpecializations",
    path = "/api/specializations",
    tag = "doctors",
    responses((
        status = 200,
        description = "Specializations, by name",
        body = [SpecializationSummary]
    ))
)]
#[get("/specializations")]
pub async fn specializations(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(doctors::specializations(&state).await?))
}
