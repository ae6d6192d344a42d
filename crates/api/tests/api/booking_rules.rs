//! A doctor's booking rules (notice, cancellation cutoff, horizon, appointments ahead
//! per patient) and the clinic's cap across doctors: each refusal names its rule, the
//! slots honour them, and they hold under concurrency.

use chrono::{DateTime, Duration, DurationRound, Utc};
use mediconnect_shared::Role;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::*;
use mediconnect_test_macros::both_backends;

/// A whole hour at least `hours` from now.
fn in_hours(hours: i64) -> DateTime<Utc> {
    (Utc::now() + Duration::hours(hours))
        .duration_trunc(Duration::hours(1))
        .unwrap()
        + Duration::hours(1)
}

async fn doctor_id(app: &TestApp, name: &str) -> Uuid {
    let found = json_ok(app.get(&format!("/api/doctors?q={name}"), None).await).await;
    found["doctors"][0]["id"].as_str().unwrap().parse().unwrap()
}

async fn book(app: &TestApp, who: &TestUser, doctor: Uuid, at: DateTime<Utc>) -> reqwest::Response {
    let body = json!({"doctorId": doctor, "scheduledFor": at.to_rfc3339()});
    app.post("/api/appointments", Some(&who.token), &body).await
}

async fn booked(app: &TestApp, who: &TestUser, doctor: Uuid, at: DateTime<Utc>) -> Uuid {
    let a = json_ok(book(app, who, doctor, at).await).await;
    a["id"].as_str().unwrap().parse().unwrap()
}

async fn rule_of(res: reqwest::Response, status: u16) -> (String, String) {
    let p = problem(res, status).await;
    let rule = p.kind.rsplit(':').next().unwrap().to_owned();
    (rule, p.detail.unwrap_or_default())
}

/// Every day 00:00–24:00 UTC, in hour slots.
async fn all_day_hours(app: &TestApp, doctor: &TestUser) {
    let weekly: Vec<Value> = (1..=7)
        .map(|d| json!({"weekday": d, "start": "00:00", "end": "24:00"}))
        .collect();
    let schedule = json!({"timeZone": "UTC", "slotMinutes": 60, "weekly": weekly});
    json_ok(
        app.put("/api/doctors/me/schedule", Some(&doctor.token), &schedule)
            .await,
    )
    .await;
}

async fn slots(app: &TestApp, doctor: Uuid, token: Option<&str>, days: i64) -> Value {
    let to = urlencode(&(Utc::now() + Duration::days(days)).to_rfc3339());
    json_ok(
        app.get(&format!("/api/doctors/{doctor}/slots?to={to}"), token)
            .await,
    )
    .await
}

fn urlencode(s: &str) -> String {
    s.replace('+', "%2B").replace(':', "%3A")
}

#[both_backends]
async fn the_rules_are_the_doctors_own_and_checked_field_by_field(backend: Backend) {
    let app = spawn_app(backend).await;
    let doctor = app.doctor("Dr. Rules", "Cardiology").await;
    let patient = app.user(Role::Patient).await;
    let path = "/api/doctors/me/booking-rules";
    let defaults = json!({"minNoticeMinutes": 120, "cancelCutoffMinutes": 0,
        "horizonDays": 180, "maxOpenPerPatient": 3});
    assert_eq!(
        json_ok(app.get(path, Some(&doctor.token)).await).await,
        defaults
    );
    assert_eq!(app.get(path, Some(&patient.token)).await.status(), 403);
    assert_eq!(app.get(path, None).await.status(), 401);

    let bad = json!({"minNoticeMinutes": 43201, "cancelCutoffMinutes": 0,
        "horizonDays": 181, "maxOpenPerPatient": 0});
    let p = problem(app.put(path, Some(&doctor.token), &bad).await, 422).await;
    let fields: Vec<_> = p.errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(
        fields,
        ["minNoticeMinutes", "horizonDays", "maxOpenPerPatient"]
    );
    let missing = json!({"minNoticeMinutes": 10});
    problem(app.put(path, Some(&doctor.token), &missing).await, 422).await;
    assert_eq!(
        json_ok(app.get(path, Some(&doctor.token)).await).await,
        defaults
    );

    let stored = app
        .booking_rules(&doctor, json!({"minNoticeMinutes": 30, "horizonDays": 14}))
        .await;
    assert_eq!(stored["minNoticeMinutes"], 30);
    // Saved twice: still one doctor's rules.
    let again = app.booking_rules(&doctor, json!({"horizonDays": 21})).await;
    assert_eq!(again["horizonDays"], 21);
    assert_eq!(again["minNoticeMinutes"], 120);
    // Anyone reads them with the doctor's slots.
    let id = doctor_id(&app, "Rules").await;
    assert_eq!(slots(&app, id, None, 7).await["rules"], again);
}

