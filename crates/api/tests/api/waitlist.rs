//! Waitlists: a freed time goes to the earliest waiter, held for them; declined or run
//! out, it passes on; claimed, it is booked (and a later booking cancelled); nobody
//! else books it meanwhile, even racing the claim.

use chrono::{DateTime, Datelike, Duration, Utc};
use diesel::prelude::*;
use mediconnect_api::db::schema::{notifications, waitlist_offers};
use mediconnect_api::db::{DbId, DbTime};
use mediconnect_api::live::effects::Effects;
use mediconnect_api::mail::MailContext;
use mediconnect_shared::Role;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::*;
use mediconnect_test_macros::both_backends;

const WAITLIST: &str = "/api/waitlist";

/// Hours 10:00 to 10:30 UTC on the given weekdays (1 is Monday): one slot a day.
fn hours(weekdays: &[u32]) -> Value {
    let weekly: Vec<Value> = weekdays
        .iter()
        .map(|d| json!({"weekday": d, "start": "10:00", "end": "10:30"}))
        .collect();
    json!({"timeZone": "UTC", "slotMinutes": 30, "weekly": weekly})
}

fn weekday(t: DateTime<Utc>) -> u32 {
    t.weekday().number_from_monday()
}

async fn set_hours(app: &TestApp, doctor: &TestUser, body: Value) {
    json_ok(
        app.put("/api/doctors/me/schedule", Some(&doctor.token), &body)
            .await,
    )
    .await;
}

async fn join(app: &TestApp, who: &TestUser, body: Value) -> reqwest::Response {
    app.post(WAITLIST, Some(&who.token), &body).await
}

/// The patient's entries.
async fn entries(app: &TestApp, who: &TestUser) -> Vec<Value> {
    let list = json_ok(app.get(WAITLIST, Some(&who.token)).await).await;
    list["entries"].as_array().unwrap().clone()
}

/// The open offer of the patient's only entry, if any: (offer id, start).
async fn offer(app: &TestApp, who: &TestUser) -> Option<(Uuid, DateTime<Utc>)> {
    let e = entries(app, who).await;
    let o = &e.first()?["offer"];
    Some((
        o["id"].as_str()?.parse().unwrap(),
        o["start"].as_str()?.parse().unwrap(),
    ))
}

async fn act(app: &TestApp, who: &TestUser, offer: Uuid, what: &str) -> reqwest::Response {
    let path = format!("/api/waitlist/offers/{offer}/{what}");
    app.post(&path, Some(&who.token), &json!({})).await
}

/// How many offer emails went to `address`.
async fn offer_mails(app: &TestApp, address: &str) -> i64 {
    let address = address.to_owned();
    app.with_conn(move |c| {
        notifications::table
            .filter(notifications::kind.eq("WAITLIST_OFFER"))
            .filter(notifications::email.eq(address))
            .count()
            .get_result(c)
            .unwrap()
    })
    .await
}

/// Runs the sweep of offers that ran out, as the server does every few seconds.
async fn sweep(app: &TestApp) -> usize {
    let ctx = MailContext::from_config(&app.config);
    let hub = app.hub.clone();
    app.db
        .write(move |c| {
            let mut effects = Effects::new(hub);
            mediconnect_api::appointments::sweep_waitlists(c, &mut effects, &ctx, Utc::now())
        })
        .await
        .unwrap()
}

