//! Serves the built SPA from `STATIC_DIR`, answering history routes (`/login`,
//! `/profile`, ...) with `index.html` so the client-side router can take over, under a
//! strict Content-Security-Policy, with long caching for content-hashed files. The
//! build precompresses the wasm, JS and CSS (`.br`, `.gz` beside each file); those are
//! served as they are to clients that accept them, so nothing is compressed per request.

use std::path::{Path, PathBuf};

use actix_files::{Files, NamedFile};
use actix_web::dev::{ServiceRequest, ServiceResponse, fn_service};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentEncoding, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};

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
                .body(
                    "The MediConnect web app is not built. Run `cargo xtask run`, or set \
                     STATIC_DIR.\n",
                )
        }));
        return;
    }
    let dir = static_dir.to_owned();
    let precompressed = move |req: HttpRequest| precompressed(req, dir.clone());
    cfg.service(
        web::resource("/{name:[^/]+\\.(?:wasm|js|css)}")
            .route(web::get().to(precompressed.clone()))
            .route(web::head().to(precompressed)),
    );
    cfg.service(
        Files::new("/", static_dir)
            .index_file("index.html")
            .use_etag(true)
            .default_handler(fn_service(move |req: ServiceRequest| {
                let index: PathBuf = index.clone();
                async move {
                    let (req, _) = req.into_parts();
                    let known = is_app_path(req.path());
                    let file = NamedFile::open_async(&index).await?;
                    let mut res = file.into_response(&req);
                    // An address the app has no page for gets the app (which shows its
                    // not-found page) with the status that says so, for crawlers,
                    // link checkers and monitoring.
                    if !known && res.status() == StatusCode::OK {
                        *res.status_mut() = StatusCode::NOT_FOUND;
                    }
                    res.headers_mut().insert(
                        actix_web::http::header::CACHE_CONTROL,
                        actix_web::http::header::HeaderValue::from_static("no-cache"),
                    );
                    Ok(ServiceResponse::new(req, res))
                }
            })),
    );
}

/// The web app's pages (`frontend/src/app.rs`, `page`): these answer 200; any other
/// address answers 404 with the app, which shows its not-found page.
const APP_PATHS: &[&str] = &[
    "/",
    "/login",
    "/register",
    "/forgot-password",
    "/reset-password",
    "/verify-email",
    "/accept-invitation",
    "/profile",
    "/doctors",
    "/appointments",
    "/schedule",
    "/admin",
];

/// Whether the app has a page at `path` (a trailing slash is the same page): one of
/// [`APP_PATHS`], or a doctor's page, `/doctors/{id}`.
fn is_app_path(path: &str) -> bool {
    let trimmed = path.trim_end_matches('/');
    APP_PATHS.contains(&if trimmed.is_empty() { "/" } else { trimmed })
        || trimmed
            .strip_prefix("/doctors/")
            .is_some_and(|id| uuid::Uuid::parse_str(id).is_ok())
}

/// A top-level wasm, JS or CSS file: its `.br` or `.gz` twin when the client accepts
/// that encoding and the build made one, else the file itself.
async fn precompressed(req: HttpRequest, dir: PathBuf) -> actix_web::Result<HttpResponse> {
    // No separator and no leading dot: the name cannot leave the directory.
    let name = req.match_info().get("name").unwrap_or_default();
    let plain = dir.join(name);
    if name.contains(['/', '\\']) || name.starts_with('.') || !plain.is_file() {
        return Ok(HttpResponse::NotFound()
            .content_type("text/plain; charset=utf-8")
            .body("Not found.\n"));
    }
    let accepted = req
        .headers()
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let mime = actix_files::file_extension_to_mime(
        plain
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or_default(),
    );
    for (coding, suffix, encoding) in [
        ("br", "br", ContentEncoding::Brotli),
        ("gzip", "gz", ContentEncoding::Gzip),
    ] {
        let twin = dir.join(format!("{name}.{suffix}"));
        if accepts(accepted, coding) && twin.is_file() {
            let mut res = NamedFile::open_async(&twin)
                .await?
                .set_content_type(mime.clone())
                .set_content_encoding(encoding)
                .into_response(&req);
            res.headers_mut()
                .insert(header::VARY, HeaderValue::from_static("accept-encoding"));
            return Ok(res);
        }
    }
    Ok(NamedFile::open_async(&plain).await?.into_response(&req))
}

/// Whether an `Accept-Encoding` value admits `coding` (named, and not with `q=0`).
fn accepts(accept_encoding: &str, coding: &str) -> bool {
    accept_encoding.split(',').any(|item| {
        let mut parts = item.split(';').map(str::trim);
        parts.next().is_some_and(|c| c.eq_ignore_ascii_case(coding))
            && !parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            })
    })
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

/// Whether a file name carries a content hash: `name-0123456789abcdef.ext`, as Trunk
/// and `cargo xtask split-web` name files. Trunk writes its 64-bit hash without leading
/// zeros, so one name in sixteen has fifteen digits (and fewer, more rarely).
fn is_hashed(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let stem = name.split('.').next().unwrap_or(name);
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    stem.rsplit_once('-').is_some_and(|(_, hash)| {
        (12..=16).contains(&hash.len()) && hash.chars().all(|c| c.is_ascii_hexdigit())
    })
}

pub async fn headers(
    req: ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody>,
) -> Result<ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
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
    let status = res.status();
    let headers = res.headers_mut();
    if html {
        if let Ok(csp) = HeaderValue::from_str(&spa.csp(&host)) {
            headers.insert(header::CONTENT_SECURITY_POLICY, csp);
        }
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    } else if is_hashed(&path) {
        // Only the file itself is forever: a 404 for a name another replica already
        // serves (a rolling upgrade) must not be cached.
        let cache = if status.is_success() || status == StatusCode::NOT_MODIFIED {
            "public, max-age=31536000, immutable"
        } else {
            "no-store"
        };
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
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
    fn reads_accept_encoding() {
        assert!(accepts("gzip, deflate, br", "br"));
        assert!(accepts("gzip, deflate, br", "gzip"));
        assert!(accepts("BR;q=0.5", "br"));
        assert!(!accepts("br;q=0, gzip", "br"));
        assert!(!accepts("br;q=0.0", "br"));
        assert!(!accepts("gzip", "br"));
        assert!(!accepts("", "gzip"));
        assert!(!accepts("x-gzip", "gzip"));
    }

    #[test]
    fn recognises_hashed_files() {
        assert!(is_hashed("/mediconnect-frontend-d9787f7f92cd3d39.js"));
        assert!(is_hashed("/mediconnect-frontend-d9787f7f92cd3d39_bg.wasm"));
        assert!(is_hashed("/style-a5ecee38b2b4b0d3.css"));
        // Trunk drops a hash's leading zeros.
        assert!(is_hashed("/mediconnect-frontend-504935ee46c5d65.js"));
        // Page modules and their loader (`cargo xtask split-web`).
        assert!(is_hashed("/split_admin_page-4dd65a4e8ebc6491.wasm"));
        assert!(is_hashed("/chunk_9-6f45dc84f1835384.wasm"));
        assert!(is_hashed("/__wasm_split-e2ce6a805188c6ac.js"));
        assert!(!is_hashed("/chunk_9.wasm"));
        assert!(!is_hashed("/report-2026.css"));
        assert!(!is_hashed("/index.html"));
        assert!(!is_hashed("/favicon.svg"));
        assert!(!is_hashed("/profile"));
    }
}
