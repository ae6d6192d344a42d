use serde_json::json;

use crate::helpers::*;
use mediconnect_test_macros::both_backends;

#[both_backends]
async fn malformed_bodies_get_named_4xx(backend: Backend) {
    let app = spawn_app(backend).await;
    let url = app.url("/api/auth/register");
    let send = |body: String, ct: &'static str| {
        app.client
            .post(&url)
            .header("content-type", ct)
            .body(body)
            .send()
    };
    let p = problem(
        send("{\"name\":".into(), "application/json").await.unwrap(),
        400,
    )
    .await;
    assert!(p.detail.unwrap().contains("not valid JSON"));
    let p = problem(
        send(
            r#"{"name":5,"email":"a@b.co","password":"12345678","role":"PATIENT"}"#.into(),
            "application/json",
        )
        .await
        .unwrap(),
        422,
    )
    .await;
    assert!(p.detail.unwrap().contains("invalid type"));
    let p = problem(
        send(
            r#"{"name":"A","email":"a@b.co","password":"12345678","role":"NURSE"}"#.into(),
            "application/json",
        )
        .await
        .unwrap(),
        422,
    )
    .await;
    assert!(p.detail.unwrap().contains("NURSE"));
    let p = problem(
        send(
            r#"{"name":"A","password":"12345678","role":"PATIENT"}"#.into(),
            "application/json",
        )
        .await
        .unwrap(),
        422,
    )
    .await;
    assert!(p.detail.unwrap().contains("email"));
    problem(
        send("name=A".into(), "application/x-www-form-urlencoded")
            .await
            .unwrap(),
        415,
    )
    .await;
    let huge = json!({
        "name": "x".repeat(70 * 1024),
        "email": "a@b.co",
        "password": "12345678",
        "role": "PATIENT"
    });
    problem(
        send(huge.to_string(), "application/json").await.unwrap(),
        413,
    )
    .await;
}

#[both_backends]
async fn unknown_api_paths_and_methods_are_problems(backend: Backend) {
    let app = spawn_app(backend).await;
    problem(app.get("/api/nothing-here", None).await, 404).await;
    let res = app
        .client
        .delete(app.url("/api/auth/login"))
        .send()
        .await
        .unwrap();
    assert!(
        matches!(res.status().as_u16(), 404 | 405),
        "{}",
        res.status()
    );
    problem(res, res_status(&app, "/api/auth/login").await).await;
}

#[both_backends]
async fn responses_carry_safety_headers(backend: Backend) {
    let app = spawn_app(backend).await;
    let res = app.get("/api/health", None).await;
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    assert_eq!(res.headers()["referrer-policy"], "no-referrer");
}

#[both_backends]
async fn cors_allows_only_listed_origins(backend: Backend) {
    let app = spawn_app_with(backend, |c| {
        c.cors_origins = vec!["https://partner.example".into()]
    })
    .await;
    let preflight = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, app.url("/api/auth/login"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .send()
    };
    let ok = preflight("https://partner.example").await.unwrap();
    assert_eq!(
        ok.headers()["access-control-allow-origin"],
        "https://partner.example"
    );
    let refused = preflight("https://evil.example").await.unwrap();
    assert!(
        refused
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

async fn res_status(app: &TestApp, path: &str) -> u16 {
    app.client
        .delete(app.url(path))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}
