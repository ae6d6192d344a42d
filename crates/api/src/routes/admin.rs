use crate::routes::responses::{
    BadParameter, MalformedJson, NoSuchDoctor, NoSuchUser, NotAnAdmin, NotSignedIn,
};
use actix_web::{HttpResponse, delete, get, patch, post, web};
use mediconnect_shared::{
    AdminUser, AdminUserList, AdminUserQuery, Analytics, ApprovalQuery, AuditList, AuditQuery,
    DoctorApplication, DoctorApplicationList, Invitation, InvitationList, InvitationRequest,
    Notice, OutboxEntry, OutboxList, OutboxQuery, PageQuery, Problem, RejectDoctor, Timeseries,
    TimeseriesQuery, UserActivation,
};
use uuid::Uuid;

use crate::audit::{Actor, ClientIp};
use crate::auth::{AdminUser as Admin, AuthUser};
use crate::error::ApiError;
use crate::routes::auth::no_store;
use crate::routes::json::Json;
use crate::routes::query::Query;
use crate::state::AppState;
use crate::{admin, analytics, approval, invitations};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(overview)
        .service(timeseries)
        .service(users)
        .service(set_active)
        .service(send_password_reset)
        .service(doctor_applications)
        .service(approve_doctor)
        .service(reject_doctor)
        .service(create_invitation)
        .service(list_invitations)
        .service(revoke_invitation)
        .service(notifications)
        .service(retry)
        .service(audit_log);
}

/// System figures, for doctors and admins (patients get 403). Doctors also get their own.
#[utoipa::path(
    get,
    operation_id = "getAnalytics",
    path = "/api/analytics",
    tag = "analytics",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The figures", body = Analytics),
        NotSignedIn,
        (
            status = 403,
            description = "A patient",
            body = Problem,
            content_type = "application/problem+json"
        ),
    )
)]
#[get("/analytics")]
pub async fn overview(
    state: web::Data<AppState>,
    user: AuthUser,
    ip: ClientIp,
) -> Result<HttpResponse, ApiError> {
    Ok(no_store(HttpResponse::Ok()).json(analytics::get(&state, Actor::new(user, ip)).await?))
}

/// Daily buckets of a metric. Admins see the whole system; a doctor sees their own
/// appointments and online minutes.
#[utoipa::path(
    get,
    operation_id = "getAnalyticsTimeseries",
    path = "/api/analytics/timeseries",
    tag = "analytics",
    security(("bearer" = [])),
    params(TimeseriesQuery),
    responses(
        (status = 200, description = "Buckets, oldest first", body = Timeseries),
        (
            status = 400,
            description = "A bad metric or days",
            body = Problem,
            content_type = "application/problem+json"
        ),
        NotSignedIn,
        (
            status = 403,
            description = "A patient, or a doctor asking for registrations",
            body = Problem,
            content_type = "application/problem+json"
        ),
    )
)]
#[get("/analytics/timeseries")]
pub async fn timeseries(
    state: web::Data<AppState>,
    user: AuthUser,
    ip: ClientIp,
    query: Query<TimeseriesQuery>,
) -> Result<HttpResponse, ApiError> {
    Ok(no_store(HttpResponse::Ok())
        .json(analytics::timeseries(&state, Actor::new(user, ip), query.into_inner()).await?))
}

/// Users, newest first, by role, activity and a name or email search.
#[utoipa::path(
    get,
    operation_id = "listUsers",
    path = "/api/admin/users",
    tag = "admin",
    security(("bearer" = [])),
    params(AdminUserQuery, PageQuery),
    responses(
        (status = 200, description = "A page of users", body = AdminUserList),
        BadParameter,
        NotSignedIn,
        NotAnAdmin,
    )
)]
#[get("/admin/users")]
pub async fn users(
    state: web::Data<AppState>,
    admin_user: Admin,
    ip: ClientIp,
    query: Query<AdminUserQuery>,
) -> Result<HttpResponse, ApiError> {
    Ok(no_store(HttpResponse::Ok())
        .json(admin::users(&state, Actor::new(admin_user.0, ip), query.into_inner()).await?))
}

/// Sends the user a link to choose a new password, to their own address: an admin
/// never sees or sets a password. Audited.
#[utoipa::path(
    post,
    operation_id = "sendPasswordResetLink",
    path = "/api/admin/users/{id}/password-reset",
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses(
        (status = 202, description = "The link is on its way", body = Notice),
        NotSignedIn,
        NotAnAdmin,
        NoSuchUser,
        (
            status = 409,
            description = "The account is deactivated (`account-deactivated`)",
            body = Problem,
            content_type = "application/problem+json"
        ),
    )
)]
#[post("/admin/users/{id}/password-reset")]
pub async fn send_password_reset(
    state: web::Data<AppState>,
    admin_user: Admin,
    ip: ClientIp,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let actor = Actor::new(admin_user.0, ip);
    let notice = admin::send_password_reset(&state, actor, id.into_inner()).await?;
    Ok(no_store(HttpResponse::Accepted()).json(notice))
}

