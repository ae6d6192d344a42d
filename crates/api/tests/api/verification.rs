//! Confirming an address: a link at registration and at every change of address, whose
//! token is in the fragment, single-use and voided by a newer one; until it is
//! followed, a patient cannot book and gets no alerts and a doctor cannot go online.

use std::time::Duration;

use chrono::Utc;
use diesel::prelude::*;
use mediconnect_api::config::Secret;
use mediconnect_api::db::DbTime;
use mediconnect_api::db::schema::{account_tokens, audit_log, notifications};
use mediconnect_shared::LoginResponse;
use mediconnect_smtp_sink::{Received, SmtpServer};
use serde_json::json;
use uuid::Uuid;

use crate::helpers::*;
use mediconnect_test_macros::both_backends;

const LINK: &str = "/verify-email#token=";

/// Registers and signs in without following the confirmation link.
async fn unconfirmed(app: &TestApp, role: &str, name: &str) -> TestUser {
    let email = format!(
        "{}-{}@example.com",
        role.to_lowercase(),
        Uuid::new_v4().simple()
    );
    let specialization = (role == "DOCTOR").then_some("Cardiology");
    let res = app
        .register(name, &email, PASSWORD, role, specialization)
        .await;
    assert_eq!(res.status(), 201);
    let session: LoginResponse = app.login(&email, PASSWORD).await.json().await.unwrap();
    assert!(
        !session.user.email_verified,
        "not confirmed at registration"
    );
    TestUser {
        id: session.user.id,
        email,
        token: session.token,
        refresh_token: session.refresh_token,
    }
}

async fn verify(app: &TestApp, token: &str) -> reqwest::Response {
    app.post("/api/auth/verify-email", None, &json!({"token": token}))
        .await
}

async fn verified(app: &TestApp, user: &TestUser) -> bool {
    let profile = json_ok(app.get("/api/users/profile", Some(&user.token)).await).await;
    profile["emailVerified"].as_bool().expect("emailVerified")
}

fn mails_to<'a>(mails: &'a [Received], address: &str, subject: &str) -> Vec<&'a Received> {
    mails
        .iter()
        .filter(|m| m.to == [address.to_owned()])
        .filter(|m| m.header("Subject").as_deref() == Some(subject))
        .collect()
}

async fn resend(app: &TestApp, user: &TestUser) -> (u16, serde_json::Value) {
    let res = app
        .post(
            "/api/auth/verify-email/resend",
            Some(&user.token),
            &json!({}),
        )
        .await;
    (res.status().as_u16(), res.json().await.unwrap())
}

#[both_backends]
async fn registration_sends_a_link_that_confirms_the_address_once(backend: Backend) {
    let smtp = SmtpServer::start().await.expect("a loopback SMTP server");
    let url = smtp.url();
    let app = spawn_app_with(backend, move |c| c.smtp_url = Some(Secret::new(url))).await;
    let ann = unconfirmed(&app, "PATIENT", "Ann Confirm").await;
    assert!(!verified(&app, &ann).await);

    let mails = smtp.wait_for(1, 10).await;
    let mail = mails_to(&mails, &ann.email, CONFIRMATION_SUBJECT)[0];
    let text = mail.text();
    assert!(text.contains("Hello Ann Confirm"), "{text}");
    assert!(text.contains("48 hours"), "{text}");
    assert!(
        text.contains("http://localhost:8080/verify-email#token="),
        "the token is in the fragment: {text}"
    );
    let token = token_after(&text, LINK);
    assert_eq!(token.len(), 43, "256 bits, base64url");
    // Only the token's hash is stored.
    let stored: Vec<String> = app
        .with_conn(|c| {
            account_tokens::table
                .select(account_tokens::token_hash)
                .load(c)
                .unwrap()
        })
        .await;
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0], token);

    assert_eq!(verify(&app, &token).await.status(), 204);
    assert!(verified(&app, &ann).await);
    let session: LoginResponse = app.login(&ann.email, PASSWORD).await.json().await.unwrap();
    assert!(session.user.email_verified);
    // Spent: the second use changes nothing and says why, as an unknown token does.
    for spent in [token.as_str(), "not-a-token-at-all"] {
        let p = problem(verify(&app, spent).await, 400).await;
        assert!(p.kind.ends_with(":link-invalid"), "{}", p.kind);
    }
    let audited: Vec<(String, Option<mediconnect_api::db::DbId>)> = app
        .with_conn(|c| {
            audit_log::table
                .filter(audit_log::action.eq("user.email.verify"))
                .select((audit_log::action, audit_log::target_id))
                .load(c)
                .unwrap()
        })
        .await;
    assert_eq!(audited.len(), 1);
    assert_eq!(audited[0].1.as_ref().map(|id| id.0), Some(ann.id));
    // Confirmed already: a new link is not sent.
    let (status, body) = resend(&app, &ann).await;
    assert_eq!(status, 202);
    assert_eq!(body["message"], "Your email address is confirmed already.");
}

