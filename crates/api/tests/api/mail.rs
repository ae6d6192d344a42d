use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use mediconnect_api::config::Secret;
use mediconnect_api::db::schema::notifications;
use mediconnect_shared::Role;
use serde_json::json;

use crate::helpers::*;
use mediconnect_smtp_sink::{Received, SmtpServer};
use mediconnect_test_macros::both_backends;

async fn app_with_smtp(
    backend: Backend,
    smtp: &SmtpServer,
    customize: impl FnOnce(&mut mediconnect_api::config::Config),
) -> TestApp {
    let url = smtp.url();
    spawn_app_with(backend, move |c| {
        c.smtp_url = Some(Secret::new(url));
        customize(c);
    })
    .await
}

async fn patient_named(app: &TestApp, name: &str, alerts: &str) -> TestUser {
    let user = app.patient(name).await;
    if alerts != "all" {
        json_ok(
            app.put(
                "/api/users/profile",
                Some(&user.token),
                &json!({"notifications": {"doctorOnline": alerts}}),
            )
            .await,
        )
        .await;
    }
    user
}

async fn doctor_id(app: &TestApp, name: &str) -> String {
    json_ok(
        app.get(
            &format!("/api/doctors?q={}", name.replace(' ', "%20")),
            None,
        )
        .await,
    )
    .await["doctors"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Every URL in a message's text and HTML.
fn urls(m: &Received) -> Vec<String> {
    let text = m.text() + &m.header("List-Unsubscribe").unwrap_or_default();
    text.match_indices("http")
        .map(|(i, _)| {
            text[i..]
                .split(|c: char| c.is_whitespace() || "\"'<>".contains(c))
                .next()
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

/// No URL the API writes carries an address, a password, a reason or a session token.
fn assert_clean_urls(m: &Received, secrets: &[&str]) {
    for url in urls(m) {
        assert!(
            !url.contains('@') && !url.contains("%40"),
            "an address in {url}"
        );
        // A JWT is three dot-separated base64url parts, the first `eyJ` (`{"`); a random
        // signed token may hold those three letters by chance.
        let jwt = url
            .split(['?', '&', '=', '/', '#'])
            .any(|part| part.starts_with("eyJ") && part.matches('.').count() == 2);
        assert!(!jwt, "a JWT in {url}");
        for s in secrets {
            assert!(!url.contains(s), "{s} in {url}");
        }
    }
}

/// Waits until `n` emails have had a failed attempt recorded (not only claimed).
async fn failed_attempts(app: &TestApp, n: i64) {
    eventually(10, Duration::from_millis(100), || async move {
        let tried: i64 = app
            .with_conn(|c| {
                notifications::table
                    .filter(notifications::kind.ne(CONFIRMATION_KIND))
                    .filter(notifications::attempts.ge(1))
                    .filter(notifications::last_error.is_not_null())
                    .count()
                    .get_result(c)
                    .unwrap()
            })
            .await;
        if tried == n {
            Ok(())
        } else {
            Err(format!("{tried} of {n} failed attempts recorded"))
        }
    })
    .await;
}

fn to(messages: &[Received], address: &str) -> usize {
    messages
        .iter()
        .filter(|m| m.to == [address.to_string()])
        .count()
}

#[both_backends]
async fn each_opted_in_patient_gets_their_own_alert(backend: Backend) {
    let smtp = smtp_sink().await;
    let app = app_with_smtp(backend, &smtp, |_| {}).await;
    let doctor = app.doctor("Dr. Alert", "Dermatology").await;
    let wanting = [
        patient_named(&app, "Ann A", "all").await,
        patient_named(&app, "Bob B", "all").await,
        patient_named(&app, "Cy C", "all").await,
    ];
    let off = patient_named(&app, "Di Off", "off").await;
    let followed_only = patient_named(&app, "Ed Follow", "followed").await;

    app.set_online(&doctor, true).await;
    smtp.wait_for(3, 10).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let messages = smtp.received();
    assert_eq!(
        messages.len(),
        3,
        "{:?}",
        messages.iter().map(|m| &m.to).collect::<Vec<_>>()
    );
    for p in &wanting {
        assert_eq!(to(&messages, &p.email), 1, "{}", p.email);
    }
    assert_eq!(to(&messages, &off.email), 0);
    assert_eq!(to(&messages, &followed_only.email), 0);
    for m in &messages {
        // One recipient, and no other patient's address anywhere.
        assert_eq!(m.to.len(), 1);
        for p in wanting.iter().chain([&off, &followed_only]) {
            if m.to[0] != p.email {
                assert!(
                    !m.data.contains(&p.email),
                    "another patient's address leaked"
                );
            }
        }
        assert_eq!(
            m.header("Subject").unwrap(),
            "Dr. Alert is online now on MediConnect"
        );
        let text = m.text();
        assert!(text.contains("Dermatology"));
        assert!(text.contains("http://localhost:8080/doctors?q=Dr.%20Alert"));
        assert!(m.part_types().contains(&"text/plain".to_string()));
        assert!(m.part_types().contains(&"text/html".to_string()));
        let list = m.header("List-Unsubscribe").unwrap();
        assert!(
            list.starts_with("<http://localhost:8080/api/notifications/unsubscribe?token="),
            "{list}"
        );
        assert_eq!(
            m.header("List-Unsubscribe-Post").unwrap(),
            "List-Unsubscribe=One-Click"
        );
        assert!(
            m.header("Message-ID")
                .unwrap()
                .ends_with("@mediconnect.test>")
        );
        assert!(!urls(m).is_empty());
        assert_clean_urls(m, &[PASSWORD]);
    }
    // The outbox says so.
    let sent: i64 = app
        .with_conn(|c| {
            notifications::table
                .filter(notifications::status.eq("sent"))
                .filter(notifications::kind.ne(CONFIRMATION_KIND))
                .count()
                .get_result(c)
                .unwrap()
        })
        .await;
    assert_eq!(sent, 3);
}

#[both_backends]
async fn followed_mode_and_the_follow_endpoints(backend: Backend) {
    let smtp = smtp_sink().await;
    let app = app_with_smtp(backend, &smtp, |_| {}).await;
    let followed = app.doctor("Dr. Followed", "Cardiology").await;
    let other = app.doctor("Dr. Other", "Cardiology").await;
    let patient = patient_named(&app, "Fay Fan", "followed").await;
    let followed_id = doctor_id(&app, "Dr. Followed").await;

    assert_eq!(
        app.post(
            &format!("/api/doctors/{followed_id}/follow"),
            Some(&patient.token),
            &json!({})
        )
        .await
        .status(),
        204
    );
    assert_eq!(
        app.post(
            &format!("/api/doctors/{followed_id}/follow"),
            Some(&patient.token),
            &json!({})
        )
        .await
        .status(),
        204
    );
    let list = json_ok(app.get("/api/users/follows", Some(&patient.token)).await).await;
    assert_eq!(list["doctors"].as_array().unwrap().len(), 1);
    assert_eq!(list["doctors"][0]["name"], "Dr. Followed");
    problem(
        app.post(
            &format!("/api/doctors/{}/follow", uuid::Uuid::new_v4()),
            Some(&patient.token),
            &json!({}),
        )
        .await,
        404,
    )
    .await;
    problem(
        app.post(
            &format!("/api/doctors/{followed_id}/follow"),
            Some(&followed.token),
            &json!({}),
        )
        .await,
        403,
    )
    .await;
    problem(app.get("/api/users/follows", None).await, 401).await;

    app.set_online(&other, true).await;
    app.set_online(&followed, true).await;
    smtp.wait_for(1, 10).await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    let messages = smtp.received();
    assert_eq!(messages.len(), 1, "only the followed doctor is announced");
    assert_eq!(
        messages[0].header("Subject").unwrap(),
        "Dr. Followed is online now on MediConnect"
    );

    let res = app
        .client
        .delete(app.url(&format!("/api/doctors/{followed_id}/follow")))
        .bearer_auth(&patient.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(
        json_ok(app.get("/api/users/follows", Some(&patient.token)).await).await["doctors"],
        json!([])
    );
}

#[both_backends]
async fn a_flapping_doctor_does_not_spam(backend: Backend) {
    let smtp = smtp_sink().await;
    let app = app_with_smtp(backend, &smtp, |_| {}).await;
    let doctor = app.doctor("Dr. Flap", "Neurology").await;
    let patient = patient_named(&app, "Gus G", "all").await;
    for _ in 0..3 {
        app.set_online(&doctor, true).await;
        smtp.wait_for(1, 10).await;
        app.set_online(&doctor, false).await;
    }
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(to(&smtp.received(), &patient.email), 1, "one per cooldown");
}

#[both_backends]
async fn the_cooldown_is_per_doctor_and_per_patient(backend: Backend) {
    let smtp = smtp_sink().await;
    let app = app_with_smtp(backend, &smtp, |_| {}).await;
    let first = app.doctor("Dr. First", "Neurology").await;
    let second = app.doctor("Dr. Second", "Neurology").await;
    let early = patient_named(&app, "Early E", "all").await;
    app.set_online(&first, true).await;
    smtp.wait_for(1, 10).await;
    app.set_online(&first, false).await;
    // Registered during the first doctor's cooldown: not in it, so announced.
    let late = patient_named(&app, "Late L", "all").await;
    app.set_online(&first, true).await;
    smtp.wait_for(2, 10).await;
    // Another doctor's cooldown is separate.
    app.set_online(&second, true).await;
    smtp.wait_for(4, 10).await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    let messages = smtp.received();
    let subjects = |email: &str| {
        let mut s: Vec<String> = messages
            .iter()
            .filter(|m| m.to == [email.to_string()])
            .map(|m| m.header("Subject").unwrap())
            .collect();
        s.sort();
        s
    };
    let both = vec![
        "Dr. First is online now on MediConnect".to_owned(),
        "Dr. Second is online now on MediConnect".to_owned(),
    ];
    assert_eq!(subjects(&early.email), both);
    assert_eq!(subjects(&late.email), both);
}

#[both_backends]
async fn without_a_cooldown_each_coming_online_is_announced(backend: Backend) {
    let smtp = smtp_sink().await;
    let app = app_with_smtp(backend, &smtp, |c| c.notify_cooldown = Duration::ZERO).await;
    let doctor = app.doctor("Dr. Again", "Neurology").await;
    let patient = patient_named(&app, "Hal H", "all").await;
    app.set_online(&doctor, true).await;
    smtp.wait_for(1, 10).await;
    app.set_online(&doctor, false).await;
    app.set_online(&doctor, true).await;
    smtp.wait_for(2, 10).await;
    assert_eq!(to(&smtp.received(), &patient.email), 2);
}

#[both_backends]
async fn one_click_unsubscribe(backend: Backend) {
    let smtp = smtp_sink().await;
    let app = app_with_smtp(backend, &smtp, |_| {}).await;
    let doctor = app.doctor("Dr. Unsub", "Neurology").await;
    let patient = patient_named(&app, "Ida I", "all").await;
    app.set_online(&doctor, true).await;
    let messages = smtp.wait_for(1, 10).await;
    let link = messages[0].header("List-Unsubscribe").unwrap();
    let url = link
        .trim_start_matches('<')
        .trim_end_matches('>')
        .replace("http://localhost:8080", &app.address);

    // The page asks first; a tampered link is refused clearly.
    let page = app.client.get(&url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("<button"));
    let mut tampered = url.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    let res = app.client.get(&tampered).send().await.unwrap();
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("not valid"));
    let res = app
        .client
        .post(&tampered)
        .form(&[("List-Unsubscribe", "One-Click")])
        .send()
        .await
        .unwrap();
    let p = problem(res, 400).await;
    assert!(p.detail.unwrap().contains("not valid"));
    problem(
        app.client
            .post(app.url("/api/notifications/unsubscribe"))
            .send()
            .await
            .unwrap(),
        400,
    )
    .await;
    // A link cut short before its token: the browser gets the page, not JSON.
    let res = app
        .client
        .get(app.url("/api/notifications/unsubscribe"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(res.headers()["content-type"], "text/html; charset=utf-8");
    assert!(res.text().await.unwrap().contains("not valid"));

    // RFC 8058: a POST with List-Unsubscribe=One-Click, no login.
    let res = app
        .client
        .post(&url)
        .form(&[("List-Unsubscribe", "One-Click")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let profile = json_ok(app.get("/api/users/profile", Some(&patient.token)).await).await;
    assert_eq!(profile["patient"]["notifications"]["doctorOnline"], "off");
    // And no more alerts.
    app.set_online(&doctor, false).await;
    let other = app.doctor("Dr. Second", "Neurology").await;
    app.set_online(&other, true).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(to(&smtp.received(), &patient.email), 1);
}

#[both_backends]
async fn an_smtp_outage_delays_but_loses_nothing(backend: Backend) {
    let smtp = smtp_sink().await;
    let app = app_with_smtp(backend, &smtp, |_| {}).await;
    let doctor = app.doctor("Dr. Outage", "Neurology").await;
    let patients = [
        patient_named(&app, "Jo J", "all").await,
        patient_named(&app, "Kim K", "all").await,
    ];
    smtp.stop();
    app.set_online(&doctor, true).await;
    // Attempted and failed while the server is down.
    failed_attempts(&app, 2).await;
    let queued: Vec<(String, Option<String>)> = app
        .with_conn(|c| {
            notifications::table
                .filter(notifications::kind.ne(CONFIRMATION_KIND))
                .select((notifications::status, notifications::last_error))
                .load(c)
                .unwrap()
        })
        .await;
    assert!(
        queued.iter().all(|(s, e)| s == "queued" && e.is_some()),
        "{queued:?}"
    );
    smtp.restart().await;
    smtp.wait_for(2, 15).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let got = smtp.received();
    for p in &patients {
        assert_eq!(to(&got, &p.email), 1, "exactly once");
    }
    let sent: i64 = app
        .with_conn(|c| {
            notifications::table
                .filter(notifications::status.eq("sent"))
                .filter(notifications::kind.ne(CONFIRMATION_KIND))
                .count()
                .get_result(c)
                .unwrap()
        })
        .await;
    assert_eq!(sent, 2);
}

#[both_backends]
async fn alerts_that_would_arrive_late_expire_and_other_mail_does_not(backend: Backend) {
    let smtp = smtp_sink().await;
    let app = app_with_smtp(backend, &smtp, |_| {}).await;
    let admin = app.user(Role::Admin).await;
    let doctor = app.doctor("Dr. Late", "Neurology").await;
    let waiting = patient_named(&app, "Ona Waiting", "all").await;
    let booking = patient_named(&app, "Pia Booking", "off").await;
    smtp.stop();
    app.set_online(&doctor, true).await;
    let id = doctor_id(&app, "Dr. Late").await;
    let start = (Utc::now() + chrono::Duration::days(3))
        .date_naive()
        .and_hms_opt(9, 0, 0)
        .unwrap()
        .and_utc();
    json_ok(
        app.post(
            "/api/appointments",
            Some(&booking.token),
            &json!({"doctorId": id, "scheduledFor": start.to_rfc3339()}),
        )
        .await,
    )
    .await;
    // The alert and the two booking emails are tried while the mail server is down.
    failed_attempts(&app, 3).await;
    // 20 minutes pass (ALERT_MAX_DELAY_MINUTES is 15) before the server is back.
    app.with_conn(|c| {
        diesel::update(notifications::table)
            .set(notifications::created_at.eq(mediconnect_api::db::DbTime(
                Utc::now() - chrono::Duration::minutes(20),
            )))
            .execute(c)
            .unwrap();
    })
    .await;
    smtp.restart().await;
    // The booking emails go out; the alert never does.
    smtp.wait_for(2, 20).await;
    let app_ref = &app;
    let rows = eventually(10, Duration::from_millis(100), || async move {
        let rows: Vec<(String, String)> = app_ref
            .with_conn(|c| {
                // Reminders wait for their time before the appointments.
                notifications::table
                    .filter(notifications::kind.ne(CONFIRMATION_KIND))
                    .filter(notifications::kind.ne("APPOINTMENT_REMINDER"))
                    .select((notifications::kind, notifications::status))
                    .order(notifications::kind.asc())
                    .load(c)
                    .unwrap()
            })
            .await;
        if rows.iter().all(|(_, s)| s != "queued") {
            Ok(rows)
        } else {
            Err(format!("still queued: {rows:?}"))
        }
    })
    .await;
    let rows: Vec<(&str, &str)> = rows.iter().map(|(k, s)| (k.as_str(), s.as_str())).collect();
    assert_eq!(
        rows,
        [
            ("APPOINTMENT_BOOKED", "sent"),
            ("APPOINTMENT_BOOKED", "sent"),
            ("DOCTOR_ONLINE", "expired")
        ]
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        to(&smtp.received(), &waiting.email),
        0,
        "a late alert was sent"
    );
    assert_eq!(to(&smtp.received(), &booking.email), 1);
    // Counted in the analytics, and listed to admins.
    let figures = json_ok(app.get("/api/analytics", Some(&admin.token)).await).await;
    assert_eq!(figures["emailsExpired"], 1);
    assert_eq!(figures["emailsFailed"], 0);
    let listed = json_ok(
        app.get(
            "/api/admin/notifications?status=expired",
            Some(&admin.token),
        )
        .await,
    )
    .await;
    assert_eq!(listed["notifications"].as_array().unwrap().len(), 1);
    assert_eq!(listed["notifications"][0]["kind"], "DOCTOR_ONLINE");
    assert_eq!(listed["notifications"][0]["status"], "expired");
}

#[both_backends]
async fn an_alert_about_a_doctor_gone_offline_expires(backend: Backend) {
    let smtp = smtp_sink().await;
    let app = app_with_smtp(backend, &smtp, |_| {}).await;
    let doctor = app.doctor("Dr. Brief", "Neurology").await;
    let waiting = patient_named(&app, "Quin Waiting", "all").await;
    smtp.stop();
    app.set_online(&doctor, true).await;
    failed_attempts(&app, 1).await;
    let app_ref = &app;
    // Gone again before the mail server is back: the alert would be wrong by then.
    app.set_online(&doctor, false).await;
    smtp.restart().await;
    let status = eventually(15, Duration::from_millis(100), || async move {
        let status: String = app_ref
            .with_conn(|c| {
                notifications::table
                    .filter(notifications::kind.ne(CONFIRMATION_KIND))
                    .select(notifications::status)
                    .first(c)
                    .unwrap()
            })
            .await;
        if status == "queued" {
            Err("still queued".to_owned())
        } else {
            Ok(status)
        }
    })
    .await;
    assert_eq!(status, "expired");
    assert_eq!(to(&smtp.received(), &waiting.email), 0);
}

#[both_backends]
async fn a_name_is_never_read_as_a_template(backend: Backend) {
    let smtp = smtp_sink().await;
    let app = app_with_smtp(backend, &smtp, |_| {}).await;
    let doctor = app
        .doctor("Dr. {{link}} {{unsubscribe}}", "Neurology")
        .await;
    let patient = patient_named(&app, "Rae {{doctor}}", "all").await;
    app.set_online(&doctor, true).await;
    let mail = smtp.wait_for(1, 10).await.remove(0);
    assert_eq!(mail.to, std::slice::from_ref(&patient.email));
    let subject = mail.header("Subject").unwrap();
    assert_eq!(
        subject,
        "Dr. {{link}} {{unsubscribe}} is online now on MediConnect"
    );
    let text = mail.text();
    assert!(text.contains("Dr. {{link}} {{unsubscribe}}"), "{text}");
    assert!(text.contains("Rae {{doctor}}"), "{text}");
    assert!(!text.contains("Dr. http"), "a name became a link: {text}");
}

#[both_backends]
async fn a_permanent_rejection_fails_at_once(backend: Backend) {
    let smtp = smtp_sink().await;
    let app = app_with_smtp(backend, &smtp, |_| {}).await;
    let doctor = app.doctor("Dr. Reject", "Neurology").await;
    let gone = patient_named(&app, "Lee Gone", "all").await;
    let fine = patient_named(&app, "Max Fine", "all").await;
    smtp.reject(&gone.email);
    app.set_online(&doctor, true).await;
    smtp.wait_for(1, 10).await;
    let app_ref = &app;
    let failed = eventually(10, Duration::from_millis(100), || async move {
        let app = app_ref;
        let rows: Vec<(String, i32, Option<String>)> = app
            .with_conn(|c| {
                notifications::table
                    .filter(notifications::status.eq("failed"))
                    .select((
                        notifications::email,
                        notifications::attempts,
                        notifications::last_error,
                    ))
                    .load(c)
                    .unwrap()
            })
            .await;
        if rows.is_empty() {
            Err("no message failed".to_owned())
        } else {
            Ok(rows)
        }
    })
    .await;
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].0, gone.email);
    assert_eq!(failed[0].1, 1, "after one attempt");
    let error = failed[0].2.clone().unwrap();
    assert!(error.contains("550"), "{error}");
    assert!(
        !error.contains(&gone.email),
        "the stored error names no address: {error}"
    );
    assert_eq!(to(&smtp.received(), &fine.email), 1);
}

#[both_backends]
async fn appointment_mail_carries_a_calendar_and_no_reason(backend: Backend) {
    let smtp = smtp_sink().await;
    let app = app_with_smtp(backend, &smtp, |_| {}).await;
    let doctor = app.doctor("Dr. Calendar", "Cardiology").await;
    let patient = patient_named(&app, "Ned Patient", "off").await;
    let id = doctor_id(&app, "Dr. Calendar").await;
    json_ok(
        app.put(
            "/api/doctors/me/schedule",
            Some(&doctor.token),
            &json!({"timeZone": "Asia/Tokyo", "slotMinutes": 45}),
        )
        .await,
    )
    .await;
    // Each person's own zone, not the clinic's, is what their mail uses.
    json_ok(
        app.put(
            "/api/users/profile",
            Some(&doctor.token),
            &json!({"timeZone": "Europe/Berlin"}),
        )
        .await,
    )
    .await;
    json_ok(
        app.put(
            "/api/users/profile",
            Some(&patient.token),
            &json!({"timeZone": "America/New_York"}),
        )
        .await,
    )
    .await;
    let start: DateTime<Utc> = (Utc::now() + chrono::Duration::days(3))
        .date_naive()
        .and_hms_opt(9, 0, 0)
        .unwrap()
        .and_utc();
    let booking = json!({
        "doctorId": id,
        "scheduledFor": start.to_rfc3339(),
        "reason": "Embarrassing rash"
    });
    let booked = json_ok(
        app.post("/api/appointments", Some(&patient.token), &booking)
            .await,
    )
    .await;
    let messages = smtp.wait_for(2, 10).await;
    assert_eq!(messages.len(), 2);
    let to_patient = messages
        .iter()
        .find(|m| m.to == [patient.email.clone()])
        .expect("the confirmation");
    let to_doctor = messages
        .iter()
        .find(|m| m.to == [doctor.email.clone()])
        .expect("the notice");
    let ics = to_patient.calendar().expect("an .ics attachment");
    assert!(ics.contains("METHOD:REQUEST"));
    assert!(ics.contains(&format!("DTSTART:{}", start.format("%Y%m%dT%H%M%SZ"))));
    assert!(ics.contains(&format!(
        "DTEND:{}",
        (start + chrono::Duration::minutes(45)).format("%Y%m%dT%H%M%SZ")
    )));
    let uid = ics
        .lines()
        .find(|l| l.starts_with("UID:"))
        .unwrap()
        .to_owned();
    assert!(uid.contains(booked["id"].as_str().unwrap()));
    assert!(ics.contains("SEQUENCE:0"));
    assert!(to_patient.text().contains("Dr. Calendar"));
    assert!(to_doctor.text().contains("Ned Patient"));
    // Each reads the time in their own zone, named, in the subject and the body.
    let berlin = start.with_timezone(&chrono_tz::Europe::Berlin);
    let new_york = start.with_timezone(&chrono_tz::America::New_York);
    assert_eq!(
        to_patient.header("Subject").unwrap(),
        format!(
            "Booked: Dr. Calendar on {} New York time",
            new_york.format("%-d %b, %H:%M")
        )
    );
    assert!(
        to_patient.text().contains(&format!(
            "{} (New York time, America/New_York)",
            new_york.format("%H:%M")
        )),
        "{}",
        to_patient.text()
    );
    assert_eq!(
        to_doctor.header("Subject").unwrap(),
        format!(
            "New appointment: Ned Patient on {} Berlin time",
            berlin.format("%-d %b, %H:%M")
        )
    );
    assert!(
        to_doctor.text().contains(&format!(
            "{} (Berlin time, Europe/Berlin)",
            berlin.format("%H:%M")
        )),
        "{}",
        to_doctor.text()
    );
    assert!(!to_patient.text().contains("Tokyo") && !to_doctor.text().contains("Tokyo"));

    // The doctor moves it: the patient hears, with a new SEQUENCE and the same UID, and
    // the doctor's own calendar gets the same update.
    let later = start + chrono::Duration::hours(2);
    json_ok(
        app.put(
            &format!("/api/appointments/{}", booked["id"].as_str().unwrap()),
            Some(&doctor.token),
            &json!({"scheduledFor": later.to_rfc3339()}),
        )
        .await,
    )
    .await;
    let messages = smtp.wait_for(4, 10).await;
    let of = |messages: &[mediconnect_smtp_sink::Received], to: &str| {
        messages
            .iter()
            .find(|m| m.to == [to.to_owned()])
            .cloned()
            .expect("an email to each party")
    };
    let moved = of(&messages[2..4], &patient.email);
    let ics = moved.calendar().unwrap();
    assert!(ics.contains(&uid) && ics.contains("SEQUENCE:1") && ics.contains("METHOD:REQUEST"));
    assert!(ics.contains(&format!("DTSTART:{}", later.format("%Y%m%dT%H%M%SZ"))));
    assert!(
        moved.text().contains("Dr. Calendar moved your appointment"),
        "{}",
        moved.text()
    );
    let mine = of(&messages[2..4], &doctor.email);
    let ics = mine.calendar().unwrap();
    assert!(ics.contains(&uid) && ics.contains("SEQUENCE:1"));
    assert!(
        mine.text()
            .contains("You moved your appointment with Ned Patient"),
        "{}",
        mine.text()
    );

    // The patient cancels: the doctor hears, METHOD:CANCEL, same UID; the patient's
    // calendar drops it too.
    let res = app
        .client
        .delete(app.url(&format!(
            "/api/appointments/{}",
            booked["id"].as_str().unwrap()
        )))
        .bearer_auth(&patient.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let messages = smtp.wait_for(6, 10).await;
    for to in [&doctor.email, &patient.email] {
        let cancelled = of(&messages[4..6], to);
        let ics = cancelled.calendar().unwrap();
        assert!(
            ics.contains("METHOD:CANCEL") && ics.contains(&uid) && ics.contains("STATUS:CANCELLED")
        );
    }

    // Minimum necessary: the reason is in no email, and no URL carries secrets.
    for m in smtp.received() {
        assert_clean_urls(&m, &[PASSWORD, "Embarrassing"]);
        assert!(
            !m.text().contains("Embarrassing"),
            "the visit reason leaked into an email"
        );
        assert!(!m.data.contains("Embarrassing"));
    }
}

#[both_backends]
async fn the_preference_is_part_of_the_profile(backend: Backend) {
    let app = spawn_app(backend).await;
    let patient = app.user(Role::Patient).await;
    let doctor = app.user(Role::Doctor).await;
    let profile = json_ok(app.get("/api/users/profile", Some(&patient.token)).await).await;
    assert_eq!(
        profile["patient"]["notifications"],
        json!({"doctorOnline": "all", "appointmentReminders": true})
    );
    let updated = json_ok(
        app.put(
            "/api/users/profile",
            Some(&patient.token),
            &json!({"notifications": {"doctorOnline": "followed"}}),
        )
        .await,
    )
    .await;
    assert_eq!(
        updated["patient"]["notifications"]["doctorOnline"],
        "followed"
    );
    problem(
        app.put(
            "/api/users/profile",
            Some(&patient.token),
            &json!({"notifications": {"doctorOnline": "sometimes"}}),
        )
        .await,
        422,
    )
    .await;
    problem(
        app.put(
            "/api/users/profile",
            Some(&doctor.token),
            &json!({"notifications": {"doctorOnline": "off"}}),
        )
        .await,
        422,
    )
    .await;
}

#[both_backends]
async fn development_mail_lands_in_eml_files(backend: Backend) {
    let app = spawn_app(backend).await;
    let doctor = app.doctor("Dr. Files", "Neurology").await;
    let patient = app.user(Role::Patient).await;
    app.set_online(&doctor, true).await;
    let dir = app.config.data_dir.join("mail");
    let file = eventually(10, Duration::from_millis(100), || {
        let files: Vec<_> = std::fs::read_dir(&dir)
            .map(|d| d.flatten().collect())
            .unwrap_or_default();
        // The alert (the two addresses' confirmations are files too).
        let eml = files.into_iter().find(|f| {
            f.path().extension().is_some_and(|e| e == "eml")
                && std::fs::read_to_string(f.path())
                    .is_ok_and(|t| t.contains("Dr. Files is online now"))
        });
        let found = eml
            .map(|f| f.path())
            .ok_or_else(|| format!("no .eml file in {}", dir.display()));
        async move { found }
    })
    .await;
    assert!(
        std::fs::read_to_string(file)
            .unwrap()
            .contains(&patient.email)
    );
}

mod expansion {
    use super::*;

    /// Inserts `n` patients (`{prefix}-{i}@example.com`) straight into the database:
    /// faster than registering each.
    async fn insert_patients(app: &TestApp, prefix: &'static str, n: usize) {
        let cost = app.config.bcrypt_cost;
        app.with_conn(move |conn| {
            use mediconnect_api::accounts::{NewAccount, insert_account};
            use mediconnect_api::domain::{EmailAddress, Password, PersonName};
            let hash = mediconnect_api::auth::password::hash(PASSWORD, cost).unwrap();
            for i in 0..n {
                let account = NewAccount {
                    name: PersonName::parse(&format!("Patient {i}")).unwrap(),
                    email: EmailAddress::parse(&format!("{prefix}-{i}@example.com")).unwrap(),
                    password: Password::parse(PASSWORD).unwrap(),
                    role: Role::Patient,
                    specialization: None,
                    zone: mediconnect_api::domain::Zone::parse("UTC").unwrap(),
                    verified: true,
                    license_number: None,
                    approved: true,
                };
                insert_account(conn, &account, &hash).unwrap();
            }
        })
        .await;
    }

    /// The id of a neurologist, online, whose first announcement the server's worker
    /// has sent.
    async fn doctor_online(app: &TestApp, name: &str) -> uuid::Uuid {
        let doctor = app.doctor(name, "Neurology").await;
        app.set_online(&doctor, true).await;
        alert_jobs_done(app).await;
        doctor_id(app, name).await.parse().unwrap()
    }

    /// Waits until the server's own worker has finished every alert job.
    async fn alert_jobs_done(app: &TestApp) {
        use mediconnect_api::db::schema::notification_jobs;
        eventually(20, Duration::from_millis(50), || async move {
            let pending: i64 = app
                .with_conn(|c| {
                    notification_jobs::table
                        .filter(notification_jobs::status.eq("pending"))
                        .count()
                        .get_result(c)
                        .unwrap()
                })
                .await;
            if pending == 0 {
                Ok(())
            } else {
                Err(format!("{pending} alert jobs still pending"))
            }
        })
        .await;
    }

    /// The user ids of the patients whose email matches `pattern`, in the order the
    /// expansion reads them.
    async fn user_ids(app: &TestApp, pattern: &'static str) -> Vec<uuid::Uuid> {
        use mediconnect_api::db::DbId;
        use mediconnect_api::db::schema::{patients, users};
        app.with_conn(move |c| {
            patients::table
                .inner_join(users::table)
                .filter(users::email.like(pattern))
                .order(users::id.asc())
                .select(users::id)
                .load::<DbId>(c)
                .unwrap()
                .into_iter()
                .map(|id| id.0)
                .collect()
        })
        .await
    }

    async fn user_id_of(app: &TestApp, email: &'static str) -> uuid::Uuid {
        let ids = user_ids(app, email).await;
        assert_eq!(ids.len(), 1, "{email}");
        ids[0]
    }

    /// A "doctor online" alert about `doctor` for `user`, sent at `at`.
    fn insert_alert(
        conn: &mut mediconnect_api::db::AnyConnection,
        user: uuid::Uuid,
        doctor: uuid::Uuid,
        at: DateTime<Utc>,
    ) {
        use mediconnect_api::db::{DbId, DbTime};
        diesel::insert_into(notifications::table)
            .values((
                notifications::id.eq(DbId(uuid::Uuid::new_v4())),
                notifications::email.eq("earlier@example.com"),
                notifications::subject.eq("An earlier alert"),
                notifications::content.eq("An earlier alert"),
                notifications::sent.eq(true),
                notifications::created_at.eq(DbTime(at)),
                notifications::kind.eq("DOCTOR_ONLINE"),
                notifications::user_id.eq(Some(DbId(user))),
                notifications::doctor_id.eq(Some(DbId(doctor))),
                notifications::status.eq("sent"),
                notifications::attempts.eq(1),
                notifications::next_attempt_at.eq(DbTime(at)),
            ))
            .execute(conn)
            .unwrap();
    }

    /// A job's counter, the counter it read only stamps after, and its floor.
    type JobRecord = (
        Option<i64>,
        Option<i64>,
        Option<mediconnect_api::db::DbTime>,
    );

    /// Every alert job's record, oldest first.
    async fn alert_jobs(db: &mediconnect_api::db::Db) -> Vec<JobRecord> {
        use mediconnect_api::db::schema::notification_jobs;
        let db = db.clone();
        tokio::task::spawn_blocking(move || {
            notification_jobs::table
                .order(notification_jobs::created_at.asc())
                .select((
                    notification_jobs::audience_version,
                    notification_jobs::since_version,
                    notification_jobs::earliest_alert_at,
                ))
                .load(&mut db.get_blocking().expect("a connection"))
                .unwrap()
        })
        .await
        .unwrap()
    }

    /// Expands pending alert jobs in batches of `batch` until none is left, each step at
    /// `now()`: how many alerts this caller queued.
    fn expand_all(
        conn: &mut mediconnect_api::db::AnyConnection,
        ctx: &mediconnect_api::mail::MailContext,
        batch: i64,
        now: impl Fn() -> DateTime<Utc>,
    ) -> usize {
        let mut queued = 0;
        while let Some(n) =
            mediconnect_api::mail::alerts::expand_batch(conn, ctx, batch, now()).unwrap()
        {
            queued += n;
        }
        queued
    }

    /// How many alerts each patient got, from [`alerted_since`]'s sorted list.
    fn per_patient(alerted: &[uuid::Uuid]) -> Vec<(uuid::Uuid, i64)> {
        let mut counts: Vec<(uuid::Uuid, i64)> = Vec::new();
        for user in alerted {
            match counts.last_mut() {
                Some((last, n)) if last == user => *n += 1,
                _ => counts.push((*user, 1)),
            }
        }
        counts
    }

    /// Who was alerted about `doctor` at or after `since`, by user id, sorted.
    async fn alerted_since(
        db: &mediconnect_api::db::Db,
        doctor: uuid::Uuid,
        since: DateTime<Utc>,
    ) -> Vec<uuid::Uuid> {
        use mediconnect_api::db::{DbId, DbTime};
        let db = db.clone();
        let mut users: Vec<uuid::Uuid> = tokio::task::spawn_blocking(move || {
            notifications::table
                .filter(notifications::created_at.ge(DbTime(since)))
                .filter(notifications::doctor_id.eq(Some(DbId(doctor))))
                .select(notifications::user_id)
                .load::<Option<DbId>>(&mut db.get_blocking().expect("a connection"))
                .unwrap()
        })
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.expect("an alert names its patient").0)
        .collect();
        users.sort();
        users
    }

    /// A test's database after its server has stopped (and its mail worker with it):
    /// alert jobs run here, at times the test chooses, with no worker of the server's
    /// in the way.
    struct Parked {
        db: mediconnect_api::db::Db,
        ctx: std::sync::Arc<mediconnect_api::mail::MailContext>,
        config: mediconnect_api::config::Config,
        app: TestApp,
    }

    async fn park(mut app: TestApp) -> Parked {
        app.stop().await;
        Parked {
            db: app.db.clone(),
            ctx: std::sync::Arc::new(mediconnect_api::mail::MailContext::from_config(&app.config)),
            config: app.config.clone(),
            app,
        }
    }

    impl Parked {
        async fn with_conn<T: Send + 'static>(
            &self,
            f: impl FnOnce(&mut mediconnect_api::db::AnyConnection) -> T + Send + 'static,
        ) -> T {
            let db = self.db.clone();
            tokio::task::spawn_blocking(move || f(&mut db.get_blocking().expect("a connection")))
                .await
                .unwrap()
        }

        /// Queues a job for `doctor` first if given, then expands one step at `now`.
        async fn step(
            &self,
            doctor: Option<uuid::Uuid>,
            batch: i64,
            now: DateTime<Utc>,
        ) -> Option<usize> {
            use mediconnect_api::mail::alerts;
            let ctx = self.ctx.clone();
            self.with_conn(move |c| {
                if let Some(doctor) = doctor {
                    assert!(alerts::enqueue_doctor_online(c, doctor, now).unwrap());
                }
                alerts::expand_batch(c, &ctx, batch, now).unwrap()
            })
            .await
        }

        /// Queues a job for `doctor` and expands all of it at `now`: how many alerts.
        async fn run_job(&self, doctor: uuid::Uuid, now: DateTime<Utc>) -> usize {
            let mut queued = self.step(Some(doctor), 500, now).await.expect("a job");
            while let Some(n) = self.step(None, 500, now).await {
                queued += n;
            }
            queued
        }

        async fn set_online(&self, doctor: uuid::Uuid, online: bool) {
            use mediconnect_api::db::DbId;
            use mediconnect_api::db::schema::doctors;
            self.with_conn(move |c| {
                diesel::update(doctors::table.find(DbId(doctor)))
                    .set(doctors::is_online.eq(online))
                    .execute(c)
                    .unwrap();
            })
            .await;
        }

        async fn alerted_since(&self, doctor: uuid::Uuid, since: DateTime<Utc>) -> Vec<uuid::Uuid> {
            alerted_since(&self.db, doctor, since).await
        }

        async fn jobs(&self) -> Vec<JobRecord> {
            alert_jobs(&self.db).await
        }
    }

    // Two workers (replicas, or one replica's loop and another's) expand the same alert
    // job at once, in small batches: each batch is claimed by exactly one of them, so
    // every patient's alert is queued once. The server is stopped first: its own worker
    // would otherwise claim the whole job in one pass of 500 before the racers start.
    #[both_backends]
    async fn concurrent_expansions_of_one_job_queue_each_alert_once(backend: Backend) {
        use mediconnect_api::mail::{MailContext, alerts};
        const PATIENTS: usize = 240;
        let mut app = spawn_app_with(backend, |c| c.notify_cooldown = Duration::ZERO).await;
        insert_patients(&app, "race", PATIENTS).await;
        let doctor = app.doctor("Dr. Raced", "Neurology").await;
        app.set_online(&doctor, true).await;
        let doctor_id = doctor_id(&app, "Dr. Raced")
            .await
            .parse::<uuid::Uuid>()
            .unwrap();
        // Let the server's own worker finish that first announcement.
        alert_jobs_done(&app).await;
        let before: i64 = app
            .with_conn(|c| {
                notifications::table
                    .filter(notifications::kind.eq("DOCTOR_ONLINE"))
                    .count()
                    .get_result(c)
                    .unwrap()
            })
            .await;
        assert_eq!(before, PATIENTS as i64);
        app.stop().await;

        // A second announcement, expanded by two racing workers only.
        let now = Utc::now();
        assert!(
            app.with_conn(move |c| alerts::enqueue_doctor_online(c, doctor_id, now).unwrap())
                .await
        );
        let ctx = std::sync::Arc::new(MailContext::from_config(&app.config));
        let start = std::sync::Arc::new(std::sync::Barrier::new(2));
        let racers: Vec<_> = (0..2)
            .map(|_| {
                let (db, ctx, start) = (app.db.clone(), ctx.clone(), start.clone());
                std::thread::spawn(move || {
                    let mut conn = db.get_blocking().expect("a connection");
                    start.wait();
                    expand_all(&mut conn, &ctx, 7, Utc::now)
                })
            })
            .collect();
        let by_racers: usize = racers.into_iter().map(|r| r.join().unwrap()).sum();
        assert_eq!(
            by_racers, PATIENTS,
            "the racers queued one alert per patient"
        );
        let counts = per_patient(&alerted_since(&app.db, doctor_id, now).await);
        assert_eq!(counts.len(), PATIENTS, "every patient is announced to");
        assert!(
            counts.iter().all(|(_, n)| *n == 1),
            "some patient is announced to twice"
        );
    }

    // The audience is read in batches (of three patients here), each after the last
    // patient of the one before. Patients in their cooldown for this doctor (six in
    // a row, more than a batch, and single ones) are left out by the query, so the
    // batches pass over them; those alerted about another doctor, or about this one
    // before the cooldown, are reached once; those who opted out, or want followed
    // doctors only, are not. (Should the server's own worker wake and claim the job
    // first, the final assertions still hold; the expansion here then queues less.)
    #[both_backends]
    async fn batches_skip_only_the_patients_in_their_cooldown(backend: Backend) {
        use mediconnect_api::db::schema::{patients, users};
        use mediconnect_api::db::{AnyConnection, DbId};
        use mediconnect_api::mail::{MailContext, alerts};
        const PATIENTS: usize = 15;
        let app = spawn_app_with(backend, |c| c.notify_cooldown = Duration::from_secs(3600)).await;
        let doctor = app.doctor("Dr. Windowed", "Neurology").await;
        app.doctor("Dr. Other", "Cardiology").await;
        // Online before any patient exists: the announcement reaches nobody.
        app.set_online(&doctor, true).await;
        let other_id: uuid::Uuid = doctor_id(&app, "Dr. Other").await.parse().unwrap();
        let doctor_id: uuid::Uuid = doctor_id(&app, "Dr. Windowed").await.parse().unwrap();
        alert_jobs_done(&app).await;

        insert_patients(&app, "window", PATIENTS).await;
        let now = Utc::now();
        let expected = app
            .with_conn(move |conn| {
                // In the order the expansion reads them.
                let ids: Vec<DbId> = patients::table
                    .inner_join(users::table)
                    .order(users::id.asc())
                    .select(users::id)
                    .load(conn)
                    .unwrap();
                assert_eq!(ids.len(), PATIENTS);
                let alerted =
                    |conn: &mut AnyConnection, user: DbId, doctor: uuid::Uuid, ago: i64| {
                        insert_alert(conn, user.0, doctor, now - chrono::Duration::minutes(ago));
                    };
                // Six in a row, then single patients, in their cooldown.
                for i in [0, 1, 2, 3, 4, 5, 7, 11] {
                    alerted(conn, ids[i], doctor_id, 10);
                }
                alerted(conn, ids[8], other_id, 10);
                alerted(conn, ids[13], doctor_id, 120);
                let prefer = |conn: &mut AnyConnection, user: DbId, preference: &str| {
                    diesel::update(patients::table.filter(patients::user_id.eq(user)))
                        .set(patients::notify_doctor_online.eq(preference))
                        .execute(conn)
                        .unwrap();
                };
                prefer(conn, ids[9], "off");
                prefer(conn, ids[10], "followed");
                [6, 8, 12, 13, 14].map(|i| ids[i].0)
            })
            .await;

        // No earlier job to lean on, so this one reads everybody (ADR 0016): the
        // first job's record is deleted.
        app.with_conn(|c| {
            diesel::delete(mediconnect_api::db::schema::notification_jobs::table)
                .execute(c)
                .unwrap()
        })
        .await;
        assert!(
            app.with_conn(move |c| alerts::enqueue_doctor_online(c, doctor_id, now).unwrap())
                .await
        );
        let ctx = MailContext::from_config(&app.config);
        let db = app.db.clone();
        let queued = tokio::task::spawn_blocking(move || {
            expand_all(
                &mut db.get_blocking().expect("a connection"),
                &ctx,
                3,
                Utc::now,
            )
        })
        .await
        .unwrap();
        assert!(queued <= 5, "{queued} alerts queued for 5 patients");
        let reached = per_patient(&alerted_since(&app.db, doctor_id, now).await);
        let mut expected: Vec<(uuid::Uuid, i64)> = expected.iter().map(|id| (*id, 1)).collect();
        expected.sort();
        assert_eq!(reached, expected, "who was alerted, and how often");
        let jobs = alert_jobs(&app.db).await;
        assert_eq!(jobs.len(), 1);
        assert_eq!(jobs[0].1, None, "the job read everybody");
    }

    // After a job has read a doctor's whole audience, the next one (while everybody
    // it reached is in their cooldown) reads only the patients whose alerts changed
    // since: registered, opted in, following the doctor, reactivated. Each of those
    // is reached; the rest are not read, and not alerted again.
    #[both_backends]
    async fn a_later_job_reads_only_the_patients_whose_alerts_changed(backend: Backend) {
        use mediconnect_api::db::schema::users;
        let smtp = smtp_sink().await;
        let app = app_with_smtp(backend, &smtp, |c| {
            c.notify_cooldown = Duration::from_secs(3600)
        })
        .await;
        let doctor = app.doctor("Dr. Return", "Neurology").await;
        app.doctor("Dr. Elsewhere", "Neurology").await;
        let elsewhere_id = doctor_id(&app, "Dr. Elsewhere").await;
        let doctor_id = doctor_id(&app, "Dr. Return").await;
        let early = [
            patient_named(&app, "Early One", "all").await,
            patient_named(&app, "Early Two", "all").await,
        ];
        let opted_out = patient_named(&app, "Opted Out", "off").await;
        let fan = patient_named(&app, "New Fan", "followed").await;
        let other_fan = patient_named(&app, "Other Fan", "followed").await;
        let away = patient_named(&app, "Away A", "all").await;
        let set_active = |id: uuid::Uuid, active: bool| {
            app.with_conn(move |c| {
                diesel::update(users::table.find(mediconnect_api::db::DbId(id)))
                    .set(users::active.eq(active))
                    .execute(c)
                    .unwrap();
            })
        };
        set_active(away.id, false).await;

        app.set_online(&doctor, true).await;
        smtp.wait_for(2, 10).await;
        alert_jobs_done(&app).await;
        app.set_online(&doctor, false).await;

        json_ok(
            app.put(
                "/api/users/profile",
                Some(&opted_out.token),
                &json!({"notifications": {"doctorOnline": "all"}}),
            )
            .await,
        )
        .await;
        assert_eq!(
            app.post(
                &format!("/api/doctors/{doctor_id}/follow"),
                Some(&fan.token),
                &json!({})
            )
            .await
            .status(),
            204
        );
        assert_eq!(
            app.post(
                &format!("/api/doctors/{elsewhere_id}/follow"),
                Some(&other_fan.token),
                &json!({})
            )
            .await
            .status(),
            204
        );
        set_active(away.id, true).await;
        let late = patient_named(&app, "Late Comer", "all").await;

        app.set_online(&doctor, true).await;
        alert_jobs_done(&app).await;
        // Every alert about the doctor, ever: one each, the second job's four and
        // the first's two, and none for the patient who follows someone else.
        let doctor_uuid: uuid::Uuid = doctor_id.parse().unwrap();
        let reached = alerted_since(&app.db, doctor_uuid, DateTime::<Utc>::UNIX_EPOCH).await;
        let mut expected: Vec<uuid::Uuid> = early
            .iter()
            .chain([&opted_out, &fan, &away, &late])
            .map(|p| p.id)
            .collect();
        expected.sort();
        assert_eq!(reached, expected);
        // And those six emails went out, one to each.
        smtp.wait_for(6, 10).await;
        let messages = smtp.received();
        for p in early.iter().chain([&opted_out, &fan, &away, &late]) {
            assert_eq!(to(&messages, &p.email), 1, "{}", p.email);
        }

        // The second job leaned on the first: it read only patients stamped after
        // the first one began.
        let jobs = alert_jobs(&app.db).await;
        assert_eq!(jobs.len(), 2);
        assert_eq!(jobs[0].1, None, "the first job reads everybody");
        assert!(jobs[0].0.is_some() && jobs[0].2.is_some(), "{jobs:?}");
        assert_eq!(
            jobs[1].1, jobs[0].0,
            "the second job reads only what changed"
        );
    }

    // A job leans on an earlier one only until the first patient that job found in
    // their cooldown leaves it: then the next job reads everybody, and that patient
    // is alerted again. (The server is stopped after the first job; the jobs after
    // are run here, at chosen times.)
    #[both_backends]
    async fn a_patient_leaving_the_cooldown_an_earlier_job_relied_on_is_alerted(backend: Backend) {
        let app = spawn_app_with(backend, |c| c.notify_cooldown = Duration::from_secs(3600)).await;
        let doctor = app.doctor("Dr. Cycle", "Neurology").await;
        let doctor_id: uuid::Uuid = doctor_id(&app, "Dr. Cycle").await.parse().unwrap();
        insert_patients(&app, "cycle", 2).await;
        let t0 = Utc::now();
        let waiting = user_id_of(&app, "cycle-0@example.com").await;
        // Alerted about this doctor 50 minutes ago: in the cooldown for ten more.
        app.with_conn(move |c| {
            insert_alert(c, waiting, doctor_id, t0 - chrono::Duration::minutes(50))
        })
        .await;
        app.set_online(&doctor, true).await;
        alert_jobs_done(&app).await;
        let parked = park(app).await;

        let minutes = |m| t0 + chrono::Duration::minutes(m);
        assert_eq!(
            parked.run_job(doctor_id, minutes(5)).await,
            0,
            "everybody is in their cooldown"
        );
        assert_eq!(parked.run_job(doctor_id, minutes(11)).await, 1);
        let alerted = parked.alerted_since(doctor_id, minutes(11)).await;
        assert_eq!(
            alerted,
            vec![waiting],
            "only the patient whose cooldown is over"
        );
        let jobs = parked.jobs().await;
        assert_eq!(jobs.len(), 3);
        assert_eq!(jobs[1].1, jobs[0].0, "the second job leans on the first");
        assert_eq!(jobs[2].1, None, "the third reads everybody");
    }

    // A job cut short when the doctor goes offline covered only the patients before
    // its cursor: the next job must not lean on it.
    #[both_backends]
    async fn a_job_cut_short_is_not_leaned_on(backend: Backend) {
        let app = spawn_app(backend).await;
        let doctor_id = doctor_online(&app, "Dr. Brief").await;
        insert_patients(&app, "brief", 6).await;
        let parked = park(app).await;
        let t0 = Utc::now();

        let started = t0 + chrono::Duration::minutes(1);
        assert!(
            parked.step(Some(doctor_id), 2, started).await == Some(2),
            "two alerted"
        );
        parked.set_online(doctor_id, false).await;
        assert_eq!(parked.step(None, 2, started).await, Some(0), "stopped");
        let jobs = parked.jobs().await;
        assert_eq!(jobs[1].2, None, "a job cut short records no floor");

        parked.set_online(doctor_id, true).await;
        assert_eq!(
            parked
                .run_job(doctor_id, t0 + chrono::Duration::minutes(2))
                .await,
            4,
            "the other four"
        );
    }

    // A job left half done by a server without audience stamps (an upgrade in the
    // middle of it) reads the rest of everybody and records nothing: the patients
    // before its cursor were read before any counter was, so a later job must not
    // count them as covered.
    #[both_backends]
    async fn a_job_begun_without_stamps_records_nothing(backend: Backend) {
        use mediconnect_api::db::schema::notification_jobs;
        use mediconnect_api::db::{DbId, DbTime};
        let app = spawn_app(backend).await;
        let doctor_id = doctor_online(&app, "Dr. Upgrade").await;
        insert_patients(&app, "upgrade", 4).await;
        let ids = user_ids(&app, "upgrade-%").await;
        let parked = park(app).await;
        let t0 = Utc::now();
        let first = ids[0];
        parked
            .with_conn(move |c| {
                diesel::insert_into(notification_jobs::table)
                    .values((
                        notification_jobs::id.eq(DbId(uuid::Uuid::new_v4())),
                        notification_jobs::kind.eq("DOCTOR_ONLINE"),
                        notification_jobs::doctor_id.eq(DbId(doctor_id)),
                        notification_jobs::cursor.eq(Some(DbId(first))),
                        notification_jobs::status.eq("pending"),
                        notification_jobs::created_at.eq(DbTime(t0)),
                        notification_jobs::updated_at.eq(DbTime(t0)),
                    ))
                    .execute(c)
                    .unwrap();
            })
            .await;

        let mut queued = 0;
        while let Some(n) = parked.step(None, 500, t0).await {
            queued += n;
        }
        assert_eq!(queued, 3, "the patients after the cursor");
        let jobs = parked.jobs().await;
        assert_eq!(jobs[1], (None, None, None), "nothing recorded");
        // The next job leans on the one before the half-done one, and so reaches
        // the patient before the cursor.
        assert_eq!(
            parked
                .run_job(doctor_id, t0 + chrono::Duration::minutes(1))
                .await,
            1
        );
        assert_eq!(
            parked
                .alerted_since(doctor_id, t0 + chrono::Duration::minutes(1))
                .await,
            vec![first]
        );
    }

    // A patient follows and unfollows a doctor while changing their alert
    // preference, over and over, from two connections. Both writes stamp the
    // patient; on PostgreSQL they must take the patient's row and the counter in
    // the same order, or the two transactions deadlock (and a request fails).
    #[both_backends]
    async fn following_while_changing_the_preference_never_deadlocks(backend: Backend) {
        use mediconnect_api::db::schema::{follows, patients};
        use mediconnect_api::db::{DbId, DbTime, write_transaction};
        const ROUNDS: usize = 300;
        let app = spawn_app(backend).await;
        app.doctor("Dr. Followed", "Neurology").await;
        let doctor = DbId(doctor_id(&app, "Dr. Followed").await.parse().unwrap());
        insert_patients(&app, "both", 1).await;
        let user = DbId(user_id_of(&app, "both-0@example.com").await);
        let patient: DbId = app
            .with_conn(move |c| {
                patients::table
                    .filter(patients::user_id.eq(user))
                    .select(patients::id)
                    .first(c)
                    .unwrap()
            })
            .await;
        let start = std::sync::Arc::new(std::sync::Barrier::new(2));
        let follower = {
            let (db, start) = (app.db.clone(), start.clone());
            std::thread::spawn(move || {
                let mut conn = db.get_blocking().expect("a connection");
                start.wait();
                for _ in 0..ROUNDS {
                    write_transaction(&mut conn, |c| {
                        diesel::insert_into(follows::table)
                            .values((
                                follows::patient_id.eq(patient),
                                follows::doctor_id.eq(doctor),
                                follows::created_at.eq(DbTime(Utc::now())),
                            ))
                            .execute(c)?;
                        Ok(())
                    })
                    .expect("a follow");
                    diesel::delete(follows::table.filter(follows::patient_id.eq(patient)))
                        .execute(&mut conn)
                        .expect("an unfollow");
                }
            })
        };
        let preferrer = {
            let (db, start) = (app.db.clone(), start.clone());
            std::thread::spawn(move || {
                let mut conn = db.get_blocking().expect("a connection");
                start.wait();
                for i in 0..ROUNDS {
                    let preference = if i % 2 == 0 { "followed" } else { "all" };
                    write_transaction(&mut conn, |c| {
                        diesel::update(patients::table.find(patient))
                            .set(patients::notify_doctor_online.eq(preference))
                            .execute(c)?;
                        Ok(())
                    })
                    .expect("a preference change");
                }
            })
        };
        follower.join().expect("no follow failed");
        preferrer.join().expect("no preference change failed");
        // Every one of those writes stamped the patient.
        let (stamp, counter): (i64, i64) = app
            .with_conn(move |c| {
                use mediconnect_api::db::schema::alert_audience;
                let stamp = patients::table
                    .find(patient)
                    .select(patients::alerts_version)
                    .first(c)
                    .unwrap();
                let counter = alert_audience::table
                    .select(alert_audience::version)
                    .first(c)
                    .unwrap();
                (stamp, counter)
            })
            .await;
        assert!(counter >= (2 * ROUNDS) as i64, "{counter}");
        assert_eq!(stamp, counter, "the last stamp is this patient's");
    }

    // Finished alert jobs are deleted a day after they were queued (or after the
    // cooldown, if longer), a thousand at a time; pending ones stay, however old.
    // The server's worker does it when it is idle, first soon after it starts.
    #[both_backends]
    async fn old_finished_jobs_are_deleted(backend: Backend) {
        use mediconnect_api::db::schema::notification_jobs;
        use mediconnect_api::db::{Db, DbId, DbTime};
        use mediconnect_api::mail::outbox;
        const OLD: usize = 1005;
        let app = spawn_app(backend).await;
        app.doctor("Dr. Past", "Neurology").await;
        let doctor: uuid::Uuid = doctor_id(&app, "Dr. Past").await.parse().unwrap();
        alert_jobs_done(&app).await;
        // No worker of the server's may finish or delete these jobs meanwhile.
        let parked = park(app).await;
        let now = Utc::now();
        let hours = move |h| now - chrono::Duration::hours(h);
        let job =
            move |c: &mut mediconnect_api::db::AnyConnection, status: &str, at: DateTime<Utc>| {
                let id = uuid::Uuid::new_v4();
                diesel::insert_into(notification_jobs::table)
                    .values((
                        notification_jobs::id.eq(DbId(id)),
                        notification_jobs::kind.eq("DOCTOR_ONLINE"),
                        notification_jobs::doctor_id.eq(DbId(doctor)),
                        notification_jobs::status.eq(status),
                        notification_jobs::created_at.eq(DbTime(at)),
                        notification_jobs::updated_at.eq(DbTime(at)),
                    ))
                    .execute(c)
                    .unwrap();
                id
            };
        let (recent, pending) = parked
            .with_conn(move |c| {
                for _ in 0..OLD {
                    job(c, "done", hours(49));
                }
                job(c, "done", hours(47));
                (job(c, "done", hours(2)), job(c, "pending", hours(49)))
            })
            .await;
        async fn remaining(db: &Db, doctor: uuid::Uuid) -> Vec<uuid::Uuid> {
            let db = db.clone();
            let mut ids: Vec<uuid::Uuid> = tokio::task::spawn_blocking(move || {
                notification_jobs::table
                    .filter(notification_jobs::doctor_id.eq(DbId(doctor)))
                    .select(notification_jobs::id)
                    .load::<DbId>(&mut db.get_blocking().expect("a connection"))
                    .unwrap()
            })
            .await
            .unwrap()
            .into_iter()
            .map(|id| id.0)
            .collect();
            ids.sort();
            ids
        }
        // A cooldown of three days keeps them all; one of an hour, a day.
        let forget = |cooldown: u64| {
            parked.with_conn(move |c| {
                outbox::forget_finished_jobs(c, Duration::from_secs(cooldown), now).unwrap()
            })
        };
        assert_eq!(forget(3 * 24 * 3600).await, 0);
        assert_eq!(
            forget(3600).await,
            outbox::FORGET_AT_ONCE,
            "a batch at a time"
        );
        assert_eq!(forget(3600).await, OLD + 1 - outbox::FORGET_AT_ONCE);
        assert_eq!(forget(3600).await, 0);
        let mut kept = vec![recent, pending];
        kept.sort();
        assert_eq!(remaining(&parked.db, doctor).await, kept);

        // The server's own worker, soon after it starts.
        let older = parked.with_conn(move |c| job(c, "done", hours(30))).await;
        let app = spawn_on(
            backend,
            TestDb::attach(&parked.app.test_db),
            parked.config.clone(),
        )
        .await;
        let app_ref = &app;
        eventually(10, Duration::from_millis(50), || async move {
            let left = remaining(&app_ref.db, doctor).await;
            if left.contains(&older) {
                Err(format!("{} jobs left", left.len()))
            } else {
                Ok(())
            }
        })
        .await;
        assert!(remaining(&app.db, doctor).await.contains(&recent));
    }

    // Patients opt in while jobs for the doctor run back to back, each opting in
    // inside a transaction that stays open a few milliseconds after its write. A
    // job that begins while one is open must not count that patient as read: every
    // patient is alerted exactly once, by one job or the next.
    #[both_backends]
    async fn opting_in_while_jobs_run_loses_no_alert(backend: Backend) {
        use mediconnect_api::db::schema::{patients, users};
        use mediconnect_api::db::{DbId, write_transaction};
        use mediconnect_api::mail::{MailContext, alerts};
        use std::sync::atomic::Ordering;
        const PATIENTS: usize = 40;
        let app = spawn_app_with(backend, |c| c.notify_cooldown = Duration::from_secs(3600)).await;
        let doctor_id = doctor_online(&app, "Dr. Busy").await;
        insert_patients(&app, "optin", PATIENTS).await;
        let ids: Vec<DbId> = app
            .with_conn(|c| {
                diesel::update(patients::table)
                    .set(patients::notify_doctor_online.eq("off"))
                    .execute(c)
                    .unwrap();
                patients::table
                    .inner_join(users::table)
                    .filter(users::email.like("optin-%"))
                    .select(users::id)
                    .load(c)
                    .unwrap()
            })
            .await;
        assert_eq!(ids.len(), PATIENTS);
        let start = Utc::now();

        // Two threads opt patients in, so that on PostgreSQL their transactions
        // overlap and may commit out of the order they wrote in.
        // All three threads start together, so the first job runs while patients
        // opt in.
        let opted_in = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let together = std::sync::Arc::new(std::sync::Barrier::new(3));
        let flippers: Vec<_> = ids
            .chunks(PATIENTS / 2)
            .map(|chunk| {
                let (db, opted_in, together, chunk) = (
                    app.db.clone(),
                    opted_in.clone(),
                    together.clone(),
                    chunk.to_vec(),
                );
                std::thread::spawn(move || {
                    let mut conn = db.get_blocking().expect("a connection");
                    together.wait();
                    for id in chunk {
                        write_transaction(&mut conn, |c| {
                            diesel::update(patients::table.filter(patients::user_id.eq(id)))
                                .set(patients::notify_doctor_online.eq("all"))
                                .execute(c)?;
                            std::thread::sleep(Duration::from_millis(4));
                            Ok(())
                        })
                        .unwrap();
                        // A gap, so that SQLite's single write lock is free at times.
                        std::thread::sleep(Duration::from_millis(10));
                    }
                    opted_in.fetch_add(1, Ordering::SeqCst);
                })
            })
            .collect();
        let ctx = MailContext::from_config(&app.config);
        let db = app.db.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = db.get_blocking().expect("a connection");
            together.wait();
            loop {
                // The last job starts after the last opt-in has committed.
                let last = opted_in.load(Ordering::SeqCst) == 2;
                alerts::enqueue_doctor_online(&mut conn, doctor_id, Utc::now()).unwrap();
                expand_all(&mut conn, &ctx, 4, Utc::now);
                if last {
                    return;
                }
            }
        })
        .await
        .unwrap();
        for flipper in flippers {
            flipper.join().unwrap();
        }
        alert_jobs_done(&app).await;
        // The last job began after the last opt-in. How many ran while patients
        // were opting in depends on the machine: several, as a rule.
        let counts = per_patient(&alerted_since(&app.db, doctor_id, start).await);
        assert_eq!(
            counts.len(),
            PATIENTS,
            "every patient who opted in is alerted"
        );
        assert!(
            counts.iter().all(|(_, n)| *n == 1),
            "some patient is alerted twice: {counts:?}"
        );
    }
}
