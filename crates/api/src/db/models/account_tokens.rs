//! The `account_tokens` table: the one-time links of the account lifecycle. Only the
//! SHA-256 of a token is stored; a token is spent once, and expires.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::schema::account_tokens;
use crate::db::{AnyConnection, DbId, DbPurpose, DbTime, TokenPurpose};

/// Stores a new token of `purpose` for `user`, valid until `expires_at`, and voids the
/// user's earlier unspent tokens of that purpose: only the newest link works.
pub fn issue(
    conn: &mut AnyConnection,
    user: Uuid,
    purpose: TokenPurpose,
    token_hash: &str,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::delete(
        account_tokens::table
            .filter(account_tokens::user_id.eq(DbId(user)))
            .filter(account_tokens::purpose.eq(DbPurpose(purpose)))
            .filter(account_tokens::used_at.is_null()),
    )
    .execute(conn)?;
    diesel::insert_into(account_tokens::table)
        .values((
            account_tokens::id.eq(DbId(Uuid::new_v4())),
            account_tokens::user_id.eq(DbId(user)),
            account_tokens::purpose.eq(DbPurpose(purpose)),
            account_tokens::token_hash.eq(token_hash),
            account_tokens::created_at.eq(DbTime(now)),
            account_tokens::expires_at.eq(DbTime(expires_at)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Spends the token whose hash is `token_hash`, if it is of `purpose`, unspent and
/// not expired at `now`: the user it was issued to. Of two concurrent spends, one wins.
pub fn spend(
    conn: &mut AnyConnection,
    purpose: TokenPurpose,
    token_hash: &str,
    now: DateTime<Utc>,
) -> QueryResult<Option<Uuid>> {
    let live = account_tokens::table
        .filter(account_tokens::token_hash.eq(token_hash))
        .filter(account_tokens::purpose.eq(DbPurpose(purpose)))
        .filter(account_tokens::used_at.is_null())
        .filter(account_tokens::expires_at.gt(DbTime(now)));
    let Some((id, user)) = live
        .select((account_tokens::id, account_tokens::user_id))
        .first::<(DbId, DbId)>(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let spent = diesel::update(
        account_tokens::table
            .find(id)
            .filter(account_tokens::used_at.is_null()),
    )
    .set(account_tokens::used_at.eq(Some(DbTime(now))))
    .execute(conn)?;
    Ok((spent == 1).then_some(user.0))
}