/// Deactivates (ending every session, taking a doctor offline) or reactivates a user.
#[utoipa::path(
    patch,
    operation_id = "setUserActive",
    path = "/api/admin/users/{id}",
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    request_body = UserActivation,
    responses(
        (status = 200, description = "The user", body = AdminUser),
        NotSignedIn,
        NotAnAdmin,
        NoSuchUser,
        (
            status = 409,
            description = "A doctor with booked appointments ahead, deactivated without \
                           `cancelAppointments: true` (`doctor-has-appointments`): the \
                           problem's `affected` lists them, and nothing changed",
            body = Problem,
            content_type = "application/problem+json"
        ),
        (
            status = 422,
            description = "Deactivating oneself, or a bad body (a reason that is not one \
                           line of 1 to 500 characters)",
            body = Problem,
            content_type = "application/problem+json"
        ),
    )
)]
#[patch("/admin/users/{id}")]
pub async fn set_active(
    state: web::Data<AppState>,
    admin_user: Admin,
    ip: ClientIp,
    id: web::Path<Uuid>,
    body: Json<UserActivation>,
) -> Result<HttpResponse, ApiError> {
    let user = admin::set_active(
        &state,
        Actor::new(admin_user.0, ip),
        id.into_inner(),
        body.into_inner(),
    )
    .await?;
    Ok(no_store(HttpResponse::Ok()).json(user))
}

/// The outbox, newest first; `status=failed` for what needs attention.
#[utoipa::path(
    get,
    operation_id = "listOutbox",
    path = "/api/admin/notifications",
    tag = "admin",
    security(("bearer" = [])),
    params(OutboxQuery, PageQuery),
    responses(
        (status = 200, description = "A page of notifications", body = OutboxList),
        BadParameter,
        NotSignedIn,
        NotAnAdmin,
    )
)]
#[get("/admin/notifications")]
pub async fn notifications(
    state: web::Data<AppState>,
    admin_user: Admin,
    ip: ClientIp,
    query: Query<OutboxQuery>,
) -> Result<HttpResponse, ApiError> {
    Ok(no_store(HttpResponse::Ok()).json(
        admin::notifications(&state, Actor::new(admin_user.0, ip), query.into_inner()).await?,
    ))
}

/// Queues a failed email again.
#[utoipa::path(
    post,
    operation_id = "retryNotification",
    path = "/api/admin/notifications/{id}/retry",
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "Queued again", body = OutboxEntry),
        NotSignedIn,
        NotAnAdmin,
        (
            status = 404,
            description = "No such notification",
            body = Problem,
            content_type = "application/problem+json"
        ),
        (
            status = 409,
            description = "Not a failed notification",
            body = Problem,
            content_type = "application/problem+json"
        ),
    )
)]
#[post("/admin/notifications/{id}/retry")]
pub async fn retry(
    state: web::Data<AppState>,
    admin_user: Admin,
    ip: ClientIp,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    Ok(no_store(HttpResponse::Ok())
        .json(admin::retry(&state, Actor::new(admin_user.0, ip), id.into_inner()).await?))
}

/// The audit trail, newest first, by actor and by target.
#[utoipa::path(
    get,
    operation_id = "listAuditLog",
    path = "/api/admin/audit",
    tag = "admin",
    security(("bearer" = [])),
    params(AuditQuery, PageQuery),
    responses(
        (status = 200, description = "A page of audit records", body = AuditList),
        BadParameter,
        NotSignedIn,
        NotAnAdmin,
    )
)]
#[get("/admin/audit")]
pub async fn audit_log(
    state: web::Data<AppState>,
    admin_user: Admin,
    ip: ClientIp,
    query: Query<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    Ok(no_store(HttpResponse::Ok())
        .json(admin::audit_log(&state, Actor::new(admin_user.0, ip), query.into_inner()).await?))
}

/// Doctors by review state: `approval=PENDING` is the queue of self-registered doctors
/// waiting for a decision (with their licence numbers), oldest first. Audited.
#[utoipa::path(
    get,
    operation_id = "listDoctorApplications",
    path = "/api/admin/doctors",
    tag = "admin",
    security(("bearer" = [])),
    params(ApprovalQuery, PageQuery),
    responses(
        (status = 200, description = "A page of doctors", body = DoctorApplicationList),
        BadParameter,
        NotSignedIn,
        NotAnAdmin,
    )
)]
#[get("/admin/doctors")]
pub async fn doctor_applications(
    state: web::Data<AppState>,
    admin_user: Admin,
    ip: ClientIp,
    query: Query<ApprovalQuery>,
) -> Result<HttpResponse, ApiError> {
    let actor = Actor::new(admin_user.0, ip);
    let list = approval::list(&state, actor, query.into_inner()).await?;
    Ok(no_store(HttpResponse::Ok()).json(list))
}

