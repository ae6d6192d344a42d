//! Private calendar feeds, read by a real iCalendar parser (Python's `icalendar`):
//! each party's appointments from 30 days back, without reasons or addresses, at an
//! address that a new one, or turning it off, kills.

use chrono::{Duration, Utc};
use diesel::prelude::*;
use mediconnect_api::db::schema::{appointments, audit_log};
use mediconnect_api::db::{DbId, DbTime};
use mediconnect_shared::Role;
use serde_json::{Value, json};

use crate::helpers::*;
use mediconnect_test_macros::both_backends;

const FEED: &str = "/api/users/calendar-feed";

/// The events of a calendar, as `icalendar` reads them: uid, sequence, start and end
/// (RFC 3339), summary, description, status, and whether any attendee is named.
fn parse(ics: &str) -> Vec<Value> {
    let python = std::env::var("MEDICONNECT_TEST_ICALENDAR_PYTHON").unwrap_or_else(|_| {
        let home = std::env::var("HOME").unwrap_or_default();
        format!("{home}/.cache/mediconnect/icalendar-venv/bin/python")
    });
    let script = r#"
import json, sys, icalendar
cal = icalendar.Calendar.from_ical(sys.stdin.buffer.read())
assert cal.get("METHOD") is None, "a feed has no METHOD"
out = []
for e in cal.walk("VEVENT"):
    out.append({
        "uid": str(e["UID"]),
        "sequence": int(e["SEQUENCE"]),
        "start": e.decoded("DTSTART").isoformat(),
        "end": e.decoded("DTEND").isoformat(),
        "summary": str(e["SUMMARY"]),
        "description": str(e["DESCRIPTION"]),
        "status": str(e["STATUS"]),
        "attendees": "ATTENDEE" in e or "ORGANIZER" in e,
    })
print(json.dumps({"name": str(cal["X-WR-CALNAME"]), "events": out}))
"#;
    use std::io::Write;
    let mut child = std::process::Command::new(&python)
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run {python} ({e}): `cargo xtask test` installs Python's icalendar \
                 there, or set MEDICONNECT_TEST_ICALENDAR_PYTHON"
            )
        });
    child
        .stdin
        .take()
        .unwrap()
        .write_all(ics.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "icalendar refused the feed:\n{ics}");
    let parsed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(parsed["name"], "MediConnect appointments");
    parsed["events"].as_array().unwrap().clone()
}

/// The feed at `url` (made by the server, under its public address).
async fn fetch(app: &TestApp, url: &str) -> reqwest::Response {
    let path = &url[url.find("/api/calendar/").expect("a feed address")..];
    app.get(path, None).await
}

async fn read(app: &TestApp, url: &str) -> Vec<Value> {
    let res = fetch(app, url).await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["content-type"],
        "text/calendar; charset=utf-8"
    );
    parse(&res.text().await.unwrap())
}

