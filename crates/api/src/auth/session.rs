//! Sessions: one access token plus a chain ("family") of single-use refresh tokens.
//! These functions run on a blocking thread with a connection, inside a transaction.

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use crate::auth::refresh::{self, REFRESH_TOKEN_TTL_DAYS};
use crate::db::models::refresh_tokens::{self as tokens, NewRefreshToken};
use crate::db::models::users::{self, UserRow};
use crate::db::{AnyConnection, DbId, DbTime};
use crate::error::ApiError;

/// Stores a new refresh token in `family` and returns the token itself.
pub fn store_refresh_token(
    conn: &mut AnyConnection,
    user: Uuid,
    family: Uuid,
    now: DateTime<Utc>,
) -> Result<String, ApiError> {
    let token = refresh::generate();
    let hash = refresh::digest(&token);
    tokens::insert(
        conn,
        &NewRefreshToken {
            id: DbId(Uuid::new_v4()),
            user_id: DbId(user),
            family_id: DbId(family),
            token_hash: &hash,
            created_at: DbTime(now),
            expires_at: DbTime(now + Duration::days(REFRESH_TOKEN_TTL_DAYS)),
        },
    )?;
    Ok(token)
}

/// Starts a new family (a login).
pub fn start(conn: &mut AnyConnection, user: Uuid, now: DateTime<Utc>) -> Result<String, ApiError> {
    store_refresh_token(conn, user, Uuid::new_v4(), now)
}

fn invalid() -> ApiError {
    ApiError::Unauthorized("This session has ended. Sign in again.".into())
}

/// Spends `presented` and returns its successor, with the user.
///
/// A token that was already spent or revoked is a sign of theft (or of a client bug):
/// the whole family is revoked, so the successor that was handed out stops working too.
/// The revocation must survive the 401, so the caller commits the transaction even when
/// this returns `Ok(Err(..))`.
pub fn rotate(
    conn: &mut AnyConnection,
    presented: &str,
    now: DateTime<Utc>,
) -> Result<Result<(UserRow, String), ApiError>, ApiError> {
    let Some(row) = tokens::find_by_hash(conn, &refresh::digest(presented))? else {
        return Ok(Err(invalid()));
    };
    let spent = row.used_at.is_some() || row.revoked_at.is_some();
    if spent || !tokens::mark_used(conn, row.id.0, now)? {
        let n = tokens::revoke_family(conn, row.family_id.0, now)?;
        if row.revoked_at.is_none() {
            tracing::warn!(revoked = n, "refresh token reused; its family is revoked");
        }
        return Ok(Err(invalid()));
    }
    if row.expires_at.0 <= now {
        return Ok(Err(invalid()));
    }
    let user = match users::find(conn, row.user_id.0)? {
        Some(user) if user.active => user,
        _ => {
            tokens::revoke_family(conn, row.family_id.0, now)?;
            return Ok(Err(invalid()));
        }
    };
    let next = store_refresh_token(conn, user.uuid(), row.family_id.0, now)?;
    Ok(Ok((user, next)))
}

/// Revokes the family of `presented`. Unknown tokens are ignored: logging out twice is fine.
pub fn end(conn: &mut AnyConnection, presented: &str, now: DateTime<Utc>) -> Result<(), ApiError> {
    if let Some(row) = tokens::find_by_hash(conn, &refresh::digest(presented))? {
        tokens::revoke_family(conn, row.family_id.0, now)?;
    }
    Ok(())
}
