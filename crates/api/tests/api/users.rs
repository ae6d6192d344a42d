use mediconnect_shared::{LoginResponse, ProfileResponse, Role};
use serde_json::json;

use crate::helpers::*;
use mediconnect_test_macros::both_backends;

#[both_backends]
async fn profile_has_the_role_part(backend: Backend) {
    let app = spawn_app(backend).await;
    let patient = app.user(Role::Patient).await;
    let body = json_ok(app.get("/api/users/profile", Some(&patient.token)).await).await;
    assert_eq!(body["email"], patient.email);
    assert_eq!(body["role"], "PATIENT");
    assert!(body["createdAt"].as_str().unwrap().ends_with('Z'));
    assert!(body["patient"].is_object());
    assert!(body["patient"]["dateOfBirth"].is_null());
    assert!(body.get("doctor").is_none());
    assert!(body.get("passwordHash").is_none() && body.get("password_hash").is_none());

    let doctor = app.user(Role::Doctor).await;
    let body = json_ok(app.get("/api/users/profile", Some(&doctor.token)).await).await;
    assert_eq!(body["doctor"]["specialization"], "Cardiology");
    assert_eq!(body["doctor"]["isOnline"], false);
    assert!(body.get("patient").is_none());

    let admin = app.user(Role::Admin).await;
    let body = json_ok(app.get("/api/users/profile", Some(&admin.token)).await).await;
    assert_eq!(body["role"], "ADMIN");
    assert!(body.get("doctor").is_none() && body.get("patient").is_none());
}

#[both_backends]
async fn patients_update_their_fields(backend: Backend) {
    let app = spawn_app(backend).await;
    let p = app.user(Role::Patient).await;
    let res = app.put("/api/users/profile", Some(&p.token), &json!({
        "name": "  New Name ", "dateOfBirth": "1990-04-01", "phoneNumber": "+1 (555) 010-0100"
    })).await;
    let body: ProfileResponse = serde_json::from_value(json_ok(res).await).unwrap();
    assert_eq!(body.name, "New Name");
    let patient = body.patient.unwrap();
    assert_eq!(patient.date_of_birth.unwrap().to_string(), "1990-04-01");
    assert_eq!(patient.phone_number.as_deref(), Some("+1 (555) 010-0100"));
    // Absent fields stay; null clears.
    let res = app
        .put(
            "/api/users/profile",
            Some(&p.token),
            &json!({"phoneNumber": null}),
        )
        .await;
    let body: ProfileResponse = serde_json::from_value(json_ok(res).await).unwrap();
    assert_eq!(body.name, "New Name");
    let patient = body.patient.unwrap();
    assert!(patient.phone_number.is_none());
    assert!(patient.date_of_birth.is_some());
    // And it was stored.
    let again: ProfileResponse = app
        .get("/api/users/profile", Some(&p.token))
        .await
        .json()
        .await
        .unwrap();
    assert!(again.patient.unwrap().phone_number.is_none());
}

