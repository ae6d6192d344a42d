//! The `notifications` table: the outbox, one email per row, with its delivery state:
//! queued and sent by the mail worker, listed, retried and counted for the admin.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use mediconnect_shared::{OutboxEntry, OutboxStatus};
use uuid::Uuid;

use crate::db::schema::{doctors, notifications, patients, users};
use crate::db::{AnyConnection, DbId, DbOutboxStatus, DbTime};

const QUEUED: DbOutboxStatus = DbOutboxStatus(OutboxStatus::Queued);
const SENT: DbOutboxStatus = DbOutboxStatus(OutboxStatus::Sent);
const FAILED: DbOutboxStatus = DbOutboxStatus(OutboxStatus::Failed);
const EXPIRED: DbOutboxStatus = DbOutboxStatus(OutboxStatus::Expired);

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

/// An email to queue, rendered.
pub struct NewNotification<'a> {
    pub kind: &'a str,
    pub user_id: Option<Uuid>,
    pub doctor_id: Option<Uuid>,
    pub to: &'a str,
    pub subject: &'a str,
    pub text: &'a str,
    pub html: &'a str,
    pub ics: Option<&'a str>,
    pub unsubscribe_url: Option<&'a str>,
}

/// When a reminder is due, and what it is about.
#[derive(Debug, Clone, Copy)]
pub struct ReminderSlot {
    pub appointment: Uuid,
    /// How long before the start, in minutes.
    pub minutes: i32,
    pub due: DateTime<Utc>,
    /// The appointment's start: not sent from then on.
    pub expires: DateTime<Utc>,
}

/// Queues `new` as row `id`: due at once, or, for a reminder, at its time; never sent
/// from `expires` on.
pub fn insert(
    conn: &mut AnyConnection,
    id: Uuid,
    new: &NewNotification<'_>,
    reminder: Option<&ReminderSlot>,
    expires: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::insert_into(notifications::table)
        .values((
            (
                notifications::id.eq(DbId(id)),
                notifications::email.eq(new.to),
                notifications::subject.eq(new.subject),
                notifications::content.eq(new.text),
                notifications::sent.eq(false),
                notifications::created_at.eq(DbTime(now)),
                notifications::kind.eq(new.kind),
                notifications::user_id.eq(new.user_id.map(DbId)),
                notifications::doctor_id.eq(new.doctor_id.map(DbId)),
                notifications::status.eq(QUEUED),
                notifications::attempts.eq(0),
            ),
            (
                notifications::next_attempt_at.eq(DbTime(reminder.map_or(now, |r| r.due))),
                notifications::html.eq(Some(new.html)),
                notifications::ics.eq(new.ics),
                notifications::unsubscribe_url.eq(new.unsubscribe_url),
                notifications::appointment_id.eq(reminder.map(|r| DbId(r.appointment))),
                notifications::reminder_minutes.eq(reminder.map(|r| r.minutes)),
                notifications::expires_at.eq(expires.map(DbTime)),
            ),
        ))
        .execute(conn)?;
    Ok(())
}

/// Withdraws the reminders still queued about `appointment`; how many.
pub fn withdraw_reminders(conn: &mut AnyConnection, appointment: Uuid) -> QueryResult<usize> {
    diesel::delete(
        notifications::table
            .filter(notifications::appointment_id.eq(DbId(appointment)))
            .filter(notifications::reminder_minutes.is_not_null())
            .filter(notifications::status.eq(QUEUED)),
    )
    .execute(conn)
}

/// Withdraws the reminders still queued for the user `user`; how many.
pub fn withdraw_reminders_of_user(conn: &mut AnyConnection, user: Uuid) -> QueryResult<usize> {
    diesel::delete(
        notifications::table
            .filter(notifications::user_id.eq(DbId(user)))
            .filter(notifications::reminder_minutes.is_not_null())
            .filter(notifications::status.eq(QUEUED)),
    )
    .execute(conn)
}

/// Marks `expired`, with `note` as its error, every queued row whose time ran out by
/// `now` (a reminder not sent before its appointment began). Returns how many.
pub fn expire_overdue(
    conn: &mut AnyConnection,
    now: DateTime<Utc>,
    note: &str,
) -> QueryResult<usize> {
    diesel::update(
        notifications::table
            .filter(notifications::status.eq(QUEUED))
            .filter(notifications::expires_at.le(DbTime(now))),
    )
    .set((
        notifications::status.eq(EXPIRED),
        notifications::last_error.eq(Some(note)),
    ))
    .execute(conn)
}

/// Marks `expired`, with `note` as its error, every queued row of `kind` queued before
/// `deadline` or about no doctor who is online with an active account now. Returns how
/// many.
pub fn expire_queued(
    conn: &mut AnyConnection,
    kind: &str,
    deadline: DateTime<Utc>,
    note: &str,
) -> QueryResult<usize> {
    let online_doctors = doctors::table
        .inner_join(users::table)
        .filter(doctors::is_online.eq(true))
        .filter(users::active.eq(true))
        .select(doctors::id.nullable());
    diesel::update(
        notifications::table
            .filter(notifications::status.eq(QUEUED))
            .filter(notifications::kind.eq(kind))
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
        notifications::last_error.eq(Some(note)),
    ))
    .execute(conn)
}

