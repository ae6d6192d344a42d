//! Invitations: an admin invites a doctor or an admin; the link (token in the fragment,
//! single-use, 7 days, replaced by a newer invitation, revocable) lets them choose a
//! password, and the account is made confirmed and, for a doctor, approved.

use chrono::Utc;
use diesel::prelude::*;
use mediconnect_api::config::Secret;
use mediconnect_api::db::DbTime;
use mediconnect_api::db::schema::{audit_log, invitations};
use mediconnect_shared::{LoginResponse, Role};
use mediconnect_smtp_sink::{Received, SmtpServer};
use serde_json::{Value, json};

use crate::helpers::*;
use mediconnect_test_macros::both_backends;

const LINK: &str = "/accept-invitation#token=";
const NEW_PASSWORD: &str = "an invited person's password";

async fn app_with(backend: Backend, smtp: &SmtpServer) -> TestApp {
    let url = smtp.url();
    spawn_app_with(backend, move |c| c.smtp_url = Some(Secret::new(url))).await
}

async fn invite(app: &TestApp, admin: &TestUser, body: Value) -> reqwest::Response {
    app.post("/api/admin/invitations", Some(&admin.token), &body)
        .await
}

async fn accept(app: &TestApp, token: &str, password: &str) -> reqwest::Response {
    app.post(
        "/api/auth/accept-invitation",
        None,
        &json!({"token": token, "password": password}),
    )
    .await
}

/// The token of the newest invitation to `to` among `mails`.
fn token_to(mails: &[Received], to: &str) -> String {
    let mail = mails
        .iter()
        .rev()
        .find(|m| m.to == [to.to_owned()])
        .expect("an invitation email");
    token_after(&mail.text(), LINK)
}

#[both_backends]
async fn an_invited_doctor_accepts_and_is_listed_confirmed_and_approved(backend: Backend) {
    let smtp = SmtpServer::start().await.expect("a loopback SMTP server");
    let app = app_with(backend, &smtp).await;
    let admin = app.user(Role::Admin).await;
    let res = invite(
        &app,
        &admin,
        json!({"email": "Dr.Lee@Example.com", "name": "Dr. Lee", "role": "DOCTOR",
               "specialization": "Oncology"}),
    )
    .await;
    assert_eq!(res.status(), 201);
    let invitation: Value = res.json().await.unwrap();
    assert_eq!(invitation["email"], "dr.lee@example.com");
    assert_eq!(invitation["expired"], false);
    let listed = json_ok(app.get("/api/admin/invitations", Some(&admin.token)).await).await;
    assert_eq!(listed["invitations"].as_array().unwrap().len(), 1);

    let mails = smtp.wait_for(1, 10).await;
    let mail = &mails[0];
    assert_eq!(
        mail.header("Subject").as_deref(),
        Some("Test Admin invites you to MediConnect")
    );
    let text = mail.text();
    assert!(
        text.contains("http://localhost:8080/accept-invitation#token="),
        "{text}"
    );
    assert!(text.contains("7 days"), "{text}");
    let token = token_to(&mails, "dr.lee@example.com");
    assert_eq!(token.len(), 43);
    let stored: Vec<String> = app
        .with_conn(|c| {
            invitations::table
                .select(invitations::token_hash)
                .load(c)
                .unwrap()
        })
        .await;
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0], token, "only the hash is stored");

    // A weak password changes nothing; a good one makes the account and signs in.
    let p = problem(accept(&app, &token, "short").await, 422).await;
    assert_eq!(p.errors[0].field, "password");
    let res = accept(&app, &token, NEW_PASSWORD).await;
    assert_eq!(res.status(), 200);
    let session: LoginResponse = res.json().await.unwrap();
    assert_eq!(session.user.role, Role::Doctor);
    assert_eq!(session.user.name, "Dr. Lee");
    assert!(session.user.email_verified);
    let profile = json_ok(app.get("/api/users/profile", Some(&session.token)).await).await;
    assert_eq!(profile["doctor"]["approvalStatus"], "APPROVED");
    assert_eq!(profile["doctor"]["specialization"], "Oncology");
    let online = app
        .put(
            "/api/doctors/status",
            Some(&session.token),
            &json!({"isOnline": true}),
        )
        .await;
    assert_eq!(online.status(), 200);
    // Used: the link works once, and the invitation is no longer open.
    let p = problem(accept(&app, &token, NEW_PASSWORD).await, 400).await;
    assert!(p.kind.ends_with(":link-invalid"));
    let listed = json_ok(app.get("/api/admin/invitations", Some(&admin.token)).await).await;
    assert_eq!(listed["invitations"].as_array().unwrap().len(), 0);
    let actions: Vec<String> = app
        .with_conn(|c| {
            audit_log::table
                .filter(audit_log::action.like("%invitation%"))
                .order(audit_log::at.asc())
                .select(audit_log::action)
                .load(c)
                .unwrap()
        })
        .await;
    assert_eq!(
        actions,
        ["admin.invitation.create", "user.invitation.accept"]
    );
}

