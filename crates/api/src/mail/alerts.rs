//! "Doctor is online" alerts: a status change queues one job, and the mail worker
//! expands it in batches into one email per patient who wants it and is not in their
//! cooldown (ADR 0016 says how a job reads its audience and why that stays sound).

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::db::models::notification_jobs::{self, Coverage, JobStep, PendingJob};
use crate::db::models::patients::{self, AudiencePage};
use crate::db::models::{alert_audience, doctors, follows, notifications};
use crate::db::{AnyConnection, write_transaction};
use crate::error::ApiError;
use crate::mail::email::{Email, Kind};
use crate::mail::outbox::enqueue;
use crate::mail::{MailContext, compose};
use mediconnect_shared::DoctorOnlineAlerts;

/// Queues the fan-out of "doctor is online" for `doctor`, unless one is pending: the
/// pending one will reach everybody, and the cooldown would stop a second anyway.
pub fn enqueue_doctor_online(
    conn: &mut AnyConnection,
    doctor: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, ApiError> {
    if notification_jobs::has_pending(conn, doctor)? {
        return Ok(false);
    }
    notification_jobs::insert_pending(conn, "DOCTOR_ONLINE", doctor, now)?;
    Ok(true)
}

/// At most this many batches are read in one expansion step when none has anyone to
/// write to.
const MAX_QUIET_BATCHES: usize = 40;

/// How one job reads its audience, decided by its first step and kept by the others
/// (ADR 0016).
#[derive(Debug, Clone, Copy)]
struct ReadPlan {
    /// The audience counter before the job read its first batch: every patient
    /// stamped at or below it is visible to all of the job's reads.
    audience_version: i64,
    /// Read only the patients stamped after this: all the others were covered by an
    /// earlier job whose alerts keep them in their cooldown for now.
    stamped_after: Option<i64>,
    /// No later than the job's start; every patient the job covers without reading
    /// them was last alerted about the doctor at or after this time.
    alerted_since: DateTime<Utc>,
}

/// How far a step of a job got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Progress {
    /// More of the audience to read.
    MoreToRead,
    /// The whole audience has been read.
    AllRead,
    /// The doctor is gone or offline again: not announced any further.
    DoctorGone,
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
    let Some(job) = notification_jobs::oldest_pending(conn)? else {
        return Ok(None);
    };
    let pass = read_plan(conn, ctx, &job, now)?;
    let stamped_after = pass.and_then(|p| p.stamped_after);
    // A job older than the alerts' deadline would only queue emails that expire: it
    // ends here, as for a doctor gone offline.
    let too_late =
        job.created_at + chrono::Duration::from_std(ctx.alert_max_delay).unwrap_or_default() < now;
    let (mails, next_cursor, progress) = if too_late {
        (Vec::new(), job.cursor, Progress::DoctorGone)
    } else {
        read_batches(conn, ctx, &job, stamped_after, batch, now)?
    };
    // Only a job that read its whole audience gets a floor (a job cut short covered
    // nobody after its cursor), read after every batch so that it sees every alert
    // those batches saw.
    let floor = match (progress, &pass) {
        (Progress::AllRead, Some(pass)) => Some(earliest_alert(conn, ctx, job.doctor_id, pass)?),
        _ => None,
    };
    let step = JobStep {
        cursor: next_cursor,
        done: progress != Progress::MoreToRead,
        audience_version: pass.map(|p| p.audience_version),
        since_version: stamped_after,
        start_floor: pass.map(|p| p.alerted_since),
        earliest_alert_at: floor,
        updated_at: now,
    };
    write_transaction(conn, |conn| {
        if !notification_jobs::record_step(conn, job.id, job.cursor, &step)? {
            return Ok(Some(0));
        }
        for mail in &mails {
            enqueue(conn, mail, now)?;
        }
        Ok(Some(mails.len()))
    })
}

/// How `job` reads its audience: as its first step decided, or, if it has not
/// started, as [`plan_pass`] decides now.
fn read_plan(
    conn: &mut AnyConnection,
    ctx: &MailContext,
    job: &PendingJob,
    now: DateTime<Utc>,
) -> Result<Option<ReadPlan>, ApiError> {
    Ok(match (job.audience_version, job.start_floor, job.cursor) {
        (Some(audience_version), Some(start_floor), _) => Some(ReadPlan {
            audience_version,
            stamped_after: job.since_version,
            alerted_since: start_floor,
        }),
        (_, _, None) => Some(plan_pass(conn, ctx, job.doctor_id, job.created_at, now)?),
        // Begun by a server without audience stamps: it reads the rest of everybody,
        // and records nothing a later job could lean on.
        _ => None,
    })
}

