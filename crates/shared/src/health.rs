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
    /// `ok` when every check passes.
    pub status: CheckStatus,
    /// The database answered a query.
    pub database: CheckStatus,
    /// `sqlite` or `postgres`.
    pub backend: String,
    pub version: String,
}
