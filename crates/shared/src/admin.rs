//! Analytics (`/api/analytics*`) and administration (`/api/admin/*`).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{PageQuery, Pagination, Role};

/// Appointments by status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AppointmentsByStatus {
    #[serde(rename = "SCHEDULED")]
    pub scheduled: u64,
    #[serde(rename = "COMPLETED")]
    pub completed: u64,
    #[serde(rename = "CANCELLED")]
    pub cancelled: u64,
    #[serde(rename = "NO_SHOW")]
    pub no_show: u64,
}

/// A doctor's own figures.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct DoctorFigures {
    pub appointments_today: u64,
    /// Missed ÷ (completed + missed), over all time; `null` before the first.
    pub no_show_rate: Option<f64>,
    /// Online time since Monday 00:00 (ANALYTICS_TZ), in minutes.
    pub online_minutes_this_week: u64,
}

/// `GET /api/analytics`: the spec's figures, and more.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Analytics {
    pub total_users: u64,
    pub total_doctors: u64,
    pub total_patients: u64,
    pub online_doctors: u64,
    /// Appointments starting today (ANALYTICS_TZ), not cancelled.
    pub appointments_today: u64,
    /// Emails delivered.
    pub emails_sent: u64,
    pub appointments_by_status: AppointmentsByStatus,
    pub emails_queued: u64,
    pub emails_failed: u64,
    /// "Doctor is online" emails that were never sent because they would have arrived
    /// too late (`ALERT_MAX_DELAY_MINUTES`), or after the doctor went offline.
    #[serde(default)]
    pub emails_expired: u64,
    /// For doctors: their own figures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mine: Option<DoctorFigures>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub enum Metric {
    /// New accounts per day (admins only).
    Registrations,
    /// Appointments starting each day, not cancelled.
    Appointments,
    /// Minutes doctors were online each day.
    OnlineMinutes,
    /// Consults now taken by a doctor each day.
    Consults,
    /// The median wait of the consults taken each day, from joining the queue to being
    /// taken, in whole minutes (0 on a day with none).
    ConsultWaitMinutes,
}

/// The query of `GET /api/analytics/timeseries`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(rename_all = "camelCase")]
pub struct TimeseriesQuery {
    pub metric: Metric,
    /// 7 to 90 (default 30), ending today.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(minimum = 7, maximum = 90))]
    pub days: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Bucket {
    /// A day in `timeZone`.
    pub date: NaiveDate,
    pub value: u64,
}

/// Daily buckets, oldest first, ending today.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Timeseries {
    pub metric: Metric,
    pub time_zone: String,
    pub buckets: Vec<Bucket>,
}

/// A user as administrators see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AdminUser {
    pub id: Uuid,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub active: bool,
    /// Whether the user's address has been confirmed.
    #[serde(default)]
    pub email_verified: bool,
    #[serde(deserialize_with = "crate::time::instant")]
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AdminUserList {
    pub users: Vec<AdminUser>,
    pub pagination: Pagination,
}

/// The query of `GET /api/admin/users`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(rename_all = "camelCase")]
pub struct AdminUserQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// Part of the name or email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", param(max_length = 100))]
    pub q: Option<String>,
    #[serde(
        default,
        deserialize_with = "crate::query_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub active: Option<bool>,
    #[serde(flatten)]
    #[cfg_attr(feature = "openapi", param(ignore))]
    pub paging: PageQuery,
}

/// `PATCH /api/admin/users/{id}`
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct UserActivation {
    pub active: bool,
    /// Deactivating a doctor with appointments ahead: `true` cancels them (each patient
    /// is emailed); without it the answer is 409 `doctor-has-appointments`, whose
    /// `affected` lists them.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cancel_appointments: bool,
    /// Why, for the cancelled appointments' history and the patients' emails: 1–500
    /// characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 500))]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum OutboxStatus {
    Queued,
    Sent,
    Failed,
    /// A "doctor is online" email that would have arrived too late: never sent.
    Expired,
}

impl OutboxStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            OutboxStatus::Queued => "queued",
            OutboxStatus::Sent => "sent",
            OutboxStatus::Failed => "failed",
            OutboxStatus::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            OutboxStatus::Queued,
            OutboxStatus::Sent,
            OutboxStatus::Failed,
            OutboxStatus::Expired,
        ]
        .into_iter()
        .find(|status| status.as_str() == s)
    }
}

/// An outbox row, for administrators.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct OutboxEntry {
    pub id: Uuid,
    /// `DOCTOR_ONLINE`, `APPOINTMENT_BOOKED`, ...
    pub kind: String,
    pub status: OutboxStatus,
    pub email: String,
    pub subject: String,
    pub attempts: u32,
    pub last_error: Option<String>,
    #[serde(deserialize_with = "crate::time::instant")]
    pub created_at: DateTime<Utc>,
    #[serde(default, deserialize_with = "crate::time::optional_instant")]
    pub sent_at: Option<DateTime<Utc>>,
    #[serde(deserialize_with = "crate::time::instant")]
    pub next_attempt_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct OutboxList {
    pub notifications: Vec<OutboxEntry>,
    pub pagination: Pagination,
}

