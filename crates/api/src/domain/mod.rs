//! Domain newtypes. Each parses untrusted input once, at the edge; code past that line
//! cannot hold an invalid value. Parse errors are messages for the user, without the
//! field name (the caller knows which field it parsed).

mod appointment;
mod date_of_birth;
mod email;
mod license;
mod password;
mod person_name;
mod phone;
#[cfg(test)]
mod properties;
mod specialization;
pub mod zone;

pub use appointment::{AppointmentStart, VisitReason};
pub use date_of_birth::DateOfBirth;
pub use email::EmailAddress;
pub use license::LicenseNumber;
pub use password::Password;
pub use person_name::PersonName;
pub use phone::PhoneNumber;
pub use specialization::Specialization;
pub use zone::Zone;

use mediconnect_shared::{FieldError, PageQuery};

/// The case-folded form of a name or specialization, stored beside it so that
/// case-insensitive search works the same on both backends (SQLite's `lower()` folds
/// only ASCII).
pub fn fold(s: &str) -> String {
    s.to_lowercase()
}

/// How long an access token is valid, in seconds.
pub const ACCESS_TOKEN_TTL_SECS: u64 = 15 * 60;

/// Validates list paging: `page` from 1 (default 1), `limit` from 1 to 100 (default
/// 20). The message names the parameter at fault.
pub fn paging(q: PageQuery) -> Result<(u32, u32), String> {
    let page = q.page.unwrap_or(1);
    if !(1..=1_000_000).contains(&page) {
        return Err("page must be from 1 to 1000000.".into());
    }
    let limit = q.limit.unwrap_or(PageQuery::DEFAULT_LIMIT);
    if !(1..=PageQuery::MAX_LIMIT).contains(&limit) {
        return Err("limit must be from 1 to 100.".into());
    }
    Ok((page, limit))
}

/// A search text of a query parameter (`name` for the error) as a case-folded LIKE
/// pattern matching it anywhere, `%` `_` and `\` escaped (use with `.escape('\\')`);
/// `None` when absent or blank. At most 100 characters.
pub fn contains_pattern(text: Option<&str>, name: &str) -> Result<Option<String>, String> {
    match text.map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) if s.chars().count() > 100 => {
            Err(format!("{name} must be at most 100 characters."))
        }
        Some(s) => {
            let escaped = fold(s)
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            Ok(Some(format!("%{escaped}%")))
        }
    }
}

/// Collects the parse errors of several fields, so that one answer lists all of them.
#[derive(Default)]
pub struct Fields {
    errors: Vec<FieldError>,
}

impl Fields {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records the error of a parse under `field` and returns the value, if any.
    pub fn check<T>(&mut self, field: &str, result: Result<T, String>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(message) => {
                self.errors.push(FieldError {
                    field: field.to_owned(),
                    message,
                });
                None
            }
        }
    }

    pub fn push(&mut self, field: &str, message: impl Into<String>) {
        self.errors.push(FieldError {
            field: field.to_owned(),
            message: message.into(),
        });
    }

    /// `Ok` when no field failed.
    pub fn finish(self) -> Result<(), crate::error::ApiError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(crate::error::ApiError::Validation(self.errors))
        }
    }
}

/// `input` trimmed, if that is at most `max` characters.
pub(crate) fn at_most<'a>(input: &'a str, what: &str, max: usize) -> Result<&'a str, String> {
    let trimmed = input.trim();
    if trimmed.chars().count() > max {
        return Err(format!("{what} must be at most {max} characters"));
    }
    Ok(trimmed)
}

/// A span of `minutes` in words: "90 minutes", "2 hours", and whole days from
/// `days_from` minutes on ("1 day" with 1440, "24 hours" then "2 days" with 2880).
pub(crate) fn span_in_words(minutes: u32, days_from: u32) -> String {
    let (n, unit) = if minutes >= days_from.max(1440) && minutes.is_multiple_of(1440) {
        (minutes / 1440, "day")
    } else if minutes >= 60 && minutes.is_multiple_of(60) {
        (minutes / 60, "hour")
    } else {
        (minutes, "minute")
    };
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

/// Trims and checks a one-line free-text value: length in characters, no control
/// characters.
pub(crate) fn single_line(input: &str, what: &str, max: usize) -> Result<String, String> {
    let trimmed = at_most(input, what, max)?;
    if trimmed.is_empty() {
        return Err(format!("{what} must not be empty"));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(format!("{what} must not contain control characters"));
    }
    Ok(trimmed.to_owned())
}
