//! Password reset by email: one answer for every address, a link whose token is in
//! the fragment, single-use and short-lived, and a reset that signs out every session.

use std::time::Duration;

use chrono::Utc;
use diesel::prelude::*;
use mediconnect_api::config::Secret;
use mediconnect_api::db::DbTime;
use mediconnect_api::db::schema::account_tokens;
use mediconnect_shared::Role;
use mediconnect_smtp_sink::{Received, SmtpServer};
use serde_json::json;

use crate::helpers::*;
use mediconnect_test_macros::both_backends;

async fn app_with_smtp(backend: Backend, smtp: &SmtpServer) -> TestApp {
    let url = smtp.url();
    spawn_app_with(backend, move |c| c.smtp_url = Some(Secret::new(url))).await
}

async fn ask(app: &TestApp, email: &str) -> (u16, serde_json::Value) {
    let res = app
        .post("/api/auth/password-reset", None, &json!({"email": email}))
        .await;
    (res.status().as_u16(), res.json().await.unwrap())
}

/// The token of the reset link in `mail`, from the link's fragment.
fn token_in(mail: &Received) -> String {
    token_after(&mail.text(), "/reset-password#token=")
}

async fn confirm(app: &TestApp, token: &str, password: &str) -> reqwest::Response {
    app.post(
        "/api/auth/password-reset/confirm",
        None,
        &json!({"token": token, "newPassword": password}),
    )
    .await
}

const NEW_PASSWORD: &str = "a new secret, long enough";

#[both_backends]
async fn known_and_unknown_addresses_get_the_same_answer(backend: Backend) {
    let smtp = smtp_sink().await;
    let app = app_with_smtp(backend, &smtp).await;
    let ann = app.patient("Ann Reset").await;
    let known = ask(&app, &ann.email.to_uppercase()).await;
    let unknown = ask(&app, "nobody-here@example.com").await;
    assert_eq!(known.0, 202);
    assert_eq!(known, unknown);
    // What is not an address at all is refused, whoever asks.
    for bad in [
        "not an address".to_owned(),
        format!("{}@example.com", "a".repeat(250)),
    ] {
        assert_eq!(ask(&app, &bad).await.0, 422, "{bad}");
    }
    let mails = smtp.wait_for(1, 10).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        smtp.received().len(),
        1,
        "nothing is sent to an unknown address"
    );
    let mail = &mails[0];
    assert_eq!(mail.to.as_slice(), std::slice::from_ref(&ann.email));
    assert_eq!(
        mail.header("Subject").as_deref(),
        Some("Reset your MediConnect password")
    );
    let token = token_in(mail);
    assert_eq!(token.len(), 43, "256 bits, base64url");
    // Only the token's hash is stored.
    let stored: Vec<String> = app
        .with_conn(|conn| {
            account_tokens::table
                .filter(account_tokens::purpose.eq("PASSWORD_RESET"))
                .select(account_tokens::token_hash)
                .load(conn)
                .unwrap()
        })
        .await;
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0], token);
}

