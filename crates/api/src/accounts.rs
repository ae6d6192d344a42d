//! Account use cases: register, log in, refresh, log out, read and edit the profile,
//! change the password. Handlers call one of these; each parses its input into domain
//! types first, and runs database and bcrypt work on blocking threads.

use chrono::Utc;
use mediconnect_shared::{
    ApprovalStatus, ChangePasswordRequest, LoginRequest, LoginResponse, ProfileResponse,
    RegisterRequest, RegisterResponse, Role, UpdateProfileRequest, UserSummary,
};
use uuid::Uuid;

use crate::auth::jwt::ACCESS_TOKEN_TTL_SECS;
use crate::auth::{AuthUser, password, session};
use crate::db::models::{doctors, patients, refresh_tokens, users};
use crate::db::{AnyConnection, DbAlerts, DbApproval, DbId, DbRole, DbTime};
use crate::domain::{
    DateOfBirth, EmailAddress, Fields, LicenseNumber, Password, PersonName, PhoneNumber,
    Specialization, Zone,
};
use crate::error::ApiError;
use crate::live::bridge::LiveEvent;
use crate::state::AppState;
use crate::telemetry::blocking;
use crate::verification;

/// A new account, validated.
pub struct NewAccount {
    pub name: PersonName,
    pub email: EmailAddress,
    pub password: Password,
    pub role: Role,
    pub specialization: Option<Specialization>,
    pub zone: Zone,
    /// Whether the address counts as confirmed from the start: an account an operator
    /// or an invitation made, or demo data. A registration's address is not.
    pub verified: bool,
    /// Doctors: the licence number given for the approval, if any.
    pub license_number: Option<LicenseNumber>,
    /// Doctors: approved from the start (an invitation, demo data); a self-registered
    /// doctor waits for an admin.
    pub approved: bool,
}

impl NewAccount {
    /// Parses a registration request; every invalid field is reported at once.
    pub fn parse(req: &RegisterRequest) -> Result<Self, ApiError> {
        let mut fields = Fields::new();
        let name = fields.check("name", PersonName::parse(&req.name));
        let email = fields.check("email", EmailAddress::parse(&req.email));
        let password = fields.check("password", Password::parse(&req.password));
        let specialization = match (req.role, req.specialization.as_deref()) {
            (Role::Doctor, Some(s)) => fields.check("specialization", Specialization::parse(s)),
            (Role::Doctor, None) => {
                fields.push("specialization", "Specialization is required for doctors");
                None
            }
            // Ignored for other roles, but held to the documented bound.
            (_, Some(s)) => {
                fields.check("specialization", Specialization::check_bound(s));
                None
            }
            (_, None) => None,
        };
        let license_number = match (req.role, req.license_number.as_deref()) {
            (Role::Doctor, Some(n)) => fields.check("licenseNumber", LicenseNumber::parse(n)),
            _ => None,
        };
        let zone = match req.time_zone.as_deref() {
            Some(name) => fields.check("timeZone", Zone::parse(name)),
            None => Some(Zone::parse("UTC").expect("UTC is a zone")),
        };
        fields.finish()?;
        match (name, email, password, zone) {
            (Some(name), Some(email), Some(password), Some(zone)) => Ok(NewAccount {
                name,
                email,
                password,
                role: req.role,
                specialization,
                zone,
                verified: false,
                license_number,
                approved: false,
            }),
            _ => unreachable!("finish() returned Ok, so every field parsed"),
        }
    }
}

/// Inserts the user and its role row in one transaction. Returns `email-taken` on a
/// duplicate (the unique index decides, whatever the concurrency).
pub fn insert_account(
    conn: &mut AnyConnection,
    account: &NewAccount,
    password_hash: &str,
) -> Result<users::UserRow, ApiError> {
    crate::db::write_transaction(conn, |conn| insert_account_in(conn, account, password_hash))
}