/// The query of `GET /api/admin/notifications`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(rename_all = "camelCase")]
pub struct OutboxQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<OutboxStatus>,
    #[serde(flatten)]
    #[cfg_attr(feature = "openapi", param(ignore))]
    pub paging: PageQuery,
}

/// One audit record. It names people only by id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    pub id: Uuid,
    /// `null` when not known (a failed sign-in: `actorRole` is then the account's).
    pub actor_id: Option<Uuid>,
    /// The actor's name as it is now (resolved when read, never stored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor_name: Option<String>,
    pub actor_role: Role,
    /// e.g. `appointment.read`, `admin.user.deactivate`.
    pub action: String,
    pub target_type: String,
    pub target_id: Option<Uuid>,
    /// For a user target: their name as it is now (resolved when read, never stored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_name: Option<String>,
    pub ip: Option<String>,
    #[serde(deserialize_with = "crate::time::instant")]
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AuditList {
    pub entries: Vec<AuditEntry>,
    pub pagination: Pagination,
}

/// The query of `GET /api/admin/audit`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(rename_all = "camelCase")]
pub struct AuditQuery {
    /// Only what this user did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<Uuid>,
    /// Only what concerns this record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<Uuid>,
    /// Only actions of this kind: `auth` (sign-ins), `user` (a user's own account
    /// changes), `admin` (administrators' actions), `appointment` (reads and changes
    /// of appointments by others).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        param(max_length = 20, pattern = "^(auth|user|admin|appointment)$")
    )]
    pub kind: Option<String>,
    #[serde(flatten)]
    #[cfg_attr(feature = "openapi", param(ignore))]
    pub paging: PageQuery,
}

/// Where a doctor's account is in its review by an admin.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ApprovalStatus {
    Pending,
    #[default]
    Approved,
    Rejected,
}

impl ApprovalStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            ApprovalStatus::Pending => "PENDING",
            ApprovalStatus::Approved => "APPROVED",
            ApprovalStatus::Rejected => "REJECTED",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            ApprovalStatus::Pending,
            ApprovalStatus::Approved,
            ApprovalStatus::Rejected,
        ]
        .into_iter()
        .find(|status| status.as_str() == s)
    }
}

/// A doctor's account as an admin reviews it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct DoctorApplication {
    /// The doctor id (of `/api/doctors/{id}` once approved).
    pub id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    pub email: String,
    pub specialization: String,
    /// As the doctor gave it at registration; absent if they did not.
    pub license_number: Option<String>,
    pub approval_status: ApprovalStatus,
    pub email_verified: bool,
    pub active: bool,
    #[serde(deserialize_with = "crate::time::instant")]
    pub registered_at: DateTime<Utc>,
    pub rejection_reason: Option<String>,
}

/// `GET /api/admin/doctors`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct DoctorApplicationList {
    pub doctors: Vec<DoctorApplication>,
    pub pagination: Pagination,
}

/// The query of `GET /api/admin/doctors`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(rename_all = "camelCase")]
pub struct ApprovalQuery {
    /// Only doctors in this state (`PENDING` for the queue); all when absent.
    #[serde(default)]
    pub approval: Option<ApprovalStatus>,
    #[serde(flatten)]
    #[cfg_attr(feature = "openapi", param(ignore))]
    pub paging: crate::PageQuery,
}

/// `POST /api/admin/doctors/{id}/reject`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RejectDoctor {
    /// Told to the doctor by email: 1–500 characters.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 500))]
    pub reason: String,
    /// Rejecting an approved doctor with appointments ahead: `true` cancels them (each
    /// patient is emailed, with the reason); without it the answer is 409
    /// `doctor-has-appointments`, whose `affected` lists them.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cancel_appointments: bool,
}

/// `POST /api/admin/invitations`: who to invite.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct InvitationRequest {
    #[cfg_attr(
        feature = "openapi",
        schema(example = "dr.lee@example.com", max_length = 254)
    )]
    pub email: String,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 100))]
    pub name: String,
    /// `DOCTOR` or `ADMIN`.
    pub role: Role,
    /// Required for a doctor, absent for an admin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 100))]
    pub specialization: Option<String>,
}

/// An invitation not yet accepted or revoked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Invitation {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub specialization: Option<String>,
    #[serde(deserialize_with = "crate::time::instant")]
    pub created_at: DateTime<Utc>,
    #[serde(deserialize_with = "crate::time::instant")]
    pub expires_at: DateTime<Utc>,
    /// Past `expiresAt`: its link no longer works (invite again).
    pub expired: bool,
}

/// `GET /api/admin/invitations`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct InvitationList {
    pub invitations: Vec<Invitation>,
}

/// `POST /api/auth/accept-invitation`: the token from the link (its `#token=` part)
/// and the password the invitee chooses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AcceptInvitation {
    pub token: String,
    /// The same rules as at registration.
    #[cfg_attr(feature = "openapi", schema(min_length = 8, max_length = 128))]
    pub password: String,
}
