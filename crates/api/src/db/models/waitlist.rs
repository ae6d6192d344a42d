//! The `waitlist_entries` and `waitlist_offers` tables: patients waiting for a time
//! with a doctor, and the times offered (and held) for them.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::schema::{waitlist_entries, waitlist_offers};
use crate::db::{AnyConnection, DbId, DbTime};

pub const OPEN: &str = "OPEN";
pub const CLAIMED: &str = "CLAIMED";
pub const DECLINED: &str = "DECLINED";
pub const EXPIRED: &str = "EXPIRED";

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = waitlist_entries)]
pub struct EntryRow {
    pub id: DbId,
    pub patient_id: DbId,
    pub doctor_id: DbId,
    pub from_date: NaiveDate,
    pub to_date: NaiveDate,
    pub earlier_than: Option<DbId>,
    pub created_at: DbTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = waitlist_offers)]
pub struct OfferRow {
    pub id: DbId,
    pub entry_id: DbId,
    pub doctor_id: DbId,
    pub patient_id: DbId,
    pub starts_at: DbTime,
    pub ends_at: DbTime,
    pub expires_at: DbTime,
    pub status: String,
    pub created_at: DbTime,
}

pub fn insert_entry(conn: &mut AnyConnection, row: &EntryRow) -> QueryResult<()> {
    diesel::insert_into(waitlist_entries::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find_entry(conn: &mut AnyConnection, id: Uuid) -> QueryResult<Option<EntryRow>> {
    waitlist_entries::table
        .find(DbId(id))
        .select(EntryRow::as_select())
        .first(conn)
        .optional()
}

/// The patient's entries, oldest first.
pub fn entries_of_patient(conn: &mut AnyConnection, patient: Uuid) -> QueryResult<Vec<EntryRow>> {
    waitlist_entries::table
        .filter(waitlist_entries::patient_id.eq(DbId(patient)))
        .order((
            waitlist_entries::created_at.asc(),
            waitlist_entries::id.asc(),
        ))
        .select(EntryRow::as_select())
        .load(conn)
}

/// How many entries the patient has.
pub fn count_of_patient(conn: &mut AnyConnection, patient: Uuid) -> QueryResult<i64> {
    waitlist_entries::table
        .filter(waitlist_entries::patient_id.eq(DbId(patient)))
        .count()
        .get_result(conn)
}

/// The doctor's waiters, in the order they joined.
pub fn waiting(conn: &mut AnyConnection, doctor: Uuid) -> QueryResult<Vec<EntryRow>> {
    waitlist_entries::table
        .filter(waitlist_entries::doctor_id.eq(DbId(doctor)))
        .order((
            waitlist_entries::created_at.asc(),
            waitlist_entries::id.asc(),
        ))
        .select(EntryRow::as_select())
        .load(conn)
}

/// Removes an entry of the patient (and its offers); whether there was one.
pub fn delete_entry(conn: &mut AnyConnection, patient: Uuid, id: Uuid) -> QueryResult<bool> {
    let n = diesel::delete(
        waitlist_entries::table
            .filter(waitlist_entries::id.eq(DbId(id)))
            .filter(waitlist_entries::patient_id.eq(DbId(patient))),
    )
    .execute(conn)?;
    Ok(n > 0)
}

pub fn insert_offer(conn: &mut AnyConnection, row: &OfferRow) -> QueryResult<()> {
    diesel::insert_into(waitlist_offers::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find_offer(conn: &mut AnyConnection, id: Uuid) -> QueryResult<Option<OfferRow>> {
    waitlist_offers::table
        .find(DbId(id))
        .select(OfferRow::as_select())
        .first(conn)
        .optional()
}

/// The entry's open offer that has not expired by `now`, if any.
pub fn open_offer(
    conn: &mut AnyConnection,
    entry: Uuid,
    now: DateTime<Utc>,
) -> QueryResult<Option<OfferRow>> {
    waitlist_offers::table
        .filter(waitlist_offers::entry_id.eq(DbId(entry)))
        .filter(waitlist_offers::status.eq(OPEN))
        .filter(waitlist_offers::expires_at.gt(DbTime(now)))
        .select(OfferRow::as_select())
        .first(conn)
        .optional()
}

/// The starts of every time offered to the entry, in any status.
pub fn offered_starts(conn: &mut AnyConnection, entry: Uuid) -> QueryResult<Vec<DateTime<Utc>>> {
    let rows: Vec<DbTime> = waitlist_offers::table
        .filter(waitlist_offers::entry_id.eq(DbId(entry)))
        .select(waitlist_offers::starts_at)
        .load(conn)?;
    Ok(rows.into_iter().map(|t| t.0).collect())
}

/// The doctor's times held in `from`..`to` at `now` (open, not expired).
pub fn held_between(
    conn: &mut AnyConnection,
    doctor: Uuid,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
    now: DateTime<Utc>,
) -> QueryResult<Vec<(DateTime<Utc>, DateTime<Utc>)>> {
    let rows: Vec<(DbTime, DbTime)> = waitlist_offers::table
        .filter(waitlist_offers::doctor_id.eq(DbId(doctor)))
        .filter(waitlist_offers::status.eq(OPEN))
        .filter(waitlist_offers::expires_at.gt(DbTime(now)))
        .filter(waitlist_offers::starts_at.lt(DbTime(to)))
        .filter(waitlist_offers::ends_at.gt(DbTime(from)))
        .select((waitlist_offers::starts_at, waitlist_offers::ends_at))
        .load(conn)?;
    Ok(rows.into_iter().map(|(s, e)| (s.0, e.0)).collect())
}

/// Moves an open offer to `status`; whether it was open.
pub fn close_offer(conn: &mut AnyConnection, id: Uuid, status: &str) -> QueryResult<bool> {
    let n = diesel::update(
        waitlist_offers::table
            .filter(waitlist_offers::id.eq(DbId(id)))
            .filter(waitlist_offers::status.eq(OPEN)),
    )
    .set(waitlist_offers::status.eq(status))
    .execute(conn)?;
    Ok(n == 1)
}

/// Whether any open offer expired by `now`.
pub fn any_due(conn: &mut AnyConnection, now: DateTime<Utc>) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        waitlist_offers::table
            .filter(waitlist_offers::status.eq(OPEN))
            .filter(waitlist_offers::expires_at.le(DbTime(now))),
    ))
    .get_result(conn)
}

/// Marks every open offer that expired by `now` as expired: each one's (doctor,
/// patient, entry).
pub fn expire_due(
    conn: &mut AnyConnection,
    now: DateTime<Utc>,
) -> QueryResult<Vec<(Uuid, Uuid, Uuid)>> {
    let due: Vec<(DbId, DbId, DbId, DbId)> = waitlist_offers::table
        .filter(waitlist_offers::status.eq(OPEN))
        .filter(waitlist_offers::expires_at.le(DbTime(now)))
        .select((
            waitlist_offers::id,
            waitlist_offers::doctor_id,
            waitlist_offers::patient_id,
            waitlist_offers::entry_id,
        ))
        .load(conn)?;
    let mut expired = Vec::new();
    for (id, doctor, patient, entry) in due {
        if close_offer(conn, id.0, EXPIRED)? {
            expired.push((doctor.0, patient.0, entry.0));
        }
    }
    Ok(expired)
}
