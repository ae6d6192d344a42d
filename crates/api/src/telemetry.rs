//! Logging setup, and the helper that runs blocking work off the async workers
//! without losing the request's span.

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::writer::MakeWriterExt;

use crate::config::LogFormat;
use crate::error::ApiError;
use crate::request_id::{REQUEST_ID, REQUEST_ID_HEADER, well_formed};

/// Installs the global subscriber. `RUST_LOG` filters (default `info`).
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,actix_server=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr.with_max_level(tracing::Level::TRACE));
    let _ = match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
        LogFormat::Pretty => builder.try_init(),
    };
}

/// Runs `f` on the blocking pool, inside the caller's span.
pub async fn blocking<F, T>(f: F) -> Result<T, ApiError>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let span = tracing::Span::current();
    actix_web::web::block(move || span.in_scope(f))
        .await
        .map_err(ApiError::internal)
}

/// The path as logged: a calendar feed's address is its credential, and is logged as
/// its pattern.
fn loggable_path(path: &str) -> String {
    if path.starts_with("/api/calendar/") {
        "/api/calendar/{token}.ics".to_owned()
    } else {
        path.to_owned()
    }
}

/// Every request: an id (returned as `X-Request-Id` and on every log line of the
/// request, through its span, also inside `web::block`), its metrics by route
/// pattern, and one log line: method, path without the query string (which may hold
/// personal data), status and duration. Health probes and scrapes are not logged.
pub async fn observe(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    use tracing::Instrument;
    let id = req
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| well_formed(v))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let span = tracing::info_span!("request", request_id = %id);
    let method = req.method().clone();
    let path = loggable_path(req.path());
    let metrics = req
        .app_data::<actix_web::web::Data<crate::metrics::Metrics>>()
        .map(|m| m.clone().into_inner());
    let started = std::time::Instant::now();
    let mut res = REQUEST_ID
        .scope(id.clone(), next.call(req).instrument(span.clone()))
        .await?;
    let took = started.elapsed();
    let status = res.status().as_u16();
    if let Some(metrics) = metrics {
        let route = match res.request().match_pattern() {
            Some(pattern) => pattern,
            None if path.starts_with("/api/") => "(unmatched)".to_owned(),
            None => "(web app)".to_owned(),
        };
        metrics.observe_request(&route, method.as_str(), status, took);
    }
    if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&id) {
        res.headers_mut().insert(
            actix_web::http::header::HeaderName::from_static(REQUEST_ID_HEADER),
            value,
        );
    }
    if !path.starts_with("/api/health") && path != "/metrics" {
        let ms = took.as_secs_f64() * 1000.0;
        let _entered = span.enter();
        if status >= 500 {
            tracing::warn!(%method, %path, status, ms, "request");
        } else {
            tracing::info!(%method, %path, status, ms, "request");
        }
    }
    Ok(res)
}
