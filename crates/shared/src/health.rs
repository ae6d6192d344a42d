//! `GET /api/health`

use serde::{Deserialize, Serialize};

/// State of one dependency, or of the whole service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum CheckStatus {
    Ok,
    Error,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct HealthResponse {
    /// `ok` when every check passes (the answer is 200 either way: this is liveness).
    pub status: CheckStatus,
    /// The database answered a query within two seconds.
    pub database: CheckStatus,
    /// `sqlite` or `postgres`.
    pub backend: String,
    pub version: String,
}

/// One readiness check; `skipped` where it does not apply (the event feed on SQLite).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum ReadyCheck {
    Ok,
    Error,
    Skipped,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ReadinessChecks {
    /// The database answered a query within two seconds.
    pub database: ReadyCheck,
    /// The mail worker went round its loop recently.
    pub mail_worker: ReadyCheck,
    /// PostgreSQL only: the LISTEN connection that carries other replicas' events.
    pub listener: ReadyCheck,
}

/// `GET /api/health/ready`: whether this replica should receive traffic.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ReadinessResponse {
    /// `ok` when no check fails.
    pub status: CheckStatus,
    pub checks: ReadinessChecks,
}