#[both_backends]
async fn each_person_has_a_time_zone_from_the_list(backend: Backend) {
    let app = spawn_app(backend).await;
    // The list, public and cacheable: what a profile may name.
    let res = app.get("/api/time-zones", None).await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age")
    );
    let zones: Vec<String> = res.json().await.unwrap();
    assert!(
        zones.len() > 400
            && zones.contains(&"Europe/Berlin".to_owned())
            && zones.contains(&"UTC".to_owned())
    );
    // Chosen at registration (the web app sends the browser's).
    let res = app
        .client
        .post(app.url("/api/auth/register"))
        .json(&json!({
        "name": "Zoe Zone", "email": "zoe@example.com", "password": "12345678", "role": "PATIENT",
        "timeZone": "America/New_York"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["user"]["timeZone"], "America/New_York");
    let session: LoginResponse = app
        .login("zoe@example.com", "12345678")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(session.user.time_zone, "America/New_York");
    let profile = json_ok(app.get("/api/users/profile", Some(&session.token)).await).await;
    assert_eq!(profile["timeZone"], "America/New_York");
    // Changed in the profile; other fields stay.
    let body = json_ok(
        app.put(
            "/api/users/profile",
            Some(&session.token),
            &json!({"timeZone": "Asia/Kolkata"}),
        )
        .await,
    )
    .await;
    assert_eq!(body["timeZone"], "Asia/Kolkata");
    assert_eq!(body["name"], "Zoe Zone");
    // Not free text: a name outside the list is refused, beside its field, and
    // nothing changes.
    for bad in ["Berlin", "", "Mars/Olympus", "+01:00"] {
        let pr = problem(
            app.put(
                "/api/users/profile",
                Some(&session.token),
                &json!({"timeZone": bad}),
            )
            .await,
            422,
        )
        .await;
        let message = pr.field_message("timeZone").expect("a timeZone error");
        assert!(!message.contains('`'), "{message}");
    }
    let res = app
        .client
        .post(app.url("/api/auth/register"))
        .json(&json!({
        "name": "Zed", "email": "zed@example.com", "password": "12345678", "role": "PATIENT",
        "timeZone": "Nowhere"}))
        .send()
        .await
        .unwrap();
    let pr = problem(res, 422).await;
    assert!(pr.field_message("timeZone").is_some());
    let profile = json_ok(app.get("/api/users/profile", Some(&session.token)).await).await;
    assert_eq!(profile["timeZone"], "Asia/Kolkata");
}

#[both_backends]
async fn doctors_update_their_specialization(backend: Backend) {
    let app = spawn_app(backend).await;
    let d = app.user(Role::Doctor).await;
    let res = app
        .put(
            "/api/users/profile",
            Some(&d.token),
            &json!({"specialization": " Internal  Medicine "}),
        )
        .await;
    let body: ProfileResponse = serde_json::from_value(json_ok(res).await).unwrap();
    assert_eq!(body.doctor.unwrap().specialization, "Internal Medicine");
}

#[both_backends]
async fn profile_fields_are_validated(backend: Backend) {
    let app = spawn_app(backend).await;
    let p = app.user(Role::Patient).await;
    let d = app.user(Role::Doctor).await;
    let cases = [
        (&p, json!({"name": ""}), "name"),
        (&p, json!({"name": "x".repeat(101)}), "name"),
        (&p, json!({"dateOfBirth": "2999-01-01"}), "dateOfBirth"),
        (&p, json!({"dateOfBirth": "1850-01-01"}), "dateOfBirth"),
        (&p, json!({"phoneNumber": "call me maybe"}), "phoneNumber"),
        (
            &p,
            json!({"specialization": "Cardiology"}),
            "specialization",
        ),
        (&d, json!({"phoneNumber": "5550100100"}), "phoneNumber"),
        (&d, json!({"specialization": ""}), "specialization"),
    ];
    for (user, body, field) in cases {
        let pr = problem(
            app.put("/api/users/profile", Some(&user.token), &body)
                .await,
            422,
        )
        .await;
        assert!(pr.field_message(field).is_some(), "{body}: {pr:?}");
    }
    // Shape errors: a bad date format, a body that is not an object.
    problem(
        app.put(
            "/api/users/profile",
            Some(&p.token),
            &json!({"dateOfBirth": "01/04/1990"}),
        )
        .await,
        422,
    )
    .await;
    problem(
        app.put("/api/users/profile", Some(&p.token), &json!(["x", null]))
            .await,
        422,
    )
    .await;
    // An unknown field changes nothing (a role least of all).
    let same = json_ok(
        app.put(
            "/api/users/profile",
            Some(&p.token),
            &json!({"role": "ADMIN"}),
        )
        .await,
    )
    .await;
    assert_eq!(same["role"], "PATIENT");
    // Nothing changed.
    let body: ProfileResponse = app
        .get("/api/users/profile", Some(&p.token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body.name, "Test User");
    problem(
        app.put("/api/users/profile", None, &json!({"name": "X"}))
            .await,
        401,
    )
    .await;
}

#[both_backends]
async fn password_change_needs_the_current_password(backend: Backend) {
    let app = spawn_app(backend).await;
    let u = app.user(Role::Patient).await;
    let pr = problem(
        app.put(
            "/api/users/password",
            Some(&u.token),
            &json!({"currentPassword": "wrong one", "newPassword": "new password 1"}),
        )
        .await,
        422,
    )
    .await;
    assert!(pr.field_message("currentPassword").is_some());
    let pr = problem(
        app.put(
            "/api/users/password",
            Some(&u.token),
            &json!({"currentPassword": PASSWORD, "newPassword": "short"}),
        )
        .await,
        422,
    )
    .await;
    assert!(pr.field_message("newPassword").is_some());
    // Still the old password.
    assert_eq!(app.login(&u.email, PASSWORD).await.status(), 200);
}

#[both_backends]
async fn password_change_revokes_other_sessions(backend: Backend) {
    let app = spawn_app(backend).await;
    let u = app.user(Role::Patient).await;
    let other_device: LoginResponse = app.login(&u.email, PASSWORD).await.json().await.unwrap();
    let mut other_socket = crate::ws::connect(&app).await;
    assert_eq!(
        other_socket.auth(&other_device.token).await["type"],
        "auth_ok"
    );
    let res = app
        .put(
            "/api/users/password",
            Some(&u.token),
            &json!({"currentPassword": PASSWORD, "newPassword": "a brand new password"}),
        )
        .await;
    let session: LoginResponse = serde_json::from_value(json_ok(res).await).unwrap();
    // The other device is signed out at once: its access token is refused and its
    // signed-in socket closes. This device goes on with the session it got back.
    problem(
        app.get("/api/users/profile", Some(&other_device.token))
            .await,
        401,
    )
    .await;
    assert_eq!(
        app.get("/api/users/profile", Some(&session.token))
            .await
            .status(),
        200
    );
    let closed = other_socket
        .close_frame(std::time::Duration::from_secs(5))
        .await
        .expect("the other device's socket stayed open")
        .expect("a close frame");
    // Told why, rather than to reconnect.
    assert_eq!(u16::from(closed.code), 1008);
    assert_eq!(closed.reason.as_str(), "signed out");
    // Old password out, new one in.
    problem(app.login(&u.email, PASSWORD).await, 401).await;
    assert_eq!(
        app.login(&u.email, "a brand new password").await.status(),
        200
    );
    // Every earlier refresh token is revoked; the new session works.
    for old in [&u.refresh_token, &other_device.refresh_token] {
        problem(
            app.post("/api/auth/refresh", None, &json!({"refreshToken": old}))
                .await,
            401,
        )
        .await;
    }
    assert_eq!(
        app.post(
            "/api/auth/refresh",
            None,
            &json!({"refreshToken": session.refresh_token})
        )
        .await
        .status(),
        200
    );
}

#[both_backends]
async fn password_change_revocation_survives_a_restart(backend: Backend) {
    let app = spawn_app(backend).await;
    let u = app.user(Role::Patient).await;
    let other_device: LoginResponse = app.login(&u.email, PASSWORD).await.json().await.unwrap();
    let res = app
        .put(
            "/api/users/password",
            Some(&u.token),
            &json!({"currentPassword": PASSWORD, "newPassword": "a brand new password"}),
        )
        .await;
    let session: LoginResponse = serde_json::from_value(json_ok(res).await).unwrap();
    // A server started on the same database (a restart, or another replica) refuses
    // the other device's unexpired access token too, and takes the new one.
    let again = spawn_on(backend, TestDb::attach(&app.test_db), app.config.clone()).await;
    problem(
        again
            .get("/api/users/profile", Some(&other_device.token))
            .await,
        401,
    )
    .await;
    assert_eq!(
        again
            .get("/api/users/profile", Some(&session.token))
            .await
            .status(),
        200
    );
    let mut socket = crate::ws::connect(&again).await;
    assert_eq!(socket.auth(&other_device.token).await["type"], "error");
    assert_eq!(socket.auth(&session.token).await["type"], "auth_ok");
}
