//! Administration: users (list, deactivate, reactivate), the outbox (failed emails and
//! retries) and the audit trail. Every admin action is itself audited.

use chrono::Utc;
use diesel::result::Error::NotFound;
use mediconnect_shared::{
    AdminUser, AdminUserList, AdminUserQuery, AuditList, AuditQuery, Notice, OutboxEntry,
    OutboxList, OutboxQuery, Pagination, Role, UserActivation,
};
use uuid::Uuid;

use crate::audit::{self, Actor};
use crate::db::models::users::{self, UserRow};
use crate::db::models::{doctors, notifications as outbox};
use crate::error::ApiError;
use crate::live::bridge::LiveEvent;
use crate::state::AppState;

fn to_dto(u: &UserRow) -> AdminUser {
    AdminUser {
        id: u.id.0,
        name: u.name.clone(),
        email: u.email.clone(),
        role: u.role(),
        active: u.active,
        email_verified: u.email_verified(),
        created_at: u.created_at.0,
    }
}

pub async fn users(
    state: &AppState,
    actor: Actor,
    q: AdminUserQuery,
) -> Result<AdminUserList, ApiError> {
    let (page, limit) = crate::domain::paging(q.paging).map_err(ApiError::BadRequest)?;
    let pattern =
        crate::domain::contains_pattern(q.q.as_deref(), "q").map_err(ApiError::BadRequest)?;
    state
        .db
        .run(move |conn| {
            let filter = users::Filter {
                role: q.role,
                active: q.active,
                pattern,
            };
            let (total, rows) = users::list(conn, &filter, page, limit)?;
            audit::record(conn, &actor, "admin.users.list", "user", None, Utc::now())?;
            Ok(AdminUserList {
                users: rows.iter().map(to_dto).collect(),
                pagination: Pagination::new(page, limit, total.max(0) as u64),
            })
        })
        .await
}

/// Deactivates or reactivates an account. Deactivation ends its sessions (refresh
/// tokens revoked, access tokens refused, sockets closed) and takes a doctor offline.
/// Sends the user a link to choose a new password (an admin never sees or sets one);
/// a deactivated account is refused (409): reactivate it first.
pub async fn send_password_reset(
    state: &AppState,
    actor: Actor,
    id: Uuid,
) -> Result<Notice, ApiError> {
    let ctx = state.mail_ctx.clone();
    state
        .write(move |conn, effects| {
            let now = Utc::now();
            let row = users::find(conn, id)?
                .ok_or_else(|| ApiError::NotFound("There is no such user.".into()))?;
            if !row.active {
                return Err(ApiError::Conflict {
                    rule: "account-deactivated",
                    detail: "This account is deactivated: reactivate it before sending it a \
                             password link."
                        .into(),
                });
            }
            crate::recovery::queue_link(conn, effects, &ctx, &row, now)?;
            audit::record(
                conn,
                &actor,
                "admin.user.password_reset",
                "user",
                Some(id),
                now,
            )
        })
        .await?;
    Ok(Notice {
        message: format!(
            "A link to choose a new password was sent to the user's address. It works for {} \
             minutes; their current password works until they use it.",
            crate::recovery::RESET_LINK_MINUTES
        ),
    })
}

/// The longest reason an admin gives for cancelling a departing doctor's bookings.
pub const REASON_MAX: usize = 500;

/// The admin's reason for cancelling a departing doctor's bookings, if given.
pub fn parse_reason(reason: Option<&str>) -> Result<Option<String>, ApiError> {
    reason
        .map(|r| {
            crate::domain::single_line(r, "Reason", REASON_MAX)
                .map_err(|m| ApiError::field("reason", m))
        })
        .transpose()
}

/// Takes a departing doctor offline and, with `cancel`, cancels their appointments
/// ahead for `reason` (said by `actor`); without it, 409 `doctor-has-appointments`
/// lists them and nothing changes.
pub fn depart(
    conn: &mut crate::db::AnyConnection,
    effects: &mut crate::live::effects::Effects,
    ctx: &crate::mail::MailContext,
    (actor, doctor): (Uuid, Uuid),
    (cancel, reason): (bool, Option<&str>),
    now: chrono::DateTime<Utc>,
) -> Result<(), ApiError> {
    use crate::appointments::{ahead, count_appointments, it_or_them, refuse_unless, withdraw};
    let rows = ahead(conn, doctor, now)?;
    let name = doctors::name(conn, doctor)?;
    refuse_unless(cancel, &rows, "doctor-has-appointments", |n| {
        format!(
            "{name} has {} ahead. Send cancelAppointments: true to cancel {} (each \
             patient is emailed, with the reason if you give one).",
            count_appointments(n),
            it_or_them(n),
        )
    })?;
    if let Some(doctor) = doctors::go_offline(conn, doctor, now)? {
        effects.announce(conn, LiveEvent::Doctor { doctor })?;
    }
    crate::live::queue::end_queue(conn, effects, ctx, doctor, now)?;
    if !rows.is_empty() {
        let reason = reason
            .map(str::to_owned)
            .unwrap_or_else(|| format!("{name} is no longer available at this clinic."));
        withdraw(conn, effects, ctx, rows, actor, &reason, now)?;
    }
    Ok(())
}

