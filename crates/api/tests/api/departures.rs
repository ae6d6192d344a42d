//! A departing doctor's bookings, and hours that leave bookings outside: refused with
//! a 409 that lists the appointments unless the caller says to cancel them; then each
//! is cancelled, its history names who and why, its patient is emailed with the
//! calendar entry that removes it, and both parties hear it live.

use mediconnect_api::config::Secret;
use mediconnect_shared::Role;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::*;
use crate::ws::connect;
use mediconnect_test_macros::both_backends;

async fn status(app: &TestApp, who: &TestUser, id: Uuid) -> String {
    let a = json_ok(
        app.get(&format!("/api/appointments/{id}"), Some(&who.token))
            .await,
    )
    .await;
    a["status"].as_str().unwrap().to_owned()
}

/// The last entry of the appointment's history, as its patient reads it.
async fn last_entry(app: &TestApp, who: &TestUser, id: Uuid) -> Value {
    let path = format!("/api/appointments/{id}/history");
    let history = json_ok(app.get(&path, Some(&who.token)).await).await;
    history["events"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone()
}

async fn patch(app: &TestApp, token: &str, path: &str, body: &Value) -> reqwest::Response {
    app.send_json(reqwest::Method::PATCH, path, Some(token), body)
        .await
}

fn affected_ids(p: &mediconnect_shared::Problem) -> Vec<Uuid> {
    p.affected.iter().map(|a| a.id).collect()
}

/// The cancellation emails that reached `address`.
fn cancellations(smtp: &mediconnect_smtp_sink::SmtpServer, address: &str) -> Vec<String> {
    smtp.received()
        .into_iter()
        .filter(|m| m.to == [address.to_owned()])
        .filter(|m| {
            m.header("Subject")
                .is_some_and(|s| s.starts_with("Cancelled:"))
        })
        .map(|m| {
            let ics = m.calendar().expect("a calendar entry");
            assert!(ics.contains("METHOD:CANCEL") && ics.contains("STATUS:CANCELLED"));
            m.text()
        })
        .collect()
}

#[both_backends]
async fn deactivating_a_doctor_with_bookings_asks_first_then_cancels_each(backend: Backend) {
    let smtp = smtp_sink().await;
    let url = smtp.url();
    let app = spawn_app_with(backend, move |c| c.smtp_url = Some(Secret::new(url))).await;
    let admin = app.user(Role::Admin).await;
    let doctor = app.doctor("Dr. Leaving", "Cardiology").await;
    let id = doctor_id(&app, "Leaving").await;
    let (ann, bob) = (
        app.patient("Ann Depart").await,
        app.patient("Bob Depart").await,
    );
    let a1 = book(&app, &ann, id, at(2, 9)).await;
    let b1 = book(&app, &bob, id, at(3, 9)).await;
    // Cancelled already: not counted, not cancelled twice.
    let a2 = book(&app, &ann, id, at(4, 9)).await;
    json_ok(
        app.client
            .delete(app.url(&format!("/api/appointments/{a2}")))
            .bearer_auth(&ann.token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let path = format!("/api/admin/users/{}", doctor.id);

    // Asked plainly: 409 listing both, and nothing changes.
    let p = problem(
        patch(&app, &admin.token, &path, &json!({"active": false})).await,
        409,
    )
    .await;
    assert!(p.kind.ends_with(":doctor-has-appointments"), "{p:?}");
    assert_eq!(affected_ids(&p), vec![a1, b1]);
    assert!(p.detail.unwrap().contains("2 booked appointments"));
    assert_eq!(status(&app, &ann, a1).await, "SCHEDULED");
    assert_eq!(
        app.get("/api/users/profile", Some(&doctor.token))
            .await
            .status(),
        200
    );
    // The affected list says when, and nothing about the patient.
    let raw = patch(&app, &admin.token, &path, &json!({"active": false}))
        .await
        .text()
        .await
        .unwrap();
    assert!(!raw.contains("Ann") && !raw.contains("Bob"), "{raw}");
    // A reason is one line of 1 to 500 characters.
    for bad in [json!(""), json!("two\nlines"), json!("x".repeat(501))] {
        let body = json!({"active": false, "cancelAppointments": true, "reason": bad});
        problem(patch(&app, &admin.token, &path, &body).await, 422).await;
    }
    assert_eq!(status(&app, &ann, a1).await, "SCHEDULED");

    // Told to: both cancelled, live and by email, with the admin and the reason.
    let mut live = connect(&app).await;
    live.auth(&ann.token).await;
    let reason = "Dr. Leaving has moved to another city.";
    let body = json!({"active": false, "cancelAppointments": true, "reason": reason});
    let user = json_ok(patch(&app, &admin.token, &path, &body).await).await;
    assert_eq!(user["active"], false);
    let event = live.next_of("appointment").await.expect("a live event");
    assert_eq!(event["appointment"]["id"], a1.to_string());
    assert_eq!(event["appointment"]["status"], "CANCELLED");
    for (who, appointment) in [(&ann, a1), (&bob, b1)] {
        assert_eq!(status(&app, who, appointment).await, "CANCELLED");
        let entry = last_entry(&app, who, appointment).await;
        assert_eq!(entry["toStatus"], "CANCELLED");
        assert_eq!(entry["actor"]["role"], "ADMIN");
        assert_eq!(entry["actor"]["id"], admin.id.to_string());
        assert_eq!(entry["note"], reason);
    }
    eventually(10, std::time::Duration::from_millis(100), || async {
        let n = (
            cancellations(&smtp, &ann.email).len(),
            cancellations(&smtp, &bob.email).len(),
        );
        if n == (2, 1) {
            Ok(())
        } else {
            Err(format!("cancellation emails: {n:?}"))
        }
    })
    .await;
    // Ann also has the calendar update of her own cancellation of the other one.
    let text = cancellations(&smtp, &ann.email)
        .into_iter()
        .find(|t| t.contains(reason))
        .expect("the patient is told why");
    assert!(text.contains("Dr. Leaving"), "{text}");
    // The departing doctor is not sent a notice per appointment: the one they have
    // is of the patient's own cancellation.
    assert_eq!(cancellations(&smtp, &doctor.email).len(), 1);
    // The other patient's appointment, cancelled by herself, kept its own history.
    assert_eq!(last_entry(&app, &ann, a2).await["actor"]["role"], "PATIENT");
}

#[both_backends]
async fn a_doctor_without_bookings_is_deactivated_at_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.user(Role::Admin).await;
    let doctor = app.doctor("Dr. Quiet", "Dermatology").await;
    let path = format!("/api/admin/users/{}", doctor.id);
    let user = json_ok(patch(&app, &admin.token, &path, &json!({"active": false})).await).await;
    assert_eq!(user["active"], false);
}

#[both_backends]
async fn withdrawing_an_approval_cancels_the_bookings_without_telling_patients_why(
    backend: Backend,
) {
    let smtp = smtp_sink().await;
    let url = smtp.url();
    let app = spawn_app_with(backend, move |c| c.smtp_url = Some(Secret::new(url))).await;
    let admin = app.user(Role::Admin).await;
    let doctor = app.doctor("Dr. Struck", "Neurology").await;
    let id = doctor_id(&app, "Struck").await;
    app.set_online(&doctor, true).await;
    let ann = app.patient("Ann Struck").await;
    let a1 = book(&app, &ann, id, at(2, 10)).await;
    let path = format!("/api/admin/doctors/{id}/reject");
    let why = "The licence was suspended by the medical board.";

    let p = problem(
        app.post(&path, Some(&admin.token), &json!({"reason": why}))
            .await,
        409,
    )
    .await;
    assert!(p.kind.ends_with(":doctor-has-appointments"), "{p:?}");
    assert_eq!(affected_ids(&p), vec![a1]);
    assert!(p.detail.unwrap().contains("1 booked appointment ahead"));

    let body = json!({"reason": why, "cancelAppointments": true});
    let decided = json_ok(app.post(&path, Some(&admin.token), &body).await).await;
    assert_eq!(decided["approvalStatus"], "REJECTED");
    // Off the list, offline, and unable to go online again.
    let listed = json_ok(app.get("/api/doctors?q=Struck", None).await).await;
    assert_eq!(listed["doctors"], json!([]));
    let online = json_ok(app.get("/api/doctors/online", None).await).await;
    assert!(!online.to_string().contains("Struck"));
    let res = app
        .put(
            "/api/doctors/status",
            Some(&doctor.token),
            &json!({"isOnline": true}),
        )
        .await;
    assert!(
        problem(res, 403)
            .await
            .kind
            .ends_with(":doctor-not-approved")
    );

    assert_eq!(status(&app, &ann, a1).await, "CANCELLED");
    let entry = last_entry(&app, &ann, a1).await;
    assert_eq!(entry["actor"]["id"], admin.id.to_string());
    assert_eq!(
        entry["note"],
        "Dr. Struck is no longer available at this clinic."
    );
    let mails = smtp.wait_for(4, 10).await;
    let to_patient = cancellations(&smtp, &ann.email);
    assert_eq!(to_patient.len(), 1, "{:?}", mails.len());
    assert!(to_patient[0].contains("no longer available"));
    // The board's reason is the doctor's business, not the patient's.
    assert!(!to_patient[0].contains("suspended"));
    let to_doctor = mails
        .iter()
        .find(|m| m.to == [doctor.email.clone()] && m.text().contains("suspended"))
        .expect("the doctor is told why");
    assert_eq!(
        to_doctor.header("Subject").unwrap(),
        "Your MediConnect approval was withdrawn"
    );
}

/// Every day 09:00–17:00 UTC, hour-long slots.
fn hours(exceptions: Value, cancel: Option<bool>) -> Value {
    let weekly: Vec<Value> = (1..=7)
        .map(|d| json!({"weekday": d, "start": "09:00", "end": "17:00"}))
        .collect();
    let mut body = json!({"timeZone": "UTC", "slotMinutes": 60, "weekly": weekly,
        "exceptions": exceptions});
    if let Some(cancel) = cancel {
        body["cancelAffected"] = json!(cancel);
    }
    body
}

#[both_backends]
async fn hours_that_leave_bookings_outside_list_them_or_cancel_them(backend: Backend) {
    let smtp = smtp_sink().await;
    let url = smtp.url();
    let app = spawn_app_with(backend, move |c| c.smtp_url = Some(Secret::new(url))).await;
    let doctor = app.doctor("Dr. Hours", "Pediatrics").await;
    let id = doctor_id(&app, "Hours").await;
    let ann = app.patient("Ann Hours").await;
    let put = |body: Value| {
        let app = &app;
        let token = doctor.token.clone();
        async move {
            app.put("/api/doctors/me/schedule", Some(&token), &body)
                .await
        }
    };
    json_ok(put(hours(json!([]), None)).await).await;
    let a1 = book(&app, &ann, id, at(3, 10)).await;
    let a2 = book(&app, &ann, id, at(4, 15)).await;

    // Hours that still hold both, on another slot length: saved, nothing cancelled.
    let mut longer = hours(json!([]), None);
    longer["slotMinutes"] = json!(30);
    json_ok(put(longer).await).await;
    assert_eq!(status(&app, &ann, a1).await, "SCHEDULED");

    // A day off on the first one's date, and afternoons off: both fall outside.
    let day_off = json!([{"date": at(3, 0).date_naive().to_string(), "intervals": []}]);
    let mut mornings = hours(day_off.clone(), None);
    for w in mornings["weekly"].as_array_mut().unwrap() {
        w["end"] = json!("12:00");
    }
    let p = problem(put(mornings.clone()).await, 409).await;
    assert!(p.kind.ends_with(":appointments-affected"), "{p:?}");
    assert_eq!(affected_ids(&p), vec![a1, a2]);
    assert_eq!(p.affected[0].scheduled_for, at(3, 10));
    // Nothing was saved.
    let stored = json_ok(
        app.get("/api/doctors/me/schedule", Some(&doctor.token))
            .await,
    )
    .await;
    assert_eq!(stored["weekly"][0]["end"], "17:00");
    assert_eq!(stored["exceptions"], json!([]));

    mornings["cancelAffected"] = json!(true);
    let stored = json_ok(put(mornings).await).await;
    assert_eq!(stored["weekly"][0]["end"], "12:00");
    assert!(stored.get("cancelAffected").is_none(), "{stored}");
    for a in [a1, a2] {
        assert_eq!(status(&app, &ann, a).await, "CANCELLED");
        let entry = last_entry(&app, &ann, a).await;
        assert_eq!(entry["actor"]["id"], doctor.id.to_string());
        assert_eq!(
            entry["note"],
            "Dr. Hours changed their working hours and no longer sees patients at that time."
        );
    }
    eventually(10, std::time::Duration::from_millis(100), || async {
        let n = cancellations(&smtp, &ann.email).len();
        if n == 2 {
            Ok(())
        } else {
            Err(format!("{n} cancellation emails"))
        }
    })
    .await;
    // The doctor made the change: no email to them about it.
    assert!(cancellations(&smtp, &doctor.email).is_empty());
}

/// Bookings racing a departure: once it commits, no booking of the doctor is left
/// ahead, whichever of them the database saw first.
#[both_backends]
async fn no_booking_slips_past_a_departure(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = app.user(Role::Admin).await;
    let doctor = app.doctor("Dr. Racing", "Oncology").await;
    let id = doctor_id(&app, "Racing").await;
    let mut patients = Vec::new();
    for i in 0..8 {
        patients.push(app.patient(&format!("Racer {i}")).await);
    }
    let path = format!("/api/admin/users/{}", doctor.id);
    let body = json!({"active": false, "cancelAppointments": true});
    let bookings = patients.iter().enumerate().map(|(i, p)| {
        let body = json!({"doctorId": id, "scheduledFor": at(2 + i as i64, 9).to_rfc3339()});
        let app = &app;
        async move {
            app.post("/api/appointments", Some(&p.token), &body)
                .await
                .status()
        }
    });
    let (statuses, departed) = tokio::join!(
        futures_util::future::join_all(bookings),
        patch(&app, &admin.token, &path, &body)
    );
    assert_eq!(departed.status(), 200);
    assert!(
        statuses.iter().all(|s| [201, 422].contains(&s.as_u16())),
        "{statuses:?}"
    );
    for p in &patients {
        let list = json_ok(
            app.get("/api/appointments?status=SCHEDULED", Some(&p.token))
                .await,
        )
        .await;
        assert_eq!(
            list["appointments"],
            json!([]),
            "a booking slipped past the departure"
        );
    }
}
