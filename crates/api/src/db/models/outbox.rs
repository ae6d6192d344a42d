//! The outbox as the admin and the reports read it: rows of the `notifications` table
//! (one per email), listed, looked up and counted by status. Nothing here writes; the
//! mail worker's own queries on the table are with the mail code.

use diesel::prelude::*;
use mediconnect_shared::{OutboxEntry, OutboxStatus};
use uuid::Uuid;

use crate::db::schema::notifications;
use crate::db::{AnyConnection, DbId, DbOutboxStatus, DbTime};

/// An email of the outbox, without its content.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = notifications)]
pub struct OutboxRow {
    pub id: DbId,
    pub kind: String,
    pub status: DbOutboxStatus,
    pub email: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: DbTime,
    pub sent_at: Option<DbTime>,
    pub next_attempt_at: DbTime,
    pub subject: String,
}

impl From<OutboxRow> for OutboxEntry {
    fn from(r: OutboxRow) -> Self {
        OutboxEntry {
            id: r.id.0,
            kind: r.kind,
            status: r.status.0,
            email: r.email,
            subject: r.subject,
            attempts: r.attempts.max(0) as u32,
            last_error: r.last_error,
            created_at: r.created_at.0,
            sent_at: r.sent_at.map(|t| t.0),
            next_attempt_at: r.next_attempt_at.0,
        }
    }
}

/// The emails with `status` (all if `None`): how many in all, and page `page` (from 1)
/// of `limit` of them, newest first.
pub fn list(
    conn: &mut AnyConnection,
    status: Option<OutboxStatus>,
    page: u32,
    limit: u32,
) -> QueryResult<(i64, Vec<OutboxRow>)> {
    let matching = || {
        let mut query = notifications::table.into_boxed();
        if let Some(s) = status {
            query = query.filter(notifications::status.eq(s.as_str()));
        }
        query
    };
    let total = matching().count().get_result(conn)?;
    let rows = matching()
        .order((notifications::created_at.desc(), notifications::id.asc()))
        .limit(i64::from(limit))
        .offset(i64::from(page - 1) * i64::from(limit))
        .select(OutboxRow::as_select())
        .load(conn)?;
    Ok((total, rows))
}

/// One email by id.
pub fn find(conn: &mut AnyConnection, id: Uuid) -> QueryResult<Option<OutboxRow>> {
    notifications::table
        .find(DbId(id))
        .select(OutboxRow::as_select())
        .first(conn)
        .optional()
}

/// How many emails have each status; a status no email has is missing.
pub fn count_by_status(conn: &mut AnyConnection) -> QueryResult<Vec<(OutboxStatus, i64)>> {
    let rows: Vec<(DbOutboxStatus, i64)> = notifications::table
        .group_by(notifications::status)
        .select((notifications::status, diesel::dsl::count_star()))
        .load(conn)?;
    Ok(rows.into_iter().map(|(s, n)| (s.0, n)).collect())
}
