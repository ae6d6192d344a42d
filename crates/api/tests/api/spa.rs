use crate::both_backends;
use crate::helpers::*;

both_backends! {
    async fn serves_the_spa_with_history_fallback(backend) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("index.html"), "<!doctype html><title>MediConnect</title>").unwrap();
        std::fs::write(dir.path().join("app-123.js"), "console.log(1)").unwrap();
        let static_dir = dir.path().to_owned();
        let app = spawn_app_with(backend, move |c| c.static_dir = static_dir).await;
        for path in ["/", "/login", "/profile", "/some/deep/route"] {
            let res = app.get(path, None).await;
            assert_eq!(res.status(), 200, "{path}");
            assert!(res.text().await.unwrap().contains("<title>MediConnect"), "{path}");
        }
        assert_eq!(app.get("/app-123.js", None).await.text().await.unwrap(), "console.log(1)");
        // API paths never fall back to the page.
        problem(app.get("/api/unknown", None).await, 404).await;
    }

    async fn says_so_when_the_spa_is_not_built(backend) {
        let app = spawn_app(backend).await;
        let res = app.get("/", None).await;
        assert_eq!(res.status(), 404);
        assert!(res.text().await.unwrap().contains("cargo xtask run"));
    }
}
