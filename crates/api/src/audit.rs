//! The audit trail: who read or changed an appointment or a patient's data (other than
//! the patient), and every admin action. Records hold ids, never names, emails or
//! reasons. The table refuses updates and deletes (a trigger), and no endpoint offers
//! either.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use mediconnect_shared::{AuditEntry, AuditList, AuditQuery, Pagination, Role};
use uuid::Uuid;

use crate::auth::AuthUser;
use crate::db::schema::audit_log;
use crate::db::{AnyConnection, DbId, DbTime};
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
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::id.eq(DbId(Uuid::new_v4())),
            audit_log::actor_id.eq(e.actor_id.map(DbId)),
            audit_log::actor_role.eq(e.actor_role.as_str()),
            audit_log::action.eq(e.action),
            audit_log::target_type.eq(e.target_type),
            audit_log::target_id.eq(e.target.map(DbId)),
            audit_log::ip.eq(e.ip),
            audit_log::at.eq(DbTime(now)),
        ))
        .execute(conn)?;
    Ok(())
}

/// The kinds of the trail's actions, by their first word, for `GET /api/admin/audit?kind=`.
pub const KINDS: &[&str] = &["auth", "user", "admin", "appointment"];

type AuditRow = (
    DbId,
    Option<DbId>,
    crate::db::DbRole,
    String,
    String,
    Option<DbId>,
    Option<String>,
    DbTime,
);

pub fn list(
    conn: &mut AnyConnection,
    q: &AuditQuery,
    page: u32,
    limit: u32,
) -> Result<AuditList, ApiError> {
    macro_rules! query {
        () => {{
            let mut query = audit_log::table.into_boxed();
            if let Some(actor) = q.actor {
                query = query.filter(audit_log::actor_id.eq(Some(DbId(actor))));
            }
            if let Some(target) = q.target {
                query = query.filter(audit_log::target_id.eq(Some(DbId(target))));
            }
            if let Some(kind) = &q.kind {
                query = query.filter(audit_log::action.like(format!("{kind}.%")));
            }
            query
        }};
    }
    let total: i64 = query!().count().get_result(conn)?;
    let rows: Vec<AuditRow> = query!()
        .order((audit_log::at.desc(), audit_log::id.desc()))
        .limit(i64::from(limit))
        .offset(i64::from(page - 1) * i64::from(limit))
        .select(audit_log::all_columns)
        .load(conn)?;
    // Names are resolved now, for the admin reading, and never stored in the trail: a
    // renamed or erased account reads as it is today.
    let mut people: Vec<DbId> = rows.iter().filter_map(|r| r.1).collect();
    people.extend(rows.iter().filter(|r| r.4 == "user").filter_map(|r| r.5));
    let names: std::collections::HashMap<Uuid, String> = crate::db::schema::users::table
        .filter(crate::db::schema::users::id.eq_any(people))
        .select((crate::db::schema::users::id, crate::db::schema::users::name))
        .load::<(DbId, String)>(conn)?
        .into_iter()
        .map(|(id, name)| (id.0, name))
        .collect();
    let name_of = |id: Option<DbId>| id.and_then(|id| names.get(&id.0).cloned());
    Ok(AuditList {
        entries: rows
            .into_iter()
            .map(
                |(id, actor, role, action, target_type, target, ip, at)| AuditEntry {
                    id: id.0,
                    actor_id: actor.map(|a| a.0),
                    actor_name: name_of(actor),
                    actor_role: role.0,
                    target_name: if target_type == "user" {
                        name_of(target)
                    } else {
                        None
                    },
                    action,
                    target_type,
                    target_id: target.map(|t| t.0),
                    ip,
                    at: at.0,
                },
            )
            .collect(),
        pagination: Pagination::new(page, limit, total.max(0) as u64),
    })
}
