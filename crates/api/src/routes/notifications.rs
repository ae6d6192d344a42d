//! Following doctors, and one-click unsubscribe from "doctor is online" alerts.

use crate::routes::responses::{NoSuchDoctor, NotAPatient, NotSignedIn};
use actix_web::http::StatusCode;
use actix_web::http::header::{ACCEPT, CACHE_CONTROL, CONTENT_TYPE};
use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use mediconnect_shared::{FollowedDoctors, Problem};
use serde::Deserialize;
use uuid::Uuid;

use crate::auth::PatientUser;
use crate::error::ApiError;
use crate::follows;
use crate::mail::unsubscribe;
use crate::routes::query::Query;
use crate::state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(follow)
        .service(unfollow)
        .service(followed)
        .service(unsubscribe_page)
        .service(unsubscribe_now);
}

/// Follows a doctor: with alerts set to `followed`, only followed doctors are announced.
#[utoipa::path(
    post,
    operation_id = "followDoctor",
    path = "/api/doctors/{id}/follow",
    tag = "notifications",
    security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses(
        (status = 204, description = "Following (also if already)"),
        NotSignedIn,
        NotAPatient,
        NoSuchDoctor,
    )
)]
#[post("/doctors/{id}/follow")]
pub async fn follow(
    state: web::Data<AppState>,
    patient: PatientUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    follows::follow(&state, patient, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Stops following a doctor.
#[utoipa::path(
    delete,
    operation_id = "unfollowDoctor",
    path = "/api/doctors/{id}/follow",
    tag = "notifications",
    security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses(
        (status = 204, description = "Not following (also if never was)"),
        NotSignedIn,
        NotAPatient,
    )
)]
#[delete("/doctors/{id}/follow")]
pub async fn unfollow(
    state: web::Data<AppState>,
    patient: PatientUser,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    follows::unfollow(&state, patient, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The doctors the signed-in patient follows.
#[utoipa::path(
    get,
    operation_id = "listFollowedDoctors",
    path = "/api/users/follows",
    tag = "notifications",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Followed doctors, by name", body = FollowedDoctors),
        NotSignedIn,
        NotAPatient,
    )
)]
#[get("/users/follows")]
pub async fn followed(
    state: web::Data<AppState>,
    patient: PatientUser,
) -> Result<HttpResponse, ApiError> {
    let doctors = follows::followed(&state, patient).await?;
    Ok(HttpResponse::Ok()
        .insert_header((CACHE_CONTROL, "no-store"))
        .json(FollowedDoctors { doctors }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UnsubscribeQuery {
    /// The signed token from the email's link. A link cut short without it gets the
    /// same answer as a changed one (an HTML page for a browser).
    #[serde(default)]
    token: String,
}

fn html(status: StatusCode, page: String) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((CACHE_CONTROL, "no-store"))
        .body(page)
}

/// A confirmation page with one button (mail clients use the one-click POST instead).
#[utoipa::path(
    get,
    operation_id = "showUnsubscribePage",
    path = "/api/notifications/unsubscribe",
    tag = "notifications",
    params(UnsubscribeQuery),
    responses(
        (status = 200, description = "An HTML page asking to confirm", content_type = "text/html"),
        (
            status = 400,
            description = "A tampered or expired link (HTML page)",
            content_type = "text/html"
        ),
    )
)]
#[get("/notifications/unsubscribe")]
pub async fn unsubscribe_page(
    state: web::Data<AppState>,
    query: Query<UnsubscribeQuery>,
) -> HttpResponse {
    match follows::unsubscriber(&state, &query.token) {
        Ok(_) => html(StatusCode::OK, unsubscribe::confirm_page(&query.token)),
        Err(e) => html(StatusCode::BAD_REQUEST, unsubscribe::invalid_page(e)),
    }
}

/// One-click unsubscribe (RFC 8058): turns "doctor is online" alerts off, no login.
#[utoipa::path(
    post,
    operation_id = "unsubscribe",
    path = "/api/notifications/unsubscribe",
    tag = "notifications",
    params(UnsubscribeQuery),
    responses(
        (status = 200, description = "Alerts are off (an HTML page for browsers)"),
        (
            status = 400,
            description = "A tampered or expired link",
            body = Problem,
            content_type = "application/problem+json"
        ),
    )
)]
#[post("/notifications/unsubscribe")]
pub async fn unsubscribe_now(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: Query<UnsubscribeQuery>,
) -> Result<HttpResponse, ApiError> {
    let browser = req
        .headers()
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    let user = match follows::unsubscriber(&state, &query.token) {
        Ok(user) => user,
        Err(e) if browser => {
            return Ok(html(StatusCode::BAD_REQUEST, unsubscribe::invalid_page(e)));
        }
        Err(e) => return Err(ApiError::BadRequest(unsubscribe::reason(e).into())),
    };
    follows::unsubscribe(&state, user).await?;
    if browser {
        Ok(html(StatusCode::OK, unsubscribe::done_page()))
    } else {
        Ok(HttpResponse::Ok().json(serde_json::json!({"unsubscribed": true})))
    }
}
