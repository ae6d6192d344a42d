//! The `notification_jobs` table: one job per "doctor is online" event, which the mail
//! worker expands in batches into one outbox row per patient (ADR 0016).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::schema::notification_jobs;
use crate::db::{AnyConnection, DbId, DbJobStatus, DbTime, JobStatus};

const PENDING: DbJobStatus = DbJobStatus(JobStatus::Pending);
const DONE: DbJobStatus = DbJobStatus(JobStatus::Done);

/// A pending job, with how far it got.
#[derive(Debug, Clone, Copy)]
pub struct PendingJob {
    pub id: Uuid,
    pub doctor_id: Uuid,
    /// The user id of the last patient it read, if it has read any.
    pub cursor: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub audience_version: Option<i64>,
    pub since_version: Option<i64>,
    pub start_floor: Option<DateTime<Utc>>,
}

/// What a step of a job writes back.
#[derive(Debug, Clone, Copy)]
pub struct JobStep {
    pub cursor: Option<Uuid>,
    /// Whether the job is finished (`done`) or still `pending`.
    pub done: bool,
    pub audience_version: Option<i64>,
    pub since_version: Option<i64>,
    pub start_floor: Option<DateTime<Utc>>,
    pub earliest_alert_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

/// What a finished job covered: the audience counter before it started, and its floor
/// (no patient it covered was last alerted about the doctor before this time).
#[derive(Debug, Clone, Copy)]
pub struct Coverage {
    pub audience_version: Option<i64>,
    pub floor: Option<DateTime<Utc>>,
}

/// Whether a job for `doctor` is pending.
pub fn has_pending(conn: &mut AnyConnection, doctor: Uuid) -> QueryResult<bool> {
    let pending: i64 = notification_jobs::table
        .filter(notification_jobs::doctor_id.eq(DbId(doctor)))
        .filter(notification_jobs::status.eq(PENDING))
        .count()
        .get_result(conn)?;
    Ok(pending > 0)
}

/// Queues a pending job of `kind` for `doctor`.
pub fn insert_pending(
    conn: &mut AnyConnection,
    kind: &str,
    doctor: Uuid,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::insert_into(notification_jobs::table)
        .values((
            notification_jobs::id.eq(DbId(Uuid::new_v4())),
            notification_jobs::kind.eq(kind),
            notification_jobs::doctor_id.eq(DbId(doctor)),
            notification_jobs::status.eq(PENDING),
            notification_jobs::created_at.eq(DbTime(now)),
            notification_jobs::updated_at.eq(DbTime(now)),
        ))
        .execute(conn)?;
    Ok(())
}

/// The oldest pending job, if any.
pub fn oldest_pending(conn: &mut AnyConnection) -> QueryResult<Option<PendingJob>> {
    type Row = (
        DbId,
        DbId,
        Option<DbId>,
        DbTime,
        Option<i64>,
        Option<i64>,
        Option<DbTime>,
    );
    let row: Option<Row> = notification_jobs::table
        .filter(notification_jobs::status.eq(PENDING))
        .order(notification_jobs::created_at.asc())
        .limit(1)
        .select((
            notification_jobs::id,
            notification_jobs::doctor_id,
            notification_jobs::cursor,
            notification_jobs::created_at,
            notification_jobs::audience_version,
            notification_jobs::since_version,
            notification_jobs::start_floor,
        ))
        .first(conn)
        .optional()?;
    Ok(row.map(
        |(id, doctor, cursor, created, version, since, floor)| PendingJob {
            id: id.0,
            doctor_id: doctor.0,
            cursor: cursor.map(|c| c.0),
            created_at: created.0,
            audience_version: version,
            since_version: since,
            start_floor: floor.map(|f| f.0),
        },
    ))
}

/// Writes `step` to pending job `id` if its cursor is still `read_from`, so that of
/// two workers that read the same batch only one records it. Returns whether it did.
pub fn record_step(
    conn: &mut AnyConnection,
    id: Uuid,
    read_from: Option<Uuid>,
    step: &JobStep,
) -> QueryResult<bool> {
    let job = notification_jobs::table
        .filter(notification_jobs::id.eq(DbId(id)))
        .filter(notification_jobs::status.eq(PENDING));
    let values = (
        notification_jobs::cursor.eq(step.cursor.map(DbId)),
        notification_jobs::status.eq(if step.done { DONE } else { PENDING }),
        notification_jobs::updated_at.eq(DbTime(step.updated_at)),
        notification_jobs::audience_version.eq(step.audience_version),
        notification_jobs::since_version.eq(step.since_version),
        notification_jobs::start_floor.eq(step.start_floor.map(DbTime)),
        notification_jobs::earliest_alert_at.eq(step.earliest_alert_at.map(DbTime)),
    );
    let written = match read_from {
        Some(c) => diesel::update(job.filter(notification_jobs::cursor.eq(DbId(c))))
            .set(values)
            .execute(conn)?,
        None => diesel::update(job.filter(notification_jobs::cursor.is_null()))
            .set(values)
            .execute(conn)?,
    };
    Ok(written > 0)
}

/// What the finished job for `doctor` with a floor and the highest counter covered,
/// if there is one.
pub fn last_covering(conn: &mut AnyConnection, doctor: Uuid) -> QueryResult<Option<Coverage>> {
    let row: Option<(Option<i64>, Option<DbTime>)> = notification_jobs::table
        .filter(notification_jobs::doctor_id.eq(DbId(doctor)))
        .filter(notification_jobs::earliest_alert_at.is_not_null())
        .filter(notification_jobs::status.eq(DONE))
        .order(notification_jobs::audience_version.desc())
        .select((
            notification_jobs::audience_version,
            notification_jobs::earliest_alert_at,
        ))
        .first(conn)
        .optional()?;
    Ok(row.map(|(audience_version, floor)| Coverage {
        audience_version,
        floor: floor.map(|f| f.0),
    }))
}

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
