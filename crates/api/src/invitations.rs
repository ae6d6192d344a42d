//! Invitations: an admin invites a doctor or another admin by email; the link (valid
//! [`INVITATION_DAYS`]) lets the invitee choose a password, and the account is made with
//! its address confirmed and, for a doctor, approved. This is how a second admin is
//! made without the command line.

use chrono::{Duration, Utc};
use mediconnect_shared::{
    AcceptInvitation, Invitation, InvitationList, InvitationRequest, LoginResponse, Role,
};
use uuid::Uuid;

use crate::accounts::{NewAccount, insert_account_in, new_session};
use crate::audit::{self, Actor, ClientIp};
use crate::auth::{password, refresh};
use crate::db::models::{invitations, users};
use crate::db::{DbId, DbRole, DbTime};
use crate::domain::{EmailAddress, Fields, Password, PersonName, Specialization, Zone};
use crate::error::ApiError;
use crate::links;
use crate::mail::{compose, outbox};
use crate::state::AppState;
use crate::telemetry::blocking;

/// How long an invitation's link works.
pub const INVITATION_DAYS: i64 = 7;

fn to_dto(row: invitations::InvitationRow, now: chrono::DateTime<Utc>) -> Invitation {
    Invitation {
        id: row.id.0,
        email: row.email,
        name: row.name,
        role: row.role.0,
        specialization: row.specialization,
        created_at: row.created_at.0,
        expires_at: row.expires_at.0,
        expired: row.expires_at.0 <= now,
    }
}

/// A validated invitation.
struct Invitee {
    email: EmailAddress,
    name: PersonName,
    role: Role,
    specialization: Option<Specialization>,
}

impl Invitee {
    fn parse(req: &InvitationRequest) -> Result<Self, ApiError> {
        let mut fields = Fields::new();
        let email = fields.check("email", EmailAddress::parse(&req.email));
        let name = fields.check("name", PersonName::parse(&req.name));
        let specialization = match (req.role, req.specialization.as_deref()) {
            (Role::Doctor, Some(s)) => fields.check("specialization", Specialization::parse(s)),
            (Role::Doctor, None) => {
                fields.push("specialization", "Specialization is required for doctors");
                None
            }
            (Role::Admin, Some(_)) => {
                fields.push("specialization", "Only doctors have a specialization");
                None
            }
            _ => None,
        };
        if req.role == Role::Patient {
            fields.push(
                "role",
                "Invite doctors and admins; patients register themselves",
            );
        }
        fields.finish()?;
        match (email, name) {
            (Some(email), Some(name)) => Ok(Invitee {
                email,
                name,
                role: req.role,
                specialization,
            }),
            _ => unreachable!("finish() returned Ok, so every field parsed"),
        }
    }
}

/// Invites a doctor or an admin: the link goes to their address, a newer invitation to
/// the same address replaces an open one, and an address that has an account already
/// is refused (409). Audited.
pub async fn invite(
    state: &AppState,
    actor: Actor,
    req: InvitationRequest,
) -> Result<Invitation, ApiError> {
    let invitee = Invitee::parse(&req)?;
    let ctx = state.mail_ctx.clone();
    state
        .write(move |conn, effects| {
            let now = Utc::now();
            if users::find_by_email(conn, invitee.email.as_str())?.is_some() {
                return Err(crate::error::email_taken());
            }
            let token = refresh::generate();
            let id = Uuid::new_v4();
            let new = invitations::NewInvitation {
                id: DbId(id),
                email: invitee.email.as_str(),
                name: invitee.name.as_str(),
                role: DbRole(invitee.role),
                specialization: invitee.specialization.as_ref().map(Specialization::as_str),
                token_hash: &refresh::digest(&token),
                invited_by: Some(DbId(actor.user.id)),
                created_at: DbTime(now),
                expires_at: DbTime(now + Duration::days(INVITATION_DAYS)),
            };
            invitations::insert(conn, &new)?;
            let inviter = users::find(conn, actor.user.id)?
                .map(|u| u.name)
                .unwrap_or_else(|| "An administrator".to_owned());
            let mail = compose::invitation(
                &ctx,
                compose::Invitee {
                    name: invitee.name.as_str(),
                    email: invitee.email.as_str(),
                    role: invitee.role,
                    inviter: &inviter,
                },
                &token,
                INVITATION_DAYS,
            );
            outbox::enqueue(conn, &mail, now)?;
            effects.wake_mail();
            audit::record(
                conn,
                &actor,
                "admin.invitation.create",
                "invitation",
                Some(id),
                now,
            )?;
            let row = invitations::find(conn, id)?.ok_or_else(|| {
                ApiError::internal(anyhow::anyhow!("the new invitation vanished"))
            })?;
            Ok(to_dto(row, now))
        })
        .await
}

/// The invitations not yet accepted or revoked, newest first (expired ones marked).
pub async fn list(state: &AppState) -> Result<InvitationList, ApiError> {
    state
        .db
        .run(move |conn| {
            let now = Utc::now();
            Ok(InvitationList {
                invitations: invitations::list_open(conn)?
                    .into_iter()
                    .map(|r| to_dto(r, now))
                    .collect(),
            })
        })
        .await
}

/// Revokes an open invitation: its link stops working. Audited.
pub async fn revoke(state: &AppState, actor: Actor, id: Uuid) -> Result<(), ApiError> {
    state
        .write(move |conn, _| {
            let now = Utc::now();
            if !invitations::revoke(conn, id, now)? {
                return Err(ApiError::NotFound(
                    "There is no open invitation with this id.".into(),
                ));
            }
            audit::record(
                conn,
                &actor,
                "admin.invitation.revoke",
                "invitation",
                Some(id),
                now,
            )
        })
        .await
}

/// Accepts an invitation: the account is made (address confirmed, a doctor approved)
/// with the chosen password, and signed in.
pub async fn accept(
    state: &AppState,
    req: AcceptInvitation,
    ip: ClientIp,
) -> Result<LoginResponse, ApiError> {
    let secret = Password::parse(&req.password).map_err(|m| ApiError::field("password", m))?;
    let cost = state.config.bcrypt_cost;
    // Hashed first, whatever the token: an invalid link costs the same as a valid one.
    let hashed = secret.clone();
    let hash = blocking(move || password::hash(hashed.expose(), cost)).await??;
    let token_hash = refresh::digest(req.token.trim());
    let zone: Zone = state.config.analytics_tz.into();
    let user = state
        .write(move |conn, _| {
            let now = Utc::now();
            let invitation =
                invitations::accept(conn, &token_hash, now)?.ok_or_else(links::invalid)?;
            let account = NewAccount {
                name: PersonName::parse(&invitation.name).map_err(ApiError::Unprocessable)?,
                email: EmailAddress::parse(&invitation.email).map_err(ApiError::Unprocessable)?,
                password: secret,
                role: invitation.role.0,
                specialization: invitation
                    .specialization
                    .as_deref()
                    .map(Specialization::parse)
                    .transpose()
                    .map_err(ApiError::Unprocessable)?,
                zone,
                verified: true,
                license_number: None,
                approved: true,
            };
            let user = insert_account_in(conn, &account, &hash)?;
            let event = audit::Event {
                actor_id: Some(user.uuid()),
                actor_role: user.role(),
                action: "user.invitation.accept",
                target_type: "invitation",
                target: Some(invitation.id.0),
                ip: ip.0.as_deref(),
            };
            audit::insert(conn, &event, now)?;
            Ok(user)
        })
        .await?;
    tracing::info!(user_id = %user.uuid(), role = user.role().as_str(), "invitation accepted");
    new_session(state, &user).await
}
