//! The audit trail: who read or changed an appointment or a patient's data (other than
//! the patient), and every admin action. Records hold ids, never names, emails or
//! reasons. The table refuses updates and deletes (a trigger), and no endpoint offers
//! either.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use chrono::{DateTime, Utc};
use mediconnect_shared::{AuditEntry, AuditList, AuditQuery, Pagination, Role};
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::db::models::audit_log::{self, NewAuditRow};
use crate::db::models::users;
use crate::db::{AnyConnection, DbId, DbRole, DbTime};
use crate::error::ApiError;

/// The client's address, as the audit trail records it: by the rate limits' rule
/// ([`crate::limits::Limits::client_ip`]), so behind a trusted proxy (`TRUST_PROXY`)
/// the address it forwarded, not the proxy's.
#[derive(Debug, Clone, Default)]
pub struct ClientIp(pub Option<String>);

impl FromRequest for ClientIp {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let ip = match req.app_data::<actix_web::web::Data<crate::limits::Limits>>() {
            Some(limits) => limits.client_ip(req),
            None => req.peer_addr().map(|a| a.ip()),
        };
        ready(Ok(ClientIp(ip.map(|ip| ip.to_string()))))
    }
}

/// Who acts, from where.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user: AuthUser,
    pub ip: Option<String>,
}

impl Actor {
    pub fn new(user: AuthUser, ip: ClientIp) -> Actor {
        Actor { user, ip: ip.0 }
    }
}

pub fn record(
    conn: &mut AnyConnection,
    actor: &Actor,
    action: &str,
    target_type: &str,
    target: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    insert(
        conn,
        &Event {
            actor_id: Some(actor.user.id),
            actor_role: actor.user.role,
            action,
            target_type,
            target,
            ip: actor.ip.as_deref(),
        },
        now,
    )
}

/// A row of the trail. A security event about an account whose actor is not known
/// (a failed sign-in) has no actor id and the account's role.
pub struct Event<'a> {
    pub actor_id: Option<Uuid>,
    pub actor_role: Role,
    pub action: &'a str,
    pub target_type: &'a str,
    pub target: Option<Uuid>,
    pub ip: Option<&'a str>,
}

pub fn insert(conn: &mut AnyConnection, e: &Event<'_>, now: DateTime<Utc>) -> Result<(), ApiError> {
    audit_log::insert(
        conn,
        &NewAuditRow {
            id: DbId(Uuid::new_v4()),
            actor_id: e.actor_id.map(DbId),
            actor_role: DbRole(e.actor_role),
            action: e.action,
            target_type: e.target_type,
            target_id: e.target.map(DbId),
            ip: e.ip,
            at: DbTime(now),
        },
    )?;
    Ok(())
}

/// The kinds of the trail's actions, by their first word, for `GET /api/admin/audit?kind=`.
pub const KINDS: &[&str] = &["auth", "user", "admin", "appointment", "consult"];

pub fn list(
    conn: &mut AnyConnection,
    q: &AuditQuery,
    page: u32,
    limit: u32,
) -> Result<AuditList, ApiError> {
    let filter = audit_log::Filter {
        actor: q.actor,
        target: q.target,
        kind: q.kind.as_deref(),
    };
    let (total, rows) = audit_log::list(conn, &filter, page, limit)?;
    // Names are resolved now, for the admin reading, and never stored in the trail: a
    // renamed or erased account reads as it is today.
    let mut people: Vec<Uuid> = rows
        .iter()
        .filter_map(|r| r.actor_id)
        .map(|id| id.0)
        .collect();
    people.extend(
        rows.iter()
            .filter(|r| r.target_type == "user")
            .filter_map(|r| r.target_id)
            .map(|id| id.0),
    );
    let names = users::names_of(conn, &people)?;
    let name_of = |id: Option<DbId>| id.and_then(|id| names.get(&id.0).cloned());
    Ok(AuditList {
        entries: rows
            .into_iter()
            .map(|r| AuditEntry {
                id: r.id.0,
                actor_id: r.actor_id.map(|a| a.0),
                actor_name: name_of(r.actor_id),
                actor_role: r.actor_role.0,
                target_name: if r.target_type == "user" {
                    name_of(r.target_id)
                } else {
                    None
                },
                action: r.action,
                target_type: r.target_type,
                target_id: r.target_id.map(|t| t.0),
                ip: r.ip,
                at: r.at.0,
            })
            .collect(),
        pagination: Pagination::new(page, limit, total.max(0) as u64),
    })
}
