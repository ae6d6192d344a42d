//! RFC 9457 problem details, the body of every error answer.

use serde::{Deserialize, Serialize};

/// One invalid field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldError {
    /// The JSON field name, camelCase, as sent by the client.
    pub field: String,
    pub message: String,
}

/// `application/problem+json` (RFC 9457).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    /// A URI reference naming the kind of problem; `about:blank` when only the status matters.
    #[serde(rename = "type")]
    pub kind: String,
    /// Short, human-readable summary of the kind of problem.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong in this occurrence, in words meant for the user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Field-level validation errors.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// Correlation id of an unexpected error, to quote to the operators.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    /// The appointments a change would cancel, when it is refused for them (409
    /// `doctor-has-appointments`, `appointments-affected`): send it again with the
    /// flag the problem names to cancel them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub affected: Vec<AffectedAppointment>,
}

/// An appointment a change would cancel: when, and nothing about the patient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AffectedAppointment {
    pub id: uuid::Uuid,
    #[serde(deserialize_with = "crate::time::instant")]
    pub scheduled_for: chrono::DateTime<chrono::Utc>,
    #[serde(deserialize_with = "crate::time::instant")]
    pub ends_at: chrono::DateTime<chrono::Utc>,
}

impl Problem {
    /// The message for the given field, if the server reported one.
    pub fn field_message(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
}