#[both_backends]
async fn a_freed_time_goes_to_the_earliest_waiter_held_and_passed_on(backend: Backend) {
    let app = spawn_app(backend).await;
    let doctor = app.doctor("Dr. Waitlist", "Cardiology").await;
    let id = doctor_id(&app, "Waitlist").await;
    let start = at(3, 10);
    set_hours(&app, &doctor, hours(&[weekday(start)])).await;
    let day = start.date_naive().to_string();
    let window = json!({"doctorId": id, "from": day, "to": day});
    let holder = app.user(Role::Patient).await;
    let [first, second, third, other] = [
        app.patient("Wanda First").await,
        app.patient("Walt Second").await,
        app.patient("Wes Third").await,
        app.user(Role::Patient).await,
    ];
    let booked = book(&app, &holder, id, start).await;

    // Bad windows name their field; doctors cannot wait; once per doctor.
    let past = (Utc::now() - Duration::days(1)).date_naive().to_string();
    for (body, field) in [
        (json!({"doctorId": id, "from": past, "to": day}), "from"),
        (json!({"doctorId": id, "from": day, "to": past}), "to"),
        (
            json!({"doctorId": Uuid::new_v4(), "from": day, "to": day}),
            "doctorId",
        ),
        (
            json!({"doctorId": id, "from": day, "to": day, "earlierThan": booked}),
            "earlierThan",
        ),
    ] {
        let p = problem(join(&app, &first, body).await, 422).await;
        assert!(p.field_message(field).is_some(), "{field}: {p:?}");
    }
    problem(join(&app, &doctor, window.clone()).await, 403).await;
    for who in [&first, &second, &third] {
        let entry = json_ok(join(&app, who, window.clone()).await).await;
        assert_eq!(entry["doctor"]["name"], "Dr. Waitlist");
        assert!(entry.get("offer").is_none(), "nothing is free: {entry}");
    }
    let p = problem(join(&app, &first, window.clone()).await, 409).await;
    assert!(p.kind.ends_with(":already-waiting"), "{p:?}");

    // The booking is cancelled: the earliest waiter is offered the time, held.
    cancel(&app, &holder, booked).await;
    let (offer1, at1) = offer(&app, &first).await.expect("an offer to the first");
    assert_eq!(at1, start);
    assert!(offer(&app, &second).await.is_none());
    assert_eq!(offer_mails(&app, &first.email).await, 1);
    let slots = json_ok(
        app.get(
            &format!(
                "/api/doctors/{id}/slots?from={}&to={}",
                (start - Duration::hours(1))
                    .to_rfc3339()
                    .replace('+', "%2B"),
                (start + Duration::hours(1))
                    .to_rfc3339()
                    .replace('+', "%2B"),
            ),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(
        slots["slots"],
        json!([]),
        "a held time is not offered to all"
    );
    let direct = json!({"doctorId": id, "scheduledFor": start.to_rfc3339()});
    let p = problem(
        app.post("/api/appointments", Some(&other.token), &direct)
            .await,
        409,
    )
    .await;
    assert!(p.kind.ends_with(":slot-held"), "{p:?}");
    // Nor can a booking be moved onto it.
    let next_week = book(&app, &other, id, start + Duration::days(7)).await;
    let to_held = json!({"scheduledFor": start.to_rfc3339()});
    let path = format!("/api/appointments/{next_week}");
    let p = problem(app.put(&path, Some(&other.token), &to_held).await, 409).await;
    assert!(p.kind.ends_with(":slot-held"), "{p:?}");

    // Another's offer is not found; declined, it passes to the next waiter at once.
    problem(act(&app, &second, offer1, "claim").await, 404).await;
    assert_eq!(act(&app, &first, offer1, "decline").await.status(), 204);
    let p = problem(act(&app, &first, offer1, "claim").await, 409).await;
    assert!(p.kind.ends_with(":offer-ended"), "{p:?}");
    let (offer2, at2) = offer(&app, &second).await.expect("passed to the second");
    assert_eq!(at2, start);
    assert!(
        offer(&app, &first).await.is_none(),
        "never offered the same time again"
    );

    // Run out unclaimed, it passes on to the third.
    let past_hold = DbTime(Utc::now() - Duration::seconds(1));
    app.with_conn(move |c| {
        diesel::update(waitlist_offers::table.find(DbId(offer2)))
            .set(waitlist_offers::expires_at.eq(past_hold))
            .execute(c)
            .unwrap()
    })
    .await;
    assert_eq!(sweep(&app).await, 1);
    assert!(offer(&app, &second).await.is_none());
    let (offer3, _) = offer(&app, &third).await.expect("passed to the third");

    // Claimed: booked for the third, whose entry is done; the others still wait.
    let appointment = json_ok(act(&app, &third, offer3, "claim").await).await;
    assert_eq!(appointment["status"], "SCHEDULED");
    assert_eq!(
        appointment["scheduledFor"]
            .as_str()
            .unwrap()
            .parse::<DateTime<Utc>>()
            .unwrap(),
        start
    );
    assert!(entries(&app, &third).await.is_empty());
    assert_eq!(entries(&app, &first).await.len(), 1);
    // Leaving is for one's own entries.
    let mine = entries(&app, &first).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = app
        .delete(&format!("{WAITLIST}/{mine}"), Some(&second.token))
        .await;
    assert_eq!(res.status(), 404);
    let res = app
        .delete(&format!("{WAITLIST}/{mine}"), Some(&first.token))
        .await;
    assert_eq!(res.status(), 204);
    assert!(entries(&app, &first).await.is_empty());
}

#[both_backends]
async fn claiming_an_earlier_time_cancels_the_later_booking(backend: Backend) {
    let app = spawn_app(backend).await;
    let doctor = app.doctor("Dr. Earlier", "Neurology").await;
    let id = doctor_id(&app, "Earlier").await;
    set_hours(&app, &doctor, hours(&[1, 2, 3, 4, 5, 6, 7])).await;
    let patient = app.patient("Pia Earlier").await;
    let taken = app.user(Role::Patient).await;
    book(&app, &taken, id, at(2, 10)).await;
    let later = book(&app, &patient, id, at(5, 10)).await;
    // A free time before the booking is offered at once: day 3 (day 2 is taken).
    let body = json!({"doctorId": id, "from": at(2, 0).date_naive().to_string(),
        "to": at(6, 0).date_naive().to_string(), "earlierThan": later});
    let entry = json_ok(join(&app, &patient, body).await).await;
    assert_eq!(entry["earlierThan"], later.to_string());
    let o = &entry["offer"];
    assert_eq!(
        o["start"]
            .as_str()
            .unwrap()
            .parse::<DateTime<Utc>>()
            .unwrap(),
        at(3, 10)
    );
    let offer_id: Uuid = o["id"].as_str().unwrap().parse().unwrap();
    let booked = json_ok(act(&app, &patient, offer_id, "claim").await).await;
    let status = |v: Value| v["status"].as_str().unwrap().to_owned();
    let old = json_ok(
        app.get(&format!("/api/appointments/{later}"), Some(&patient.token))
            .await,
    )
    .await;
    assert_eq!(status(old), "CANCELLED");
    assert_eq!(status(booked), "SCHEDULED");
    // The freed later time is free for anyone again.
    book(&app, &taken, id, at(5, 10)).await;
}

#[both_backends]
async fn new_hours_and_ended_time_off_offer_times(backend: Backend) {
    let app = spawn_app(backend).await;
    let doctor = app.doctor("Dr. Opening", "Neurology").await;
    let id = doctor_id(&app, "Opening").await;
    let start = at(4, 10);
    let other_day = weekday(start) % 7 + 1;
    set_hours(&app, &doctor, hours(&[other_day])).await;
    let patient = app.user(Role::Patient).await;
    let day = start.date_naive().to_string();
    json_ok(
        join(
            &app,
            &patient,
            json!({"doctorId": id, "from": day, "to": day}),
        )
        .await,
    )
    .await;
    // Time off over the day, then hours on it: still nothing; the time off ends: offered.
    let off = json_ok(
        app.post(
            "/api/doctors/me/time-off",
            Some(&doctor.token),
            &json!({"from": format!("{day}T00:00"), "to": format!("{day}T23:00")}),
        )
        .await,
    )
    .await;
    set_hours(&app, &doctor, hours(&[other_day, weekday(start)])).await;
    assert!(offer(&app, &patient).await.is_none());
    let res = app
        .delete(
            &format!("/api/doctors/me/time-off/{}", off["id"].as_str().unwrap()),
            Some(&doctor.token),
        )
        .await;
    assert_eq!(res.status(), 204);
    assert_eq!(offer(&app, &patient).await.map(|o| o.1), Some(start));
}

/// A claim races direct bookings of the held time: only the claim books it.
#[both_backends]
async fn a_held_time_goes_to_its_claim_whatever_races_it(backend: Backend) {
    let app = spawn_app(backend).await;
    let doctor = app.doctor("Dr. Race Hold", "Cardiology").await;
    let id = doctor_id(&app, "Race Hold").await;
    let start = at(3, 10);
    set_hours(&app, &doctor, hours(&[weekday(start)])).await;
    let holder = app.user(Role::Patient).await;
    let waiter = app.user(Role::Patient).await;
    let booked = book(&app, &holder, id, start).await;
    let day = start.date_naive().to_string();
    json_ok(
        join(
            &app,
            &waiter,
            json!({"doctorId": id, "from": day, "to": day}),
        )
        .await,
    )
    .await;
    cancel(&app, &holder, booked).await;
    let (offer_id, _) = offer(&app, &waiter).await.expect("an offer");
    let mut racers = Vec::new();
    for _ in 0..6 {
        racers.push(app.user(Role::Patient).await);
    }
    let direct = json!({"doctorId": id, "scheduledFor": start.to_rfc3339()});
    let bookings = racers
        .iter()
        .map(|r| app.post("/api/appointments", Some(&r.token), &direct));
    let (claim, others) = tokio::join!(
        act(&app, &waiter, offer_id, "claim"),
        futures_util::future::join_all(bookings)
    );
    assert_eq!(claim.status(), 201);
    for res in others {
        let p = problem(res, 409).await;
        assert!(
            p.kind.ends_with(":slot-held") || p.kind.ends_with(":doctor-unavailable"),
            "{p:?}"
        );
    }
    let list = json_ok(
        app.get(
            &format!("/api/appointments?doctorId={id}&status=SCHEDULED"),
            Some(&doctor.token),
        )
        .await,
    )
    .await;
    assert_eq!(list["appointments"].as_array().unwrap().len(), 1);
}