#[both_backends]
async fn a_second_admin_is_made_without_the_command_line(backend: Backend) {
    let smtp = SmtpServer::start().await.expect("a loopback SMTP server");
    let app = app_with(backend, &smtp).await;
    let admin = app.user(Role::Admin).await;
    let res = invite(
        &app,
        &admin,
        json!({"email": "second.admin@example.com", "name": "Sam Second", "role": "ADMIN"}),
    )
    .await;
    assert_eq!(res.status(), 201);
    let token = token_to(&smtp.wait_for(1, 10).await, "second.admin@example.com");
    let session: LoginResponse = accept(&app, &token, NEW_PASSWORD)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(session.user.role, Role::Admin);
    json_ok(app.get("/api/admin/users", Some(&session.token)).await).await;
}

#[both_backends]
async fn invitations_are_checked_replaced_revoked_and_expire(backend: Backend) {
    let smtp = smtp_sink().await;
    let app = app_with(backend, &smtp).await;
    let admin = app.user(Role::Admin).await;
    let patient = app.user(Role::Patient).await;
    // Admins only; doctors and admins only; the fields of each.
    let doctor = json!({"email": "d@example.com", "name": "Dr. D", "role": "DOCTOR",
                        "specialization": "Oncology"});
    problem(invite(&app, &patient, doctor.clone()).await, 403).await;
    for (body, field) in [
        (
            json!({"email": "p@example.com", "name": "P", "role": "PATIENT"}),
            "role",
        ),
        (
            json!({"email": "d@example.com", "name": "Dr. D", "role": "DOCTOR"}),
            "specialization",
        ),
        (
            json!({"email": "a@example.com", "name": "A", "role": "ADMIN", "specialization": "X"}),
            "specialization",
        ),
        (
            json!({"email": "nope", "name": "A", "role": "ADMIN"}),
            "email",
        ),
    ] {
        let p = problem(invite(&app, &admin, body).await, 422).await;
        assert_eq!(p.errors[0].field, field);
    }
    // An address with an account already.
    let taken = json!({"email": patient.email, "name": "Again", "role": "ADMIN"});
    let p = problem(invite(&app, &admin, taken).await, 409).await;
    assert!(p.kind.ends_with(":email-taken"));

    // A newer invitation replaces the open one.
    assert_eq!(invite(&app, &admin, doctor.clone()).await.status(), 201);
    let first = token_to(&smtp.wait_for(1, 10).await, "d@example.com");
    assert_eq!(invite(&app, &admin, doctor.clone()).await.status(), 201);
    let second = token_to(&smtp.wait_for(2, 10).await, "d@example.com");
    assert_ne!(first, second);
    problem(accept(&app, &first, NEW_PASSWORD).await, 400).await;
    let listed = json_ok(app.get("/api/admin/invitations", Some(&admin.token)).await).await;
    let open = listed["invitations"].as_array().unwrap();
    assert_eq!(open.len(), 1);

    // Revoked: the link no longer works; revoking twice is 404.
    let id = open[0]["id"].as_str().unwrap().to_owned();
    let path = format!("/api/admin/invitations/{id}");
    let revoke = app
        .send_json(
            reqwest::Method::DELETE,
            &path,
            Some(&admin.token),
            &json!({}),
        )
        .await;
    assert_eq!(revoke.status(), 204);
    let again = app
        .send_json(
            reqwest::Method::DELETE,
            &path,
            Some(&admin.token),
            &json!({}),
        )
        .await;
    problem(again, 404).await;
    problem(accept(&app, &second, NEW_PASSWORD).await, 400).await;

    // Expired after seven days.
    assert_eq!(invite(&app, &admin, doctor).await.status(), 201);
    let third = token_to(&smtp.wait_for(3, 10).await, "d@example.com");
    app.with_conn(|c| {
        diesel::update(invitations::table)
            .set(invitations::expires_at.eq(DbTime(Utc::now() - chrono::Duration::seconds(1))))
            .execute(c)
            .unwrap();
    })
    .await;
    let listed = json_ok(app.get("/api/admin/invitations", Some(&admin.token)).await).await;
    assert_eq!(listed["invitations"][0]["expired"], true);
    problem(accept(&app, &third, NEW_PASSWORD).await, 400).await;
    problem(app.login("d@example.com", NEW_PASSWORD).await, 401).await;
}
