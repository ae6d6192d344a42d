//! An appointment's inputs: when it starts, and why (the visit reason).

use chrono::{DateTime, Duration, Utc};

/// When an appointment starts: in the future, and at most [`Self::MAX_DAYS_AHEAD`]
/// days ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppointmentStart(DateTime<Utc>);

impl AppointmentStart {
    /// How far ahead an appointment may be booked.
    pub const MAX_DAYS_AHEAD: i64 = 180;

    pub fn parse(start: DateTime<Utc>, now: DateTime<Utc>) -> Result<Self, String> {
        if start <= now {
            return Err("The time must be in the future".into());
        }
        if start > now + Duration::days(Self::MAX_DAYS_AHEAD) {
            return Err(format!(
                "Appointments can be booked at most {} days ahead",
                Self::MAX_DAYS_AHEAD
            ));
        }
        Ok(AppointmentStart(start))
    }

    pub fn at(self) -> DateTime<Utc> {
        self.0
    }
}

/// Why a patient books: trimmed, at most [`Self::MAX_CHARS`] characters, no control
/// characters but line breaks and tabs. Seen only by the patient and their doctor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitReason(String);

impl VisitReason {
    pub const MAX_CHARS: usize = 500;

    /// `None` for no reason (absent, empty or blank).
    pub fn parse(input: Option<&str>) -> Result<Option<Self>, String> {
        match input.map(str::trim) {
            None | Some("") => Ok(None),
            Some(r) if r.chars().count() > Self::MAX_CHARS => Err(format!(
                "The reason must be at most {} characters",
                Self::MAX_CHARS
            )),
            Some(r) if r.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) => {
                Err(
                    "The reason must not contain control characters other than line breaks and tabs"
                        .into(),
                )
            }
            Some(r) => Ok(Some(VisitReason(r.to_owned()))),
        }
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}
