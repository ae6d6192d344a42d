use diesel::prelude::*;
use mediconnect_api::db::schema::{refresh_tokens, users};
use mediconnect_api::db::{DbId, DbTime};
use mediconnect_shared::{LoginResponse, Role};
use serde_json::json;

use crate::helpers::*;
use mediconnect_test_macros::both_backends;

#[both_backends]
async fn register_creates_an_account(backend: Backend) {
    let app = spawn_app(backend).await;
    let res = app
        .register(
            "  Dr. Jane Doe ",
            "  Jane.Doe@Example.COM ",
            "12345678",
            "DOCTOR",
            Some("Cardiology"),
        )
        .await;
    assert_eq!(res.status(), 201);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["message"], "User registered successfully");
    assert_eq!(body["user"]["name"], "Dr. Jane Doe");
    assert_eq!(body["user"]["email"], "jane.doe@example.com");
    assert_eq!(body["user"]["role"], "DOCTOR");
    assert!(
        body["user"]["id"]
            .as_str()
            .unwrap()
            .parse::<uuid::Uuid>()
            .is_ok()
    );
    // Minimum necessary: no hash, no internals.
    let keys: Vec<_> = body["user"].as_object().unwrap().keys().cloned().collect();
    assert_eq!(
        keys,
        ["email", "emailVerified", "id", "name", "role", "timeZone"]
    );
    assert_eq!(
        body["user"]["emailVerified"], false,
        "until the link is followed"
    );
    assert_eq!(
        body["user"]["timeZone"], "UTC",
        "UTC until the person chooses"
    );
}

#[both_backends]
async fn duplicate_email_in_any_case_is_409(backend: Backend) {
    let app = spawn_app(backend).await;
    assert_eq!(
        app.register("A", "dup@example.com", PASSWORD, "PATIENT", None)
            .await
            .status(),
        201
    );
    let p = problem(
        app.register("B", "DUP@Example.com", PASSWORD, "DOCTOR", Some("X"))
            .await,
        409,
    )
    .await;
    assert_eq!(p.kind, "urn:mediconnect:problem:email-taken");
}

#[both_backends]
async fn concurrent_registrations_of_one_email_create_one_account(backend: Backend) {
    let app = spawn_app(backend).await;
    let attempts = (0..12).map(|i| {
        let email = if i % 2 == 0 {
            "race@example.com"
        } else {
            "RACE@example.com"
        };
        app.register("Racer", email, PASSWORD, "PATIENT", None)
    });
    let results = futures_util::future::join_all(attempts).await;
    let statuses: Vec<u16> = results.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        11,
        "{statuses:?}"
    );
    let n: i64 = app
        .with_conn(|c| {
            users::table
                .filter(users::email.eq("race@example.com"))
                .count()
                .get_result(c)
                .unwrap()
        })
        .await;
    assert_eq!(n, 1);
}

#[both_backends]
async fn password_length_rules(backend: Backend) {
    let app = spawn_app(backend).await;
    let p = problem(
        app.register("A", "a@example.com", "1234567", "PATIENT", None)
            .await,
        422,
    )
    .await;
    assert!(p.field_message("password").unwrap().contains("at least 8"));
    let p = problem(
        app.register("A", "a@example.com", &"x".repeat(129), "PATIENT", None)
            .await,
        422,
    )
    .await;
    assert!(p.field_message("password").unwrap().contains("at most 128"));
    assert_eq!(
        app.register("A", "b@example.com", "12345678", "PATIENT", None)
            .await
            .status(),
        201
    );
    assert_eq!(
        app.register("A", "c@example.com", &"y".repeat(128), "PATIENT", None)
            .await
            .status(),
        201
    );
    // No composition rules: all lower-case letters is fine.
    assert_eq!(
        app.register("A", "d@example.com", "abcdefgh", "PATIENT", None)
            .await
            .status(),
        201
    );
}

