//! Account recovery: a password reset by a one-time link sent to the account's
//! address. Asking for a link answers the same whether or not the account exists; the
//! link's token is 256 random bits, stored only as its SHA-256, spent once, and valid
//! for [`RESET_LINK_MINUTES`]; a newer link voids older ones. Setting the password
//! through it signs the account out everywhere, as a password change does.

use chrono::{Duration, Utc};
use mediconnect_shared::{Notice, PasswordResetConfirm, PasswordResetRequest};

use crate::accounts::revoke_sessions;
use crate::audit::{self, ClientIp};
use crate::auth::password;
use crate::db::models::users;
use crate::db::{AnyConnection, TokenPurpose};
use crate::domain::{EmailAddress, Password, Zone};
use crate::error::ApiError;
use crate::links;
use crate::live::effects::Effects;
use crate::mail::{MailContext, compose, outbox};
use crate::state::AppState;
use crate::telemetry::blocking;

/// How long a reset link works.
pub const RESET_LINK_MINUTES: i64 = 30;

/// The one answer to every reset request.
pub fn requested() -> Notice {
    Notice {
        message: format!(
            "If an account exists for that address, we sent it a link to choose a new \
             password. The link works for {RESET_LINK_MINUTES} minutes."
        ),
    }
}

/// Sends a reset link to the account with this address, if there is an active one.
/// The caller answers at once and the same in every case: the lookup and the mail run
/// in a task of their own, so neither the answer nor its timing tells whether the
/// account exists.
///
/// An address that is not one at all is refused first (422): that says nothing about
/// any account.
pub fn request_reset(
    state: &std::sync::Arc<AppState>,
    req: PasswordResetRequest,
) -> Result<(), ApiError> {
    let email = EmailAddress::parse(&req.email)
        .map_err(|m| ApiError::field("email", m))?
        .as_ref()
        .to_lowercase();
    let state = state.clone();
    actix_web::rt::spawn(async move {
        let ctx = state.mail_ctx.clone();
        let sent = state
            .write(move |conn, effects| {
                match users::find_by_email(conn, &email)?.filter(|u| u.active) {
                    Some(user) => queue_link(conn, effects, &ctx, &user, Utc::now()),
                    None => Ok(()),
                }
            })
            .await;
        if let Err(e) = sent {
            tracing::warn!(error = %e, "cannot queue a password reset link");
        }
    });
    Ok(())
}

/// Issues a reset link for `user` (voiding their earlier ones) and queues the email
/// that carries it, in the caller's transaction.
pub fn queue_link(
    conn: &mut AnyConnection,
    effects: &mut Effects,
    ctx: &MailContext,
    user: &users::UserRow,
    now: chrono::DateTime<Utc>,
) -> Result<(), ApiError> {
    let valid_for = Duration::minutes(RESET_LINK_MINUTES);
    let token = links::issue(
        conn,
        user.uuid(),
        TokenPurpose::PasswordReset,
        valid_for,
        now,
    )?;
    let to = compose::Recipient::from(user);
    let mail = compose::password_reset(ctx, to, &token, RESET_LINK_MINUTES);
    outbox::enqueue(conn, &mail, now)?;
    effects.wake_mail();
    tracing::info!(user_id = %user.uuid(), "password reset link queued");
    Ok(())
}

/// Sets a new password through a reset link: the token is spent, the account signed
/// out everywhere, the change audited, and the owner told by email. The link reached
/// the account's address, so the address counts as confirmed too.
pub async fn confirm_reset(
    state: &AppState,
    req: PasswordResetConfirm,
    ip: ClientIp,
) -> Result<(), ApiError> {
    let new_password =
        Password::parse(&req.new_password).map_err(|m| ApiError::field("newPassword", m))?;
    let cost = state.config.bcrypt_cost;
    // Hashed first, whatever the token: an invalid link costs the same as a valid one.
    let hash =
        blocking(move || Ok::<_, ApiError>(password::hash(new_password.expose(), cost)?)).await??;
    let token = req.token;
    let ctx = state.mail_ctx.clone();
    let user = state
        .write(move |conn, effects| {
            let now = Utc::now();
            let user = links::spend(conn, TokenPurpose::PasswordReset, &token, now)?;
            let id = user.uuid();
            users::update_password_hash(conn, id, &hash, now)?;
            users::mark_verified(conn, id, now)?;
            revoke_sessions(conn, effects, id, now)?;
            let event = audit::Event {
                actor_id: Some(id),
                actor_role: user.role(),
                action: "user.password.reset",
                target_type: "user",
                target: Some(id),
                ip: ip.0.as_deref(),
            };
            audit::insert(conn, &event, now)?;
            let to = compose::Recipient::from(&user);
            let tz = Zone::stored(&user.time_zone);
            outbox::enqueue(conn, &compose::password_changed(&ctx, to, tz, now), now)?;
            effects.wake_mail();
            Ok(id)
        })
        .await?;
    tracing::info!(user_id = %user, "password reset; every session revoked");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_answer_does_not_depend_on_the_address() {
        assert_eq!(requested(), requested());
        assert!(requested().message.contains("30 minutes"));
        assert_eq!(RESET_LINK_MINUTES, 30);
    }
}
