//! A doctor's time off: entered in the doctor's zone, no slot in it, nothing booked in
//! it, and bookings inside listed (409) or cancelled with the patients told.

use chrono::{DateTime, Duration, Utc};
use mediconnect_api::config::Secret;
use mediconnect_shared::Role;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::*;
use mediconnect_test_macros::both_backends;

/// `t` as a local date-time in Tokyo (UTC+9, no DST), to the minute.
fn tokyo(t: DateTime<Utc>) -> String {
    (t + Duration::hours(9))
        .format("%Y-%m-%dT%H:%M")
        .to_string()
}

const PATH: &str = "/api/doctors/me/time-off";

#[both_backends]
async fn time_off_closes_its_slots_and_refuses_bookings_inside(backend: Backend) {
    let smtp = smtp_sink().await;
    let url = smtp.url();
    let app = spawn_app_with(backend, move |c| c.smtp_url = Some(Secret::new(url))).await;
    let doctor = app.doctor("Dr. Away", "Cardiology").await;
    let patient = app.user(Role::Patient).await;
    let found = json_ok(app.get("/api/doctors?q=Away", None).await).await;
    let id: Uuid = found["doctors"][0]["id"].as_str().unwrap().parse().unwrap();
    // Every day, all day, in Tokyo, hour slots.
    let weekly: Vec<Value> = (1..=7)
        .map(|d| json!({"weekday": d, "start": "00:00", "end": "24:00"}))
        .collect();
    let schedule = json!({"timeZone": "Asia/Tokyo", "slotMinutes": 60, "weekly": weekly});
    json_ok(
        app.put("/api/doctors/me/schedule", Some(&doctor.token), &schedule)
            .await,
    )
    .await;
    let booked = json_ok(
        app.post(
            "/api/appointments",
            Some(&patient.token),
            &json!({"doctorId": id, "scheduledFor": at(3, 10).to_rfc3339(), "reason": "Private"}),
        )
        .await,
    )
    .await;
    let a1: Uuid = booked["id"].as_str().unwrap().parse().unwrap();

    // Only doctors; bad ranges name their field.
    assert_eq!(app.get(PATH, Some(&patient.token)).await.status(), 403);
    for (body, field) in [
        (
            json!({"from": tokyo(at(3, 12)), "to": tokyo(at(3, 11))}),
            "to",
        ),
        (
            json!({"from": tokyo(at(-3, 8)), "to": tokyo(at(-2, 8))}),
            "to",
        ),
        (
            json!({"from": tokyo(at(3, 8)), "to": tokyo(at(3, 9)), "note": "x".repeat(201)}),
            "note",
        ),
    ] {
        let p = problem(app.post(PATH, Some(&doctor.token), &body).await, 422).await;
        assert!(p.field_message(field).is_some(), "{p:?}");
    }
    let bad = json!({"from": "tomorrow", "to": tokyo(at(3, 9))});
    problem(app.post(PATH, Some(&doctor.token), &bad).await, 422).await;

    // 09:00 to 13:00 UTC on day 3, entered in Tokyo time: it holds the booking.
    let range = json!({"from": tokyo(at(3, 9)), "to": tokyo(at(3, 13)), "note": "Conference"});
    let p = problem(app.post(PATH, Some(&doctor.token), &range).await, 409).await;
    assert!(p.kind.ends_with(":appointments-affected"), "{p:?}");
    assert_eq!(p.affected.len(), 1);
    assert_eq!(p.affected[0].id, a1);
    assert_eq!(
        json_ok(app.get(PATH, Some(&doctor.token)).await).await["timeOff"],
        json!([])
    );

    let mut confirmed = range.clone();
    confirmed["cancelAffected"] = json!(true);
    let res = app.post(PATH, Some(&doctor.token), &confirmed).await;
    assert_eq!(res.status(), 201);
    let added: Value = res.json().await.unwrap();
    assert_eq!(added["from"], tokyo(at(3, 9)));
    assert_eq!(added["timeZone"], "Asia/Tokyo");
    assert_eq!(
        added["startsAt"]
            .as_str()
            .unwrap()
            .parse::<DateTime<Utc>>()
            .unwrap(),
        at(3, 9)
    );
    let a = json_ok(
        app.get(&format!("/api/appointments/{a1}"), Some(&patient.token))
            .await,
    )
    .await;
    assert_eq!(a["status"], "CANCELLED");
    let mails = eventually(10, std::time::Duration::from_millis(100), || async {
        let m: Vec<_> = smtp
            .received()
            .into_iter()
            .filter(|m| {
                m.header("Subject")
                    .is_some_and(|s| s.starts_with("Cancelled:"))
            })
            .collect();
        if m.is_empty() {
            Err("no cancellation yet".to_owned())
        } else {
            Ok(m)
        }
    })
    .await;
    assert_eq!(mails[0].to, std::slice::from_ref(&patient.email));
    let text = mails[0].text();
    assert!(text.contains("Dr. Away is away at that time."), "{text}");
    // The doctor's note is the doctor's.
    assert!(!text.contains("Conference"));

    // No slot inside; the hours around it are offered; booking inside is refused.
    let from = at(3, 8).to_rfc3339().replace('+', "%2B");
    let to = at(3, 14).to_rfc3339().replace('+', "%2B");
    let slots = json_ok(
        app.get(
            &format!("/api/doctors/{id}/slots?from={from}&to={to}"),
            None,
        )
        .await,
    )
    .await;
    let starts: Vec<DateTime<Utc>> = slots["slots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["start"].as_str().unwrap().parse().unwrap())
        .collect();
    assert_eq!(starts, vec![at(3, 8), at(3, 13)]);
    let inside = json!({"doctorId": id, "scheduledFor": at(3, 11).to_rfc3339()});
    let p = problem(
        app.post("/api/appointments", Some(&patient.token), &inside)
            .await,
        422,
    )
    .await;
    assert!(p.field_message("scheduledFor").unwrap().contains("away"));

    // Listed, and removed: the slots come back.
    let list = json_ok(app.get(PATH, Some(&doctor.token)).await).await;
    assert_eq!(list["timeOff"].as_array().unwrap().len(), 1);
    let range_id = list["timeOff"][0]["id"].as_str().unwrap().to_owned();
    let other = app.doctor("Dr. Other", "Dermatology").await;
    let res = app
        .delete(&format!("{PATH}/{range_id}"), Some(&other.token))
        .await;
    assert_eq!(res.status(), 404);
    let res = app
        .delete(&format!("{PATH}/{range_id}"), Some(&doctor.token))
        .await;
    assert_eq!(res.status(), 204);
    json_ok(
        app.post("/api/appointments", Some(&patient.token), &inside)
            .await,
    )
    .await;
}