#[both_backends]
async fn each_party_subscribes_to_their_own_appointments(backend: Backend) {
    let app = spawn_app(backend).await;
    let doctor = app.doctor("Dr. Feed", "Cardiology").await;
    let patient = app.patient("Pat Feed").await;
    let other = app.patient("Olive Other").await;
    let id = doctor_id(&app, "Feed").await;
    let weekly: Vec<Value> = (1..=7)
        .map(|d| json!({"weekday": d, "start": "00:00", "end": "24:00"}))
        .collect();
    let schedule = json!({"timeZone": "UTC", "slotMinutes": 30, "weekly": weekly});
    json_ok(
        app.put("/api/doctors/me/schedule", Some(&doctor.token), &schedule)
            .await,
    )
    .await;
    // Four of Pat's: one moved, one cancelled, one 10 and one 40 days ago; one of Olive's.
    let body = |t: chrono::DateTime<Utc>| {
        let start = t.to_rfc3339();
        json!({"doctorId": id, "scheduledFor": start, "reason": "Private matter"})
    };
    let moved = json_ok(
        app.post("/api/appointments", Some(&patient.token), &body(at(3, 9)))
            .await,
    )
    .await["id"]
        .as_str()
        .unwrap()
        .parse::<uuid::Uuid>()
        .unwrap();
    let new_time = at(4, 14);
    json_ok(
        app.put(
            &format!("/api/appointments/{moved}"),
            Some(&patient.token),
            &json!({"scheduledFor": new_time.to_rfc3339()}),
        )
        .await,
    )
    .await;
    let cancelled = book(&app, &patient, id, at(5, 9)).await;
    cancel(&app, &patient, cancelled).await;
    let recent = book(&app, &patient, id, at(6, 9)).await;
    let old = book(&app, &patient, id, at(7, 9)).await;
    let olives = book(&app, &other, id, at(8, 9)).await;
    let now = Utc::now();
    for (a, days) in [(recent, 10), (old, 40)] {
        let start = now - Duration::days(days);
        app.with_conn(move |c| {
            diesel::update(appointments::table.find(DbId(a)))
                .set((
                    appointments::scheduled_for.eq(DbTime(start)),
                    appointments::ends_at.eq(DbTime(start + Duration::minutes(30))),
                ))
                .execute(c)
                .unwrap()
        })
        .await;
    }

    // No feed until asked for; then one address, the same each time it is read.
    problem(app.get(FEED, Some(&patient.token)).await, 404).await;
    let made = json_ok(app.post(FEED, Some(&patient.token), &json!({})).await).await;
    let url = made["url"].as_str().unwrap().to_owned();
    assert!(url.starts_with(&app.config.public_url.clone().unwrap_or_default()));
    assert!(url.ends_with(".ics"));
    assert_eq!(
        json_ok(app.get(FEED, Some(&patient.token)).await).await["url"],
        url
    );

    let events = read(&app, &url).await;
    let uids: Vec<&str> = events.iter().map(|e| e["uid"].as_str().unwrap()).collect();
    assert_eq!(uids.len(), 2, "{events:#?}");
    assert!(uids[0].starts_with(&recent.to_string()), "{uids:?}");
    assert!(uids[1].starts_with(&moved.to_string()), "{uids:?}");
    let m = &events[1];
    assert_eq!(m["sequence"], 1);
    assert_eq!(
        m["start"]
            .as_str()
            .unwrap()
            .parse::<chrono::DateTime<Utc>>()
            .unwrap(),
        new_time
    );
    assert_eq!(
        m["end"]
            .as_str()
            .unwrap()
            .parse::<chrono::DateTime<Utc>>()
            .unwrap(),
        new_time + Duration::minutes(30)
    );
    assert_eq!(m["summary"], "Appointment with Dr. Feed (Cardiology)");
    assert_eq!(m["status"], "CONFIRMED");
    for e in &events {
        assert_eq!(e["attendees"], false);
        assert!(
            !e["description"]
                .as_str()
                .unwrap()
                .contains("Private matter")
        );
        assert!(!e["description"].as_str().unwrap().contains("Olive"));
    }
    let raw = fetch(&app, &url).await.text().await.unwrap();
    for secret in [
        "Private matter",
        patient.email.as_str(),
        doctor.email.as_str(),
        "Olive",
    ] {
        assert!(!raw.contains(secret), "{secret} in the feed");
    }

    // The doctor's feed: every patient's, named after the patient, each read audited.
    let doctors = json_ok(app.post(FEED, Some(&doctor.token), &json!({})).await).await;
    let doctor_url = doctors["url"].as_str().unwrap().to_owned();
    assert_ne!(doctor_url, url);
    let events = read(&app, &doctor_url).await;
    let summaries: Vec<&str> = events
        .iter()
        .map(|e| e["summary"].as_str().unwrap())
        .collect();
    assert_eq!(
        summaries,
        [
            "Appointment with Pat Feed",
            "Appointment with Pat Feed",
            "Appointment with Olive Other"
        ]
    );
    assert!(
        events[2]["uid"]
            .as_str()
            .unwrap()
            .starts_with(&olives.to_string())
    );
    let doctor_user = DbId(doctor.id);
    let reads: i64 = app
        .with_conn(move |c| {
            audit_log::table
                .filter(audit_log::action.eq("calendar_feed.read"))
                .filter(audit_log::actor_id.eq(Some(doctor_user)))
                .count()
                .get_result(c)
                .unwrap()
        })
        .await;
    assert_eq!(reads, 1);

    // A new address kills the old; turning the feed off kills it too.
    let renewed = json_ok(app.post(FEED, Some(&patient.token), &json!({})).await).await;
    let new_url = renewed["url"].as_str().unwrap().to_owned();
    assert_ne!(new_url, url);
    problem(fetch(&app, &url).await, 404).await;
    assert_eq!(read(&app, &new_url).await.len(), 2);
    let res = app.delete(FEED, Some(&patient.token)).await;
    assert_eq!(res.status(), 204);
    problem(fetch(&app, &new_url).await, 404).await;
    problem(app.get(FEED, Some(&patient.token)).await, 404).await;
}

#[both_backends]
async fn a_feed_address_cannot_be_guessed_or_forged(backend: Backend) {
    let app = spawn_app(backend).await;
    let patient = app.user(Role::Patient).await;
    let admin = app.user(Role::Admin).await;
    problem(app.post(FEED, Some(&admin.token), &json!({})).await, 403).await;
    problem(app.get(FEED, Some(&admin.token)).await, 403).await;
    problem(app.post(FEED, None, &json!({})).await, 401).await;
    let made = json_ok(app.post(FEED, Some(&patient.token), &json!({})).await).await;
    let url = made["url"].as_str().unwrap();
    assert!(read(&app, url).await.is_empty());
    // Another letter in the signature, another user's id, or no token at all: 404.
    let token = url.rsplit('/').next().unwrap().trim_end_matches(".ics");
    let mut forged = token.to_owned().into_bytes();
    let last = forged.len() - 2;
    forged[last] = if forged[last] == b'A' { b'B' } else { b'A' };
    let forged = String::from_utf8(forged).unwrap();
    for path in [
        format!("/api/calendar/{forged}.ics"),
        format!("/api/calendar/{}.ics", &token[..20]),
        "/api/calendar/not-a-token.ics".to_owned(),
    ] {
        let p = problem(app.get(&path, None).await, 404).await;
        assert!(
            p.detail.as_deref().unwrap_or_default().contains("profile"),
            "{p:?}"
        );
    }
    // A deactivated account's feed stops.
    let admin_body = json!({"active": false});
    json_ok(
        app.send_json(
            reqwest::Method::PATCH,
            &format!("/api/admin/users/{}", patient.id),
            Some(&admin.token),
            &admin_body,
        )
        .await,
    )
    .await;
    problem(fetch(&app, url).await, 404).await;
}