/// [`insert_account`] in the caller's transaction.
pub fn insert_account_in(
    conn: &mut AnyConnection,
    account: &NewAccount,
    password_hash: &str,
) -> Result<users::UserRow, ApiError> {
    let now = DbTime(Utc::now());
    let id = DbId(Uuid::new_v4());
    let name_folded = crate::domain::fold(account.name.as_str());
    let new = users::NewUser {
        id,
        email: account.email.as_str(),
        name: account.name.as_str(),
        password_hash,
        role: DbRole(account.role),
        active: true,
        created_at: now,
        updated_at: now,
        name_folded: &name_folded,
        time_zone: account.zone.name(),
        email_verified_at: account.verified.then_some(now),
    };
    users::insert(conn, &new).map_err(crate::error::email_taken_or)?;
    match account.role {
        Role::Doctor => {
            let specialization = account
                .specialization
                .as_ref()
                .map(Specialization::as_str)
                .unwrap_or("General Practice");
            doctors::insert(
                conn,
                &doctors::NewDoctor {
                    id: DbId(Uuid::new_v4()),
                    user_id: id,
                    specialization,
                    specialization_folded: &crate::domain::fold(specialization),
                    is_online: false,
                    approval_status: DbApproval(if account.approved {
                        ApprovalStatus::Approved
                    } else {
                        ApprovalStatus::Pending
                    }),
                    license_number: account.license_number.as_ref().map(LicenseNumber::as_str),
                },
            )?
        }
        Role::Patient => patients::insert(
            conn,
            &patients::NewPatient {
                id: DbId(Uuid::new_v4()),
                user_id: id,
            },
        )?,
        Role::Admin => {}
    }
    users::find(conn, id.0)?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("inserted user vanished")))
}

pub async fn register(
    state: &AppState,
    req: RegisterRequest,
) -> Result<RegisterResponse, ApiError> {
    if req.role == Role::Admin {
        return Err(ApiError::Forbidden(
            "Admin accounts cannot be registered; an operator creates them.".into(),
        ));
    }
    let account = NewAccount::parse(&req)?;
    let cost = state.config.bcrypt_cost;
    let secret = account.password.clone();
    let hash = blocking(move || password::hash(secret.expose(), cost)).await??;
    let ctx = state.mail_ctx.clone();
    let user = state
        .write(move |conn, effects| {
            let user = insert_account_in(conn, &account, &hash)?;
            // The address is confirmed by the link sent to it.
            verification::queue_link(conn, effects, &ctx, &user, Utc::now())?;
            Ok(user)
        })
        .await?;
    tracing::info!(user_id = %user.id.0, role = user.role().as_str(), "account registered");
    Ok(RegisterResponse {
        message: "User registered successfully".into(),
        user: UserSummary::from(&user),
    })
}

fn bad_credentials() -> ApiError {
    ApiError::Unauthorized("Invalid email or password.".into())
}

/// Starts a session for `user` (signed in).
pub async fn new_session(
    state: &AppState,
    user: &users::UserRow,
) -> Result<LoginResponse, ApiError> {
    let user_id = user.uuid();
    let refresh_token = state
        .db
        .write(move |conn| session::start(conn, user_id, Utc::now()))
        .await?;
    session_response(state, user, refresh_token)
}

fn session_response(
    state: &AppState,
    user: &users::UserRow,
    refresh_token: String,
) -> Result<LoginResponse, ApiError> {
    // Signed out everywhere within this very second (a password reset just before):
    // a token dated now would be refused at once, so it is dated the next second.
    let now = Utc::now().timestamp();
    let issued_at = state
        .hub
        .revoked_at(user.uuid())
        .map_or(now, |revoked| now.max(revoked + 1));
    Ok(LoginResponse {
        token: state.jwt.issue_at(user.uuid(), user.role(), issued_at)?,
        refresh_token,
        expires_in: ACCESS_TOKEN_TTL_SECS,
        user: UserSummary::from(user),
    })
}

