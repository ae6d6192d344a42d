use actix_web::{HttpResponse, get, web};
use mediconnect_shared::{CheckStatus, HealthResponse};

use crate::state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(health);
}

/// Reports whether the service and its database answer.
#[utoipa::path(
    get,
    path = "/api/health",
    tag = "health",
    responses(
        (status = 200, description = "Healthy", body = HealthResponse),
        (status = 503, description = "The database does not answer", body = HealthResponse),
    )
)]
#[get("/health")]
pub async fn health(state: web::Data<AppState>) -> HttpResponse {
    // Answer within two seconds even when the database does not.
    let check = tokio::time::timeout(std::time::Duration::from_secs(2), state.db.check()).await;
    let database = match check {
        Ok(Ok(())) => CheckStatus::Ok,
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "health check: database unavailable");
            CheckStatus::Error
        }
        Err(_) => {
            tracing::warn!("health check: the database did not answer within 2 s");
            CheckStatus::Error
        }
    };
    let body = HealthResponse {
        status: database,
        database,
        backend: state.db.backend_name().to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
    };
    let mut res = if database == CheckStatus::Ok {
        HttpResponse::Ok()
    } else {
        HttpResponse::ServiceUnavailable()
    };
    res.insert_header(("Cache-Control", "no-store")).json(body)
}
