//! The outbox table: enqueue (inside the caller's transaction), claim due rows (with a
//! lease, `FOR UPDATE SKIP LOCKED` on PostgreSQL so replicas never take the same row),
//! record the outcome with retries, and expand "doctor is online" jobs in batches.

use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::schema::{doctors, notification_jobs, notifications, users};
use crate::db::{
    AnyConnection, DbId, DbJobStatus, DbOutboxStatus, DbTime, JobStatus, write_transaction,
};
use crate::error::ApiError;
pub use crate::mail::email::{Email, Kind};
use mediconnect_shared::OutboxStatus;

/// The statuses of outbox rows and alert jobs, as the queries write and compare them.
pub(crate) const QUEUED: DbOutboxStatus = DbOutboxStatus(OutboxStatus::Queued);
pub(crate) const SENT: DbOutboxStatus = DbOutboxStatus(OutboxStatus::Sent);
pub(crate) const FAILED: DbOutboxStatus = DbOutboxStatus(OutboxStatus::Failed);
pub(crate) const EXPIRED: DbOutboxStatus = DbOutboxStatus(OutboxStatus::Expired);
pub(crate) const JOB_PENDING: DbJobStatus = DbJobStatus(JobStatus::Pending);
pub(crate) const JOB_DONE: DbJobStatus = DbJobStatus(JobStatus::Done);

/// After this many failed attempts a row is `failed`.
pub const MAX_ATTEMPTS: i32 = 12;
/// A claimed row is not claimed again for this long (a crash mid-send frees it).
pub const LEASE: Duration = Duration::from_secs(120);

/// A row as the worker sends it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = notifications)]
pub struct OutboxRow {
    pub id: DbId,
    pub email: String,
    pub subject: String,
    pub content: String,
    pub attempts: i32,
    pub html: Option<String>,
    pub ics: Option<String>,
    pub unsubscribe_url: Option<String>,
}

pub fn enqueue(
    conn: &mut AnyConnection,
    email: &Email,
    now: DateTime<Utc>,
) -> Result<Uuid, ApiError> {
    let id = Uuid::new_v4();
    diesel::insert_into(notifications::table)
        .values((
            notifications::id.eq(DbId(id)),
            notifications::email.eq(&email.to),
            notifications::subject.eq(&email.subject),
            notifications::content.eq(&email.text),
            notifications::sent.eq(false),
            notifications::created_at.eq(DbTime(now)),
            notifications::kind.eq(email.kind.as_str()),
            notifications::user_id.eq(email.user_id.map(DbId)),
            notifications::doctor_id.eq(email.doctor_id.map(DbId)),
            notifications::status.eq(QUEUED),
            notifications::attempts.eq(0),
            notifications::next_attempt_at.eq(DbTime(now)),
            notifications::html.eq(Some(&email.html)),
            notifications::ics.eq(email.ics.as_deref()),
            notifications::unsubscribe_url.eq(email.unsubscribe_url.as_deref()),
        ))
        .execute(conn)?;
    Ok(id)
}

/// Marks `expired` every queued "doctor is online" email that would arrive too late:
/// queued more than `max_delay` before `now`, or about a doctor who is offline (or
/// gone) now. Such an email is never sent. Other mail never expires. Returns how many.
pub fn expire_late_alerts(
    conn: &mut AnyConnection,
    max_delay: Duration,
    now: DateTime<Utc>,
) -> Result<usize, ApiError> {
    let deadline = now - chrono::Duration::from_std(max_delay).unwrap_or_default();
    let online_doctors = doctors::table
        .inner_join(users::table)
        .filter(doctors::is_online.eq(true))
        .filter(users::active.eq(true))
        .select(doctors::id.nullable());
    Ok(diesel::update(
        notifications::table
            .filter(notifications::status.eq(QUEUED))
            .filter(notifications::kind.eq(Kind::DoctorOnline.as_str()))
            .filter(
                notifications::created_at
                    .lt(DbTime(deadline))
                    .or(notifications::doctor_id.is_null())
                    .or(diesel::dsl::not(
                        notifications::doctor_id.eq_any(online_doctors),
                    )),
            ),
    )
    .set((
        notifications::status.eq(EXPIRED),
        notifications::last_error.eq(Some(EXPIRED_NOTE)),
    ))
    .execute(conn)?)
}