/// The emails of the batch after the job's cursor, the cursor after it, and how far
/// the job got; and of the batches after that while they have nobody to write to.
fn read_batches(
    conn: &mut AnyConnection,
    ctx: &MailContext,
    job: &PendingJob,
    stamped_after: Option<i64>,
    batch: i64,
    now: DateTime<Utc>,
) -> Result<(Vec<Email>, Option<Uuid>, Progress), ApiError> {
    let doctor_id = job.doctor_id;
    let (mut mails, mut next_cursor, mut progress) =
        compose_batch(conn, ctx, doctor_id, stamped_after, job.cursor, batch, now)?;
    // A batch with nobody to write to (all of it only wants followed doctors' alerts,
    // say): read on, so that one claim covers the quiet stretch instead of one write
    // per batch.
    let mut read = 1;
    while mails.is_empty() && progress == Progress::MoreToRead && read < MAX_QUIET_BATCHES {
        (mails, next_cursor, progress) =
            compose_batch(conn, ctx, doctor_id, stamped_after, next_cursor, batch, now)?;
        read += 1;
    }
    Ok((mails, next_cursor, progress))
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
    doctor_id: Uuid,
    created_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<ReadPlan, ApiError> {
    let audience_version = alert_audience::version(conn)?;
    let last = notification_jobs::last_covering(conn, doctor_id)?;
    let cooldown = chrono::Duration::from_std(ctx.cooldown).unwrap_or_default();
    // The job's start: the earlier of its creation and this step, whichever replica's
    // clock each came from.
    let start = created_at.min(now);
    Ok(match last {
        Some(Coverage {
            audience_version: Some(covered),
            floor: Some(floor),
        }) if !ctx.cooldown.is_zero() && now < floor + cooldown => ReadPlan {
            audience_version,
            stamped_after: Some(covered),
            alerted_since: floor.min(start),
        },
        _ => ReadPlan {
            audience_version,
            stamped_after: None,
            alerted_since: start,
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
    doctor_id: Uuid,
    pass: &ReadPlan,
) -> Result<DateTime<Utc>, ApiError> {
    let window = pass.alerted_since - chrono::Duration::from_std(ctx.cooldown).unwrap_or_default();
    let kind = Kind::DoctorOnline.as_str();
    let oldest =
        notifications::oldest_about_doctor(conn, doctor_id, kind, window, pass.stamped_after)?;
    Ok(oldest.map_or(pass.alerted_since, |at| at.min(pass.alerted_since)))
}

/// The emails of the batch after `cursor`, the cursor after it, and how far the job
/// got with it.
fn compose_batch(
    conn: &mut AnyConnection,
    ctx: &MailContext,
    doctor_id: Uuid,
    stamped_after: Option<i64>,
    cursor: Option<Uuid>,
    batch: i64,
    now: DateTime<Utc>,
) -> Result<(Vec<Email>, Option<Uuid>, Progress), ApiError> {
    let doctor = match doctors::find(conn, doctor_id, true)? {
        Some(doctor) if doctor.is_online => doctor,
        // A doctor who is gone, or offline again, is not announced any further.
        _ => return Ok((Vec::new(), cursor, Progress::DoctorGone)),
    };
    let cooldown_start = now - chrono::Duration::from_std(ctx.cooldown).unwrap_or_default();
    let page = AudiencePage {
        doctor: doctor_id,
        kind: Kind::DoctorOnline.as_str(),
        alerted_after: cooldown_start,
        after_user: cursor,
        stamped_after,
        limit: batch,
    };
    let candidates = patients::alert_candidates(conn, &page)?;
    let patient_ids: Vec<Uuid> = candidates.iter().map(|c| c.patient_id).collect();
    let followers = follows::followers_among(conn, doctor_id, &patient_ids)?;
    let mut mails = Vec::new();
    for candidate in &candidates {
        if candidate.preference == DoctorOnlineAlerts::Followed
            && !followers.contains(&candidate.patient_id)
        {
            continue;
        }
        mails.push(compose::doctor_online(
            ctx,
            compose::Recipient {
                user_id: candidate.user_id,
                name: &candidate.name,
                email: &candidate.email,
            },
            compose::DoctorInfo {
                id: doctor_id,
                name: &doctor.name,
                specialization: &doctor.specialization,
            },
            candidate.preference,
            now,
        ));
    }
    let progress = if (candidates.len() as i64) < batch {
        Progress::AllRead
    } else {
        Progress::MoreToRead
    };
    Ok((
        mails,
        candidates.last().map(|c| c.user_id).or(cursor),
        progress,
    ))
}
