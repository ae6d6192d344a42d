use crate::routes::responses::{MalformedJson, MissingFields, NotSignedIn, TooManyAttempts};
use actix_web::{HttpResponse, post, web};
use mediconnect_shared::{
    AcceptInvitation, LoginRequest, LoginResponse, Notice, PasswordResetConfirm,
    PasswordResetRequest, Problem, RefreshRequest, RegisterRequest, RegisterResponse,
    VerifyEmailRequest,
};

use crate::error::ApiError;
use crate::limits::AuthAttempt;
use crate::routes::json::Json;
use crate::state::AppState;
use crate::{accounts, invitations, recovery, verification};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(register)
        .service(login)
        .service(refresh)
        .service(logout)
        .service(request_password_reset)
        .service(confirm_password_reset)
        .service(verify_email)
        .service(resend_verification)
        .service(accept_invitation);
}

/// Creates a doctor or patient account.
#[utoipa::path(
    post,
    operation_id = "register",
    path = "/api/auth/register",
    tag = "auth",
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "Account created", body = RegisterResponse),
        MalformedJson,
        (
            status = 403,
            description = "`role: ADMIN` cannot be registered",
            body = Problem,
            content_type = "application/problem+json"
        ),
        (
            status = 409,
            description = "The email is taken, in any letter case",
            body = Problem,
            content_type = "application/problem+json"
        ),
        (
            status = 413,
            description = "Body over 64 KiB",
            body = Problem,
            content_type = "application/problem+json"
        ),
        (
            status = 422,
            description = "Invalid fields",
            body = Problem,
            content_type = "application/problem+json"
        ),
        TooManyAttempts,
    )
)]
#[post("/auth/register")]
pub async fn register(
    state: web::Data<AppState>,
    _attempt: AuthAttempt,
    body: Json<RegisterRequest>,
) -> Result<HttpResponse, ApiError> {
    state
        .limits
        .account_attempt(&format!("register:{}", body.email.trim()))?;
    let created = accounts::register(&state, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(created))
}

/// Exchanges an email and password for an access token and a refresh token.
#[utoipa::path(
    post,
    operation_id = "login",
    path = "/api/auth/login",
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = LoginResponse),
        MalformedJson,
        (
            status = 401,
            description = "Wrong email or password (one answer for both)",
            body = Problem,
            content_type = "application/problem+json"
        ),
        (
            status = 403,
            description = "The account is deactivated",
            body = Problem,
            content_type = "application/problem+json"
        ),
        MissingFields,
        TooManyAttempts,
    )
)]
#[post("/auth/login")]
pub async fn login(
    state: web::Data<AppState>,
    _attempt: AuthAttempt,
    ip: crate::audit::ClientIp,
    body: Json<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    // Per account too: guessing one account's password from many addresses is slow.
    state
        .limits
        .account_attempt(&format!("login:{}", body.email.trim()))?;
    let session = accounts::login(&state, body.into_inner(), ip).await?;
    Ok(no_store(HttpResponse::Ok()).json(session))
}

/// Spends a refresh token for a new pair. Presenting a spent token ends the session.
#[utoipa::path(
    post,
    operation_id = "refreshSession",
    path = "/api/auth/refresh",
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "A new access token and refresh token", body = LoginResponse),
        MalformedJson,
        (
            status = 401,
            description = "Unknown, expired, spent or revoked refresh token",
            body = Problem,
            content_type = "application/problem+json"
        ),
        MissingFields,
        TooManyAttempts,
    )
)]
#[post("/auth/refresh")]
pub async fn refresh(
    state: web::Data<AppState>,
    _attempt: AuthAttempt,
    body: Json<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    state.limits.account_attempt(&format!(
        "refresh:{}",
        crate::auth::refresh::digest(&body.refresh_token)
    ))?;
    let session = accounts::refresh(&state, body.into_inner().refresh_token).await?;
    Ok(no_store(HttpResponse::Ok()).json(session))
}

/// Ends the session the refresh token belongs to. Answers 204 even for an unknown token.
#[utoipa::path(
    post,
    operation_id = "logout",
    path = "/api/auth/logout",
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 204, description = "The session is ended"),
        MalformedJson,
        MissingFields,
    )
)]
#[post("/auth/logout")]
pub async fn logout(
    state: web::Data<AppState>,
    body: Json<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    accounts::logout(&state, body.into_inner().refresh_token).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub(crate) fn no_store(mut res: actix_web::HttpResponseBuilder) -> actix_web::HttpResponseBuilder {
    res.insert_header(("Cache-Control", "no-store"));
    res
}

/// Asks for a link to choose a new password, sent to the address if an active account
/// has it. The answer is the same, and as fast, whether or not it does.
#[utoipa::path(
    post,
    operation_id = "requestPasswordReset",
    path = "/api/auth/password-reset",
    tag = "auth",
    request_body = PasswordResetRequest,
    responses(
        (
            status = 202,
            description = "Always the same message: a link was sent if the account exists",
            body = Notice
        ),
        MalformedJson,
        (
            status = 422,
            description = "Not an email address at all, or a field missing",
            body = Problem,
            content_type = "application/problem+json"
        ),
        TooManyAttempts,
    )
)]
#[post("/auth/password-reset")]
pub async fn request_password_reset(
    state: web::Data<AppState>,
    _attempt: AuthAttempt,
    body: Json<PasswordResetRequest>,
) -> Result<HttpResponse, ApiError> {
    // Per address too: nobody is sent a flood of links.
    state
        .limits
        .account_attempt(&format!("reset:{}", body.email.trim()))?;
    recovery::request_reset(&state.clone().into_inner(), body.into_inner())?;
    Ok(no_store(HttpResponse::Accepted()).json(recovery::requested()))
}

