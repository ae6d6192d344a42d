//! The outbox table: enqueue (inside the caller's transaction), claim due rows (with a
//! lease, `FOR UPDATE SKIP LOCKED` on PostgreSQL so replicas never take the same row),
//! record the outcome with retries, and expand "doctor is online" jobs in batches.

use std::collections::HashSet;
use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::schema::{
    alert_audience, doctors, follows, notification_jobs, notifications, patients, users,
};
use crate::db::{AnyConnection, DbId, DbTime, write_transaction};
use crate::error::ApiError;
pub use crate::mail::email::{Email, Kind};
use crate::mail::{MailContext, compose};

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
            notifications::status.eq("queued"),
            notifications::attempts.eq(0),
            notifications::next_attempt_at.eq(DbTime(now)),
            notifications::html.eq(Some(&email.html)),
            notifications::ics.eq(email.ics.as_deref()),
            notifications::unsubscribe_url.eq(email.unsubscribe_url.as_deref()),
        ))
        .execute(conn)?;
    Ok(id)
}

/// Queues the fan-out of "doctor is online" for `doctor`, unless one is pending: the
/// pending one will reach everybody, and the cooldown would stop a second anyway.
pub fn enqueue_doctor_online(
    conn: &mut AnyConnection,
    doctor: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, ApiError> {
    let pending: i64 = notification_jobs::table
        .filter(notification_jobs::doctor_id.eq(DbId(doctor)))
        .filter(notification_jobs::status.eq("pending"))
        .count()
        .get_result(conn)?;
    if pending > 0 {
        return Ok(false);
    }
    diesel::insert_into(notification_jobs::table)
        .values((
            notification_jobs::id.eq(DbId(Uuid::new_v4())),
            notification_jobs::kind.eq("DOCTOR_ONLINE"),
            notification_jobs::doctor_id.eq(DbId(doctor)),
            notification_jobs::status.eq("pending"),
            notification_jobs::created_at.eq(DbTime(now)),
            notification_jobs::updated_at.eq(DbTime(now)),
        ))
        .execute(conn)?;
    Ok(true)
}

/// At most this many batches are read in one expansion step when none has anyone to
/// write to.
const MAX_QUIET_BATCHES: usize = 40;

/// How one job reads its audience, decided by its first step and kept by the others
/// (ADR 0016).
#[derive(Debug, Clone, Copy)]
struct Pass {
    /// The audience counter before the job read its first batch: every patient
    /// stamped at or below it is visible to all of the job's reads.
    audience_version: i64,
    /// Read only the patients stamped after this: all the others were covered by an
    /// earlier job whose alerts keep them in their cooldown for now.
    since: Option<i64>,
    /// No later than the job's start, and no patient the job covers without reading
    /// them was last alerted about the doctor before this time.
    start_floor: DateTime<Utc>,
}

/// How far a step got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    /// More of the audience to read.
    More,
    /// The whole audience has been read.
    Read,
    /// The doctor is gone or offline again: not announced any further.
    Stopped,
}

/// Expands one batch of the oldest pending job into per-patient rows. Returns how many
/// rows it queued, or `None` when no job is pending.
///
/// The batch is read and its emails composed outside any transaction, so a fan-out
/// to thousands never holds SQLite's single write lock for long (a doctor's status
/// change waits for no more than the inserts). The batch is then claimed by moving
/// the job's cursor on only if it is still where it was read: of two replicas that
/// read the same batch, one queues it and the other queues nothing.
pub fn expand_batch(
    conn: &mut AnyConnection,
    ctx: &MailContext,
    batch: i64,
    now: DateTime<Utc>,
) -> Result<Option<usize>, ApiError> {
    type Job = (
        DbId,
        DbId,
        Option<DbId>,
        DbTime,
        Option<i64>,
        Option<i64>,
        Option<DbTime>,
    );
    let job: Option<Job> = notification_jobs::table
        .filter(notification_jobs::status.eq("pending"))
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
    let Some((job_id, doctor_id, cursor, created_at, audience_version, since, start_floor)) = job
    else {
        return Ok(None);
    };
    let pass = match (audience_version, start_floor, cursor) {
        (Some(audience_version), Some(start_floor), _) => Some(Pass {
            audience_version,
            since,
            start_floor: start_floor.0,
        }),
        (_, _, None) => Some(plan_pass(conn, ctx, doctor_id, created_at.0, now)?),
        // Begun by a server without audience stamps: it reads the rest of everybody,
        // and records nothing a later job could lean on.
        _ => None,
    };
    let stamped_after = pass.and_then(|p| p.since);
    // A job older than the alerts' deadline would only queue emails that expire: it
    // ends here, as for a doctor gone offline.
    let too_late =
        created_at.0 + chrono::Duration::from_std(ctx.alert_max_delay).unwrap_or_default() < now;
    let (mut mails, mut next_cursor, mut end) = if too_late {
        (Vec::new(), cursor, End::Stopped)
    } else {
        compose_batch(conn, ctx, doctor_id, stamped_after, cursor, batch, now)?
    };
    // A batch with nobody to write to (all of it only wants followed doctors' alerts,
    // say): read on, so that one claim covers the quiet stretch instead of one write
    // per batch.
    let mut read = 1;
    while mails.is_empty() && end == End::More && read < MAX_QUIET_BATCHES {
        (mails, next_cursor, end) =
            compose_batch(conn, ctx, doctor_id, stamped_after, next_cursor, batch, now)?;
        read += 1;
    }
    // Only a job that read its whole audience gets a floor (a job cut short covered
    // nobody after its cursor), read after every batch so that it sees every alert
    // those batches saw.
    let floor = match (end, &pass) {
        (End::Read, Some(pass)) => Some(DbTime(earliest_alert(conn, ctx, doctor_id, pass)?)),
        _ => None,
    };
    write_transaction(conn, |conn| {
        let job = notification_jobs::table
            .filter(notification_jobs::id.eq(job_id))
            .filter(notification_jobs::status.eq("pending"));
        let values = (
            notification_jobs::cursor.eq(next_cursor),
            notification_jobs::status.eq(if end == End::More { "pending" } else { "done" }),
            notification_jobs::updated_at.eq(DbTime(now)),
            notification_jobs::audience_version.eq(pass.map(|p| p.audience_version)),
            notification_jobs::since_version.eq(stamped_after),
            notification_jobs::start_floor.eq(pass.map(|p| DbTime(p.start_floor))),
            notification_jobs::earliest_alert_at.eq(floor),
        );
        let claimed = match cursor {
            Some(c) => diesel::update(job.filter(notification_jobs::cursor.eq(c)))
                .set(values)
                .execute(conn)?,
            None => diesel::update(job.filter(notification_jobs::cursor.is_null()))
                .set(values)
                .execute(conn)?,
        };
        if claimed == 0 {
            return Ok(Some(0));
        }
        for mail in &mails {
            enqueue(conn, mail, now)?;
        }
        Ok(Some(mails.len()))
    })
}

