use crate::helpers::*;
use mediconnect_test_macros::both_backends;

#[both_backends]
async fn health_reports_the_database(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = json_ok(app.get("/api/health", None).await).await;
    assert_eq!(body["status"], "ok");
    assert_eq!(body["database"], "ok");
    let expected = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    assert_eq!(body["backend"], expected);
}
