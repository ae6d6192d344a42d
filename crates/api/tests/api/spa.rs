use crate::helpers::*;
use mediconnect_test_macros::both_backends;

#[both_backends]
async fn serves_the_spa_with_history_fallback(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("index.html"),
        "<!doctype html><title>MediConnect</title>",
    )
    .unwrap();
    std::fs::write(dir.path().join("app-123.js"), "console.log(1)").unwrap();
    let static_dir = dir.path().to_owned();
    let app = spawn_app_with(backend, move |c| c.static_dir = static_dir).await;
    for path in [
        "/",
        "/login",
        "/profile",
        "/profile/",
        "/doctors",
        "/appointments",
        "/schedule",
        "/admin",
        "/register",
        "/doctors/0d9c1d34-5f1e-4c59-9d2c-3a0a3e6c4b11",
    ] {
        let res = app.get(path, None).await;
        assert_eq!(res.status(), 200, "{path}");
        assert!(
            res.text().await.unwrap().contains("<title>MediConnect"),
            "{path}"
        );
    }
    // An address without a page answers 404, with the app, which shows its
    // not-found page.
    for path in [
        "/some/deep/route",
        "/profiles",
        "/doctors/x/y",
        "/doctors/not-an-id",
        "/doctors/0d9c1d34-5f1e-4c59-9d2c-3a0a3e6c4b11/x",
    ] {
        let res = app.get(path, None).await;
        assert_eq!(res.status(), 404, "{path}");
        assert!(
            res.text().await.unwrap().contains("<title>MediConnect"),
            "{path}"
        );
    }
    assert_eq!(
        app.get("/app-123.js", None).await.text().await.unwrap(),
        "console.log(1)"
    );
    // API paths never fall back to the page.
    problem(app.get("/api/unknown", None).await, 404).await;
}

#[both_backends]
async fn serves_precompressed_assets_to_clients_that_accept_them(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("index.html"),
        "<!doctype html><title>MediConnect</title>",
    )
    .unwrap();
    let name = "app-0123456789abcdef_bg.wasm";
    std::fs::write(dir.path().join(name), b"plain wasm").unwrap();
    std::fs::write(dir.path().join(format!("{name}.br")), b"brotli bytes").unwrap();
    std::fs::write(dir.path().join(format!("{name}.gz")), b"gzip bytes").unwrap();
    std::fs::write(dir.path().join("style-0123456789abcdef.css"), "body{}").unwrap();
    let static_dir = dir.path().to_owned();
    let app = spawn_app_with(backend, move |c| c.static_dir = static_dir).await;
    let fetch = |accept: &'static str| {
        let req = app.client.get(app.url(&format!("/{name}")));
        let req = if accept.is_empty() {
            req
        } else {
            req.header("Accept-Encoding", accept)
        };
        async move { req.send().await.unwrap() }
    };
    for (accept, encoding, body) in [
        ("gzip, deflate, br", Some("br"), "brotli bytes"),
        ("br;q=0, gzip", Some("gzip"), "gzip bytes"),
        ("gzip", Some("gzip"), "gzip bytes"),
        ("identity", None, "plain wasm"),
    ] {
        let res = fetch(accept).await;
        assert_eq!(res.status(), 200, "{accept}");
        let h = |n: &str| res.headers().get(n).map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(h("content-encoding").as_deref(), encoding, "{accept}");
        assert_eq!(
            h("content-type").as_deref(),
            Some("application/wasm"),
            "{accept}"
        );
        assert_eq!(
            h("cache-control").as_deref(),
            Some("public, max-age=31536000, immutable")
        );
        if encoding.is_some() {
            assert!(
                h("vary")
                    .unwrap_or_default()
                    .to_ascii_lowercase()
                    .contains("accept-encoding")
            );
        }
        assert_eq!(res.bytes().await.unwrap(), body.as_bytes(), "{accept}");
    }
    // Without a precompressed twin the file itself is served.
    let res = app.get("/style-0123456789abcdef.css", None).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.unwrap(), "body{}");
    // A file that is not there (yet, on this replica, during a rolling upgrade) is
    // not cached: the next try may find it.
    let missing = app.get("/missing-0123456789abcdef.js", None).await;
    assert_eq!(missing.status(), 404);
    let cache = missing
        .headers()
        .get("cache-control")
        .map(|v| v.to_str().unwrap().to_owned());
    assert_eq!(cache.as_deref(), Some("no-store"));
    // Names never leave the directory.
    assert_ne!(app.get("/..%2Fsecret.js", None).await.status(), 200);
}

#[both_backends]
async fn says_so_when_the_spa_is_not_built(backend: Backend) {
    let app = spawn_app(backend).await;
    let res = app.get("/", None).await;
    assert_eq!(res.status(), 404);
    assert!(res.text().await.unwrap().contains("cargo xtask run"));
}