/// Takes up to `limit` queued rows due at `now` and not expired by then, earliest first
/// (on PostgreSQL skipping rows another transaction holds): each has its attempt
/// counted and is not due again before `lease_until`.
pub fn lease_due(
    conn: &mut AnyConnection,
    limit: i64,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
) -> QueryResult<Vec<OutboxRow>> {
    let due = notifications::table
        .filter(notifications::status.eq(QUEUED))
        .filter(notifications::next_attempt_at.le(DbTime(now)))
        // Not one whose time ran out since the last expiry pass: it is never sent late.
        .filter(
            notifications::expires_at
                .is_null()
                .or(notifications::expires_at.gt(DbTime(now))),
        )
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
    diesel::update(notifications::table.filter(notifications::id.eq_any(&ids)))
        .set((
            notifications::attempts.eq(notifications::attempts + 1),
            notifications::next_attempt_at.eq(DbTime(lease_until)),
        ))
        .execute(conn)?;
    notifications::table
        .filter(notifications::id.eq_any(&ids))
        .select(OutboxRow::as_select())
        .load(conn)
}

/// Marks row `id` sent at `now`.
pub fn mark_sent(conn: &mut AnyConnection, id: Uuid, now: DateTime<Utc>) -> QueryResult<()> {
    diesel::update(notifications::table.find(DbId(id)))
        .set((
            notifications::status.eq(SENT),
            notifications::sent.eq(true),
            notifications::sent_at.eq(Some(DbTime(now))),
            notifications::last_error.eq(None::<String>),
        ))
        .execute(conn)?;
    Ok(())
}

/// Keeps row `id` queued, due again at `at`, with the error of its last attempt.
pub fn retry_at(
    conn: &mut AnyConnection,
    id: Uuid,
    at: DateTime<Utc>,
    error: &str,
) -> QueryResult<()> {
    diesel::update(notifications::table.find(DbId(id)))
        .set((
            notifications::next_attempt_at.eq(DbTime(at)),
            notifications::last_error.eq(Some(error)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Marks row `id` failed, never to be tried again, with the error of its last attempt.
pub fn mark_failed(conn: &mut AnyConnection, id: Uuid, error: &str) -> QueryResult<()> {
    diesel::update(notifications::table.find(DbId(id)))
        .set((
            notifications::status.eq(FAILED),
            notifications::last_error.eq(Some(error)),
        ))
        .execute(conn)?;
    Ok(())
}

/// When the earliest queued row is due, if any.
pub fn next_due(conn: &mut AnyConnection) -> QueryResult<Option<DateTime<Utc>>> {
    Ok(notifications::table
        .filter(notifications::status.eq(QUEUED))
        .order(notifications::next_attempt_at.asc())
        .select(notifications::next_attempt_at)
        .first::<DbTime>(conn)
        .optional()?
        .map(|t| t.0))
}

/// Queues failed row `id` again, due at `now`, with its attempts counted from zero.
/// Returns whether it was failed.
pub fn requeue_failed(conn: &mut AnyConnection, id: Uuid, now: DateTime<Utc>) -> QueryResult<bool> {
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

/// When the oldest row of `kind` about `doctor` queued after `after` was queued: of
/// any recipient, or only of patients stamped after `stamped_after` if given.
pub fn oldest_about_doctor(
    conn: &mut AnyConnection,
    doctor: Uuid,
    kind: &str,
    after: DateTime<Utc>,
    stamped_after: Option<i64>,
) -> QueryResult<Option<DateTime<Utc>>> {
    // `min`, not ORDER BY and LIMIT: SQLite then seeks the cooldown index once per
    // stamped patient, where ordering by time made it walk every alert in the window.
    let mut oldest = notifications::table
        .filter(notifications::doctor_id.eq(Some(DbId(doctor))))
        .filter(notifications::kind.eq(kind))
        .filter(notifications::created_at.gt(DbTime(after)))
        .select(diesel::dsl::min(notifications::created_at))
        .into_boxed();
    if let Some(since) = stamped_after {
        oldest = oldest.filter(
            notifications::user_id.eq_any(
                patients::table
                    .filter(patients::alerts_version.gt(since))
                    .select(patients::user_id.nullable()),
            ),
        );
    }
    let oldest: Option<DbTime> = oldest.first(conn)?;
    Ok(oldest.map(|at| at.0))
}

/// An email as the admin reads it: its state, without its content.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = notifications)]
pub struct EntryRow {
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

impl From<EntryRow> for OutboxEntry {
    fn from(r: EntryRow) -> Self {
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
) -> QueryResult<(i64, Vec<EntryRow>)> {
    let matching = || {
        let mut query = notifications::table.into_boxed();
        if let Some(s) = status {
            query = query.filter(notifications::status.eq(DbOutboxStatus(s)));
        }
        query
    };
    let total = matching().count().get_result(conn)?;
    let rows = matching()
        .order((notifications::created_at.desc(), notifications::id.asc()))
        .limit(i64::from(limit))
        .offset(i64::from(page - 1) * i64::from(limit))
        .select(EntryRow::as_select())
        .load(conn)?;
    Ok((total, rows))
}

/// One email by id.
pub fn find(conn: &mut AnyConnection, id: Uuid) -> QueryResult<Option<EntryRow>> {
    notifications::table
        .find(DbId(id))
        .select(EntryRow::as_select())
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
