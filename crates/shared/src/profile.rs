//! `GET/PUT /api/users/profile` and `PUT /api/users/password`.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Role;

/// The doctor part of a profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct DoctorProfile {
    /// The doctor id used by `/api/doctors` and appointments.
    pub id: Uuid,
    pub specialization: String,
    pub is_online: bool,
    #[serde(default, deserialize_with = "crate::time::optional_instant")]
    pub last_online: Option<DateTime<Utc>>,
    /// A self-registered doctor waits for an admin's approval: until then they are
    /// not listed and cannot go online.
    #[serde(default)]
    pub approval_status: crate::ApprovalStatus,
    /// Why an admin turned the account down, when they did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejection_reason: Option<String>,
    /// An email at 07:00 (the doctor's time zone) listing the day's appointments, on
    /// days that have any.
    #[serde(default)]
    pub daily_agenda: bool,
}

/// Which "doctor is online" emails a patient wants.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum DoctorOnlineAlerts {
    /// Every doctor (the default, as in the original system).
    #[default]
    All,
    /// Only doctors the patient follows.
    Followed,
    /// None.
    Off,
}

impl DoctorOnlineAlerts {
    pub const fn as_str(self) -> &'static str {
        match self {
            DoctorOnlineAlerts::All => "all",
            DoctorOnlineAlerts::Followed => "followed",
            DoctorOnlineAlerts::Off => "off",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "all" => Some(DoctorOnlineAlerts::All),
            "followed" => Some(DoctorOnlineAlerts::Followed),
            "off" => Some(DoctorOnlineAlerts::Off),
            _ => None,
        }
    }
}

/// A patient's email preferences.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct NotificationPreferences {
    pub doctor_online: DoctorOnlineAlerts,
    /// Reminder emails before each appointment (`REMINDER_OFFSETS`); `true` when
    /// left out.
    #[serde(default = "reminders_on")]
    pub appointment_reminders: bool,
}

fn reminders_on() -> bool {
    true
}

impl Default for NotificationPreferences {
    fn default() -> Self {
        NotificationPreferences {
            doctor_online: DoctorOnlineAlerts::default(),
            appointment_reminders: true,
        }
    }
}

/// The patient part of a profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PatientProfile {
    pub id: Uuid,
    pub date_of_birth: Option<NaiveDate>,
    pub phone_number: Option<String>,
    pub notifications: NotificationPreferences,
}

/// `GET /api/users/profile`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ProfileResponse {
    pub id: Uuid,
    pub name: String,
    pub email: String,
    pub role: Role,
    #[serde(deserialize_with = "crate::time::instant")]
    pub created_at: DateTime<Utc>,
    /// The person's IANA time zone, e.g. `Europe/Berlin`: the app and their emails show
    /// times in it.
    pub time_zone: String,
    /// Whether the address has been confirmed through the link sent to it.
    #[serde(default)]
    pub email_verified: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doctor: Option<DoctorProfile>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patient: Option<PatientProfile>,
}

/// The session's summary of a profile (the web app refreshes its header from a save).
impl From<&ProfileResponse> for crate::UserSummary {
    fn from(p: &ProfileResponse) -> Self {
        crate::UserSummary {
            id: p.id,
            name: p.name.clone(),
            email: p.email.clone(),
            role: p.role,
            time_zone: p.time_zone.clone(),
            email_verified: p.email_verified,
        }
    }
}

/// `PUT /api/users/profile`. Absent fields are left unchanged; for the nullable
/// patient fields an explicit `null` clears the value.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct UpdateProfileRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// An IANA time zone, one of `GET /api/time-zones`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// Doctors only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub specialization: Option<String>,
    /// Patients only. `YYYY-MM-DD`; `null` clears it.
    #[serde(
        default,
        deserialize_with = "crate::present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<NaiveDate>))]
    pub date_of_birth: Option<Option<NaiveDate>>,
    /// Patients only. 7–15 digits, optionally with `+`, spaces, dashes or parentheses;
    /// `null` clears it.
    #[serde(
        default,
        deserialize_with = "crate::present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub phone_number: Option<Option<String>>,
    /// Patients only: email preferences.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notifications: Option<NotificationPreferences>,
    /// Doctors only: the daily agenda email, on or off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub daily_agenda: Option<bool>,
}

/// `PUT /api/users/email`: a new address, confirmed by the current password. The
/// address counts as unconfirmed until the link sent to it is followed.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ChangeEmailRequest {
    #[cfg_attr(
        feature = "openapi",
        schema(example = "ann@example.com", max_length = 254)
    )]
    pub email: String,
    pub current_password: String,
}

/// `PUT /api/users/password`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ChangePasswordRequest {
    pub current_password: String,
    pub new_password: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_and_null_fields_differ() {
        let absent: UpdateProfileRequest = serde_json::from_str(r#"{"name":"A"}"#).unwrap();
        assert_eq!(absent.phone_number, None);
        let null: UpdateProfileRequest = serde_json::from_str(r#"{"phoneNumber":null}"#).unwrap();
        assert_eq!(null.phone_number, Some(None));
        let set: UpdateProfileRequest =
            serde_json::from_str(r#"{"phoneNumber":"+1 555 0100"}"#).unwrap();
        assert_eq!(set.phone_number, Some(Some("+1 555 0100".into())));
    }

    #[test]
    fn unknown_fields_are_ignored() {
        // Tolerant reading: a newer client's extra fields change nothing here.
        let req: UpdateProfileRequest = serde_json::from_str(r#"{"role":"ADMIN"}"#).unwrap();
        assert_eq!(req, UpdateProfileRequest::default());
    }
}

/// How a time zone is named beside a time, for people: "Berlin time" for
/// `Europe/Berlin`, "New York time" for `America/New_York`, "UTC" for `UTC`. The web
/// app and the emails say it the same way.
pub fn zone_label(name: &str) -> String {
    match name.rsplit_once('/') {
        Some((area, city)) if area != "Etc" && !city.is_empty() => {
            format!("{} time", city.replace('_', " "))
        }
        _ => name.to_owned(),
    }
}

#[cfg(test)]
mod zone_tests {
    use super::zone_label;

    #[test]
    fn zones_read_as_places() {
        assert_eq!(zone_label("Europe/Berlin"), "Berlin time");
        assert_eq!(
            zone_label("America/Argentina/Buenos_Aires"),
            "Buenos Aires time"
        );
        assert_eq!(zone_label("UTC"), "UTC");
        assert_eq!(zone_label("Etc/GMT+5"), "Etc/GMT+5");
    }
}
