//! The id of each request: kept from the client's `X-Request-Id` when well formed,
//! returned in the response, on every log line of the request, and as a 500's
//! correlation id. A module of its own, below the error type and the telemetry that
//! both use it.

tokio::task_local! {
    pub(crate) static REQUEST_ID: String;
}

/// The id of the request being handled, on its task (a 500's correlation id).
pub fn current() -> Option<String> {
    REQUEST_ID.try_with(|id| id.clone()).ok()
}

/// An incoming `X-Request-Id` is kept if it is 1 to 64 letters, digits, `.`, `_` or
/// `-` (safe in a log line and a header); otherwise the request gets a new one.
pub(crate) fn well_formed(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

pub const REQUEST_ID_HEADER: &str = "x-request-id";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_checked() {
        assert!(well_formed("abc-123_X.y"));
        assert!(well_formed(&"a".repeat(64)));
        assert!(!well_formed(""));
        assert!(!well_formed(&"a".repeat(65)));
        assert!(!well_formed("has space"));
        assert!(!well_formed("new\nline"));
        assert!(!well_formed("emoji-\u{1F600}"));
    }
}
