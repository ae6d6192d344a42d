use std::sync::atomic::Ordering;
use std::time::Duration;

use actix_web::{HttpResponse, get, web};
use mediconnect_shared::{
    CheckStatus, HealthResponse, ReadinessChecks, ReadinessResponse, ReadyCheck,
};

use crate::state::AppState;

/// The mail worker beats at least every few seconds, and after every send; a send
/// gives up after 30 s, connecting another 30 s.
const MAIL_HEARTBEAT_STALE: Duration = Duration::from_secs(90);

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(health).service(ready);
}

/// Whether the database answers within two seconds, logging why not.
async fn database_answers(state: &AppState) -> bool {
    let check = tokio::time::timeout(Duration::from_secs(2), state.db.check()).await;
    match check {
        Ok(Ok(())) => true,
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "health check: database unavailable");
            false
        }
        Err(_) => {
            tracing::warn!("health check: the database did not answer within 2 s");
            false
        }
    }
}

fn status(ok: bool) -> CheckStatus {
    if ok {
        CheckStatus::Ok
    } else {
        CheckStatus::Error
    }
}

fn answer<T: serde::Serialize>(ok: bool, body: T) -> HttpResponse {
    let mut res = if ok {
        HttpResponse::Ok()
    } else {
        HttpResponse::ServiceUnavailable()
    };
    res.insert_header(("Cache-Control", "no-store")).json(body)
}

/// Liveness: 200 whenever the process answers, so that an orchestrator does not
/// restart replicas because the database is down. The body also says whether the
/// database answered, for people; traffic decisions belong to `/api/health/ready`.
#[utoipa::path(
    get,
    operation_id = "getHealth",
    path = "/api/health",
    tag = "health",
    responses(
        (
            status = 200,
            description = "The process answers; `database` says whether the database did",
            body = HealthResponse
        ),
    )
)]
#[get("/health")]
pub async fn health(state: web::Data<AppState>) -> HttpResponse {
    let database = status(database_answers(&state).await);
    let body = HealthResponse {
        status: database,
        database,
        backend: state.db.backend_name().to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
    };
    answer(true, body)
}

/// Readiness: the database answers, the mail worker is alive and, on PostgreSQL, the
/// connection that carries other replicas' events is up. 503 while any check fails.
#[utoipa::path(
    get,
    operation_id = "getReadiness",
    path = "/api/health/ready",
    tag = "health",
    responses(
        (status = 200, description = "Ready for traffic", body = ReadinessResponse),
        (
            status = 503,
            description = "A check fails; the body says which",
            body = ReadinessResponse
        ),
    )
)]
#[get("/health/ready")]
pub async fn ready(state: web::Data<AppState>) -> HttpResponse {
    let check = |ok: bool| {
        if ok {
            ReadyCheck::Ok
        } else {
            ReadyCheck::Error
        }
    };
    let database = check(database_answers(&state).await);
    let beat = state.mail.heartbeat.load(Ordering::Relaxed);
    let age = chrono::Utc::now().timestamp().saturating_sub(beat);
    let mail_worker = check(beat_is_fresh(age));
    if mail_worker == ReadyCheck::Error {
        tracing::warn!(seconds = age, "readiness: the mail worker has not beaten");
    }
    let listener = if state.db.is_postgres() {
        check(state.hub.feed_connected.load(Ordering::Relaxed))
    } else {
        ReadyCheck::Skipped
    };
    let checks = ReadinessChecks {
        database,
        mail_worker,
        listener,
    };
    let ok = [database, mail_worker, listener]
        .iter()
        .all(|c| *c != ReadyCheck::Error);
    answer(
        ok,
        ReadinessResponse {
            status: status(ok),
            checks,
        },
    )
}

/// Whether a mail worker whose last beat was `age` seconds ago counts as alive. A beat
/// from the future (the clock stepped back) counts as fresh.
fn beat_is_fresh(age: i64) -> bool {
    age <= MAIL_HEARTBEAT_STALE.as_secs() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mail_worker_is_stale_after_ninety_seconds_without_a_beat() {
        assert!(beat_is_fresh(0));
        assert!(beat_is_fresh(90));
        assert!(!beat_is_fresh(91));
        assert!(!beat_is_fresh(3600));
        assert!(beat_is_fresh(-30));
    }
}