/// Sets a new password with the token of a reset link. The account is signed out on
/// every device, and its owner told by email.
#[utoipa::path(
    post,
    operation_id = "confirmPasswordReset",
    path = "/api/auth/password-reset/confirm",
    tag = "auth",
    request_body = PasswordResetConfirm,
    responses(
        (status = 204, description = "The password is set; every session was ended"),
        (
            status = 400,
            description = "Malformed JSON, or a link used already, expired, replaced or \
                unknown (`link-invalid`)",
            body = Problem,
            content_type = "application/problem+json"
        ),
        (
            status = 422,
            description = "The new password breaks the rules of registration",
            body = Problem,
            content_type = "application/problem+json"
        ),
        TooManyAttempts,
    )
)]
#[post("/auth/password-reset/confirm")]
pub async fn confirm_password_reset(
    state: web::Data<AppState>,
    _attempt: AuthAttempt,
    ip: crate::audit::ClientIp,
    body: Json<PasswordResetConfirm>,
) -> Result<HttpResponse, ApiError> {
    recovery::confirm_reset(&state, body.into_inner(), ip).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Confirms an account's email address with the token of the link sent to it. No
/// session is needed: the link may be opened on another device.
#[utoipa::path(
    post,
    operation_id = "verifyEmail",
    path = "/api/auth/verify-email",
    tag = "auth",
    request_body = VerifyEmailRequest,
    responses(
        (status = 204, description = "The address is confirmed"),
        (
            status = 400,
            description = "Malformed JSON, or a link used already, expired, replaced or \
                unknown (`link-invalid`)",
            body = Problem,
            content_type = "application/problem+json"
        ),
        MissingFields,
        TooManyAttempts,
    )
)]
#[post("/auth/verify-email")]
pub async fn verify_email(
    state: web::Data<AppState>,
    _attempt: AuthAttempt,
    ip: crate::audit::ClientIp,
    body: Json<VerifyEmailRequest>,
) -> Result<HttpResponse, ApiError> {
    verification::confirm(&state, body.into_inner(), ip).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Sends the signed-in user a new link to confirm their address (earlier links stop
/// working), unless it is confirmed already; the message says which.
#[utoipa::path(
    post,
    operation_id = "resendVerification",
    path = "/api/auth/verify-email/resend",
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 202, description = "What was done, for the user", body = Notice),
        NotSignedIn,
        TooManyAttempts,
    )
)]
#[post("/auth/verify-email/resend")]
pub async fn resend_verification(
    state: web::Data<AppState>,
    _attempt: AuthAttempt,
    user: crate::auth::AuthUser,
) -> Result<HttpResponse, ApiError> {
    let notice = verification::resend(&state, user).await?;
    Ok(no_store(HttpResponse::Accepted()).json(notice))
}

/// Accepts an invitation with the token of its link and a new password: the account
/// is made (address confirmed; a doctor approved) and signed in.
#[utoipa::path(
    post,
    operation_id = "acceptInvitation",
    path = "/api/auth/accept-invitation",
    tag = "auth",
    request_body = AcceptInvitation,
    responses(
        (status = 200, description = "The account is made; a session", body = LoginResponse),
        (
            status = 400,
            description = "Malformed JSON, or an invitation accepted already, expired, \
                revoked, replaced or unknown (`link-invalid`)",
            body = Problem,
            content_type = "application/problem+json"
        ),
        (
            status = 409,
            description = "An account with the invited address was made meanwhile \
                (`email-taken`)",
            body = Problem,
            content_type = "application/problem+json"
        ),
        (
            status = 422,
            description = "The password breaks the rules of registration",
            body = Problem,
            content_type = "application/problem+json"
        ),
        TooManyAttempts,
    )
)]
#[post("/auth/accept-invitation")]
pub async fn accept_invitation(
    state: web::Data<AppState>,
    _attempt: AuthAttempt,
    ip: crate::audit::ClientIp,
    body: Json<AcceptInvitation>,
) -> Result<HttpResponse, ApiError> {
    let session = invitations::accept(&state, body.into_inner(), ip).await?;
    Ok(no_store(HttpResponse::Ok()).json(session))
}
