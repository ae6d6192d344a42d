//! Doctor approval: a self-registered doctor waits, unlisted and unable to go online or
//! be booked, until an admin approves them; an admin can turn them down with a reason.
//! Either way the doctor is emailed, and the decision audited.

use chrono::Utc;
use diesel::prelude::*;
use mediconnect_api::config::Secret;
use mediconnect_api::db::schema::audit_log;
use mediconnect_shared::{LoginResponse, Role};
use mediconnect_smtp_sink::SmtpServer;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::*;
use mediconnect_test_macros::both_backends;

/// A doctor who registered (with a licence number) and confirmed their address, but
/// whom no admin has approved yet; and their doctor id.
async fn pending_doctor(app: &TestApp, name: &str) -> (TestUser, Uuid) {
    let email = format!("doc-{}@example.com", Uuid::new_v4().simple());
    let res = app
        .post(
            "/api/auth/register",
            None,
            &json!({"name": name, "email": email, "password": PASSWORD, "role": "DOCTOR",
                    "specialization": "Rare Studies", "licenseNumber": " MD-4711 "}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let id = res.json::<Value>().await.unwrap()["user"]["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    app.confirm_email(id).await;
    let session: LoginResponse = app.login(&email, PASSWORD).await.json().await.unwrap();
    let profile = json_ok(app.get("/api/users/profile", Some(&session.token)).await).await;
    assert_eq!(profile["doctor"]["approvalStatus"], "PENDING");
    assert!(
        profile["doctor"].get("licenseNumber").is_none(),
        "only admins see the licence number"
    );
    let doctor_id = profile["doctor"]["id"].as_str().unwrap().parse().unwrap();
    let user = TestUser {
        id,
        email,
        token: session.token,
        refresh_token: session.refresh_token,
    };
    (user, doctor_id)
}

async fn go_online(app: &TestApp, doctor: &TestUser) -> reqwest::Response {
    app.put(
        "/api/doctors/status",
        Some(&doctor.token),
        &json!({"isOnline": true}),
    )
    .await
}

async fn listed(app: &TestApp, doctor_id: Uuid) -> bool {
    let all = json_ok(app.get("/api/doctors?limit=100", None).await).await;
    let in_directory = all["doctors"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["id"] == doctor_id.to_string());
    let specs = json_ok(app.get("/api/specializations", None).await).await;
    let in_specs = specs
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["name"] == "Rare Studies");
    assert_eq!(
        in_directory, in_specs,
        "the directory and the filters agree"
    );
    let one = app.get(&format!("/api/doctors/{doctor_id}"), None).await;
    assert_eq!(
        one.status() == 200,
        in_directory,
        "GET /api/doctors/{{id}} agrees"
    );
    in_directory
}

#[both_backends]
async fn a_pending_doctor_is_invisible_cannot_go_online_and_cannot_be_booked(backend: Backend) {
    let app = spawn_app(backend).await;
    let (doctor, doctor_id) = pending_doctor(&app, "Dr. Pending").await;
    let patient = app.user(Role::Patient).await;
    assert!(!listed(&app, doctor_id).await);

    let p = problem(go_online(&app, &doctor).await, 403).await;
    assert!(p.kind.ends_with(":doctor-not-approved"), "{}", p.kind);
    let online = json_ok(app.get("/api/doctors/online", None).await).await;
    assert_eq!(online["doctors"].as_array().unwrap().len(), 0);

    // Booking, its slots and hours, and following answer as for an unknown doctor.
    let unknown = Uuid::new_v4();
    let start = (Utc::now() + chrono::Duration::days(2))
        .date_naive()
        .and_hms_opt(10, 0, 0)
        .unwrap()
        .and_utc();
    let book = |id: Uuid| {
        let body = json!({"doctorId": id, "scheduledFor": start.to_rfc3339()});
        let (app, token) = (&app, patient.token.clone());
        async move { app.post("/api/appointments", Some(&token), &body).await }
    };
    let (pending, nobody) = (book(doctor_id).await, book(unknown).await);
    assert_eq!(pending.status(), nobody.status());
    assert_eq!(
        problem(pending, nobody.status().as_u16()).await.detail,
        problem(nobody, 422).await.detail
    );
    for path in ["slots", "hours"] {
        let res = app
            .get(&format!("/api/doctors/{doctor_id}/{path}"), None)
            .await;
        assert_eq!(res.status(), 404, "{path}");
    }
    let follow = app
        .post(
            &format!("/api/doctors/{doctor_id}/follow"),
            Some(&patient.token),
            &json!({}),
        )
        .await;
    assert_eq!(follow.status(), 404);

    // A name change is not announced on the socket: the doctor is not public yet.
    let mut ws = crate::ws::connect(&app).await;
    json_ok(
        app.put(
            "/api/users/profile",
            Some(&doctor.token),
            &json!({"name": "Dr. Pending Renamed"}),
        )
        .await,
    )
    .await;
    ws.expect_quiet(std::time::Duration::from_millis(500)).await;
}

#[both_backends]
async fn an_admin_approves_from_the_queue_and_the_doctor_is_told(backend: Backend) {
    let smtp = smtp_sink().await;
    let url = smtp.url();
    let app = spawn_app_with(backend, move |c| c.smtp_url = Some(Secret::new(url))).await;
    let admin = app.user(Role::Admin).await;
    let (doctor, doctor_id) = pending_doctor(&app, "Dr. Queue").await;
    let patient = app.user(Role::Patient).await;

    // Only admins read the queue.
    for who in [&doctor, &patient] {
        let res = app
            .get("/api/admin/doctors?approval=PENDING", Some(&who.token))
            .await;
        assert_eq!(res.status(), 403);
    }
    let queue = json_ok(
        app.get("/api/admin/doctors?approval=PENDING", Some(&admin.token))
            .await,
    )
    .await;
    assert_eq!(queue["pagination"]["total"], 1);
    let entry = &queue["doctors"][0];
    assert_eq!(entry["id"], doctor_id.to_string());
    assert_eq!(entry["name"], "Dr. Queue");
    assert_eq!(entry["licenseNumber"], "MD-4711");
    assert_eq!(entry["approvalStatus"], "PENDING");
    assert_eq!(entry["emailVerified"], true);
    problem(
        app.get("/api/admin/doctors?approval=MAYBE", Some(&admin.token))
            .await,
        400,
    )
    .await;

    let approved = json_ok(
        app.post(
            &format!("/api/admin/doctors/{doctor_id}/approve"),
            Some(&admin.token),
            &json!({}),
        )
        .await,
    )
    .await;
    assert_eq!(approved["approvalStatus"], "APPROVED");
    // Twice is a conflict, and an unknown doctor is 404.
    let again = app
        .post(
            &format!("/api/admin/doctors/{doctor_id}/approve"),
            Some(&admin.token),
            &json!({}),
        )
        .await;
    assert!(
        problem(again, 409)
            .await
            .kind
            .ends_with(":approval-decided")
    );
    let res = app
        .post(
            &format!("/api/admin/doctors/{}/approve", Uuid::new_v4()),
            Some(&admin.token),
            &json!({}),
        )
        .await;
    problem(res, 404).await;

    assert!(listed(&app, doctor_id).await);
    assert_eq!(go_online(&app, &doctor).await.status(), 200);
    let queue = json_ok(
        app.get("/api/admin/doctors?approval=PENDING", Some(&admin.token))
            .await,
    )
    .await;
    assert_eq!(queue["pagination"]["total"], 0);

    let mails = smtp.wait_for(1, 10).await;
    let mail = mails
        .iter()
        .find(|m| m.to == [doctor.email.clone()])
        .expect("the doctor is told");
    assert_eq!(
        mail.header("Subject").as_deref(),
        Some("Your MediConnect account is approved")
    );
    assert!(mail.text().contains("http://localhost:8080/login"));
    assert_eq!(audited(&app, "admin.doctor.approve").await, vec![doctor_id]);
}

#[both_backends]
async fn an_admin_rejects_with_a_reason_the_doctor_reads(backend: Backend) {
    let smtp = SmtpServer::start().await.expect("a loopback SMTP server");
    smtp.ignore_subject(CONFIRMATION_SUBJECT);
    let url = smtp.url();
    let app = spawn_app_with(backend, move |c| c.smtp_url = Some(Secret::new(url))).await;
    let admin = app.user(Role::Admin).await;
    let (doctor, doctor_id) = pending_doctor(&app, "Dr. Declined").await;
    let reject = |reason: Value| {
        let (app, token) = (&app, admin.token.clone());
        async move {
            app.post(
                &format!("/api/admin/doctors/{doctor_id}/reject"),
                Some(&token),
                &json!({ "reason": reason }),
            )
            .await
        }
    };
    for bad in [json!(""), json!("x".repeat(501))] {
        let p = problem(reject(bad).await, 422).await;
        assert_eq!(p.errors[0].field, "reason");
    }
    let rejected =
        json_ok(reject(json!("The licence number <is> not on the register.")).await).await;
    assert_eq!(rejected["approvalStatus"], "REJECTED");
    problem(reject(json!("Again")).await, 409).await;
    // The doctor sees it on their profile, stays unlisted, and cannot go online.
    let profile = json_ok(app.get("/api/users/profile", Some(&doctor.token)).await).await;
    assert_eq!(profile["doctor"]["approvalStatus"], "REJECTED");
    assert_eq!(
        profile["doctor"]["rejectionReason"],
        "The licence number <is> not on the register."
    );
    assert!(!listed(&app, doctor_id).await);
    problem(go_online(&app, &doctor).await, 403).await;

    let mails = smtp.wait_for(1, 10).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(
        mails[0].header("Subject").as_deref(),
        Some("Your MediConnect account was not approved")
    );
    assert!(
        mails[0]
            .text()
            .contains("The licence number <is> not on the register.")
    );
    assert!(mails[0].parsed().subparts.iter().any(|p| {
        p.get_body()
            .unwrap_or_default()
            .contains("The licence number &lt;is&gt; not on the register.")
    }));
    assert_eq!(audited(&app, "admin.doctor.reject").await, vec![doctor_id]);

    // Reconsidered: a rejected doctor can still be approved.
    let approved = app
        .post(
            &format!("/api/admin/doctors/{doctor_id}/approve"),
            Some(&admin.token),
            &json!({}),
        )
        .await;
    assert_eq!(approved.status(), 200);
    assert!(listed(&app, doctor_id).await);
}

#[both_backends]
async fn the_licence_number_is_checked_at_registration(backend: Backend) {
    let app = spawn_app(backend).await;
    for bad in ["ab", &"9".repeat(41), "12\n34"] {
        let res = app
            .post(
                "/api/auth/register",
                None,
                &json!({"name": "Dr. L", "email": "l@example.com", "password": PASSWORD,
                        "role": "DOCTOR", "specialization": "X", "licenseNumber": bad}),
            )
            .await;
        let p = problem(res, 422).await;
        assert_eq!(p.errors[0].field, "licenseNumber", "{bad:?}");
    }
}

/// The targets of the audit rows of `action`.
async fn audited(app: &TestApp, action: &'static str) -> Vec<Uuid> {
    app.with_conn(move |c| {
        audit_log::table
            .filter(audit_log::action.eq(action))
            .select(audit_log::target_id)
            .load::<Option<mediconnect_api::db::DbId>>(c)
            .unwrap()
            .into_iter()
            .flatten()
            .map(|id| id.0)
            .collect()
    })
    .await
}
