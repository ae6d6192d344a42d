//! One error type for the whole API, rendered as RFC 9457 `application/problem+json`.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use mediconnect_shared::{FieldError, Problem};

pub const PROBLEM_JSON: &str = "application/problem+json";

/// The `type` of a validation problem; clients can branch on it.
pub const VALIDATION_TYPE: &str = "urn:mediconnect:problem:validation";

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the request cannot be read (malformed JSON, bad query string).
    #[error("{0}")]
    BadRequest(String),
    /// 422: the request was read but some fields are invalid.
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// 422: the request is well-formed but cannot be carried out as asked.
    #[error("{0}")]
    Unprocessable(String),
    /// 401: no valid credentials.
    #[error("{0}")]
    Unauthorized(String),
    /// 403: authenticated, but not allowed.
    #[error("{0}")]
    Forbidden(String),
    /// 403: allowed to this account once a step of its own is done (its address
    /// confirmed, say). `rule` names the step (in the problem `type`).
    #[error("{detail}")]
    NotYet { rule: &'static str, detail: String },
    /// 404: nothing there, or nothing the caller may know about.
    #[error("{0}")]
    NotFound(String),
    /// 409: a uniqueness or state rule was hit. `rule` names it (in the problem `type`).
    #[error("{detail}")]
    Conflict { rule: &'static str, detail: String },
    /// 422: a rule of the doctor's or the clinic's refuses this (too little notice, too
    /// far ahead). `rule` names it (in the problem `type`); `detail` is for the user.
    #[error("{detail}")]
    Rule { rule: &'static str, detail: String },
    /// 409: a change would cancel these appointments, and was not told to.
    #[error("{detail}")]
    Affected {
        rule: &'static str,
        detail: String,
        affected: Vec<mediconnect_shared::AffectedAppointment>,
    },
    /// 400: a one-time link (its token) was spent, has expired, was replaced, or never
    /// existed: one answer for all four.
    #[error("{0}")]
    LinkInvalid(String),
    /// 413
    #[error("{0}")]
    PayloadTooLarge(String),
    /// 415
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 429, with `Retry-After` in seconds.
    #[error("too many requests")]
    TooManyRequests { retry_after_secs: u64 },
    /// 503: a dependency (the database) is unavailable; the client may retry.
    #[error("{0}")]
    Unavailable(String),
    /// 500: anything unexpected. The cause is logged, never sent.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        ApiError::Validation(vec![FieldError {
            field: field.to_owned(),
            message: message.into(),
        }])
    }

    pub fn internal(err: impl Into<anyhow::Error>) -> Self {
        ApiError::Internal(err.into())
    }

    /// 403 `email-unverified`: what an account whose address is not yet confirmed
    /// cannot do, worded for its role.
    pub fn email_unverified(role: mediconnect_shared::Role) -> Self {
        let what = match role {
            mediconnect_shared::Role::Doctor => "go online for patients",
            _ => "book appointments",
        };
        ApiError::NotYet {
            rule: "email-unverified",
            detail: format!(
                "Confirm your email address first: follow the link we sent you, or ask for a \
                 new one. Until then you cannot {what}."
            ),
        }
    }
}

/// Whether a diesel error is a unique-constraint violation.
pub fn is_unique_violation(err: &diesel::result::Error) -> bool {
    matches!(
        err,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)
    )
}

/// `email-taken` (409): an account has this address already.
pub fn email_taken() -> ApiError {
    ApiError::Conflict {
        rule: "email-taken",
        detail: "An account with this email already exists.".into(),
    }
}

/// [`email_taken`] for a write that hit the unique index on addresses; any other
/// database error as it is.
pub fn email_taken_or(err: diesel::result::Error) -> ApiError {
    if is_unique_violation(&err) {
        email_taken()
    } else {
        err.into()
    }
}

impl ApiError {
    fn problem_type(&self) -> String {
        match self {
            ApiError::Validation(_) => VALIDATION_TYPE.to_owned(),
            ApiError::Conflict { rule, .. }
            | ApiError::NotYet { rule, .. }
            | ApiError::Affected { rule, .. }
            | ApiError::Rule { rule, .. } => {
                format!("urn:mediconnect:problem:{rule}")
            }
            ApiError::TooManyRequests { .. } => "urn:mediconnect:problem:rate-limited".to_owned(),
            ApiError::LinkInvalid(_) => "urn:mediconnect:problem:link-invalid".to_owned(),
            _ => "about:blank".to_owned(),
        }
    }

