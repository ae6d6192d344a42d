//! The `idempotency_keys` table: the answer a booking sent, by its client's key, so
//! that a retried request gets the same answer.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::schema::idempotency_keys;
use crate::db::{AnyConnection, DbId, DbTime};

/// A key as stored: the hash of the request it was first used for, and the answer
/// once there is one.
pub struct StoredKey {
    pub request_hash: String,
    pub response: Option<(i32, String)>,
}

/// The user's `key`, if used before.
pub fn find(conn: &mut AnyConnection, user: Uuid, key: &str) -> QueryResult<Option<StoredKey>> {
    let row: Option<(String, Option<i32>, Option<String>)> = idempotency_keys::table
        .filter(idempotency_keys::user_id.eq(DbId(user)))
        .filter(idempotency_keys::key.eq(key))
        .select((
            idempotency_keys::request_hash,
            idempotency_keys::response_status,
            idempotency_keys::response_body,
        ))
        .first(conn)
        .optional()?;
    Ok(row.map(|(request_hash, status, body)| StoredKey {
        request_hash,
        response: status.zip(body),
    }))
}

/// Claims the user's `key` for a request; the unique index refuses a second claim.
pub fn claim(
    conn: &mut AnyConnection,
    user: Uuid,
    key: &str,
    request_hash: &str,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::user_id.eq(DbId(user)),
            idempotency_keys::key.eq(key),
            idempotency_keys::request_hash.eq(request_hash),
            idempotency_keys::created_at.eq(DbTime(now)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Keeps the answer sent for the user's `key`.
pub fn keep_answer(
    conn: &mut AnyConnection,
    user: Uuid,
    key: &str,
    status: i32,
    body: &str,
) -> QueryResult<()> {
    diesel::update(
        idempotency_keys::table
            .filter(idempotency_keys::user_id.eq(DbId(user)))
            .filter(idempotency_keys::key.eq(key)),
    )
    .set((
        idempotency_keys::response_status.eq(Some(status)),
        idempotency_keys::response_body.eq(Some(body)),
    ))
    .execute(conn)?;
    Ok(())
}
