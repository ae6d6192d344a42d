//! Following doctors, and one-click unsubscribe from "doctor is online" alerts.

use crate::routes::responses::{NoSuchDoctor, NotAPatient, NotSignedIn};
use actix_web::http::StatusCode;
use actix_web::http::header::{ACCEPT, CACHE_CONTROL, CONTENT_TYPE};
use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use chrono::Utc;
use diesel::prelude::*;
use mediconnect_shared::{FollowedDoctors, Problem};
use serde::Deserialize;
use uuid::Uuid;

use crate::auth::PatientUser;
use crate::db::schema::{doctors, follows, patients, users};
use crate::db::{AnyConnection, DbId, DbTime, is_unique_violation};
use crate::error::ApiError;
use crate::mail::templates::{UNSUBSCRIBE_PAGE, escape_html, wrap};
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

fn patient_id(conn: &mut AnyConnection, user: Uuid) -> Result<DbId, ApiError> {
    patients::table
        .filter(patients::user_id.eq(DbId(user)))
        .select(patients::id)
        .first(conn)
        .optional()?
        .ok_or_else(|| ApiError::Forbidden("This account has no patient profile.".into()))
}

fn active_doctor(conn: &mut AnyConnection, doctor: Uuid) -> Result<(), ApiError> {
    let n: i64 = doctors::table
        .inner_join(users::table)
        .filter(doctors::id.eq(DbId(doctor)))
        .filter(users::active.eq(true))
        .count()
        .get_result(conn)?;
    if n == 0 {
        return Err(ApiError::NotFound("There is no such doctor.".into()));
    }
    Ok(())
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
    let doctor = id.into_inner();
    state
        .db
        .run(move |conn| {
            let me = patient_id(conn, patient.0.id)?;
            active_doctor(conn, doctor)?;
            let inserted = diesel::insert_into(follows::table)
                .values((
                    follows::patient_id.eq(me),
                    follows::doctor_id.eq(DbId(doctor)),
                    follows::created_at.eq(DbTime(Utc::now())),
                ))
                .execute(conn);
            match inserted {
                Ok(_) => Ok(()),
                Err(e) if is_unique_violation(&e) => Ok(()),
                Err(e) => Err(e.into()),
            }
        })
        .await?;
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
    let doctor = id.into_inner();
    state
        .db
        .run(move |conn| {
            let me = patient_id(conn, patient.0.id)?;
            diesel::delete(
                follows::table
                    .filter(follows::patient_id.eq(me))
                    .filter(follows::doctor_id.eq(DbId(doctor))),
            )
            .execute(conn)?;
            Ok(())
        })
        .await?;
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
    let doctors = state
        .db
        .run(move |conn| {
            let me = patient_id(conn, patient.0.id)?;
            let rows = doctors::table
                .inner_join(users::table)
                .inner_join(follows::table)
                .filter(follows::patient_id.eq(me))
                .filter(users::active.eq(true))
                .order(users::name.asc())
                .select((
                    crate::db::models::doctors::DoctorRow::as_select(),
                    users::name,
                ))
                .load(conn)?;
            Ok(rows
                .into_iter()
                .map(crate::db::models::doctors::to_dto)
                .collect())
        })
        .await?;
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

fn page(status: StatusCode, title: &str, body: &str) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((CACHE_CONTROL, "no-store"))
        .body(wrap(
            UNSUBSCRIBE_PAGE,
            &[("title", &escape_html(title)), ("body", body)],
        ))
}

fn bad_link(reason: unsubscribe::Invalid) -> &'static str {
    match reason {
        unsubscribe::Invalid::Expired => {
            "This unsubscribe link has expired. Change your alerts in your MediConnect profile."
        }
        unsubscribe::Invalid::Malformed => {
            "This unsubscribe link is not valid. Use the link from the email as it is, or change your alerts in your MediConnect profile."
        }
    }
}

/// The page a browser gets for a link that does not verify.
fn bad_link_page(e: unsubscribe::Invalid) -> HttpResponse {
    page(
        StatusCode::BAD_REQUEST,
        "This link does not work",
        &format!("<p>{}</p>", bad_link(e)),
    )
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
        (status = 400, description = "A tampered or expired link (HTML page)", content_type = "text/html"),
    )
)]
#[get("/notifications/unsubscribe")]
pub async fn unsubscribe_page(
    state: web::Data<AppState>,
    query: Query<UnsubscribeQuery>,
) -> HttpResponse {
    match unsubscribe::verify(&state.mail_ctx.unsubscribe_key, &query.token, Utc::now()) {
        Ok(_) => page(
            StatusCode::OK,
            "Stop \"doctor is online\" emails?",
            &format!(
                "<p>You will no longer get an email when a doctor comes online. Appointment emails continue.</p>\
                 <form method=\"post\" action=\"/api/notifications/unsubscribe?token={}\"><button type=\"submit\">Stop these emails</button></form>",
                escape_html(&query.token)
            ),
        ),
        Err(e) => bad_link_page(e),
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
        (status = 400, description = "A tampered or expired link", body = Problem, content_type = "application/problem+json"),
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
    let user = match unsubscribe::verify(&state.mail_ctx.unsubscribe_key, &query.token, Utc::now())
    {
        Ok(user) => user,
        Err(e) if browser => return Ok(bad_link_page(e)),
        Err(e) => return Err(ApiError::BadRequest(bad_link(e).into())),
    };
    state
        .db
        .run(move |conn| {
            diesel::update(patients::table.filter(patients::user_id.eq(DbId(user))))
                .set(patients::notify_doctor_online.eq("off"))
                .execute(conn)?;
            Ok(())
        })
        .await?;
    tracing::info!(user_id = %user, "doctor-online alerts turned off by unsubscribe link");
    if browser {
        Ok(page(
            StatusCode::OK,
            "You are unsubscribed",
            "<p>You will no longer get an email when a doctor comes online. You can turn alerts back on in your profile.</p>",
        ))
    } else {
        Ok(HttpResponse::Ok().json(serde_json::json!({"unsubscribed": true})))
    }
}