#[both_backends]
async fn a_link_sets_the_password_once_and_signs_out_everywhere(backend: Backend) {
    let smtp = smtp_sink().await;
    let app = app_with_smtp(backend, &smtp).await;
    let ann = app.patient("Ann Once").await;
    assert_eq!(ask(&app, &ann.email).await.0, 202);
    let token = token_in(&smtp.wait_for(1, 10).await[0]);

    let too_short = confirm(&app, &token, "short").await;
    assert!(
        problem(too_short, 422)
            .await
            .field_message("newPassword")
            .is_some()
    );
    // A refused password spends nothing: the link still works.
    assert_eq!(confirm(&app, &token, NEW_PASSWORD).await.status(), 204);

    // The old password is refused, the new one works.
    assert_eq!(app.login(&ann.email, PASSWORD).await.status(), 401);
    let session = json_ok(app.login(&ann.email, NEW_PASSWORD).await).await;
    // Signed in within the second of the reset, and not signed out by it.
    let access = session["token"].as_str().unwrap();
    let mine = app.get("/api/users/profile", Some(access)).await;
    assert_eq!(mine.status(), 200);
    // The session from before is over: its refresh token and its access token.
    let refreshed = app
        .post(
            "/api/auth/refresh",
            None,
            &json!({"refreshToken": ann.refresh_token}),
        )
        .await;
    assert_eq!(refreshed.status(), 401);
    let profile = app.get("/api/users/profile", Some(&ann.token)).await;
    assert_eq!(profile.status(), 401);

    // Used once: the same link now gets the one answer for every bad link.
    let again = problem(confirm(&app, &token, "another new secret").await, 400).await;
    assert!(again.kind.ends_with(":link-invalid"), "{}", again.kind);
    let unknown = problem(confirm(&app, "not-a-token", NEW_PASSWORD).await, 400).await;
    assert_eq!(unknown.kind, again.kind);
    assert_eq!(unknown.detail, again.detail);

    // The owner is told, in their zone, and the reset is in the audit trail.
    let mails = smtp.wait_for(2, 10).await;
    let notice = mails
        .iter()
        .find(|m| m.header("Subject").as_deref() == Some("Your MediConnect password was changed"))
        .expect("a notice of the change");
    assert!(notice.text().contains("(UTC)"), "{}", notice.text());
    assert!(!notice.text().contains(&token));
    let admin = app.user(Role::Admin).await;
    let trail = json_ok(
        app.get("/api/admin/audit?kind=user", Some(&admin.token))
            .await,
    )
    .await;
    let actions: Vec<&str> = trail["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["targetId"] == json!(ann.id))
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(actions.contains(&"user.password.reset"), "{actions:?}");
}

#[both_backends]
async fn an_expired_or_replaced_link_changes_nothing(backend: Backend) {
    let smtp = smtp_sink().await;
    let app = app_with_smtp(backend, &smtp).await;
    let ann = app.patient("Ann Late").await;
    ask(&app, &ann.email).await;
    let first = token_in(&smtp.wait_for(1, 10).await[0]);
    ask(&app, &ann.email).await;
    let mails = smtp.wait_for(2, 10).await;
    let second = token_in(&mails[1]);
    assert_ne!(first, second);
    // A newer link voids the older one.
    let replaced = problem(confirm(&app, &first, NEW_PASSWORD).await, 400).await;
    assert!(replaced.kind.ends_with(":link-invalid"));
    // The newer one expires 30 minutes after it was sent: move its end to the past.
    app.with_conn(|conn| {
        diesel::update(account_tokens::table)
            .set(account_tokens::expires_at.eq(DbTime(Utc::now() - chrono::Duration::seconds(1))))
            .execute(conn)
            .unwrap()
    })
    .await;
    let expired = problem(confirm(&app, &second, NEW_PASSWORD).await, 400).await;
    assert!(expired.kind.ends_with(":link-invalid"));
    assert_eq!(app.login(&ann.email, PASSWORD).await.status(), 200);
}

#[both_backends]
async fn a_deactivated_account_gets_no_link(backend: Backend) {
    let smtp = smtp_sink().await;
    let app = app_with_smtp(backend, &smtp).await;
    let ann = app.patient("Ann Gone").await;
    let admin = app.user(Role::Admin).await;
    let res = app
        .send_json(
            reqwest::Method::PATCH,
            &format!("/api/admin/users/{}", ann.id),
            Some(&admin.token),
            &json!({"active": false}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let before = smtp.received().len();
    assert_eq!(
        ask(&app, &ann.email).await,
        ask(&app, "nobody@example.com").await
    );
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(smtp.received().len(), before);
}

#[both_backends]
async fn an_admin_sends_a_reset_link_but_never_sees_a_password(backend: Backend) {
    let smtp = smtp_sink().await;
    let app = app_with_smtp(backend, &smtp).await;
    let ann = app.patient("Ann Helped").await;
    let admin = app.user(Role::Admin).await;
    let path = format!("/api/admin/users/{}/password-reset", ann.id);
    // Only admins.
    assert_eq!(
        app.post(&path, Some(&ann.token), &json!({})).await.status(),
        403
    );
    let unknown = format!("/api/admin/users/{}/password-reset", uuid::Uuid::new_v4());
    assert_eq!(
        app.post(&unknown, Some(&admin.token), &json!({}))
            .await
            .status(),
        404
    );

    let res = app.post(&path, Some(&admin.token), &json!({})).await;
    assert_eq!(res.status(), 202);
    let body = res.text().await.unwrap();
    assert!(!body.contains("token"), "{body}");
    let mails = smtp.wait_for(1, 10).await;
    assert_eq!(mails[0].to.as_slice(), std::slice::from_ref(&ann.email));
    let token = token_in(&mails[0]);
    // The old password works until the link is used.
    assert_eq!(app.login(&ann.email, PASSWORD).await.status(), 200);
    assert_eq!(confirm(&app, &token, NEW_PASSWORD).await.status(), 204);
    assert_eq!(app.login(&ann.email, NEW_PASSWORD).await.status(), 200);
    let trail = json_ok(
        app.get("/api/admin/audit?kind=admin", Some(&admin.token))
            .await,
    )
    .await;
    let sent = trail["entries"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["action"] == "admin.user.password_reset" && e["targetId"] == json!(ann.id));
    assert!(sent, "{trail}");

    // A deactivated account is refused, with nothing sent.
    let res = app
        .send_json(
            reqwest::Method::PATCH,
            &format!("/api/admin/users/{}", ann.id),
            Some(&admin.token),
            &json!({"active": false}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let refused = problem(app.post(&path, Some(&admin.token), &json!({})).await, 409).await;
    assert!(
        refused.kind.ends_with(":account-deactivated"),
        "{}",
        refused.kind
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        smtp.received().len(),
        2,
        "the link and the change notice only"
    );
}

#[both_backends]
async fn reset_requests_are_limited_per_address_across_clients(backend: Backend) {
    let app = spawn_app_with(backend, |c| {
        c.auth_rate_limit_per_minute = 3;
        c.trust_proxy = true;
    })
    .await;
    let send = |email: &str, client: String| {
        app.client
            .post(app.url("/api/auth/password-reset"))
            .header("X-Forwarded-For", client)
            .json(&json!({ "email": email }))
            .send()
    };
    // Three clients ask for one address: answered; a fourth is refused, whatever the case.
    for i in 0..3 {
        let res = send("target@example.com", format!("10.2.0.{i}"))
            .await
            .unwrap();
        assert_eq!(res.status(), 202);
    }
    let res = send("TARGET@example.com", "10.2.0.99".into())
        .await
        .unwrap();
    assert!(res.headers().contains_key("retry-after"));
    problem(res, 429).await;
    // Another address, from a fresh client, is answered.
    let res = send("other@example.com", "10.2.0.100".into())
        .await
        .unwrap();
    assert_eq!(res.status(), 202);
}