/// What an expired alert's row says instead of an SMTP error.
pub const EXPIRED_NOTE: &str =
    "expired: not sent in time, or the doctor went offline before it could be sent";

/// Takes up to `limit` due rows for sending: each is leased (not due again for
/// [`LEASE`]) and its attempt counted, so a crash mid-send frees it for a retry.
/// "Doctor is online" emails that would arrive too late expire first
/// ([`expire_late_alerts`]).
pub fn claim(
    conn: &mut AnyConnection,
    limit: i64,
    alert_max_delay: Duration,
    now: DateTime<Utc>,
) -> Result<Vec<OutboxRow>, ApiError> {
    write_transaction(conn, |conn| {
        let expired = expire_late_alerts(conn, alert_max_delay, now)?;
        if expired > 0 {
            tracing::info!(expired, "alerts expired before they could be sent");
        }
        let due = notifications::table
            .filter(notifications::status.eq(QUEUED))
            .filter(notifications::next_attempt_at.le(DbTime(now)))
            .order(notifications::next_attempt_at.asc())
            .limit(limit)
            .select(notifications::id);
        let ids: Vec<DbId> = match conn {
            AnyConnection::Postgresql(pg) => due.for_update().skip_locked().load(pg)?,
            AnyConnection::Sqlite(c) => due.load(c)?,
        };
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let lease = chrono::Duration::from_std(LEASE).unwrap_or_default();
        diesel::update(notifications::table.filter(notifications::id.eq_any(&ids)))
            .set((
                notifications::attempts.eq(notifications::attempts + 1),
                notifications::next_attempt_at.eq(DbTime(now + lease)),
            ))
            .execute(conn)?;
        Ok(notifications::table
            .filter(notifications::id.eq_any(&ids))
            .select(OutboxRow::as_select())
            .load(conn)?)
    })
}

/// How one send ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Sent,
    /// A temporary failure: try again later.
    Retry(String),
    /// A permanent one (an SMTP 5xx): never again.
    Failed(String),
}

/// The wait before the next attempt: 2 s after the first failure, doubling, at most 10 min.
pub fn backoff(attempts: i32) -> Duration {
    let exp = attempts.saturating_sub(1).clamp(0, 20) as u32;
    Duration::from_secs(2u64.saturating_mul(1u64 << exp)).min(Duration::from_secs(600))
}

/// Replaces anything that looks like an email address (SMTP errors quote recipients).
pub fn redact_addresses(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let is_part = |c: char| c.is_alphanumeric() || "._%+-".contains(c);
    let mut spans = Vec::new();
    for (i, c) in chars.iter().enumerate() {
        if *c != '@' {
            continue;
        }
        let mut start = i;
        while start > 0 && is_part(chars[start - 1]) {
            start -= 1;
        }
        let mut end = i + 1;
        while end < chars.len() && is_part(chars[end]) {
            end += 1;
        }
        if start < i && end > i + 1 {
            spans.push((start, end));
        }
    }
    let mut out = String::new();
    let mut i = 0;
    for (start, end) in spans {
        if start < i {
            continue;
        }
        out.extend(&chars[i..start]);
        out.push_str("[address]");
        i = end;
    }
    out.extend(&chars[i..]);
    out.chars().take(500).collect()
}