#[both_backends]
async fn name_and_email_are_validated(backend: Backend) {
    let app = spawn_app(backend).await;
    let p = problem(
        app.register("   ", "a@example.com", PASSWORD, "PATIENT", None)
            .await,
        422,
    )
    .await;
    assert!(p.field_message("name").is_some());
    let p = problem(
        app.register(&"n".repeat(101), "a@example.com", PASSWORD, "PATIENT", None)
            .await,
        422,
    )
    .await;
    assert!(p.field_message("name").is_some());
    assert_eq!(
        app.register(
            &format!(" {} ", "n".repeat(100)),
            "a@example.com",
            PASSWORD,
            "PATIENT",
            None
        )
        .await
        .status(),
        201
    );
    let p = problem(
        app.register("A", "not-an-email", PASSWORD, "PATIENT", None)
            .await,
        422,
    )
    .await;
    assert!(p.field_message("email").is_some());
    // Every bad field in one answer.
    let p = problem(app.register("", "nope", "short", "DOCTOR", None).await, 422).await;
    for f in ["name", "email", "password", "specialization"] {
        assert!(p.field_message(f).is_some(), "{f}: {p:?}");
    }
}

#[both_backends]
async fn doctors_need_a_specialization(backend: Backend) {
    let app = spawn_app(backend).await;
    let p = problem(
        app.register("A", "doc@example.com", PASSWORD, "DOCTOR", None)
            .await,
        422,
    )
    .await;
    assert!(p.field_message("specialization").is_some());
    let p = problem(
        app.register("A", "doc@example.com", PASSWORD, "DOCTOR", Some("  "))
            .await,
        422,
    )
    .await;
    assert!(p.field_message("specialization").is_some());
    // A patient's is ignored, but not unbounded: the documented 100 characters hold.
    let p = problem(
        app.register(
            "A",
            "pat@example.com",
            PASSWORD,
            "PATIENT",
            Some(&"s".repeat(101)),
        )
        .await,
        422,
    )
    .await;
    assert!(p.field_message("specialization").is_some());
    assert_eq!(
        app.register(
            "A",
            "pat@example.com",
            PASSWORD,
            "PATIENT",
            Some(&"s".repeat(100))
        )
        .await
        .status(),
        201
    );
}

#[both_backends]
async fn admins_cannot_register(backend: Backend) {
    let app = spawn_app(backend).await;
    problem(
        app.register("Eve", "eve@example.com", PASSWORD, "ADMIN", None)
            .await,
        403,
    )
    .await;
    let n: i64 = app
        .with_conn(|c| users::table.count().get_result(c).unwrap())
        .await;
    assert_eq!(n, 0);
}

#[both_backends]
async fn login_returns_a_session(backend: Backend) {
    let app = spawn_app(backend).await;
    app.register("Ann", "ann@example.com", PASSWORD, "PATIENT", None)
        .await;
    let res = app.login("  ANN@example.com ", PASSWORD).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let body: LoginResponse = res.json().await.unwrap();
    assert_eq!(body.expires_in, 900);
    assert_eq!(body.user.email, "ann@example.com");
    assert_eq!(body.user.role, Role::Patient);
    assert!(!body.refresh_token.is_empty());
    // The token works, and carries sub and role.
    let keys = mediconnect_api::auth::JwtKeys::new(JWT_SECRET.as_bytes());
    let claims = keys.verify(&body.token).unwrap();
    assert_eq!(claims.sub, body.user.id);
    assert_eq!(claims.role, Role::Patient);
    assert_eq!(claims.exp - claims.iat, 900);
    assert_eq!(
        app.get("/api/users/profile", Some(&body.token))
            .await
            .status(),
        200
    );
}