#[both_backends]
async fn an_expired_link_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let ann = unconfirmed(&app, "PATIENT", "Ann Late").await;
    let token = app.confirmation_token(ann.id).await;
    // 48 hours pass.
    app.with_conn(|c| {
        let past = Utc::now() - chrono::Duration::seconds(1);
        diesel::update(account_tokens::table)
            .set(account_tokens::expires_at.eq(DbTime(past)))
            .execute(c)
            .unwrap();
    })
    .await;
    let p = problem(verify(&app, &token).await, 400).await;
    assert!(p.kind.ends_with(":link-invalid"));
    assert!(!verified(&app, &ann).await);
}

#[both_backends]
async fn a_new_link_voids_the_older_one(backend: Backend) {
    let app = spawn_app_with(backend, |c| c.auth_rate_limit_per_minute = 6).await;
    // Registering and signing in are two attempts of the six.
    let ann = unconfirmed(&app, "PATIENT", "Ann Again").await;
    let first = app.confirmation_token(ann.id).await;
    // Distinct creation times, so that "newest" is well defined on both backends.
    tokio::time::sleep(Duration::from_millis(20)).await;
    let (status, body) = resend(&app, &ann).await;
    assert_eq!(status, 202);
    assert!(
        body["message"].as_str().unwrap().contains(&ann.email),
        "{body}"
    );
    let second = app.confirmation_token(ann.id).await;
    assert_ne!(first, second);
    problem(verify(&app, &first).await, 400).await;
    assert_eq!(verify(&app, &second).await.status(), 204);
    // Six attempts: the next one is refused with a time to wait.
    assert_eq!(resend(&app, &ann).await.0, 202);
    let res = app
        .post(
            "/api/auth/verify-email/resend",
            Some(&ann.token),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), 429);
    assert!(res.headers().contains_key("retry-after"));
}

#[both_backends]
async fn asking_for_a_new_link_takes_a_session(backend: Backend) {
    let app = spawn_app(backend).await;
    problem(
        app.post("/api/auth/verify-email/resend", None, &json!({}))
            .await,
        401,
    )
    .await;
}