/// Decides how a job that has not started reads its audience. The counter is read
/// first, so every patient stamped at or below it is visible to the batches after.
///
/// The last job for this doctor that read its whole audience covered every patient
/// stamped at or below its counter: each of them it could alert was alerted then or
/// was in their cooldown, by an alert at or after its floor. Until that floor's
/// cooldown ends, they still are, so only patients stamped since need reading.
fn plan_pass(
    conn: &mut AnyConnection,
    ctx: &MailContext,
    doctor_id: DbId,
    created_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Pass, ApiError> {
    let audience_version: i64 = alert_audience::table
        .select(alert_audience::version)
        .first(conn)?;
    let last: Option<(Option<i64>, Option<DbTime>)> = notification_jobs::table
        .filter(notification_jobs::doctor_id.eq(doctor_id))
        .filter(notification_jobs::earliest_alert_at.is_not_null())
        .filter(notification_jobs::status.eq("done"))
        .order(notification_jobs::audience_version.desc())
        .select((
            notification_jobs::audience_version,
            notification_jobs::earliest_alert_at,
        ))
        .first(conn)
        .optional()?;
    let cooldown = chrono::Duration::from_std(ctx.cooldown).unwrap_or_default();
    // The job's start: the earlier of its creation and this step, whichever replica's
    // clock each came from.
    let start = created_at.min(now);
    Ok(match last {
        Some((Some(covered), Some(floor)))
            if !ctx.cooldown.is_zero() && now < floor.0 + cooldown =>
        {
            Pass {
                audience_version,
                since: Some(covered),
                start_floor: floor.0.min(start),
            }
        }
        _ => Pass {
            audience_version,
            since: None,
            start_floor: start,
        },
    })
}

/// The floor of a job that has read its whole audience: the oldest alert about the
/// doctor, since the cooldown before the job's start floor, of any patient the job
/// read (all of them, or those stamped after `since`), and no later than the start
/// floor. Each patient it read and could alert was alerted by it, after its start,
/// or was left out for an alert in that window.
fn earliest_alert(
    conn: &mut AnyConnection,
    ctx: &MailContext,
    doctor_id: DbId,
    pass: &Pass,
) -> Result<DateTime<Utc>, ApiError> {
    let window = pass.start_floor - chrono::Duration::from_std(ctx.cooldown).unwrap_or_default();
    // `min`, not ORDER BY and LIMIT: SQLite then seeks the cooldown index once per
    // stamped patient, where ordering by time made it walk every alert in the window.
    let mut oldest = notifications::table
        .filter(notifications::doctor_id.eq(Some(doctor_id)))
        .filter(notifications::kind.eq(Kind::DoctorOnline.as_str()))
        .filter(notifications::created_at.gt(DbTime(window)))
        .select(diesel::dsl::min(notifications::created_at))
        .into_boxed();
    if let Some(since) = pass.since {
        oldest = oldest.filter(
            notifications::user_id.eq_any(
                patients::table
                    .filter(patients::alerts_version.gt(since))
                    .select(patients::user_id.nullable()),
            ),
        );
    }
    let oldest: Option<DbTime> = oldest.first(conn)?;
    Ok(oldest.map_or(pass.start_floor, |at| at.0.min(pass.start_floor)))
}

/// The emails of the batch after `cursor`, the cursor after it, and how far the job
/// got with it.
fn compose_batch(
    conn: &mut AnyConnection,
    ctx: &MailContext,
    doctor_id: DbId,
    stamped_after: Option<i64>,
    cursor: Option<DbId>,
    batch: i64,
    now: DateTime<Utc>,
) -> Result<(Vec<Email>, Option<DbId>, End), ApiError> {
    let doctor: Option<(String, String, bool, bool)> = doctors::table
        .inner_join(users::table)
        .filter(doctors::id.eq(doctor_id))
        .select((
            users::name,
            doctors::specialization,
            doctors::is_online,
            users::active,
        ))
        .first(conn)
        .optional()?;
    // A doctor who is gone, or offline again, is not announced any further.
    let Some((doctor_name, specialization, true, true)) = doctor else {
        return Ok((Vec::new(), cursor, End::Stopped));
    };
    // Patients alerted about this doctor within the cooldown are left out by the query
    // itself, so a doctor who comes back online soon after costs one query that finds
    // nobody, not a pass over every patient. It is a correlated NOT EXISTS, which both
    // databases run as an anti-join (PostgreSQL hashes the doctor's recent alerts or
    // probes the index per patient; SQLite probes it). Not `ne_all`: on PostgreSQL
    // diesel writes that as `!= ALL (subquery)`, which PostgreSQL cannot hash and ran
    // as a rescan of the subquery for every patient (4.7 s for 10,000 patients).
    let cooldown_start = now - chrono::Duration::from_std(ctx.cooldown).unwrap_or_default();
    let alerted_recently = notifications::table
        .filter(notifications::doctor_id.eq(Some(doctor_id)))
        .filter(notifications::kind.eq(Kind::DoctorOnline.as_str()))
        .filter(notifications::user_id.eq(users::id.nullable()))
        .filter(notifications::created_at.gt(DbTime(cooldown_start)));
    let mut candidates = patients::table
        .inner_join(users::table)
        .filter(users::active.eq(true))
        .filter(patients::notify_doctor_online.ne("off"))
        .filter(diesel::dsl::not(diesel::dsl::exists(alerted_recently)))
        .order(users::id.asc())
        .limit(batch)
        .select((
            patients::id,
            users::id,
            users::email,
            users::name,
            patients::notify_doctor_online,
        ))
        .into_boxed();
    if let Some(after) = cursor {
        candidates = candidates.filter(users::id.gt(after));
    }
    if let Some(stamp) = stamped_after {
        candidates = candidates.filter(patients::alerts_version.gt(stamp));
    }
    let candidates: Vec<(DbId, DbId, String, String, String)> = candidates.load(conn)?;
    let patient_ids: Vec<DbId> = candidates.iter().map(|c| c.0).collect();
    let followers: HashSet<Uuid> = follows::table
        .filter(follows::doctor_id.eq(doctor_id))
        .filter(follows::patient_id.eq_any(patient_ids))
        .select(follows::patient_id)
        .load::<DbId>(conn)?
        .into_iter()
        .map(|d| d.0)
        .collect();
    let mut mails = Vec::new();
    for (patient_id, user_id, email, name, preference) in &candidates {
        if preference == "followed" && !followers.contains(&patient_id.0) {
            continue;
        }
        mails.push(compose::doctor_online(
            ctx,
            compose::Recipient {
                user_id: user_id.0,
                name,
                email,
            },
            compose::DoctorInfo {
                id: doctor_id.0,
                name: &doctor_name,
                specialization: &specialization,
            },
            preference,
            now,
        ));
    }
    let end = if (candidates.len() as i64) < batch {
        End::Read
    } else {
        End::More
    };
    Ok((mails, candidates.last().map(|c| c.1).or(cursor), end))
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
            .filter(notifications::status.eq("queued"))
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
        notifications::status.eq("expired"),
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
            .filter(notifications::status.eq("queued"))
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
                            notifications::status.eq("sent"),
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
                            notifications::status.eq("failed"),
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
        .filter(notification_jobs::status.eq("done"))
        .filter(notification_jobs::created_at.lt(DbTime(now - kept)))
        .order(notification_jobs::created_at.asc())
        .select(notification_jobs::id)
        .limit(FORGET_AT_ONCE as i64)
        .load(conn)?;
    Ok(diesel::delete(
        notification_jobs::table
            .filter(notification_jobs::id.eq_any(&old))
            .filter(notification_jobs::status.eq("done")),
    )
    .execute(conn)?)
}

/// When the next queued row is due, if any.
pub fn next_due(conn: &mut AnyConnection) -> Result<Option<DateTime<Utc>>, ApiError> {
    Ok(notifications::table
        .filter(notifications::status.eq("queued"))
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
            .filter(notifications::status.eq("failed")),
    )
    .set((
        notifications::status.eq("queued"),
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
