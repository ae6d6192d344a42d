//! Row types and the queries on them. Rows never leave the server: responses are
//! built from them as `mediconnect_shared` DTOs.

pub mod alert_audience;
pub mod appointments;
pub mod doctors;
pub mod follows;
pub mod idempotency_keys;
pub mod notification_jobs;
pub mod notifications;
pub mod patients;
pub mod refresh_tokens;
pub mod users;
