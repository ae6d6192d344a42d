//! The `presence_intervals` table: when each doctor was online, one row per stretch.
//! A stretch still going has no end yet.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::schema::presence_intervals;
use crate::db::{AnyConnection, DbId, DbTime};

/// A stretch online: its start, and its end if it has ended.
pub type Interval = (DateTime<Utc>, Option<DateTime<Utc>>);

/// The stretches online that overlap `[from, to)`: `doctor`'s, or every doctor's.
pub fn overlapping(
    conn: &mut AnyConnection,
    doctor: Option<Uuid>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> QueryResult<Vec<Interval>> {
    let mut query = presence_intervals::table
        .filter(presence_intervals::started_at.lt(DbTime(to)))
        .filter(
            presence_intervals::ended_at
                .is_null()
                .or(presence_intervals::ended_at.gt(DbTime(from))),
        )
        .select((presence_intervals::started_at, presence_intervals::ended_at))
        .into_boxed();
    if let Some(d) = doctor {
        query = query.filter(presence_intervals::doctor_id.eq(DbId(d)));
    }
    let rows: Vec<(DbTime, Option<DbTime>)> = query.load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(s, e)| (s.0, e.map(|e| e.0)))
        .collect())
}

/// Opens a stretch online for `doctor` at `now`.
pub fn open(conn: &mut AnyConnection, doctor: Uuid, now: DateTime<Utc>) -> QueryResult<()> {
    diesel::insert_into(presence_intervals::table)
        .values((
            presence_intervals::id.eq(DbId(Uuid::new_v4())),
            presence_intervals::doctor_id.eq(DbId(doctor)),
            presence_intervals::started_at.eq(DbTime(now)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Ends `doctor`'s stretch still going, at `now`.
pub fn close(conn: &mut AnyConnection, doctor: Uuid, now: DateTime<Utc>) -> QueryResult<()> {
    diesel::update(
        presence_intervals::table
            .filter(presence_intervals::doctor_id.eq(DbId(doctor)))
            .filter(presence_intervals::ended_at.is_null()),
    )
    .set(presence_intervals::ended_at.eq(Some(DbTime(now))))
    .execute(conn)?;
    Ok(())
}