pub async fn set_active(
    state: &AppState,
    actor: Actor,
    id: Uuid,
    change: UserActivation,
) -> Result<AdminUser, ApiError> {
    if id == actor.user.id && !change.active {
        return Err(ApiError::Unprocessable(
            "You cannot deactivate your own account.".into(),
        ));
    }
    let reason = parse_reason(change.reason.as_deref())?;
    let ctx = state.mail_ctx.clone();
    let user = state
        .write(move |conn, effects| {
            let now = Utc::now();
            let row = users::find(conn, id)?
                .ok_or_else(|| ApiError::NotFound("There is no such user.".into()))?;
            if row.active != change.active {
                if !change.active && row.role() == Role::Doctor {
                    let doctor = doctors::find_by_user(conn, id)?.ok_or(NotFound)?;
                    let cancel = (change.cancel_appointments, reason.as_deref());
                    depart(
                        conn,
                        effects,
                        &ctx,
                        (actor.user.id, doctor.id.0),
                        cancel,
                        now,
                    )?;
                }
                users::set_active(conn, id, change.active, now)?;
                if !change.active {
                    crate::accounts::revoke_sessions(conn, effects, id, now)?;
                }
                let action = if change.active {
                    "admin.user.reactivate"
                } else {
                    "admin.user.deactivate"
                };
                audit::record(conn, &actor, action, "user", Some(id), now)?;
            }
            let row = users::find(conn, id)?
                .ok_or_else(|| ApiError::NotFound("There is no such user.".into()))?;
            Ok(to_dto(&row))
        })
        .await?;
    tracing::info!(user_id = %id, active = change.active, "account activation changed by an admin");
    Ok(user)
}

pub async fn notifications(
    state: &AppState,
    actor: Actor,
    q: OutboxQuery,
) -> Result<OutboxList, ApiError> {
    let (page, limit) = crate::domain::paging(q.paging).map_err(ApiError::BadRequest)?;
    state
        .db
        .run(move |conn| {
            let (total, rows) = outbox::list(conn, q.status, page, limit)?;
            audit::record(
                conn,
                &actor,
                "admin.notifications.list",
                "notification",
                None,
                Utc::now(),
            )?;
            Ok(OutboxList {
                notifications: rows.into_iter().map(OutboxEntry::from).collect(),
                pagination: Pagination::new(page, limit, total.max(0) as u64),
            })
        })
        .await
}

/// Queues a failed email again, from a fresh attempt count.
pub async fn retry(state: &AppState, actor: Actor, id: Uuid) -> Result<OutboxEntry, ApiError> {
    let entry = state
        .write(move |conn, effects| {
            let now = Utc::now();
            if outbox::find(conn, id)?.is_none() {
                return Err(ApiError::NotFound("There is no such notification.".into()));
            }
            if !crate::mail::outbox::retry(conn, id, now)? {
                return Err(ApiError::Conflict {
                    rule: "notification-not-failed",
                    detail: "Only a failed notification can be retried.".into(),
                });
            }
            effects.wake_mail();
            audit::record(
                conn,
                &actor,
                "admin.notification.retry",
                "notification",
                Some(id),
                now,
            )?;
            let row = outbox::find(conn, id)?.ok_or(NotFound)?;
            Ok(OutboxEntry::from(row))
        })
        .await?;
    Ok(entry)
}

pub async fn audit_log(
    state: &AppState,
    actor: Actor,
    q: AuditQuery,
) -> Result<AuditList, ApiError> {
    let (page, limit) = crate::domain::paging(q.paging).map_err(ApiError::BadRequest)?;
    if let Some(kind) = &q.kind
        && !audit::KINDS.contains(&kind.as_str())
    {
        return Err(ApiError::BadRequest(format!(
            "kind must be one of {}",
            audit::KINDS.join(", ")
        )));
    }
    state
        .db
        .run(move |conn| {
            let list = audit::list(conn, &q, page, limit)?;
            audit::record(conn, &actor, "admin.audit.list", "audit", None, Utc::now())?;
            Ok(list)
        })
        .await
}
