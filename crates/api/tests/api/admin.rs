use chrono::{Duration, Utc};
use diesel::prelude::*;
use mediconnect_api::db::schema::{audit_log, notifications, presence_intervals};
use mediconnect_api::db::{DbId, DbTime};
use mediconnect_shared::{Analytics, Role};
use serde_json::{Value, json};

use crate::helpers::*;
use crate::ws::connect;
use mediconnect_test_macros::both_backends;

async fn analytics(app: &TestApp, who: &TestUser) -> Analytics {
    serde_json::from_value(json_ok(app.get("/api/analytics", Some(&who.token)).await).await)
        .unwrap()
}

async fn doctor_id(app: &TestApp, doctor: &TestUser) -> uuid::Uuid {
    json_ok(app.get("/api/users/profile", Some(&doctor.token)).await).await["doctor"]["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap()
}

/// The audit trail, oldest first, without the set-up's address confirmations.
async fn audit_actions(app: &TestApp) -> Vec<(String, Option<uuid::Uuid>, String)> {
    app.with_conn(|c| {
        audit_log::table
            .filter(audit_log::action.ne("user.email.verify"))
            .order(audit_log::at.asc())
            .select((
                audit_log::action,
                audit_log::target_id,
                audit_log::actor_role,
            ))
            .load::<(String, Option<DbId>, String)>(c)
            .unwrap()
            .into_iter()
            .map(|(a, t, r)| (a, t.map(|t| t.0), r))
            .collect()
    })
    .await
}

#[both_backends]
async fn the_figures_move_with_the_data(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.user(Role::Admin).await;
    let before = analytics(&app, &admin).await;
    assert_eq!(
        (
            before.total_users,
            before.total_doctors,
            before.total_patients
        ),
        (1, 0, 0)
    );
    let doctor = app.doctor("Dr. Count", "X").await;
    let patient = app.user(Role::Patient).await;
    app.set_online(&doctor, true).await;
    let d = doctor_id(&app, &doctor).await;
    // An appointment in two minutes: today, unless the test runs in the last two
    // minutes of the day (then the counts below expect it tomorrow).
    let today_start = Utc::now() + Duration::minutes(2);
    app.booking_rules(&doctor, json!({"minNoticeMinutes": 0}))
        .await;
    let counted_today = |read_on: chrono::NaiveDate| u64::from(today_start.date_naive() == read_on);
    json_ok(
        app.post(
            "/api/appointments",
            Some(&patient.token),
            &json!({"doctorId": d, "scheduledFor": today_start.to_rfc3339()}),
        )
        .await,
    )
    .await;
    let later = json_ok(
        app.post(
            "/api/appointments",
            Some(&patient.token),
            &json!({"doctorId": d, "scheduledFor": (Utc::now() + Duration::days(3)).to_rfc3339()}),
        )
        .await,
    )
    .await;
    app.put(
        &format!("/api/appointments/{}", later["id"].as_str().unwrap()),
        Some(&patient.token),
        &json!({"status": "CANCELLED"}),
    )
    .await;

    let after = analytics(&app, &admin).await;
    assert_eq!(
        (after.total_users, after.total_doctors, after.total_patients),
        (3, 1, 1)
    );
    assert_eq!(after.online_doctors, 1);
    assert_eq!(
        after.appointments_today,
        counted_today(Utc::now().date_naive())
    );
    assert_eq!(after.appointments_by_status.scheduled, 1);
    assert_eq!(after.appointments_by_status.cancelled, 1);
    assert!(after.mine.is_none());
    // Emails: every outbox row is counted once, by status (the worker may still be
    // expanding and sending, so wait for the two reads to agree).
    let (app_ref, admin_ref) = (&app, &admin);
    eventually(10, std::time::Duration::from_millis(200), || async move {
        let (app, admin) = (app_ref, admin_ref);
        let figures = analytics(app, admin).await;
        let rows: i64 = app
            .with_conn(|c| notifications::table.count().get_result(c).unwrap())
            .await;
        let counted = figures.emails_sent + figures.emails_queued + figures.emails_failed;
        if rows >= 1 && counted == rows as u64 {
            Ok(())
        } else {
            Err(format!(
                "outbox counts never matched: {counted} counted, {rows} rows"
            ))
        }
    })
    .await;
    // The doctor sees the same, and their own figures.
    let mine = analytics(&app, &doctor).await;
    let own = mine.mine.unwrap();
    assert_eq!(
        own.appointments_today,
        counted_today(Utc::now().date_naive())
    );
    assert_eq!(own.no_show_rate, None);
    // The JSON has the spec's fields.
    let raw = json_ok(app.get("/api/analytics", Some(&admin.token)).await).await;
    for f in [
        "totalUsers",
        "totalDoctors",
        "totalPatients",
        "onlineDoctors",
        "appointmentsToday",
        "emailsSent",
        "appointmentsByStatus",
        "emailsQueued",
        "emailsFailed",
    ] {
        assert!(raw.get(f).is_some(), "{f}");
    }
    assert_eq!(raw["appointmentsByStatus"]["SCHEDULED"], 1);
}

#[both_backends]
async fn patients_get_no_analytics(backend: Backend) {
    let app = spawn_app(backend).await;
    let patient = app.user(Role::Patient).await;
    problem(app.get("/api/analytics", Some(&patient.token)).await, 403).await;
    problem(
        app.get(
            "/api/analytics/timeseries?metric=appointments",
            Some(&patient.token),
        )
        .await,
        403,
    )
    .await;
    problem(app.get("/api/analytics", None).await, 401).await;
    let doctor = app.user(Role::Doctor).await;
    problem(
        app.get(
            "/api/analytics/timeseries?metric=registrations",
            Some(&doctor.token),
        )
        .await,
        403,
    )
    .await;
    let admin = app.user(Role::Admin).await;
    for bad in [
        "?metric=visits",
        "?metric=appointments&days=6",
        "?metric=appointments&days=91",
        "",
    ] {
        problem(
            app.get(
                &format!("/api/analytics/timeseries{bad}"),
                Some(&admin.token),
            )
            .await,
            400,
        )
        .await;
    }
}

#[both_backends]
async fn timeseries_buckets_split_intervals_at_midnight(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.user(Role::Admin).await;
    let doctor = app.doctor("Dr. Night", "X").await;
    let other = app.doctor("Dr. Day", "X").await;
    let d = doctor_id(&app, &doctor).await;
    let o = doctor_id(&app, &other).await;
    // Every interval lies wholly in the past, whatever the time of day the test runs
    // at: 23:30 the day before yesterday to 00:45 yesterday, and 60 minutes three
    // days ago for the other doctor.
    let today = Utc::now().date_naive();
    let midnight = (today - Duration::days(1))
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc();
    app.with_conn(move |c| {
        for (doctor, start, end) in [
            (
                d,
                midnight - Duration::minutes(30),
                midnight + Duration::minutes(45),
            ),
            (
                o,
                midnight - Duration::days(2) + Duration::hours(10),
                midnight - Duration::days(2) + Duration::hours(11),
            ),
        ] {
            diesel::insert_into(presence_intervals::table)
                .values((
                    presence_intervals::id.eq(DbId(uuid::Uuid::new_v4())),
                    presence_intervals::doctor_id.eq(DbId(doctor)),
                    presence_intervals::started_at.eq(DbTime(start)),
                    presence_intervals::ended_at.eq(Some(DbTime(end))),
                ))
                .execute(c)
                .unwrap();
        }
    })
    .await;
    let series = json_ok(
        app.get(
            "/api/analytics/timeseries?metric=onlineMinutes&days=7",
            Some(&admin.token),
        )
        .await,
    )
    .await;
    assert_eq!(series["timeZone"], "UTC");
    let buckets = series["buckets"].as_array().unwrap();
    assert_eq!(buckets.len(), 7);
    let value = |date: chrono::NaiveDate| {
        buckets
            .iter()
            .find(|b| b["date"] == date.to_string())
            .unwrap()["value"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(value(today - Duration::days(1)), 45);
    assert_eq!(value(today - Duration::days(2)), 30);
    assert_eq!(value(today - Duration::days(3)), 60);
    // The last bucket is the server's today: the test's, or the next if midnight
    // passed in between.
    let last = buckets.last().unwrap()["date"].as_str().unwrap().to_owned();
    assert!(
        [today.to_string(), (today + Duration::days(1)).to_string()].contains(&last),
        "{last}"
    );
    // A doctor sees their own minutes only.
    let mine = json_ok(
        app.get(
            "/api/analytics/timeseries?metric=onlineMinutes&days=7",
            Some(&doctor.token),
        )
        .await,
    )
    .await;
    let total: u64 = mine["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["value"].as_u64().unwrap())
        .sum();
    assert_eq!(total, 75);
    // Registrations: everybody, today (or yesterday and today, across a midnight).
    let reg = json_ok(
        app.get(
            "/api/analytics/timeseries?metric=registrations&days=7",
            Some(&admin.token),
        )
        .await,
    )
    .await;
    let reg = reg["buckets"].as_array().unwrap();
    assert_eq!(
        reg[5]["value"].as_u64().unwrap() + reg[6]["value"].as_u64().unwrap(),
        3
    );
}

#[both_backends]
async fn going_online_and_offline_is_recorded(backend: Backend) {
    let app = spawn_app(backend).await;
    let doctor = app.doctor("Dr. Interval", "X").await;
    app.set_online(&doctor, true).await;
    app.set_online(&doctor, true).await;
    app.set_online(&doctor, false).await;
    app.set_online(&doctor, true).await;
    let rows: Vec<Option<DbTime>> = app
        .with_conn(|c| {
            presence_intervals::table
                .order(presence_intervals::started_at.asc())
                .select(presence_intervals::ended_at)
                .load(c)
                .unwrap()
        })
        .await;
    assert_eq!(rows.len(), 2);
    assert!(rows[0].is_some() && rows[1].is_none());
}

#[both_backends]
async fn deactivation_ends_everything(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.user(Role::Admin).await;
    let doctor = app.doctor("Dr. Leaving", "X").await;
    app.set_online(&doctor, true).await;
    let mut watcher = connect(&app).await;
    let mut own = connect(&app).await;
    own.auth(&doctor.token).await;

    let res = app
        .client
        .patch(app.url(&format!("/api/admin/users/{}", doctor.id)))
        .bearer_auth(&admin.token)
        .json(&json!({"active": false}))
        .send()
        .await
        .unwrap();
    let user = json_ok(res).await;
    assert_eq!(user["active"], false);
    // Offline, with a live event.
    let event = watcher
        .next_of("doctor_status")
        .await
        .expect("an offline event");
    assert_eq!(event["doctor"]["isOnline"], false);
    // Sign-in, refresh and the existing access token all stop working.
    problem(app.login(&doctor.email, PASSWORD).await, 403).await;
    problem(
        app.post(
            "/api/auth/refresh",
            None,
            &json!({"refreshToken": doctor.refresh_token}),
        )
        .await,
        401,
    )
    .await;
    problem(
        app.get("/api/users/profile", Some(&doctor.token)).await,
        401,
    )
    .await;
    problem(
        app.put(
            "/api/doctors/status",
            Some(&doctor.token),
            &json!({"isOnline": true}),
        )
        .await,
        401,
    )
    .await;
    // Reactivated, the account signs in again.
    let res = app
        .client
        .patch(app.url(&format!("/api/admin/users/{}", doctor.id)))
        .bearer_auth(&admin.token)
        .json(&json!({"active": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(json_ok(res).await["active"], true);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let session: Value = json_ok(app.login(&doctor.email, PASSWORD).await).await;
    assert_eq!(
        app.get(
            "/api/users/profile",
            Some(session["token"].as_str().unwrap())
        )
        .await
        .status(),
        200
    );
}

#[both_backends]
async fn the_revocation_survives_a_restart(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.user(Role::Admin).await;
    let patient = app.user(Role::Patient).await;
    let res = app
        .client
        .patch(app.url(&format!("/api/admin/users/{}", patient.id)))
        .bearer_auth(&admin.token)
        .json(&json!({"active": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let again = spawn_on(backend, TestDb::attach(&app.test_db), app.config.clone()).await;
    problem(
        again.get("/api/appointments", Some(&patient.token)).await,
        401,
    )
    .await;
}

#[both_backends]
async fn admin_rules(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.user(Role::Admin).await;
    let doctor = app.user(Role::Doctor).await;
    let res = app
        .client
        .patch(app.url(&format!("/api/admin/users/{}", admin.id)))
        .bearer_auth(&admin.token)
        .json(&json!({"active": false}))
        .send()
        .await
        .unwrap();
    problem(res, 422).await;
    let res = app
        .client
        .patch(app.url(&format!("/api/admin/users/{}", admin.id)))
        .bearer_auth(&doctor.token)
        .json(&json!({"active": false}))
        .send()
        .await
        .unwrap();
    problem(res, 403).await;
    let res = app
        .client
        .patch(app.url(&format!("/api/admin/users/{}", uuid::Uuid::new_v4())))
        .bearer_auth(&admin.token)
        .json(&json!({"active": false}))
        .send()
        .await
        .unwrap();
    problem(res, 404).await;
    for path in [
        "/api/admin/users",
        "/api/admin/notifications",
        "/api/admin/audit",
    ] {
        problem(app.get(path, Some(&doctor.token)).await, 403).await;
    }
}

#[both_backends]
async fn the_user_list_filters_and_pages(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.user(Role::Admin).await;
    app.doctor("Dr. Zed Search", "X").await;
    for _ in 0..3 {
        app.user(Role::Patient).await;
    }
    let all = json_ok(app.get("/api/admin/users", Some(&admin.token)).await).await;
    assert_eq!(all["pagination"]["total"], 5);
    assert!(all["users"][0].get("passwordHash").is_none());
    let doctors = json_ok(
        app.get("/api/admin/users?role=DOCTOR", Some(&admin.token))
            .await,
    )
    .await;
    assert_eq!(doctors["pagination"]["total"], 1);
    let found = json_ok(
        app.get("/api/admin/users?q=zed%20search", Some(&admin.token))
            .await,
    )
    .await;
    assert_eq!(found["users"][0]["name"], "Dr. Zed Search");
    let page = json_ok(
        app.get(
            "/api/admin/users?role=PATIENT&limit=2&page=2",
            Some(&admin.token),
        )
        .await,
    )
    .await;
    assert_eq!(page["users"].as_array().unwrap().len(), 1);
    let inactive = json_ok(
        app.get("/api/admin/users?active=false", Some(&admin.token))
            .await,
    )
    .await;
    assert_eq!(inactive["pagination"]["total"], 0);
    problem(
        app.get("/api/admin/users?role=NURSE", Some(&admin.token))
            .await,
        400,
    )
    .await;
}

#[both_backends]
async fn failed_emails_are_listed_and_retried(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.user(Role::Admin).await;
    let id = uuid::Uuid::new_v4();
    app.with_conn(move |c| {
        let now = DbTime(Utc::now());
        diesel::insert_into(notifications::table)
            .values((
                notifications::id.eq(DbId(id)),
                notifications::email.eq("gone@example.com"),
                notifications::subject.eq("S"),
                notifications::content.eq("C"),
                notifications::sent.eq(false),
                notifications::created_at.eq(now),
                notifications::status.eq("failed"),
                notifications::attempts.eq(12),
                notifications::next_attempt_at.eq(now),
                notifications::last_error.eq(Some("550 rejected")),
            ))
            .execute(c)
            .unwrap();
    })
    .await;
    let failed = json_ok(
        app.get("/api/admin/notifications?status=failed", Some(&admin.token))
            .await,
    )
    .await;
    assert_eq!(failed["notifications"].as_array().unwrap().len(), 1);
    assert_eq!(failed["notifications"][0]["lastError"], "550 rejected");
    let retried = json_ok(
        app.post(
            &format!("/api/admin/notifications/{id}/retry"),
            Some(&admin.token),
            &json!({}),
        )
        .await,
    )
    .await;
    assert_eq!(retried["status"], "queued");
    assert_eq!(retried["attempts"], 0);
    problem(
        app.post(
            &format!("/api/admin/notifications/{id}/retry"),
            Some(&admin.token),
            &json!({}),
        )
        .await,
        409,
    )
    .await;
    problem(
        app.post(
            &format!("/api/admin/notifications/{}/retry", uuid::Uuid::new_v4()),
            Some(&admin.token),
            &json!({}),
        )
        .await,
        404,
    )
    .await;
    problem(
        app.get("/api/admin/notifications?status=lost", Some(&admin.token))
            .await,
        400,
    )
    .await;
}

#[both_backends]
async fn security_events_are_audited_with_names_and_kinds(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.user(Role::Admin).await;
    let patient = app.user(Role::Patient).await;
    let other = app.user(Role::Patient).await;
    // A wrong password for a known account; an unknown email concerns no account.
    problem(app.login(&patient.email, "not the password").await, 401).await;
    problem(
        app.login("nobody@example.com", "not the password").await,
        401,
    )
    .await;
    // A password change, and a deactivated account trying to sign in.
    json_ok(
        app.put(
            "/api/users/password",
            Some(&patient.token),
            &json!({"currentPassword": PASSWORD, "newPassword": "a brand new password"}),
        )
        .await,
    )
    .await;
    json_ok(
        app.send_json(
            reqwest::Method::PATCH,
            &format!("/api/admin/users/{}", other.id),
            Some(&admin.token),
            &json!({"active": false}),
        )
        .await,
    )
    .await;
    problem(app.login(&other.email, PASSWORD).await, 403).await;
    // The dashboard's series are counts of no one: not audited.
    json_ok(
        app.get(
            "/api/analytics/timeseries?metric=registrations",
            Some(&admin.token),
        )
        .await,
    )
    .await;
    let actions: Vec<String> = audit_actions(&app).await.into_iter().map(|a| a.0).collect();
    assert_eq!(
        actions,
        [
            "auth.login.failed",
            "user.password.change",
            "admin.user.deactivate",
            "auth.login.refused"
        ]
    );

    let signins = json_ok(
        app.get("/api/admin/audit?kind=auth", Some(&admin.token))
            .await,
    )
    .await;
    let entries = signins["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["action"], "auth.login.refused");
    assert_eq!(entries[1]["action"], "auth.login.failed");
    assert_eq!(
        entries[1]["actorId"],
        serde_json::Value::Null,
        "who tried is not known"
    );
    assert_eq!(entries[1]["targetId"], patient.id.to_string());
    assert_eq!(entries[1]["targetName"], "Test User");
    assert_eq!(entries[1]["ip"], "127.0.0.1");
    let admin_actions = json_ok(
        app.get("/api/admin/audit?kind=admin", Some(&admin.token))
            .await,
    )
    .await;
    let first = &admin_actions["entries"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(first["action"], "admin.user.deactivate");
    assert_eq!(first["actorName"], "Test Admin");
    let own = json_ok(
        app.get("/api/admin/audit?kind=user", Some(&admin.token))
            .await,
    )
    .await;
    assert_eq!(own["entries"][0]["action"], "user.password.change");
    assert_eq!(own["entries"][0]["actorId"], patient.id.to_string());
    problem(
        app.get("/api/admin/audit?kind=everything", Some(&admin.token))
            .await,
        400,
    )
    .await;
}

#[both_backends]
async fn the_audit_trail(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.user(Role::Admin).await;
    let doctor = app.doctor("Dr. Audit", "X").await;
    let patient = app.user(Role::Patient).await;
    let d = doctor_id(&app, &doctor).await;
    let booking = json!({
        "doctorId": d,
        "scheduledFor": (Utc::now() + Duration::days(2)).to_rfc3339(),
        "reason": "Private matter"
    });
    let a = json_ok(
        app.post("/api/appointments", Some(&patient.token), &booking)
            .await,
    )
    .await;
    let id: uuid::Uuid = a["id"].as_str().unwrap().parse().unwrap();
    // The patient's own reads and changes are not audited.
    app.get(&format!("/api/appointments/{id}"), Some(&patient.token))
        .await;
    app.get("/api/appointments", Some(&patient.token)).await;
    app.get(
        &format!("/api/appointments/{id}/history"),
        Some(&patient.token),
    )
    .await;
    app.put(
        &format!("/api/appointments/{id}"),
        Some(&patient.token),
        &json!({"reason": "Changed"}),
    )
    .await;
    assert!(audit_actions(&app).await.is_empty());
    // The doctor's reads and changes are.
    app.get(&format!("/api/appointments/{id}"), Some(&doctor.token))
        .await;
    app.get("/api/appointments", Some(&doctor.token)).await;
    app.get(
        &format!("/api/appointments/{id}/history"),
        Some(&doctor.token),
    )
    .await;
    app.put(
        &format!("/api/appointments/{id}"),
        Some(&doctor.token),
        &json!({"status": "CANCELLED"}),
    )
    .await;
    // And every admin action.
    app.get("/api/admin/users", Some(&admin.token)).await;
    app.get(&format!("/api/appointments/{id}"), Some(&admin.token))
        .await;
    let actions = audit_actions(&app).await;
    let names: Vec<&str> = actions.iter().map(|a| a.0.as_str()).collect();
    assert_eq!(
        names,
        [
            "appointment.read",
            "appointment.read",
            "appointment.history.read",
            "appointment.update",
            "admin.users.list",
            "appointment.read"
        ]
    );
    assert!(
        actions[..4]
            .iter()
            .all(|a| a.1 == Some(id) && a.2 == "DOCTOR")
    );
    // Read through the API, filtered; records carry the client address and no PHI.
    let listed = json_ok(
        app.get(&format!("/api/admin/audit?target={id}"), Some(&admin.token))
            .await,
    )
    .await;
    let entries = listed["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 5);
    assert_eq!(entries[0]["ip"], "127.0.0.1");
    let text = listed.to_string();
    assert!(
        !text.contains("Private") && !text.contains("Changed") && !text.contains(&patient.email)
    );
    // Names are resolved for the admin reading (the rows hold ids only).
    assert_eq!(entries[1]["actorName"], "Dr. Audit");
    let by_doctor = json_ok(
        app.get(
            &format!("/api/admin/audit?actor={}", doctor.id),
            Some(&admin.token),
        )
        .await,
    )
    .await;
    // Their four, and the confirmation of their address at registration.
    assert_eq!(by_doctor["entries"].as_array().unwrap().len(), 5);
    // Append-only, down to the database.
    let changed = app
        .with_conn(|c| {
            diesel::update(audit_log::table)
                .set(audit_log::action.eq("x"))
                .execute(c)
        })
        .await;
    assert!(changed.is_err());
    let deleted = app
        .with_conn(|c| diesel::delete(audit_log::table).execute(c))
        .await;
    assert!(deleted.is_err());
}