#[both_backends]
async fn an_unconfirmed_patient_cannot_book_and_gets_no_alerts(backend: Backend) {
    let app = spawn_app_with(backend, |c| c.notify_cooldown = Duration::ZERO).await;
    let doctor = app.doctor("Dr. Waiting", "Cardiology").await;
    let doctor_id = json_ok(app.get("/api/doctors", None).await).await["doctors"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let pat = unconfirmed(&app, "PATIENT", "Pat Pending").await;
    let start = (Utc::now() + chrono::Duration::days(2))
        .date_naive()
        .and_hms_opt(10, 0, 0)
        .unwrap()
        .and_utc();
    let book = || async {
        app.post(
            "/api/appointments",
            Some(&pat.token),
            &json!({"doctorId": doctor_id, "scheduledFor": start.to_rfc3339()}),
        )
        .await
    };
    let p = problem(book().await, 403).await;
    assert!(p.kind.ends_with(":email-unverified"), "{}", p.kind);
    assert!(p.detail.unwrap().contains("Confirm your email address"));

    // The doctor comes online: everybody else is announced to, not them.
    let alerted = |user: Uuid| {
        let app = &app;
        async move {
            app.with_conn(move |c| {
                notifications::table
                    .filter(notifications::kind.eq("DOCTOR_ONLINE"))
                    .filter(notifications::user_id.eq(Some(mediconnect_api::db::DbId(user))))
                    .count()
                    .get_result::<i64>(c)
                    .unwrap()
            })
            .await
        }
    };
    let other = app.patient("Pat Confirmed").await;
    app.set_online(&doctor, true).await;
    eventually(10, Duration::from_millis(50), || async {
        match alerted(other.id).await {
            1 => Ok(()),
            n => Err(format!("{n} alerts to the confirmed patient")),
        }
    })
    .await;
    assert_eq!(alerted(pat.id).await, 0);

    // Confirmed: they book, and the next announcement reaches them.
    app.confirm_email(pat.id).await;
    assert_eq!(book().await.status(), 201);
    app.set_online(&doctor, false).await;
    app.set_online(&doctor, true).await;
    eventually(10, Duration::from_millis(50), || async {
        match alerted(pat.id).await {
            1 => Ok(()),
            n => Err(format!("{n} alerts to the newly confirmed patient")),
        }
    })
    .await;
}

#[both_backends]
async fn an_unconfirmed_doctor_cannot_go_online(backend: Backend) {
    let app = spawn_app(backend).await;
    let doc = unconfirmed(&app, "DOCTOR", "Dr. Unconfirmed").await;
    // Approved (tests/api/approval.rs is about that), but the address is unconfirmed.
    app.approve_doctor(doc.id).await;
    let online = app
        .put(
            "/api/doctors/status",
            Some(&doc.token),
            &json!({"isOnline": true}),
        )
        .await;
    let p = problem(online, 403).await;
    assert!(p.kind.ends_with(":email-unverified"), "{}", p.kind);
    assert!(p.detail.unwrap().contains("go online"));
    // Offline, as they are, is fine.
    json_ok(
        app.put(
            "/api/doctors/status",
            Some(&doc.token),
            &json!({"isOnline": false}),
        )
        .await,
    )
    .await;
    app.confirm_email(doc.id).await;
    let now = app.set_online(&doc, true).await;
    assert_eq!(now["isOnline"], true);
}

#[both_backends]
async fn a_new_address_is_confirmed_again_and_the_old_one_is_told(backend: Backend) {
    let smtp = SmtpServer::start().await.expect("a loopback SMTP server");
    let url = smtp.url();
    let app = spawn_app_with(backend, move |c| c.smtp_url = Some(Secret::new(url))).await;
    let ann = app.patient("Ann Moving").await;
    let other = app.patient("Bo Other").await;
    let change = |email: &str, password: &str| {
        let body = json!({"email": email, "currentPassword": password});
        let app = &app;
        let token = ann.token.clone();
        async move { app.put("/api/users/email", Some(&token), &body).await }
    };
    let p = problem(change("ann.new@example.com", "not the password").await, 422).await;
    assert_eq!(p.errors[0].field, "currentPassword");
    let p = problem(change("not an address", PASSWORD).await, 422).await;
    assert_eq!(p.errors[0].field, "email");
    let p = problem(change(&ann.email.to_uppercase(), PASSWORD).await, 422).await;
    assert_eq!(p.errors[0].field, "email", "the same address");
    let p = problem(change(&other.email, PASSWORD).await, 409).await;
    assert!(p.kind.ends_with(":email-taken"));

    let profile = json_ok(change("Ann.New@Example.com", PASSWORD).await).await;
    assert_eq!(profile["email"], "ann.new@example.com");
    assert_eq!(profile["emailVerified"], false);

    let mails = smtp.wait_for(4, 10).await;
    let notice = mails_to(
        &mails,
        &ann.email,
        "Your MediConnect email address was changed",
    );
    assert_eq!(notice.len(), 1, "the old address is told");
    let text = notice[0].text();
    assert!(text.contains("a***@example.com"), "{text}");
    assert!(
        !text.contains("ann.new@"),
        "the new address only in part: {text}"
    );
    let link = mails_to(&mails, "ann.new@example.com", CONFIRMATION_SUBJECT);
    assert_eq!(link.len(), 1, "the new address gets a link");
    // Until it is confirmed, no booking; signing in takes the new address.
    let session: LoginResponse = app
        .login("ann.new@example.com", PASSWORD)
        .await
        .json()
        .await
        .unwrap();
    assert!(!session.user.email_verified);
    problem(app.login(&ann.email, PASSWORD).await, 401).await;
    let token = token_after(&link[0].text(), LINK);
    assert_eq!(verify(&app, &token).await.status(), 204);
    assert!(verified(&app, &ann).await);
}

#[both_backends]
async fn a_password_reset_confirms_the_address(backend: Backend) {
    let app = spawn_app(backend).await;
    let ann = unconfirmed(&app, "PATIENT", "Ann Reset").await;
    assert_eq!(
        app.post(
            "/api/auth/password-reset",
            None,
            &json!({"email": ann.email})
        )
        .await
        .status(),
        202
    );
    let token = app
        .link_token(ann.id, "PASSWORD_RESET", "/reset-password")
        .await;
    let res = app
        .post(
            "/api/auth/password-reset/confirm",
            None,
            &json!({"token": token, "newPassword": "a new secret, long enough"}),
        )
        .await;
    assert_eq!(res.status(), 204);
    let session: LoginResponse = app
        .login(&ann.email, "a new secret, long enough")
        .await
        .json()
        .await
        .unwrap();
    assert!(session.user.email_verified, "the link reached the address");
}