    /// The problem body; logs the cause of an internal error under a fresh correlation id.
    pub fn to_problem(&self) -> Problem {
        let status = self.status_code();
        let title = status.canonical_reason().unwrap_or("Error").to_owned();
        let mut problem = Problem {
            kind: self.problem_type(),
            title,
            status: status.as_u16(),
            detail: None,
            errors: Vec::new(),
            correlation_id: None,
            affected: Vec::new(),
        };
        match self {
            ApiError::Validation(errors) => {
                problem.title = "Validation failed".into();
                problem.detail = Some(
                    errors
                        .iter()
                        .map(|e| format!("{}: {}", e.field, e.message))
                        .collect::<Vec<_>>()
                        .join("; "),
                );
                problem.errors = errors.clone();
            }
            ApiError::Internal(err) => {
                // The request's id, so that the log lines of the request are found by it.
                let id = crate::request_id::current()
                    .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
                tracing::error!(correlation_id = %id, error = ?err, "unexpected error");
                problem.detail = Some(
                    "Something went wrong on our side. Quote the correlation id if you report it."
                        .into(),
                );
                problem.correlation_id = Some(id);
            }
            ApiError::TooManyRequests { retry_after_secs } => {
                let unit = if *retry_after_secs == 1 {
                    "second"
                } else {
                    "seconds"
                };
                problem.detail = Some(format!(
                    "Too many attempts. Try again in {retry_after_secs} {unit}."
                ));
            }
            ApiError::Affected {
                detail, affected, ..
            } => {
                problem.detail = Some(detail.clone());
                problem.affected = affected.clone();
            }
            other => problem.detail = Some(other.to_string()),
        }
        problem
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) | ApiError::LinkInvalid(_) => StatusCode::BAD_REQUEST,
            ApiError::Validation(_) | ApiError::Unprocessable(_) | ApiError::Rule { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) | ApiError::NotYet { .. } => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict { .. } | ApiError::Affected { .. } => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let problem = self.to_problem();
        let mut res = HttpResponse::build(self.status_code());
        res.content_type(PROBLEM_JSON);
        res.insert_header((header::CACHE_CONTROL, "no-store"));
        match self {
            ApiError::Unauthorized(_) => {
                res.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
            }
            ApiError::TooManyRequests { retry_after_secs } => {
                res.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
            }
            _ => {}
        }
        res.json(problem)
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(err: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match err {
            Error::NotFound => ApiError::NotFound("Not found.".into()),
            Error::DatabaseError(DatabaseErrorKind::ClosedConnection, _) => {
                ApiError::Unavailable("The database is unavailable. Try again shortly.".into())
            }
            other => ApiError::Internal(anyhow::Error::new(other).context("database query")),
        }
    }
}

/// Turns actix's own extractor failures into problems with a message that names the problem.
pub mod extractors {
    use super::*;
    use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};

    pub fn json_error(err: JsonPayloadError, _req: &HttpRequest) -> actix_web::Error {
        let api = match err {
            JsonPayloadError::OverflowKnownLength { limit, .. }
            | JsonPayloadError::Overflow { limit } => {
                ApiError::PayloadTooLarge(format!("The request body is larger than {limit} bytes."))
            }
            JsonPayloadError::ContentType => ApiError::UnsupportedMediaType(
                "Send the request body as JSON, with Content-Type: application/json.".into(),
            ),
            JsonPayloadError::Deserialize(e) => describe_json_error(&e),
            JsonPayloadError::Payload(e) => {
                ApiError::BadRequest(format!("The request body could not be read: {e}"))
            }
            other => ApiError::BadRequest(format!("The request body could not be read: {other}")),
        };
        api.into()
    }

    /// Syntax errors are 400; well-formed JSON of the wrong shape (missing fields, wrong
    /// types, unknown enum values) is 422.
    pub fn describe_json_error(e: &serde_json::Error) -> ApiError {
        use serde_json::error::Category;
        match e.classify() {
            Category::Data => ApiError::Unprocessable(format!("Invalid request body: {e}")),
            Category::Syntax | Category::Eof => {
                ApiError::BadRequest(format!("The request body is not valid JSON: {e}"))
            }
            Category::Io => {
                ApiError::BadRequest(format!("The request body could not be read: {e}"))
            }
        }
    }

    pub fn query_error(err: QueryPayloadError, _req: &HttpRequest) -> actix_web::Error {
        ApiError::BadRequest(format!("Invalid query parameters: {err}")).into()
    }

    pub fn path_error(_err: PathError, _req: &HttpRequest) -> actix_web::Error {
        ApiError::NotFound("Not found.".into()).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::MessageBody;

    fn body(err: ApiError) -> (StatusCode, serde_json::Value) {
        let res = err.error_response();
        let status = res.status();
        assert_eq!(
            res.headers().get(header::CONTENT_TYPE).unwrap(),
            PROBLEM_JSON
        );
        let bytes = res.into_body().try_into_bytes().unwrap();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    #[test]
    fn internal_errors_are_opaque() {
        let (status, json) = body(ApiError::internal(anyhow::anyhow!("secret table exploded")));
        assert_eq!(status, 500);
        assert!(!json.to_string().contains("secret table"));
        assert!(json["correlationId"].as_str().unwrap().len() >= 32);
    }

    #[test]
    fn validation_errors_list_fields() {
        let (status, json) = body(ApiError::field("email", "is not an email address"));
        assert_eq!(status, 422);
        assert_eq!(json["type"], VALIDATION_TYPE);
        assert_eq!(json["errors"][0]["field"], "email");
        assert_eq!(json["status"], 422);
    }

    #[test]
    fn json_syntax_is_400_and_shape_is_422() {
        let syntax = serde_json::from_str::<serde_json::Value>("{").unwrap_err();
        assert_eq!(extractors::describe_json_error(&syntax).status_code(), 400);
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct S {
            a: u8,
        }
        let shape = serde_json::from_str::<S>(r#"{"a":"x"}"#).unwrap_err();
        assert_eq!(extractors::describe_json_error(&shape).status_code(), 422);
    }
}