pub fn record(
    conn: &mut AnyConnection,
    results: &[(Uuid, i32, Outcome)],
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    write_transaction(conn, |conn| {
        for (id, attempts, outcome) in results {
            let row = notifications::table.find(DbId(*id));
            match outcome {
                Outcome::Sent => {
                    diesel::update(row)
                        .set((
                            notifications::status.eq(SENT),
                            notifications::sent.eq(true),
                            notifications::sent_at.eq(Some(DbTime(now))),
                            notifications::last_error.eq(None::<String>),
                        ))
                        .execute(conn)?;
                }
                Outcome::Retry(error) if *attempts < MAX_ATTEMPTS => {
                    let wait = chrono::Duration::from_std(backoff(*attempts)).unwrap_or_default();
                    diesel::update(row)
                        .set((
                            notifications::next_attempt_at.eq(DbTime(now + wait)),
                            notifications::last_error.eq(Some(redact_addresses(error))),
                        ))
                        .execute(conn)?;
                }
                Outcome::Retry(error) | Outcome::Failed(error) => {
                    diesel::update(row)
                        .set((
                            notifications::status.eq(FAILED),
                            notifications::last_error.eq(Some(redact_addresses(error))),
                        ))
                        .execute(conn)?;
                }
            }
        }
        Ok(())
    })
}

/// Finished alert jobs are kept this long at least (for the curious operator).
pub const FINISHED_JOBS_KEPT: Duration = Duration::from_secs(24 * 3600);

/// At most this many finished jobs are deleted in one call.
pub const FORGET_AT_ONCE: usize = 1000;

/// Deletes up to [`FORGET_AT_ONCE`] finished alert jobs queued more than
/// [`FINISHED_JOBS_KEPT`], or the cooldown if longer, before `now`, and returns how
/// many went: call again while that is the whole batch. Nothing else reads them: a job
/// leans on an earlier one only within the cooldown of that job's floor, which is no
/// later than its creation (ADR 0016). Pending jobs are never deleted.
pub fn forget_finished_jobs(
    conn: &mut AnyConnection,
    cooldown: Duration,
    now: DateTime<Utc>,
) -> Result<usize, ApiError> {
    let kept = chrono::Duration::from_std(cooldown.max(FINISHED_JOBS_KEPT)).unwrap_or_default();
    let old: Vec<DbId> = notification_jobs::table
        .filter(notification_jobs::status.eq(JOB_DONE))
        .filter(notification_jobs::created_at.lt(DbTime(now - kept)))
        .order(notification_jobs::created_at.asc())
        .select(notification_jobs::id)
        .limit(FORGET_AT_ONCE as i64)
        .load(conn)?;
    Ok(diesel::delete(
        notification_jobs::table
            .filter(notification_jobs::id.eq_any(&old))
            .filter(notification_jobs::status.eq(JOB_DONE)),
    )
    .execute(conn)?)
}

/// When the next queued row is due, if any.
pub fn next_due(conn: &mut AnyConnection) -> Result<Option<DateTime<Utc>>, ApiError> {
    Ok(notifications::table
        .filter(notifications::status.eq(QUEUED))
        .order(notifications::next_attempt_at.asc())
        .select(notifications::next_attempt_at)
        .first::<DbTime>(conn)
        .optional()?
        .map(|t| t.0))
}

/// Puts a failed row back in the queue (an admin's retry).
pub fn retry(conn: &mut AnyConnection, id: Uuid, now: DateTime<Utc>) -> Result<bool, ApiError> {
    let n = diesel::update(
        notifications::table
            .find(DbId(id))
            .filter(notifications::status.eq(FAILED)),
    )
    .set((
        notifications::status.eq(QUEUED),
        notifications::attempts.eq(0),
        notifications::next_attempt_at.eq(DbTime(now)),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_ten_minutes() {
        assert_eq!(backoff(1), Duration::from_secs(2));
        assert_eq!(backoff(2), Duration::from_secs(4));
        assert_eq!(backoff(3), Duration::from_secs(8));
        assert_eq!(backoff(9), Duration::from_secs(512));
        assert_eq!(backoff(10), Duration::from_secs(600));
        assert_eq!(backoff(11), Duration::from_secs(600));
        assert_eq!(backoff(100), Duration::from_secs(600));
    }

    #[test]
    fn addresses_are_redacted() {
        assert_eq!(
            redact_addresses("550 5.1.1 <bob.smith+x@example.com>: Recipient address rejected"),
            "550 5.1.1 <[address]>: Recipient address rejected"
        );
        assert_eq!(
            redact_addresses("no address here @ all"),
            "no address here @ all"
        );
        assert_eq!(redact_addresses("a@b and c@d.e"), "[address] and [address]");
    }
}
