//! The one-time links of the account lifecycle (a password reset, an address
//! confirmation): a token of 256 random bits goes in the link's fragment, and only its
//! SHA-256 is stored. A token is spent once, expires, and is voided by a newer one of
//! the same purpose. Every way a link can fail answers the same.

use chrono::{DateTime, Duration, Utc};

use crate::auth::refresh;
use crate::db::models::{account_tokens, users};
use crate::db::{AnyConnection, TokenPurpose};
use crate::error::ApiError;

/// Issues a token of `purpose` for `user`, valid for `valid_for` from `now`, voiding
/// the user's earlier ones of that purpose. Returns the token, for the link.
pub fn issue(
    conn: &mut AnyConnection,
    user: uuid::Uuid,
    purpose: TokenPurpose,
    valid_for: Duration,
    now: DateTime<Utc>,
) -> Result<String, ApiError> {
    let token = refresh::generate();
    let hash = refresh::digest(&token);
    account_tokens::issue(conn, user, purpose, &hash, now, now + valid_for)?;
    Ok(token)
}

/// Spends `token` if it is a live one of `purpose`: the active account it was issued
/// to. Anything else is [`invalid`], and changes nothing that the caller commits.
pub fn spend(
    conn: &mut AnyConnection,
    purpose: TokenPurpose,
    token: &str,
    now: DateTime<Utc>,
) -> Result<users::UserRow, ApiError> {
    let hash = refresh::digest(token.trim());
    account_tokens::spend(conn, purpose, &hash, now)?
        .map(|id| users::find(conn, id))
        .transpose()?
        .flatten()
        .filter(|u| u.active)
        .ok_or_else(invalid)
}

/// The problem of a spent, expired or unknown link: one answer for all three.
pub fn invalid() -> ApiError {
    ApiError::LinkInvalid(
        "This link is no longer valid: it was used already, has expired, or was replaced \
         by a newer one. Ask for a new link."
            .into(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invalid_link_is_a_400_of_its_own_type() {
        let problem = invalid().to_problem();
        assert_eq!(problem.status, 400);
        assert!(problem.kind.ends_with(":link-invalid"), "{}", problem.kind);
    }
}
