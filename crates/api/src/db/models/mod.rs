//! Row types and the queries on them. Rows never leave the server: responses are
//! built from them as `mediconnect_shared` DTOs.

pub mod account_tokens;
pub mod alert_audience;
pub mod analytics;
pub mod appointments;
pub mod audit_log;
pub mod booking_rules;
pub mod calendar_feeds;
pub mod consults;
pub mod doctors;
pub mod follows;
pub mod idempotency_keys;
pub mod invitations;
pub mod notification_jobs;
pub mod notifications;
pub mod patients;
pub mod presence_intervals;
pub mod presence_leases;
pub mod refresh_tokens;
pub mod schedule_exceptions;
pub mod time_off;
pub mod users;
pub mod waitlist;
pub mod working_hours;
