//! Administration: users (list, deactivate, reactivate), the outbox (failed emails and
//! retries) and the audit trail. Every admin action is itself audited.

use chrono::Utc;
use diesel::prelude::*;
use mediconnect_shared::{
    AdminUser, AdminUserList, AdminUserQuery, AuditList, AuditQuery, OutboxEntry, OutboxList,
    OutboxQuery, Pagination, Role, UserActivation,
};
use uuid::Uuid;

use crate::audit::{self, Actor};
use crate::db::models::users::UserRow;
use crate::db::schema::{doctors, notifications, users};
use crate::db::{DbId, DbTime};
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
        created_at: u.created_at.0,
    }
}

pub async fn users(
    state: &AppState,
    actor: Actor,
    q: AdminUserQuery,
) -> Result<AdminUserList, ApiError> {
    let (page, limit) = crate::domain::paging(q.page, q.limit).map_err(ApiError::BadRequest)?;
    let pattern =
        crate::domain::contains_pattern(q.q.as_deref(), "q").map_err(ApiError::BadRequest)?;
    state
        .db
        .run(move |conn| {
            macro_rules! query {
                () => {{
                    let mut query = users::table.into_boxed();
                    if let Some(role) = q.role {
                        query = query.filter(users::role.eq(role.as_str()));
                    }
                    if let Some(active) = q.active {
                        query = query.filter(users::active.eq(active));
                    }
                    if let Some(p) = &pattern {
                        query = query.filter(
                            users::name_folded
                                .like(p.clone())
                                .escape('\\')
                                .or(users::email.like(p.clone()).escape('\\')),
                        );
                    }
                    query
                }};
            }
            let total: i64 = query!().count().get_result(conn)?;
            let rows: Vec<UserRow> = query!()
                .order((users::created_at.desc(), users::id.asc()))
                .limit(i64::from(limit))
                .offset(i64::from(page - 1) * i64::from(limit))
                .select(UserRow::as_select())
                .load(conn)?;
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
    let user = state
        .write(move |conn, effects| {
            let now = Utc::now();
            let row = crate::db::models::users::find(conn, id)?
                .ok_or_else(|| ApiError::NotFound("There is no such user.".into()))?;
            if row.active != change.active {
                diesel::update(users::table.find(DbId(id)))
                    .set((
                        users::active.eq(change.active),
                        users::updated_at.eq(DbTime(now)),
                    ))
                    .execute(conn)?;
                if !change.active {
                    crate::accounts::revoke_sessions(conn, effects, id, now)?;
                    if row.role() == Role::Doctor {
                        let doctor: DbId = doctors::table
                            .filter(doctors::user_id.eq(DbId(id)))
                            .select(doctors::id)
                            .first(conn)?;
                        if let Some(doctor) =
                            crate::db::models::doctors::go_offline(conn, doctor.0, now)?
                        {
                            effects.announce(conn, LiveEvent::Doctor { doctor })?;
                        }
                    }
                }
                let action = if change.active {
                    "admin.user.reactivate"
                } else {
                    "admin.user.deactivate"
                };
                audit::record(conn, &actor, action, "user", Some(id), now)?;
            }
            let row = crate::db::models::users::find(conn, id)?
                .ok_or_else(|| ApiError::NotFound("There is no such user.".into()))?;
            Ok(to_dto(&row))
        })
        .await?;
    tracing::info!(user_id = %id, active = change.active, "account activation changed by an admin");
    Ok(user)
}

type OutboxRow = (
    DbId,
    String,
    crate::db::DbOutboxStatus,
    String,
    i32,
    Option<String>,
    DbTime,
    Option<DbTime>,
    DbTime,
    String,
);

fn outbox_entry(r: OutboxRow) -> OutboxEntry {
    let (
        id,
        kind,
        status,
        email,
        attempts,
        last_error,
        created_at,
        sent_at,
        next_attempt_at,
        subject,
    ) = r;
    OutboxEntry {
        id: id.0,
        kind,
        status: status.0,
        email,
        subject,
        attempts: attempts.max(0) as u32,
        last_error,
        created_at: created_at.0,
        sent_at: sent_at.map(|t| t.0),
        next_attempt_at: next_attempt_at.0,
    }
}

macro_rules! outbox_columns {
    () => {
        (
            notifications::id,
            notifications::kind,
            notifications::status,
            notifications::email,
            notifications::attempts,
            notifications::last_error,
            notifications::created_at,
            notifications::sent_at,
            notifications::next_attempt_at,
            notifications::subject,
        )
    };
}

pub async fn notifications(
    state: &AppState,
    actor: Actor,
    q: OutboxQuery,
) -> Result<OutboxList, ApiError> {
    let (page, limit) = crate::domain::paging(q.page, q.limit).map_err(ApiError::BadRequest)?;
    state
        .db
        .run(move |conn| {
            macro_rules! query {
                () => {{
                    let mut query = notifications::table.into_boxed();
                    if let Some(s) = q.status {
                        query = query.filter(notifications::status.eq(s.as_str()));
                    }
                    query
                }};
            }
            let total: i64 = query!().count().get_result(conn)?;
            let rows: Vec<OutboxRow> = query!()
                .order((notifications::created_at.desc(), notifications::id.asc()))
                .limit(i64::from(limit))
                .offset(i64::from(page - 1) * i64::from(limit))
                .select(outbox_columns!())
                .load(conn)?;
            audit::record(
                conn,
                &actor,
                "admin.notifications.list",
                "notification",
                None,
                Utc::now(),
            )?;
            Ok(OutboxList {
                notifications: rows.into_iter().map(outbox_entry).collect(),
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
            let exists: i64 = notifications::table
                .find(DbId(id))
                .count()
                .get_result(conn)?;
            if exists == 0 {
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
            let row: OutboxRow = notifications::table
                .find(DbId(id))
                .select(outbox_columns!())
                .first(conn)?;
            Ok(outbox_entry(row))
        })
        .await?;
    Ok(entry)
}

pub async fn audit_log(
    state: &AppState,
    actor: Actor,
    q: AuditQuery,
) -> Result<AuditList, ApiError> {
    let (page, limit) = crate::domain::paging(q.page, q.limit).map_err(ApiError::BadRequest)?;
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