#[both_backends]
async fn wrong_password_and_unknown_email_look_the_same(backend: Backend) {
    let app = spawn_app(backend).await;
    app.register("Ann", "ann@example.com", PASSWORD, "PATIENT", None)
        .await;
    let wrong = problem(app.login("ann@example.com", "wrong password").await, 401).await;
    let unknown = problem(app.login("nobody@example.com", PASSWORD).await, 401).await;
    assert_eq!(wrong, unknown);
    let bad_email = problem(app.login("not an email", PASSWORD).await, 401).await;
    assert_eq!(wrong, bad_email);
}

#[both_backends]
async fn deactivated_users_cannot_log_in_or_refresh(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.user(Role::Patient).await;
    let id = user.id;
    app.with_conn(move |c| {
        diesel::update(users::table.find(DbId(id)))
            .set(users::active.eq(false))
            .execute(c)
            .unwrap()
    })
    .await;
    let p = problem(app.login(&user.email, PASSWORD).await, 403).await;
    assert!(p.detail.unwrap().contains("deactivated"));
    // A wrong password still gets the generic answer: deactivation is not revealed.
    problem(app.login(&user.email, "wrong password").await, 401).await;
    problem(
        app.post(
            "/api/auth/refresh",
            None,
            &json!({"refreshToken": user.refresh_token}),
        )
        .await,
        401,
    )
    .await;
}

#[both_backends]
async fn refresh_rotates_the_pair(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.user(Role::Doctor).await;
    let res = app
        .post(
            "/api/auth/refresh",
            None,
            &json!({"refreshToken": user.refresh_token}),
        )
        .await;
    let next: LoginResponse = serde_json::from_value(json_ok(res).await).unwrap();
    assert_ne!(next.refresh_token, user.refresh_token);
    assert_eq!(next.user.id, user.id);
    assert_eq!(
        app.get("/api/users/profile", Some(&next.token))
            .await
            .status(),
        200
    );
    // The successor works once more.
    let res = app
        .post(
            "/api/auth/refresh",
            None,
            &json!({"refreshToken": next.refresh_token}),
        )
        .await;
    assert_eq!(res.status(), 200);
    // Stored as hashes only.
    let raw = next.refresh_token.clone();
    let stored: Vec<String> = app
        .with_conn(|c| {
            refresh_tokens::table
                .select(refresh_tokens::token_hash)
                .load(c)
                .unwrap()
        })
        .await;
    assert!(!stored.iter().any(|h| h == &raw));
}

#[both_backends]
async fn reusing_a_spent_refresh_token_revokes_the_family(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.user(Role::Patient).await;
    let first = user.refresh_token.clone();
    let res = app
        .post("/api/auth/refresh", None, &json!({"refreshToken": first}))
        .await;
    let successor: LoginResponse = res.json().await.unwrap();
    // Replay of the spent token: 401, and its successor dies with it.
    problem(
        app.post("/api/auth/refresh", None, &json!({"refreshToken": first}))
            .await,
        401,
    )
    .await;
    problem(
        app.post(
            "/api/auth/refresh",
            None,
            &json!({"refreshToken": successor.refresh_token}),
        )
        .await,
        401,
    )
    .await;
    // Another login (another family) is unaffected.
    let other: LoginResponse = app.login(&user.email, PASSWORD).await.json().await.unwrap();
    assert_eq!(
        app.post(
            "/api/auth/refresh",
            None,
            &json!({"refreshToken": other.refresh_token})
        )
        .await
        .status(),
        200
    );
}

#[both_backends]
async fn concurrent_refreshes_with_one_token_succeed_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.user(Role::Patient).await;
    let body = json!({"refreshToken": user.refresh_token});
    let results =
        futures_util::future::join_all((0..8).map(|_| app.post("/api/auth/refresh", None, &body)))
            .await;
    let ok = results.iter().filter(|r| r.status() == 200).count();
    assert_eq!(
        ok,
        1,
        "{:?}",
        results.iter().map(|r| r.status()).collect::<Vec<_>>()
    );
    assert!(
        results
            .iter()
            .all(|r| r.status() == 200 || r.status() == 401)
    );
}

