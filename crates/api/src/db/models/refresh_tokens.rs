use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::schema::refresh_tokens;
use crate::db::{AnyConnection, DbId, DbTime};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = refresh_tokens)]
pub struct RefreshTokenRow {
    pub id: DbId,
    pub user_id: DbId,
    pub family_id: DbId,
    pub token_hash: String,
    pub created_at: DbTime,
    pub expires_at: DbTime,
    pub used_at: Option<DbTime>,
    pub revoked_at: Option<DbTime>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = refresh_tokens)]
pub struct NewRefreshToken<'a> {
    pub id: DbId,
    pub user_id: DbId,
    pub family_id: DbId,
    pub token_hash: &'a str,
    pub created_at: DbTime,
    pub expires_at: DbTime,
}

pub fn insert(conn: &mut AnyConnection, new: &NewRefreshToken<'_>) -> QueryResult<()> {
    diesel::insert_into(refresh_tokens::table)
        .values(new)
        .execute(conn)?;
    Ok(())
}

pub fn find_by_hash(conn: &mut AnyConnection, hash: &str) -> QueryResult<Option<RefreshTokenRow>> {
    refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(hash))
        .select(RefreshTokenRow::as_select())
        .first(conn)
        .optional()
}

/// Marks a token spent. Returns false when it was already spent or revoked, which is how
/// two concurrent refreshes with one token are told apart: only one of them wins.
pub fn mark_used(conn: &mut AnyConnection, id: Uuid, now: DateTime<Utc>) -> QueryResult<bool> {
    let n = diesel::update(
        refresh_tokens::table
            .find(DbId(id))
            .filter(refresh_tokens::used_at.is_null())
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::used_at.eq(DbTime(now)))
    .execute(conn)?;
    Ok(n == 1)
}

pub fn revoke_family(
    conn: &mut AnyConnection,
    family: Uuid,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::family_id.eq(DbId(family)))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(DbTime(now)))
    .execute(conn)
}

pub fn revoke_all_for_user(
    conn: &mut AnyConnection,
    user: Uuid,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::user_id.eq(DbId(user)))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(DbTime(now)))
    .execute(conn)
}

/// Drops tokens that expired long ago; they can no longer be presented.
pub fn delete_expired(conn: &mut AnyConnection, before: DateTime<Utc>) -> QueryResult<usize> {
    diesel::delete(refresh_tokens::table.filter(refresh_tokens::expires_at.lt(DbTime(before))))
        .execute(conn)
}