#[both_backends]
async fn notice_and_horizon_refuse_by_name_and_the_slots_keep_to_them(backend: Backend) {
    let app = spawn_app(backend).await;
    let doctor = app.doctor("Dr. Notice", "Neurology").await;
    let patient = app.user(Role::Patient).await;
    let id = doctor_id(&app, "Notice").await;
    app.booking_rules(&doctor, json!({"minNoticeMinutes": 1440, "horizonDays": 7}))
        .await;

    let (rule, detail) = rule_of(book(&app, &patient, id, in_hours(3)).await, 422).await;
    assert_eq!(rule, "min-notice");
    assert_eq!(
        detail,
        "Dr. Notice takes bookings at least 1 day ahead. Pick a later time."
    );
    let (rule, detail) = rule_of(book(&app, &patient, id, in_hours(8 * 24)).await, 422).await;
    assert_eq!(rule, "booking-horizon");
    assert!(detail.contains("up to 7 days ahead"), "{detail}");
    booked(&app, &patient, id, in_hours(30)).await;

    // Every day 00:00–24:00 UTC in hour slots: the slots start a day out and end
    // within the week.
    all_day_hours(&app, &doctor).await;
    let list = slots(&app, id, None, 10).await;
    let until: DateTime<Utc> = list["bookableUntil"].as_str().unwrap().parse().unwrap();
    assert!((until - Utc::now() - Duration::days(7)).num_seconds().abs() < 60);
    let starts: Vec<DateTime<Utc>> = list["slots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["start"].as_str().unwrap().parse().unwrap())
        .collect();
    assert!(!starts.is_empty());
    assert!(
        starts
            .iter()
            .all(|s| *s >= Utc::now() + Duration::hours(24))
    );
    assert!(starts.iter().all(|s| *s <= until));
    // What is offered can be booked.
    let (first, last) = (starts[0], *starts.last().unwrap());
    let other = app.user(Role::Patient).await;
    booked(&app, &other, id, first).await;
    booked(&app, &other, id, last).await;
}

#[both_backends]
async fn a_patient_holds_no_more_than_the_doctor_and_the_clinic_allow(backend: Backend) {
    let app = spawn_app_with(backend, |c| c.patient_max_open_bookings = 3).await;
    let doctor = app.doctor("Dr. Limit", "Dermatology").await;
    let second = app.doctor("Dr. Second", "Oncology").await;
    let patient = app.user(Role::Patient).await;
    let (id, id2) = (
        doctor_id(&app, "Limit").await,
        doctor_id(&app, "Second").await,
    );
    app.booking_rules(&doctor, json!({"maxOpenPerPatient": 2}))
        .await;
    let first = booked(&app, &patient, id, in_hours(24)).await;
    booked(&app, &patient, id, in_hours(48)).await;
    let (rule, detail) = rule_of(book(&app, &patient, id, in_hours(72)).await, 409).await;
    assert_eq!(rule, "max-open-with-doctor");
    assert_eq!(
        detail,
        "You already have 2 appointments ahead with Dr. Limit, the most they take from one \
         patient. Cancel one, or book after one has taken place."
    );
    // The patient's own slots say so and offer nothing; others' are unchanged.
    all_day_hours(&app, &doctor).await;
    let mine = slots(&app, id, Some(&patient.token), 7).await;
    assert_eq!(mine["slots"], json!([]));
    assert_eq!(mine["bookingBlocked"], detail);
    let anyone = slots(&app, id, None, 7).await;
    assert!(!anyone["slots"].as_array().unwrap().is_empty());
    assert!(anyone.get("bookingBlocked").is_none());

    // Another doctor takes the third; the clinic's cap of three stops a fourth.
    booked(&app, &patient, id2, in_hours(96)).await;
    let (rule, _) = rule_of(book(&app, &patient, id2, in_hours(120)).await, 409).await;
    assert_eq!(rule, "max-open-bookings");
    // A cancellation frees a place.
    json_ok(
        app.client
            .delete(app.url(&format!("/api/appointments/{first}")))
            .bearer_auth(&patient.token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    booked(&app, &patient, id2, in_hours(120)).await;
    let _ = second;
}

#[both_backends]
async fn the_cancellation_cutoff_binds_patients_and_not_doctors(backend: Backend) {
    let app = spawn_app(backend).await;
    let doctor = app.doctor("Dr. Cutoff", "Pediatrics").await;
    let patient = app.user(Role::Patient).await;
    let id = doctor_id(&app, "Cutoff").await;
    app.booking_rules(&doctor, json!({"cancelCutoffMinutes": 1440}))
        .await;
    let soon = booked(&app, &patient, id, in_hours(5)).await;
    let later = booked(&app, &patient, id, in_hours(50)).await;
    let path = |a: Uuid| format!("/api/appointments/{a}");

    let cancel = json!({"status": "CANCELLED"});
    let (rule, detail) = rule_of(
        app.put(&path(soon), Some(&patient.token), &cancel).await,
        409,
    )
    .await;
    assert_eq!(rule, "cancel-cutoff");
    assert_eq!(
        detail,
        "Appointments with Dr. Cutoff can be cancelled or moved up to 1 day before they \
         start. Contact the clinic to change this one."
    );
    let moved = json!({"scheduledFor": in_hours(60).to_rfc3339()});
    let (rule, _) = rule_of(
        app.put(&path(soon), Some(&patient.token), &moved).await,
        409,
    )
    .await;
    assert_eq!(rule, "cancel-cutoff");
    // Outside the cutoff the patient may; the doctor always may.
    json_ok(app.put(&path(later), Some(&patient.token), &cancel).await).await;
    let done = json_ok(app.put(&path(soon), Some(&doctor.token), &cancel).await).await;
    assert_eq!(done["status"], "CANCELLED");
}

/// Twenty bookings at once by one patient, at twenty different times, with a cap of
/// three: exactly three are made.
#[both_backends]
async fn parallel_bookings_by_one_patient_stop_at_the_cap(backend: Backend) {
    let app = spawn_app(backend).await;
    let doctor = app.doctor("Dr. Parallel", "Oncology").await;
    let patient = app.user(Role::Patient).await;
    let id = doctor_id(&app, "Parallel").await;
    let _ = doctor;
    let attempts = (0..20).map(|i| book(&app, &patient, id, in_hours(24 + i)));
    let statuses: Vec<u16> = futures_util::future::join_all(attempts)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        3,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| [201, 409].contains(s)),
        "{statuses:?}"
    );
    let list = json_ok(
        app.get("/api/appointments?status=SCHEDULED", Some(&patient.token))
            .await,
    )
    .await;
    assert_eq!(list["appointments"].as_array().unwrap().len(), 3);
}
