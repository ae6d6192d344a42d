//! "Doctor is online" alerts: a status change queues one job, and the mail worker
//! expands it in batches into one email per patient who wants it and is not in their
//! cooldown (ADR 0016 says how a job reads its audience and why that stays sound).

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::schema::{
    alert_audience, doctors, follows, notification_jobs, notifications, patients, users,
};
use crate::db::{AnyConnection, DbId, DbTime, write_transaction};
use crate::error::ApiError;
use crate::mail::email::{Email, Kind};
use crate::mail::outbox::{JOB_DONE, JOB_PENDING, enqueue};
use crate::mail::{MailContext, compose};

/// Queues the fan-out of "doctor is online" for `doctor`, unless one is pending: the
/// pending one will reach everybody, and the cooldown would stop a second anyway.
pub fn enqueue_doctor_online(
    conn: &mut AnyConnection,
    doctor: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, ApiError> {
    let pending: i64 = notification_jobs::table
        .filter(notification_jobs::doctor_id.eq(DbId(doctor)))
        .filter(notification_jobs::status.eq(JOB_PENDING))
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
            notification_jobs::status.eq(JOB_PENDING),
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
        .filter(notification_jobs::status.eq(JOB_PENDING))
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
        (Some(audience_version), Some(start_floor), _) => Some(ReadPlan {
            audience_version,
            stamped_after: since,
            alerted_since: start_floor.0,
        }),
        (_, _, None) => Some(plan_pass(conn, ctx, doctor_id, created_at.0, now)?),
        // Begun by a server without audience stamps: it reads the rest of everybody,
        // and records nothing a later job could lean on.
        _ => None,
    };
    let stamped_after = pass.and_then(|p| p.stamped_after);
    // A job older than the alerts' deadline would only queue emails that expire: it
    // ends here, as for a doctor gone offline.
    let too_late =
        created_at.0 + chrono::Duration::from_std(ctx.alert_max_delay).unwrap_or_default() < now;
    let (mut mails, mut next_cursor, mut progress) = if too_late {
        (Vec::new(), cursor, Progress::DoctorGone)
    } else {
        compose_batch(conn, ctx, doctor_id, stamped_after, cursor, batch, now)?
    };
    // A batch with nobody to write to (all of it only wants followed doctors' alerts,
    // say): read on, so that one claim covers the quiet stretch instead of one write
    // per batch.
    let mut read = 1;
    while mails.is_empty() && progress == Progress::MoreToRead && read < MAX_QUIET_BATCHES {
        (mails, next_cursor, progress) =
            compose_batch(conn, ctx, doctor_id, stamped_after, next_cursor, batch, now)?;
        read += 1;
    }
    // Only a job that read its whole audience gets a floor (a job cut short covered
    // nobody after its cursor), read after every batch so that it sees every alert
    // those batches saw.
    let floor = match (progress, &pass) {
        (Progress::AllRead, Some(pass)) => {
            Some(DbTime(earliest_alert(conn, ctx, doctor_id, pass)?))
        }
        _ => None,
    };
    write_transaction(conn, |conn| {
        let job = notification_jobs::table
            .filter(notification_jobs::id.eq(job_id))
            .filter(notification_jobs::status.eq(JOB_PENDING));
        let values = (
            notification_jobs::cursor.eq(next_cursor),
            notification_jobs::status.eq(if progress == Progress::MoreToRead {
                JOB_PENDING
            } else {
                JOB_DONE
            }),
            notification_jobs::updated_at.eq(DbTime(now)),
            notification_jobs::audience_version.eq(pass.map(|p| p.audience_version)),
            notification_jobs::since_version.eq(stamped_after),
            notification_jobs::start_floor.eq(pass.map(|p| DbTime(p.alerted_since))),
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
) -> Result<ReadPlan, ApiError> {
    let audience_version: i64 = alert_audience::table
        .select(alert_audience::version)
        .first(conn)?;
    let last: Option<(Option<i64>, Option<DbTime>)> = notification_jobs::table
        .filter(notification_jobs::doctor_id.eq(doctor_id))
        .filter(notification_jobs::earliest_alert_at.is_not_null())
        .filter(notification_jobs::status.eq(JOB_DONE))
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
            ReadPlan {
                audience_version,
                stamped_after: Some(covered),
                alerted_since: floor.0.min(start),
            }
        }
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
    doctor_id: DbId,
    pass: &ReadPlan,
) -> Result<DateTime<Utc>, ApiError> {
    let window = pass.alerted_since - chrono::Duration::from_std(ctx.cooldown).unwrap_or_default();
    // `min`, not ORDER BY and LIMIT: SQLite then seeks the cooldown index once per
    // stamped patient, where ordering by time made it walk every alert in the window.
    let mut oldest = notifications::table
        .filter(notifications::doctor_id.eq(Some(doctor_id)))
        .filter(notifications::kind.eq(Kind::DoctorOnline.as_str()))
        .filter(notifications::created_at.gt(DbTime(window)))
        .select(diesel::dsl::min(notifications::created_at))
        .into_boxed();
    if let Some(since) = pass.stamped_after {
        oldest = oldest.filter(
            notifications::user_id.eq_any(
                patients::table
                    .filter(patients::alerts_version.gt(since))
                    .select(patients::user_id.nullable()),
            ),
        );
    }
    let oldest: Option<DbTime> = oldest.first(conn)?;
    Ok(oldest.map_or(pass.alerted_since, |at| at.0.min(pass.alerted_since)))
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
) -> Result<(Vec<Email>, Option<DbId>, Progress), ApiError> {
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
        return Ok((Vec::new(), cursor, Progress::DoctorGone));
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
    let progress = if (candidates.len() as i64) < batch {
        Progress::AllRead
    } else {
        Progress::MoreToRead
    };
    Ok((mails, candidates.last().map(|c| c.1).or(cursor), progress))
}
