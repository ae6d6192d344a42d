//! The `calendar_feeds` table: the random secret behind each user's feed address.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::schema::calendar_feeds;
use crate::db::{AnyConnection, DbId, DbTime};

/// The user's feed secret (hex) and when it was made, if they have a feed.
pub fn find(conn: &mut AnyConnection, user: Uuid) -> QueryResult<Option<(String, DateTime<Utc>)>> {
    let row: Option<(String, DbTime)> = calendar_feeds::table
        .find(DbId(user))
        .select((calendar_feeds::secret, calendar_feeds::created_at))
        .first(conn)
        .optional()?;
    Ok(row.map(|(secret, at)| (secret, at.0)))
}

/// Gives the user a feed with this secret, replacing the one they had. Two first
/// feeds made at once: one insert fails as a unique violation.
pub fn replace(
    conn: &mut AnyConnection,
    user: Uuid,
    secret: &str,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    let values = (
        calendar_feeds::secret.eq(secret),
        calendar_feeds::created_at.eq(DbTime(now)),
    );
    let updated = diesel::update(calendar_feeds::table.find(DbId(user)))
        .set(values)
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(calendar_feeds::table)
            .values((calendar_feeds::user_id.eq(DbId(user)), values))
            .execute(conn)?;
    }
    Ok(())
}

/// Turns the user's feed off; whether they had one.
pub fn delete(conn: &mut AnyConnection, user: Uuid) -> QueryResult<bool> {
    Ok(diesel::delete(calendar_feeds::table.find(DbId(user))).execute(conn)? > 0)
}
