//! The `audit_log` table: the audit trail. Rows are only ever added (a trigger
//! refuses updates and deletes).

use diesel::prelude::*;
use uuid::Uuid;

use crate::db::connection::MultiBackend;
use crate::db::schema::audit_log;
use crate::db::{AnyConnection, DbId, DbRole, DbTime};

/// A record of the trail.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_log)]
pub struct AuditRow {
    pub id: DbId,
    pub actor_id: Option<DbId>,
    pub actor_role: DbRole,
    pub action: String,
    pub target_type: String,
    pub target_id: Option<DbId>,
    pub ip: Option<String>,
    pub at: DbTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = audit_log)]
pub struct NewAuditRow<'a> {
    pub id: DbId,
    pub actor_id: Option<DbId>,
    pub actor_role: DbRole,
    pub action: &'a str,
    pub target_type: &'a str,
    pub target_id: Option<DbId>,
    pub ip: Option<&'a str>,
    pub at: DbTime,
}

/// Adds a record to the trail.
pub fn insert(conn: &mut AnyConnection, new: &NewAuditRow<'_>) -> QueryResult<()> {
    diesel::insert_into(audit_log::table)
        .values(new)
        .execute(conn)?;
    Ok(())
}

/// Which records a listing shows; `None` leaves a field unfiltered.
#[derive(Debug, Default)]
pub struct Filter<'a> {
    pub actor: Option<Uuid>,
    pub target: Option<Uuid>,
    /// The first word of the action (`auth` matches `auth.login`).
    pub kind: Option<&'a str>,
}

fn matching(filter: &Filter<'_>) -> audit_log::BoxedQuery<'static, MultiBackend> {
    let mut query = audit_log::table.into_boxed();
    if let Some(actor) = filter.actor {
        query = query.filter(audit_log::actor_id.eq(Some(DbId(actor))));
    }
    if let Some(target) = filter.target {
        query = query.filter(audit_log::target_id.eq(Some(DbId(target))));
    }
    if let Some(kind) = filter.kind {
        query = query.filter(audit_log::action.like(format!("{kind}.%")));
    }
    query
}

/// The records that `filter` matches: how many in all, and page `page` (from 1) of
/// `limit` of them, newest first.
pub fn list(
    conn: &mut AnyConnection,
    filter: &Filter<'_>,
    page: u32,
    limit: u32,
) -> QueryResult<(i64, Vec<AuditRow>)> {
    let total = matching(filter).count().get_result(conn)?;
    let rows = matching(filter)
        .order((audit_log::at.desc(), audit_log::id.desc()))
        .limit(i64::from(limit))
        .offset(i64::from(page - 1) * i64::from(limit))
        .select(AuditRow::as_select())
        .load(conn)?;
    Ok((total, rows))
}
