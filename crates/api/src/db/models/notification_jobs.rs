//! The `notification_jobs` table: one job per "doctor is online" event, which the mail
//! worker expands in batches into one outbox row per patient (ADR 0016).

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::db::schema::notification_jobs;
use crate::db::{AnyConnection, DbId, DbJobStatus, DbTime, JobStatus};

const DONE: DbJobStatus = DbJobStatus(JobStatus::Done);

/// Deletes up to `limit` finished jobs queued before `before`, oldest first, and
/// returns how many went. Pending jobs are never deleted.
pub fn delete_done(
    conn: &mut AnyConnection,
    before: DateTime<Utc>,
    limit: i64,
) -> QueryResult<usize> {
    let old: Vec<DbId> = notification_jobs::table
        .filter(notification_jobs::status.eq(DONE))
        .filter(notification_jobs::created_at.lt(DbTime(before)))
        .order(notification_jobs::created_at.asc())
        .select(notification_jobs::id)
        .limit(limit)
        .load(conn)?;
    diesel::delete(
        notification_jobs::table
            .filter(notification_jobs::id.eq_any(&old))
            .filter(notification_jobs::status.eq(DONE)),
    )
    .execute(conn)
}