pub async fn login(
    state: &AppState,
    req: LoginRequest,
    ip: crate::audit::ClientIp,
) -> Result<LoginResponse, ApiError> {
    let email = req.email.trim().to_lowercase();
    let user = state
        .db
        .run(move |conn| Ok(users::find_by_email(conn, &email)?))
        .await?;
    // The account a failure concerns, for the audit trail (unknown emails concern none).
    let account = user.as_ref().map(|u| (u.uuid(), u.role()));
    let cost = state.config.bcrypt_cost;
    let secret = req.password;
    // Unknown emails pay for a verification too, against a dummy hash.
    let timer = state.metrics.bcrypt_verify.clone();
    let user = blocking(move || {
        let candidate = user.as_ref().map(|u| (u.clone(), u.password_hash.as_str()));
        let _timed = timer.start_timer();
        password::authenticate(candidate, &secret, cost, password::verify)
    })
    .await?;
    let Some(user) = user else {
        if let Some(account) = account {
            audit_sign_in(state, account, "auth.login.failed", ip).await?;
        }
        return Err(bad_credentials());
    };
    if !user.active {
        audit_sign_in(state, (user.uuid(), user.role()), "auth.login.refused", ip).await?;
        return Err(ApiError::Forbidden(
            "This account has been deactivated. Contact the clinic.".into(),
        ));
    }
    tracing::info!(user_id = %user.id.0, "signed in");
    new_session(state, &user).await
}

/// Records a sign-in that failed (a wrong password) or was refused (a deactivated
/// account): who tried is not known, so the row names the account as its target.
async fn audit_sign_in(
    state: &AppState,
    (account, role): (Uuid, Role),
    action: &'static str,
    ip: crate::audit::ClientIp,
) -> Result<(), ApiError> {
    state
        .db
        .write(move |conn| {
            let event = crate::audit::Event {
                actor_id: None,
                actor_role: role,
                action,
                target_type: "user",
                target: Some(account),
                ip: ip.0.as_deref(),
            };
            crate::audit::insert(conn, &event, Utc::now())
        })
        .await
}

pub async fn refresh(state: &AppState, presented: String) -> Result<LoginResponse, ApiError> {
    let (user, next) = state
        .db
        .write(move |conn| session::rotate(conn, &presented, Utc::now()))
        .await??;
    session_response(state, &user, next)
}

pub async fn logout(state: &AppState, presented: String) -> Result<(), ApiError> {
    state
        .db
        .write(move |conn| session::end(conn, &presented, Utc::now()))
        .await
}

fn load_profile(conn: &mut AnyConnection, user_id: Uuid) -> Result<ProfileResponse, ApiError> {
    let user = users::find(conn, user_id)?
        .filter(|u| u.active)
        .ok_or_else(|| ApiError::Unauthorized("This account no longer exists.".into()))?;
    let mut profile = ProfileResponse {
        id: user.id.0,
        name: user.name.clone(),
        email: user.email.clone(),
        role: user.role(),
        created_at: user.created_at.0,
        time_zone: user.time_zone.clone(),
        email_verified: user.email_verified(),
        doctor: None,
        patient: None,
    };
    match user.role() {
        Role::Doctor => {
            profile.doctor = doctors::find_by_user(conn, user_id)?
                .as_ref()
                .map(Into::into)
        }
        Role::Patient => {
            profile.patient = patients::find_by_user(conn, user_id)?
                .as_ref()
                .map(Into::into)
        }
        Role::Admin => {}
    }
    Ok(profile)
}

pub async fn profile(state: &AppState, user: AuthUser) -> Result<ProfileResponse, ApiError> {
    state.db.run(move |conn| load_profile(conn, user.id)).await
}

/// A validated profile change.
#[derive(Default)]
struct ProfileChanges {
    name: Option<PersonName>,
    zone: Option<Zone>,
    specialization: Option<Specialization>,
    daily_agenda: Option<bool>,
    patient: patients::PatientChanges,
}