/// Approves a pending (or earlier rejected) doctor: listed from now on, free to go
/// online, and told by email. Audited.
#[utoipa::path(
    post,
    operation_id = "approveDoctor",
    path = "/api/admin/doctors/{id}/approve",
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The doctor id")),
    responses(
        (status = 200, description = "Approved", body = DoctorApplication),
        NotSignedIn,
        NotAnAdmin,
        NoSuchDoctor,
        (
            status = 409,
            description = "Approved already (`approval-decided`)",
            body = Problem,
            content_type = "application/problem+json"
        ),
    )
)]
#[post("/admin/doctors/{id}/approve")]
pub async fn approve_doctor(
    state: web::Data<AppState>,
    admin_user: Admin,
    ip: ClientIp,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let actor = Actor::new(admin_user.0, ip);
    let doctor = approval::approve(&state, actor, id.into_inner()).await?;
    Ok(no_store(HttpResponse::Ok()).json(doctor))
}

/// Turns a pending doctor down, or withdraws an approved doctor's approval (taking them
/// offline and off the list); the reason is emailed to them. An approved doctor's
/// booked appointments ahead are cancelled with `cancelAppointments: true` (each
/// patient emailed that the doctor is no longer available); without it, 409. Audited.
#[utoipa::path(
    post,
    operation_id = "rejectDoctor",
    path = "/api/admin/doctors/{id}/reject",
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The doctor id")),
    request_body = RejectDoctor,
    responses(
        (status = 200, description = "Rejected", body = DoctorApplication),
        MalformedJson,
        NotSignedIn,
        NotAnAdmin,
        NoSuchDoctor,
        (
            status = 409,
            description = "Decided already (`approval-decided`): approving an approved \
                           doctor, rejecting a rejected one; or an approved doctor with \
                           booked appointments ahead, rejected without \
                           `cancelAppointments: true` (`doctor-has-appointments`, with \
                           `affected` listing them)",
            body = Problem,
            content_type = "application/problem+json"
        ),
        (
            status = 422,
            description = "No reason, or one over 500 characters",
            body = Problem,
            content_type = "application/problem+json"
        ),
    )
)]
#[post("/admin/doctors/{id}/reject")]
pub async fn reject_doctor(
    state: web::Data<AppState>,
    admin_user: Admin,
    ip: ClientIp,
    id: web::Path<Uuid>,
    body: Json<RejectDoctor>,
) -> Result<HttpResponse, ApiError> {
    let actor = Actor::new(admin_user.0, ip);
    let doctor = approval::reject(&state, actor, id.into_inner(), body.into_inner()).await?;
    Ok(no_store(HttpResponse::Ok()).json(doctor))
}

/// Invites a doctor or an admin by email: the link lets them choose a password, and the
/// account is made with its address confirmed and (a doctor) approved. A newer
/// invitation to the same address replaces an open one. Audited.
#[utoipa::path(
    post,
    operation_id = "createInvitation",
    path = "/api/admin/invitations",
    tag = "admin",
    security(("bearer" = [])),
    request_body = InvitationRequest,
    responses(
        (status = 201, description = "Invited; the email is on its way", body = Invitation),
        MalformedJson,
        NotSignedIn,
        NotAnAdmin,
        (
            status = 409,
            description = "An account has this address already (`email-taken`)",
            body = Problem,
            content_type = "application/problem+json"
        ),
        (
            status = 422,
            description = "Invalid fields: the role is not `DOCTOR` or `ADMIN`, a doctor \
                without a specialization, an admin with one",
            body = Problem,
            content_type = "application/problem+json"
        ),
    )
)]
#[post("/admin/invitations")]
pub async fn create_invitation(
    state: web::Data<AppState>,
    admin_user: Admin,
    ip: ClientIp,
    body: Json<InvitationRequest>,
) -> Result<HttpResponse, ApiError> {
    let actor = Actor::new(admin_user.0, ip);
    let invitation = invitations::invite(&state, actor, body.into_inner()).await?;
    Ok(no_store(HttpResponse::Created()).json(invitation))
}

/// The invitations not yet accepted or revoked, newest first (expired ones marked).
#[utoipa::path(
    get,
    operation_id = "listInvitations",
    path = "/api/admin/invitations",
    tag = "admin",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Open invitations", body = InvitationList),
        NotSignedIn,
        NotAnAdmin,
    )
)]
#[get("/admin/invitations")]
pub async fn list_invitations(
    state: web::Data<AppState>,
    _admin: Admin,
) -> Result<HttpResponse, ApiError> {
    Ok(no_store(HttpResponse::Ok()).json(invitations::list(&state).await?))
}

/// Revokes an open invitation: its link stops working. Audited.
#[utoipa::path(
    delete,
    operation_id = "revokeInvitation",
    path = "/api/admin/invitations/{id}",
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses(
        (status = 204, description = "Revoked"),
        NotSignedIn,
        NotAnAdmin,
        (
            status = 404,
            description = "No open invitation has this id",
            body = Problem,
            content_type = "application/problem+json"
        ),
    )
)]
#[delete("/admin/invitations/{id}")]
pub async fn revoke_invitation(
    state: web::Data<AppState>,
    admin_user: Admin,
    ip: ClientIp,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let actor = Actor::new(admin_user.0, ip);
    invitations::revoke(&state, actor, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}
