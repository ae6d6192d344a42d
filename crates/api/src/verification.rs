//! Confirming an account's address: registration, and every change of address, sends a
//! one-time link to the address (valid for [`VERIFY_LINK_HOURS`]); following it marks
//! the address confirmed. Until then a patient cannot book and gets no alerts, and a
//! doctor cannot go online ([`ApiError::email_unverified`]).

use chrono::{Duration, Utc};
use mediconnect_shared::{ChangeEmailRequest, Notice, VerifyEmailRequest};

use crate::audit::{self, Actor, ClientIp};
use crate::auth::extractors::AuthUser;
use crate::auth::password;
use crate::db::models::users;
use crate::db::{AnyConnection, TokenPurpose};
use crate::domain::{EmailAddress, Zone};
use crate::error::{ApiError, email_taken_or};
use crate::links;
use crate::live::effects::Effects;
use crate::mail::{MailContext, compose, outbox};
use crate::state::AppState;
use crate::telemetry::blocking;

/// How long a confirmation link works.
pub const VERIFY_LINK_HOURS: i64 = 48;

/// Issues a confirmation link for the address `user` has now (voiding earlier ones)
/// and queues the email that carries it, in the caller's transaction.
pub fn queue_link(
    conn: &mut AnyConnection,
    effects: &mut Effects,
    ctx: &MailContext,
    user: &users::UserRow,
    now: chrono::DateTime<Utc>,
) -> Result<(), ApiError> {
    let valid_for = Duration::hours(VERIFY_LINK_HOURS);
    let purpose = TokenPurpose::EmailVerification;
    let token = links::issue(conn, user.uuid(), purpose, valid_for, now)?;
    let mail =
        compose::email_verification(ctx, user.into(), user.role(), &token, VERIFY_LINK_HOURS);
    outbox::enqueue(conn, &mail, now)?;
    effects.wake_mail();
    Ok(())
}

/// Confirms the address the link was sent to. The link works without a session (it
/// may be opened on another device); the confirmation is audited.
pub async fn confirm(
    state: &AppState,
    req: VerifyEmailRequest,
    ip: ClientIp,
) -> Result<(), ApiError> {
    let user = state
        .write(move |conn, _| {
            let now = Utc::now();
            let user = links::spend(conn, TokenPurpose::EmailVerification, &req.token, now)?;
            users::mark_verified(conn, user.uuid(), now)?;
            let event = audit::Event {
                actor_id: Some(user.uuid()),
                actor_role: user.role(),
                action: "user.email.verify",
                target_type: "user",
                target: Some(user.uuid()),
                ip: ip.0.as_deref(),
            };
            audit::insert(conn, &event, now)?;
            Ok(user.uuid())
        })
        .await?;
    tracing::info!(user_id = %user, "email address confirmed");
    Ok(())
}

/// Sends the signed-in user a new confirmation link, unless their address is
/// confirmed already; the answer says which.
pub async fn resend(state: &AppState, user: AuthUser) -> Result<Notice, ApiError> {
    let ctx = state.mail_ctx.clone();
    let sent_to = state
        .write(move |conn, effects| {
            let row = users::find(conn, user.id)?
                .filter(|u| u.active)
                .ok_or_else(|| ApiError::Unauthorized("This account no longer exists.".into()))?;
            if row.email_verified() {
                return Ok(None);
            }
            queue_link(conn, effects, &ctx, &row, Utc::now())?;
            Ok(Some(row.email))
        })
        .await?;
    Ok(Notice {
        message: match sent_to {
            Some(address) => format!(
                "We sent a new link to {address}. It works for {VERIFY_LINK_HOURS} hours; \
                 earlier links no longer work."
            ),
            None => "Your email address is confirmed already.".to_owned(),
        },
    })
}

/// Gives the account a new address, once the current password confirms it is its
/// owner asking. The new address is unconfirmed until the link sent to it is followed;
/// the old one is told of the change.
pub async fn change_email(
    state: &AppState,
    actor: Actor,
    req: ChangeEmailRequest,
) -> Result<(), ApiError> {
    let email = EmailAddress::parse(&req.email).map_err(|m| ApiError::field("email", m))?;
    let id = actor.user.id;
    let row = state
        .db
        .run(move |conn| {
            users::find(conn, id)?
                .filter(|u| u.active)
                .ok_or_else(|| ApiError::Unauthorized("This account no longer exists.".into()))
        })
        .await?;
    let stored = row.password_hash.clone();
    let timer = state.metrics.bcrypt_verify.clone();
    let current = req.current_password;
    blocking(move || {
        if timer.observe_closure_duration(|| password::verify(&current, &stored)) {
            Ok(())
        } else {
            Err(ApiError::field(
                "currentPassword",
                "The current password is not correct",
            ))
        }
    })
    .await??;
    if email.as_str() == row.email {
        return Err(ApiError::field("email", "This is the address you have now"));
    }
    let ctx = state.mail_ctx.clone();
    state
        .write(move |conn, effects| {
            let now = Utc::now();
            users::update_email(conn, id, email.as_str(), now).map_err(email_taken_or)?;
            let tz = Zone::stored(&row.time_zone);
            let notice = compose::email_changed((&row).into(), email.as_str(), tz, now);
            outbox::enqueue(conn, &notice, now)?;
            let updated = users::find(conn, id)?.ok_or_else(|| {
                ApiError::internal(anyhow::anyhow!("the user vanished mid-transaction"))
            })?;
            queue_link(conn, effects, &ctx, &updated, now)?;
            audit::record(conn, &actor, "user.email.change", "user", Some(id), now)
        })
        .await?;
    tracing::info!(user_id = %id, "email address changed; confirmation sent");
    Ok(())
}