impl ProfileChanges {
    fn parse(role: Role, req: &UpdateProfileRequest) -> Result<Self, ApiError> {
        let mut fields = Fields::new();
        let mut changes = ProfileChanges::default();
        if let Some(name) = &req.name {
            changes.name = fields.check("name", PersonName::parse(name));
        }
        if let Some(zone) = &req.time_zone {
            changes.zone = fields.check("timeZone", Zone::parse(zone));
        }
        if let Some(s) = &req.specialization {
            if role == Role::Doctor {
                changes.specialization = fields.check("specialization", Specialization::parse(s));
            } else {
                fields.push("specialization", "Only doctors have a specialization");
            }
        }
        match req.daily_agenda {
            Some(_) if role != Role::Doctor => {
                fields.push("dailyAgenda", "Only doctors have a daily agenda")
            }
            on => changes.daily_agenda = on,
        }
        let patient_only = "Only patients have this field";
        match req.date_of_birth {
            Some(_) if role != Role::Patient => fields.push("dateOfBirth", patient_only),
            Some(Some(date)) => {
                changes.patient.date_of_birth = fields
                    .check("dateOfBirth", DateOfBirth::parse(date))
                    .map(|d| Some(d.date()));
            }
            Some(None) => changes.patient.date_of_birth = Some(None),
            None => {}
        }
        match req.notifications {
            Some(_) if role != Role::Patient => fields.push("notifications", patient_only),
            Some(prefs) => {
                changes.patient.notify_doctor_online = Some(DbAlerts(prefs.doctor_online));
                changes.patient.appointment_reminders = Some(prefs.appointment_reminders);
            }
            None => {}
        }
        match &req.phone_number {
            Some(_) if role != Role::Patient => fields.push("phoneNumber", patient_only),
            Some(Some(phone)) => {
                changes.patient.phone_number = fields
                    .check("phoneNumber", PhoneNumber::parse(phone))
                    .map(|p| Some(p.as_str().to_owned()));
            }
            Some(None) => changes.patient.phone_number = Some(None),
            None => {}
        }
        fields.finish()?;
        Ok(changes)
    }
}

pub async fn update_profile(
    state: &AppState,
    user: AuthUser,
    req: UpdateProfileRequest,
) -> Result<ProfileResponse, ApiError> {
    let changes = ProfileChanges::parse(user.role, &req)?;
    let profile = state
        .write(move |conn, effects| {
            let now = Utc::now();
            match &changes.name {
                Some(name) => users::update_name(conn, user.id, name.as_str(), now)?,
                None => users::touch(conn, user.id, now)?,
            }
            if let Some(zone) = changes.zone {
                users::update_time_zone(conn, user.id, zone.name())?;
            }
            if let Some(s) = &changes.specialization {
                doctors::update_specialization(conn, user.id, s.as_str())?;
            }
            if let Some(on) = changes.daily_agenda {
                doctors::set_daily_agenda(conn, user.id, on)?;
            }
            patients::update(conn, user.id, &changes.patient)?;
            if changes.patient.appointment_reminders == Some(false) {
                crate::db::models::notifications::withdraw_reminders_of_user(conn, user.id)?;
            }
            // A listed doctor's name and specialization are public: live lists follow them.
            if let (Role::Doctor, Some(doctor)) = (
                user.role,
                crate::db::models::doctors::of_user(conn, user.id)?,
            ) && (changes.name.is_some() || changes.specialization.is_some())
                && doctors::is_active(conn, doctor.id)?
            {
                effects.announce(conn, LiveEvent::Doctor { doctor })?;
            }
            load_profile(conn, user.id)
        })
        .await?;
    Ok(profile)
}

/// Changes the password and ends every session of the user; the caller gets a new one.
pub async fn change_password(
    state: &AppState,
    actor: crate::audit::Actor,
    req: ChangePasswordRequest,
) -> Result<LoginResponse, ApiError> {
    let user = actor.user;
    let new_password =
        Password::parse(&req.new_password).map_err(|m| ApiError::field("newPassword", m))?;
    let row = state
        .db
        .run(move |conn| {
            users::find(conn, user.id)?
                .filter(|u| u.active)
                .ok_or_else(|| ApiError::Unauthorized("This account no longer exists.".into()))
        })
        .await?;
    let cost = state.config.bcrypt_cost;
    let current = req.current_password;
    let stored = row.password_hash.clone();
    let timer = state.metrics.bcrypt_verify.clone();
    let new_hash = blocking(move || {
        if !timer.observe_closure_duration(|| password::verify(&current, &stored)) {
            return Err(ApiError::field(
                "currentPassword",
                "The current password is not correct",
            ));
        }
        Ok(password::hash(new_password.expose(), cost)?)
    })
    .await??;
    let user_id = user.id;
    let (refresh_token, at) = state
        .write(move |conn, effects| {
            let now = Utc::now();
            users::update_password_hash(conn, user_id, &new_hash, now)?;
            // Every other device is signed out at once, as on deactivation.
            revoke_sessions(conn, effects, user_id, now)?;
            crate::audit::record(
                conn,
                &actor,
                "user.password.change",
                "user",
                Some(user_id),
                now,
            )?;
            Ok((session::start(conn, user_id, now)?, now.timestamp()))
        })
        .await?;
    tracing::info!(user_id = %user_id, "password changed; other sessions revoked");
    // Issued after the revocation, so that this device stays signed in.
    Ok(LoginResponse {
        token: state.jwt.issue_at(row.uuid(), row.role(), at + 1)?,
        refresh_token,
        expires_in: ACCESS_TOKEN_TTL_SECS,
        user: UserSummary::from(&row),
    })
}

