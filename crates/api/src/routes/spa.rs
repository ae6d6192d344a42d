//! Serves the built SPA from `STATIC_DIR`, answering history routes (`/login`,
//! `/profile`, ...) with `index.html` so the client-side router can take over.

use std::path::{Path, PathBuf};

use actix_files::{Files, NamedFile};
use actix_web::dev::{ServiceRequest, ServiceResponse, fn_service};
use actix_web::{HttpResponse, web};

/// Whether `static_dir` holds a built SPA; warns once at start when it does not.
pub fn check(static_dir: &Path) {
    if !static_dir.join("index.html").is_file() {
        tracing::warn!(
            dir = %static_dir.display(),
            "no built SPA here; only the API is served (build it with `cargo xtask run`)"
        );
    }
}

pub fn routes(cfg: &mut web::ServiceConfig, static_dir: &Path) {
    let index = static_dir.join("index.html");
    if !index.is_file() {
        cfg.default_service(web::to(|| async {
            HttpResponse::NotFound()
                .content_type("text/plain; charset=utf-8")
                .body("The MediConnect web app is not built. Run `cargo xtask run`, or set STATIC_DIR.\n")
        }));
        return;
    }
    cfg.service(
        Files::new("/", static_dir)
            .index_file("index.html")
            .use_etag(true)
            .default_handler(fn_service(move |req: ServiceRequest| {
                let index: PathBuf = index.clone();
                async move {
                    let (req, _) = req.into_parts();
                    let file = NamedFile::open_async(&index).await?;
                    let mut res = file.into_response(&req);
                    res.headers_mut().insert(
                        actix_web::http::header::CACHE_CONTROL,
                        actix_web::http::header::HeaderValue::from_static("no-cache"),
                    );
                    Ok(ServiceResponse::new(req, res))
                }
            })),
    );
}
