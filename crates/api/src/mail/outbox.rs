//! The outbox table: enqueue (inside the caller's transaction), claim due rows (with a
//! lease, `FOR UPDATE SKIP LOCKED` on PostgreSQL so replicas never take the same row),
//! record the outcome with retries, and expand "doctor is online" jobs in batches.

use std::time::Duration;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::db::models::notification_jobs;
use crate::db::models::notifications::{self, NewNotification, OutboxRow};
use crate::db::{AnyConnection, write_transaction};
use crate::error::ApiError;
pub use crate::mail::email::{Email, Kind};

/// After this many failed attempts a row is `failed`.
pub const MAX_ATTEMPTS: i32 = 12;
/// A claimed row is not claimed again for this long (a crash mid-send frees it).
pub const LEASE: Duration = Duration::from_secs(120);

pub fn enqueue(
    conn: &mut AnyConnection,
    email: &Email,
    now: DateTime<Utc>,
) -> Result<Uuid, ApiError> {
    queue(conn, email, None, None, now)
}

/// Queues an email due at once that expires, unsent, at `expires`.
pub fn enqueue_expiring(
    conn: &mut AnyConnection,
    email: &Email,
    expires: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Uuid, ApiError> {
    queue(conn, email, None, Some(expires), now)
}

/// Queues a reminder, due at its time and dropped if not sent before the appointment
/// starts. At most one per appointment and offset is queued (a unique index).
pub fn enqueue_reminder(
    conn: &mut AnyConnection,
    email: &Email,
    slot: &notifications::ReminderSlot,
    now: DateTime<Utc>,
) -> Result<Uuid, ApiError> {
    queue(conn, email, Some(slot), Some(slot.expires), now)
}

fn queue(
    conn: &mut AnyConnection,
    email: &Email,
    reminder: Option<&notifications::ReminderSlot>,
    expires: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<Uuid, ApiError> {
    let id = Uuid::new_v4();
    let new = NewNotification {
        kind: email.kind.as_str(),
        user_id: email.user_id,
        doctor_id: email.doctor_id,
        to: &email.to,
        subject: &email.subject,
        text: &email.text,
        html: &email.html,
        ics: email.ics.as_deref(),
        unsubscribe_url: email.unsubscribe_url.as_deref(),
    };
    notifications::insert(conn, id, &new, reminder, expires, now)?;
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
    let kind = Kind::DoctorOnline.as_str();
    Ok(notifications::expire_queued(
        conn,
        kind,
        deadline,
        EXPIRED_NOTE,
    )?)
}

/// What a dropped reminder's row says instead of an SMTP error.
pub const OVERDUE_NOTE: &str = "expired: not sent before the appointment began";

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
        let overdue = notifications::expire_overdue(conn, now, OVERDUE_NOTE)?;
        if overdue > 0 {
            tracing::info!(
                overdue,
                "reminders dropped: not sent before the appointment"
            );
        }
        let lease = chrono::Duration::from_std(LEASE).unwrap_or_default();
        Ok(notifications::lease_due(conn, limit, now, now + lease)?)
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
            match outcome {
                Outcome::Sent => notifications::mark_sent(conn, *id, now)?,
                Outcome::Retry(error) if *attempts < MAX_ATTEMPTS => {
                    let wait = chrono::Duration::from_std(backoff(*attempts)).unwrap_or_default();
                    notifications::retry_at(conn, *id, now + wait, &redact_addresses(error))?;
                }
                Outcome::Retry(error) | Outcome::Failed(error) => {
                    notifications::mark_failed(conn, *id, &redact_addresses(error))?;
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
    let before = now - kept;
    Ok(notification_jobs::delete_done(
        conn,
        before,
        FORGET_AT_ONCE as i64,
    )?)
}

/// When the next queued row is due, if any.
pub fn next_due(conn: &mut AnyConnection) -> Result<Option<DateTime<Utc>>, ApiError> {
    Ok(notifications::next_due(conn)?)
}

/// Puts a failed row back in the queue (an admin's retry).
pub fn retry(conn: &mut AnyConnection, id: Uuid, now: DateTime<Utc>) -> Result<bool, ApiError> {
    Ok(notifications::requeue_failed(conn, id, now)?)
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