/// Signs the user out everywhere, in the caller's transaction: their refresh tokens
/// are revoked, and their access tokens issued until `now` (in whole seconds) are
/// refused and their signed-in sockets closed, on every replica (once the returned
/// event is applied) and across restarts (`live::bridge::load_revocations`).
pub fn revoke_sessions(
    conn: &mut AnyConnection,
    effects: &mut crate::live::effects::Effects,
    user: Uuid,
    now: chrono::DateTime<Utc>,
) -> Result<(), ApiError> {
    users::set_sessions_revoked_at(conn, user, now)?;
    refresh_tokens::revoke_all_for_user(conn, user, now)?;
    let event = LiveEvent::SessionsRevoked {
        user,
        at: now.timestamp(),
    };
    effects.announce(conn, event)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(role: Role, specialization: Option<&str>) -> RegisterRequest {
        RegisterRequest {
            name: " Ada ".into(),
            email: " ADA@Example.com".into(),
            password: "long enough".into(),
            role,
            specialization: specialization.map(Into::into),
            time_zone: None,
            license_number: None,
        }
    }

    #[test]
    fn doctors_need_a_specialization() {
        let err = NewAccount::parse(&req(Role::Doctor, None)).err().unwrap();
        match err {
            ApiError::Validation(errors) => assert_eq!(errors[0].field, "specialization"),
            other => panic!("{other:?}"),
        }
        assert!(NewAccount::parse(&req(Role::Doctor, Some("Cardiology"))).is_ok());
        assert!(NewAccount::parse(&req(Role::Patient, None)).is_ok());
    }

    #[test]
    fn an_ignored_specialization_is_still_bounded() {
        assert!(NewAccount::parse(&req(Role::Patient, Some(""))).is_ok());
        assert!(NewAccount::parse(&req(Role::Patient, Some(&"c".repeat(100)))).is_ok());
        match NewAccount::parse(&req(Role::Patient, Some(&"c".repeat(101)))).err() {
            Some(ApiError::Validation(errors)) => assert_eq!(errors[0].field, "specialization"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn all_invalid_fields_are_reported() {
        let bad = RegisterRequest {
            name: "".into(),
            email: "nope".into(),
            password: "short".into(),
            role: Role::Patient,
            specialization: None,
            time_zone: Some("Mars/Olympus".into()),
            license_number: None,
        };
        match NewAccount::parse(&bad).err().unwrap() {
            ApiError::Validation(errors) => {
                let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
                assert_eq!(fields, ["name", "email", "password", "timeZone"]);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn profile_fields_belong_to_roles() {
        let doctor_phone = UpdateProfileRequest {
            phone_number: Some(Some("5550100100".into())),
            ..Default::default()
        };
        assert!(ProfileChanges::parse(Role::Doctor, &doctor_phone).is_err());
        assert!(ProfileChanges::parse(Role::Patient, &doctor_phone).is_ok());
        let patient_spec = UpdateProfileRequest {
            specialization: Some("Cardiology".into()),
            ..Default::default()
        };
        assert!(ProfileChanges::parse(Role::Patient, &patient_spec).is_err());
        assert!(ProfileChanges::parse(Role::Doctor, &patient_spec).is_ok());
    }
}