#[both_backends]
async fn expired_and_unknown_refresh_tokens_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.user(Role::Patient).await;
    problem(
        app.post(
            "/api/auth/refresh",
            None,
            &json!({"refreshToken": "made-up"}),
        )
        .await,
        401,
    )
    .await;
    let id = user.id;
    app.with_conn(move |c| {
        diesel::update(refresh_tokens::table.filter(refresh_tokens::user_id.eq(DbId(id))))
            .set(
                refresh_tokens::expires_at
                    .eq(DbTime(chrono::Utc::now() - chrono::Duration::minutes(1))),
            )
            .execute(c)
            .unwrap()
    })
    .await;
    problem(
        app.post(
            "/api/auth/refresh",
            None,
            &json!({"refreshToken": user.refresh_token}),
        )
        .await,
        401,
    )
    .await;
}

#[both_backends]
async fn logout_revokes_the_session(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.user(Role::Patient).await;
    let res = app
        .post(
            "/api/auth/logout",
            None,
            &json!({"refreshToken": user.refresh_token}),
        )
        .await;
    assert_eq!(res.status(), 204);
    problem(
        app.post(
            "/api/auth/refresh",
            None,
            &json!({"refreshToken": user.refresh_token}),
        )
        .await,
        401,
    )
    .await;
    // Logging out again, or with a made-up token, is harmless.
    assert_eq!(
        app.post(
            "/api/auth/logout",
            None,
            &json!({"refreshToken": user.refresh_token})
        )
        .await
        .status(),
        204
    );
    assert_eq!(
        app.post(
            "/api/auth/logout",
            None,
            &json!({"refreshToken": "nonsense"})
        )
        .await
        .status(),
        204
    );
}

#[both_backends]
async fn access_tokens_are_checked(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.user(Role::Patient).await;
    let res = app.get("/api/users/profile", None).await;
    assert_eq!(res.headers()["www-authenticate"], "Bearer");
    problem(res, 401).await;
    problem(app.get("/api/users/profile", Some("not-a-jwt")).await, 401).await;
    let now = TestApp::now();
    let expired = app.forge_token(user.id, Role::Patient, now - 1000, now - 100);
    problem(app.get("/api/users/profile", Some(&expired)).await, 401).await;
    let valid = app.forge_token(user.id, Role::Patient, now, now + 60);
    assert_eq!(
        app.get("/api/users/profile", Some(&valid)).await.status(),
        200
    );
    // Signed with another secret.
    let other = mediconnect_api::auth::JwtKeys::new(b"some-other-secret-some-other-secret");
    let foreign = other.issue(user.id, Role::Patient).unwrap();
    problem(app.get("/api/users/profile", Some(&foreign)).await, 401).await;
    // alg=none.
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let none = format!(
        "{}.{}.",
        b64.encode(r#"{"alg":"none","typ":"JWT"}"#),
        b64.encode(format!(
            r#"{{"sub":"{}","role":"PATIENT","iat":{now},"exp":{}}}"#,
            user.id,
            now + 60
        ))
    );
    problem(app.get("/api/users/profile", Some(&none)).await, 401).await;
}

#[both_backends]
async fn auth_endpoints_are_rate_limited(backend: Backend) {
    let app = spawn_app_with(backend, |c| c.auth_rate_limit_per_minute = 3).await;
    for _ in 0..3 {
        assert_eq!(app.login("x@example.com", "whatever!").await.status(), 401);
    }
    let res = app.login("x@example.com", "whatever!").await;
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry));
    let p = problem(res, 429).await;
    assert_eq!(p.kind, "urn:mediconnect:problem:rate-limited");
    // Register and refresh share the same per-client budget.
    problem(
        app.register("A", "a@example.com", PASSWORD, "PATIENT", None)
            .await,
        429,
    )
    .await;
    // Other endpoints are not limited by it.
    assert_eq!(app.get("/api/health", None).await.status(), 200);
}
