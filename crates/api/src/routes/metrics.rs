//! `GET /metrics`: the Prometheus text format, for loopback scrapers or holders of
//! `METRICS_TOKEN`; never public by default.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(metrics);
}

/// A direct connection from this machine. A request relayed by a reverse proxy on
/// this machine also comes from loopback, so one that carries forwarding headers
/// does not count.
fn from_loopback(req: &HttpRequest) -> bool {
    let forwarded = ["forwarded", "x-forwarded-for", "x-real-ip"]
        .iter()
        .any(|h| req.headers().contains_key(*h));
    !forwarded && req.peer_addr().is_some_and(|a| a.ip().is_loopback())
}

fn has_token(req: &HttpRequest, token: Option<&str>) -> bool {
    let (Some(token), Some(given)) = (
        token,
        req.headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ")),
    ) else {
        return false;
    };
    // Compared as digests, so the time taken says nothing about the token.
    Sha256::digest(given.trim().as_bytes()) == Sha256::digest(token.as_bytes())
}

/// Prometheus metrics (text format 0.0.4). Served to loopback clients, or with
/// `Authorization: Bearer <METRICS_TOKEN>`; 403 otherwise.
#[utoipa::path(
    get,
    operation_id = "getMetrics",
    path = "/metrics",
    tag = "health",
    responses(
        (
            status = 200,
            description = "Prometheus text format",
            body = String,
            content_type = "text/plain"
        ),
        (
            status = 403,
            description = "Not from loopback and without the metrics token",
            body = mediconnect_shared::Problem,
            content_type = "application/problem+json"
        ),
    ),
    security(("bearer" = []), ())
)]
#[get("/metrics")]
pub async fn metrics(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let token = state
        .config
        .metrics_token
        .as_ref()
        .map(|t| t.expose().as_str());
    if !from_loopback(&req) && !has_token(&req, token) {
        return Err(ApiError::Forbidden(
            "Metrics are served to this machine, or with the metrics token.".into(),
        ));
    }
    let body = state.metrics.render(&state.db).await;
    Ok(HttpResponse::Ok()
        .insert_header((
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body))
}
