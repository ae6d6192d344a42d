//! Registration, login and token refresh.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A user's role. Serialized as `DOCTOR`, `PATIENT` or `ADMIN`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Role {
    Doctor,
    Patient,
    Admin,
}

impl Role {
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Doctor => "DOCTOR",
            Role::Patient => "PATIENT",
            Role::Admin => "ADMIN",
        }
    }

    /// Parses the wire/database spelling (`DOCTOR`, `PATIENT`, `ADMIN`).
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "DOCTOR" => Some(Role::Doctor),
            "PATIENT" => Some(Role::Patient),
            "ADMIN" => Some(Role::Admin),
            _ => None,
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `POST /api/auth/register`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RegisterRequest {
    /// 1–100 characters after trimming.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 100))]
    pub name: String,
    /// Trimmed and lower-cased by the server.
    #[cfg_attr(feature = "openapi", schema(min_length = 3, max_length = 254))]
    pub email: String,
    /// 8–128 characters.
    #[cfg_attr(feature = "openapi", schema(min_length = 8, max_length = 128))]
    pub password: String,
    /// `DOCTOR` or `PATIENT`; `ADMIN` is refused with 403.
    pub role: Role,
    /// Required when `role` is `DOCTOR`; ignored otherwise, but at most 100 characters
    /// (surrounding whitespace aside) for any role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 100))]
    pub specialization: Option<String>,
    /// The person's IANA time zone (one of `GET /api/time-zones`), in which the app
    /// and their emails show times; `UTC` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(example = "Europe/Berlin"))]
    pub time_zone: Option<String>,
    /// Doctors: their licence or registration number, 3–40 characters, which only
    /// admins see (to approve the account). Ignored for other roles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(min_length = 3, max_length = 40))]
    pub license_number: Option<String>,
}

/// The public part of a user account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct UserSummary {
    pub id: Uuid,
    pub name: String,
    pub email: String,
    pub role: Role,
    /// The person's IANA time zone, e.g. `Europe/Berlin`.
    #[serde(default = "crate::utc_name")]
    pub time_zone: String,
    /// Whether the account's address has been confirmed through the link sent to it.
    /// Until it is, a patient cannot book and gets no alerts, and a doctor cannot go
    /// online.
    #[serde(default)]
    pub email_verified: bool,
}

/// `201` answer of `POST /api/auth/register`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RegisterResponse {
    pub message: String,
    pub user: UserSummary,
}

/// `POST /api/auth/login`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

/// A fresh session: answer of login, refresh and password change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct LoginResponse {
    /// HS256 JWT access token, sent as `Authorization: Bearer <token>`.
    pub token: String,
    /// Opaque, single-use refresh token for `POST /api/auth/refresh`.
    pub refresh_token: String,
    /// Lifetime of `token` in seconds.
    pub expires_in: u64,
    pub user: UserSummary,
}

/// `POST /api/auth/password-reset`: asks for a link to choose a new password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PasswordResetRequest {
    #[cfg_attr(
        feature = "openapi",
        schema(example = "ann@example.com", max_length = 254)
    )]
    pub email: String,
}

/// `POST /api/auth/password-reset/confirm`: the token from the link (its `#token=`
/// part) and the new password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PasswordResetConfirm {
    pub token: String,
    /// The same rules as at registration.
    #[cfg_attr(feature = "openapi", schema(min_length = 8, max_length = 128))]
    pub new_password: String,
}

/// `POST /api/auth/verify-email`: the token from the confirmation link (its `#token=`
/// part).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct VerifyEmailRequest {
    pub token: String,
}

/// A message for the user, as the only answer (e.g. to a reset request, which says the
/// same whether or not the account exists).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Notice {
    pub message: String,
}

/// `POST /api/auth/refresh` and `POST /api/auth/logout`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RefreshRequest {
    pub refresh_token: String,
}
