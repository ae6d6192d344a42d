use crate::routes::responses::{MalformedJson, NotSignedIn, TooManyAttempts};
use actix_web::{HttpResponse, get, put, web};
use mediconnect_shared::{
    ChangeEmailRequest, ChangePasswordRequest, LoginResponse, Problem, ProfileResponse,
    UpdateProfileRequest,
};

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::limits::AuthAttempt;
use crate::routes::auth::no_store;
use crate::routes::json::Json;
use crate::state::AppState;
use crate::{accounts, verification};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(get_profile)
        .service(update_profile)
        .service(change_password)
        .service(change_email)
        .service(time_zones);
}

/// The IANA time zones a profile or working hours may name, sorted. Public; the list
/// changes only with a server release.
#[utoipa::path(
    get,
    operation_id = "listTimeZones",
    path = "/api/time-zones",
    tag = "users",
    responses(
        (status = 200, description = "Every accepted `timeZone` value", body = Vec<String>,
            example = json!(["Africa/Abidjan", "Europe/Berlin", "UTC"])),
    )
)]
#[get("/time-zones")]
pub async fn time_zones() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "public, max-age=86400"))
        .json(crate::domain::Zone::all())
}

/// The signed-in user's profile, with the doctor or patient part.
#[utoipa::path(
    get,
    operation_id = "getProfile",
    path = "/api/users/profile",
    tag = "users",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The profile", body = ProfileResponse),
        NotSignedIn,
    )
)]
#[get("/users/profile")]
pub async fn get_profile(
    state: web::Data<AppState>,
    user: AuthUser,
) -> Result<HttpResponse, ApiError> {
    let profile = accounts::profile(&state, user).await?;
    Ok(no_store(HttpResponse::Ok()).json(profile))
}

/// Changes the name, the time zone, a doctor's specialization, or a patient's date of
/// birth and phone.
#[utoipa::path(
    put,
    operation_id = "updateProfile",
    path = "/api/users/profile",
    tag = "users",
    security(("bearer" = [])),
    request_body = UpdateProfileRequest,
    responses(
        (status = 200, description = "The updated profile", body = ProfileResponse),
        MalformedJson,
        NotSignedIn,
        (
            status = 422,
            description = "Invalid fields, or a field of another role",
            body = Problem,
            content_type = "application/problem+json"
        ),
    )
)]
#[put("/users/profile")]
pub async fn update_profile(
    state: web::Data<AppState>,
    user: AuthUser,
    body: Json<UpdateProfileRequest>,
) -> Result<HttpResponse, ApiError> {
    let profile = accounts::update_profile(&state, user, body.into_inner()).await?;
    Ok(no_store(HttpResponse::Ok()).json(profile))
}

/// Changes the password. Every other session ends; the answer is a new session.
#[utoipa::path(
    put,
    operation_id = "changePassword",
    path = "/api/users/password",
    tag = "users",
    security(("bearer" = [])),
    request_body = ChangePasswordRequest,
    responses(
        (
            status = 200,
            description = "Changed; a new session for this client",
            body = LoginResponse
        ),
        MalformedJson,
        NotSignedIn,
        (
            status = 422,
            description = "Wrong current password, or an invalid new one",
            body = Problem,
            content_type = "application/problem+json"
        ),
    )
)]
#[put("/users/password")]
pub async fn change_password(
    state: web::Data<AppState>,
    user: AuthUser,
    ip: crate::audit::ClientIp,
    body: Json<ChangePasswordRequest>,
) -> Result<HttpResponse, ApiError> {
    let actor = crate::audit::Actor::new(user, ip);
    let session = accounts::change_password(&state, actor, body.into_inner()).await?;
    Ok(no_store(HttpResponse::Ok()).json(session))
}

/// Changes the account's email address, confirmed by the current password. The new
/// address is unconfirmed until the link sent to it is followed (a patient cannot book
/// and a doctor cannot go online meanwhile); the old address is told of the change.
#[utoipa::path(
    put,
    operation_id = "changeEmail",
    path = "/api/users/email",
    tag = "users",
    security(("bearer" = [])),
    request_body = ChangeEmailRequest,
    responses(
        (
            status = 200,
            description = "Changed; the profile, with `emailVerified: false`",
            body = ProfileResponse
        ),
        MalformedJson,
        NotSignedIn,
        (
            status = 409,
            description = "Another account has this address (`email-taken`)",
            body = Problem,
            content_type = "application/problem+json"
        ),
        (
            status = 422,
            description = "Wrong current password, not an address, or the same address",
            body = Problem,
            content_type = "application/problem+json"
        ),
        TooManyAttempts,
    )
)]
#[put("/users/email")]
pub async fn change_email(
    state: web::Data<AppState>,
    _attempt: AuthAttempt,
    user: AuthUser,
    ip: crate::audit::ClientIp,
    body: Json<ChangeEmailRequest>,
) -> Result<HttpResponse, ApiError> {
    let actor = crate::audit::Actor::new(user, ip);
    verification::change_email(&state, actor, body.into_inner()).await?;
    let profile = accounts::profile(&state, user).await?;
    Ok(no_store(HttpResponse::Ok()).json(profile))
}
