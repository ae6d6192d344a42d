//! Serves the built SPA from `STATIC_DIR`, answering history routes (`/login`,
//! `/profile`, ...) with `index.html` so the client-side router can take over, under a
//! strict Content-Security-Policy, with long caching for content-hashed files.

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

/// Security and caching headers of the web app's responses.
pub struct SpaHeaders {
    index: PathBuf,
    /// `'sha256-…'` of each inline script of index.html (Trunk's loader), recomputed
    /// when the file changes (a rebuild while the server runs).
    script_hashes: std::sync::Mutex<(Option<std::time::SystemTime>, String)>,
    hsts: bool,
}

impl SpaHeaders {
    pub fn new(static_dir: &Path, public_url: Option<&str>) -> SpaHeaders {
        SpaHeaders {
            index: static_dir.join("index.html"),
            script_hashes: std::sync::Mutex::new((None, String::new())),
            hsts: public_url.is_some_and(|u| u.starts_with("https://")),
        }
    }

    fn script_hashes(&self) -> String {
        let modified = std::fs::metadata(&self.index)
            .and_then(|m| m.modified())
            .ok();
        let mut cached = self.script_hashes.lock().unwrap_or_else(|e| e.into_inner());
        if cached.0 != modified || modified.is_none() {
            let html = std::fs::read_to_string(&self.index).unwrap_or_default();
            *cached = (modified, inline_script_hashes(&html).join(" "));
        }
        cached.1.clone()
    }

    fn csp(&self, host: &str) -> String {
        format!(
            "default-src 'self'; script-src 'self' 'wasm-unsafe-eval' {hashes}; style-src 'self'; \
             img-src 'self' data:; font-src 'self'; connect-src 'self' ws://{host} wss://{host}; \
             object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
            hashes = self.script_hashes()
        )
    }
}

/// The CSP hashes of the inline `<script>` elements of a page.
pub fn inline_script_hashes(html: &str) -> Vec<String> {
    use base64::Engine;
    use sha2::{Digest, Sha256};
    let mut hashes = Vec::new();
    let mut rest = html;
    while let Some(open) = rest.find("<script") {
        let after_open = &rest[open..];
        let Some(tag_end) = after_open.find('>') else {
            break;
        };
        let tag = &after_open[..tag_end];
        let body_start = &after_open[tag_end + 1..];
        let Some(close) = body_start.find("</script>") else {
            break;
        };
        if !tag.contains(" src=") {
            let digest = Sha256::digest(&body_start.as_bytes()[..close]);
            hashes.push(format!(
                "'sha256-{}'",
                base64::engine::general_purpose::STANDARD.encode(digest)
            ));
        }
        rest = &body_start[close..];
    }
    hashes
}

/// Whether a file name carries a content hash (Trunk: `name-0123456789abcdef.ext`).
fn is_hashed(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let stem = name.split('.').next().unwrap_or(name);
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    stem.rsplit_once('-')
        .is_some_and(|(_, hash)| hash.len() == 16 && hash.chars().all(|c| c.is_ascii_hexdigit()))
}

pub async fn headers(
    req: ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody>,
) -> Result<ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    use actix_web::http::header::{self, HeaderValue};
    let path = req.path().to_owned();
    let spa = req.app_data::<web::Data<SpaHeaders>>().cloned();
    let host = req.connection_info().host().to_owned();
    let mut res = next.call(req).await?;
    if path.starts_with("/api/") || path == "/api" {
        return Ok(res);
    }
    let Some(spa) = spa else { return Ok(res) };
    let html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let headers = res.headers_mut();
    if html {
        if let Ok(csp) = HeaderValue::from_str(&spa.csp(&host)) {
            headers.insert(header::CONTENT_SECURITY_POLICY, csp);
        }
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    } else if is_hashed(&path) {
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=31536000, immutable"),
        );
    }
    if spa.hsts {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_only_inline_scripts() {
        let html = r#"<script src="/a.js"></script><script type="module">init()</script>"#;
        let hashes = inline_script_hashes(html);
        assert_eq!(hashes.len(), 1);
        // echo -n 'init()' | openssl dgst -sha256 -binary | base64
        assert!(hashes[0].starts_with("'sha256-") && hashes[0].ends_with("='"));
    }

    #[test]
    fn recognises_hashed_files() {
        assert!(is_hashed("/mediconnect-frontend-d9787f7f92cd3d39.js"));
        assert!(is_hashed("/mediconnect-frontend-d9787f7f92cd3d39_bg.wasm"));
        assert!(is_hashed("/style-a5ecee38b2b4b0d3.css"));
        assert!(!is_hashed("/index.html"));
        assert!(!is_hashed("/favicon.svg"));
        assert!(!is_hashed("/profile"));
    }
}
