use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use mediconnect_api::db::schema::appointments;
use mediconnect_api::db::{DbId, DbTime};
use mediconnect_shared::{Appointment, AppointmentHistory, AppointmentList, Role};
use serde_json::{Value, json};

use crate::helpers::*;
use crate::ws::connect;
use mediconnect_test_macros::both_backends;

/// Reads an appointment out of a JSON answer.
trait IntoAppointment {
    fn into_appointment(self) -> Appointment;
}

impl IntoAppointment for Value {
    fn into_appointment(self) -> Appointment {
        serde_json::from_value(self).expect("an appointment")
    }
}

fn rfc(t: DateTime<Utc>) -> String {
    t.to_rfc3339()
}

struct Setup {
    app: TestApp,
    doctor: TestUser,
    doctor_id: uuid::Uuid,
    patient: TestUser,
}

async fn setup(backend: Backend) -> Setup {
    let app = spawn_app(backend).await;
    let doctor = app.doctor("Dr. Book", "Cardiology").await;
    let doctor_id = json_ok(app.get("/api/doctors", None).await).await["doctors"][0]["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let patient = app.user(Role::Patient).await;
    Setup {
        app,
        doctor,
        doctor_id,
        patient,
    }
}

impl Setup {
    async fn book(&self, who: &TestUser, start: DateTime<Utc>) -> reqwest::Response {
        self.app
            .post(
                "/api/appointments",
                Some(&who.token),
                &json!({
                    "doctorId": self.doctor_id,
                    "scheduledFor": rfc(start),
                    "reason": "Checkup"
                }),
            )
            .await
    }

    async fn booked(&self, who: &TestUser, start: DateTime<Utc>) -> Appointment {
        let res = self.book(who, start).await;
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
        res.json().await.unwrap()
    }

    async fn change(&self, who: &TestUser, id: uuid::Uuid, body: Value) -> reqwest::Response {
        self.app
            .put(&format!("/api/appointments/{id}"), Some(&who.token), &body)
            .await
    }

    /// Moves an appointment into the past, as time passing would.
    async fn make_past(&self, id: uuid::Uuid) {
        self.app
            .with_conn(move |c| {
                let start = Utc::now() - Duration::hours(2);
                diesel::update(appointments::table.find(DbId(id)))
                    .set((
                        appointments::scheduled_for.eq(DbTime(start)),
                        appointments::ends_at.eq(DbTime(start + Duration::minutes(30))),
                    ))
                    .execute(c)
                    .unwrap();
            })
            .await;
    }
}

#[both_backends]
async fn appointments_filter_by_doctor_patient_status_and_date(backend: Backend) {
    let s = setup(backend).await;
    let other_doctor = s.app.doctor("Dr. Ünal Other", "Dermatology").await;
    let found = json_ok(s.app.get("/api/doctors?q=other", None).await).await;
    let other_id: uuid::Uuid = found["doctors"][0]["id"].as_str().unwrap().parse().unwrap();
    let _ = other_doctor;
    let ann = s.app.patient("Ann Filter").await;
    let bob = s.app.patient("Bob Filter").await;
    let a1 = s.booked(&ann, at(2, 9)).await;
    let b1 = s.booked(&bob, at(3, 9)).await;
    let res = s
        .app
        .post(
            "/api/appointments",
            Some(&ann.token),
            &json!({"doctorId": other_id, "scheduledFor": rfc(at(4, 9))}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let a2: Appointment = res.json().await.unwrap();
    let cancelled = s.change(&bob, b1.id, json!({"status": "CANCELLED"})).await;
    assert_eq!(cancelled.status(), 200);
    let admin = s.app.user(Role::Admin).await;
    let ids = |v: &Value| -> Vec<String> {
        v["appointments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let list = |who: &TestUser, query: &str| {
        let path = format!("/api/appointments?{query}");
        let token = who.token.clone();
        let app = &s.app;
        async move { json_ok(app.get(&path, Some(&token)).await).await }
    };
    // The admin sees the patient of each, and filters by names (any case, any
    // part), ids, status and dates.
    let all = list(&admin, "").await;
    assert_eq!(all["appointments"][0]["patient"]["name"], "Ann Filter");
    assert_eq!(
        ids(&list(&admin, "patient=ann").await),
        [a1.id.to_string(), a2.id.to_string()]
    );
    assert_eq!(
        ids(&list(&admin, "patient=ANN&doctor=%C3%BCnal").await),
        [a2.id.to_string()]
    );
    assert_eq!(
        ids(&list(&admin, &format!("doctorId={}", s.doctor_id)).await),
        [a1.id.to_string(), b1.id.to_string()]
    );
    assert_eq!(
        ids(&list(&admin, "status=CANCELLED").await),
        [b1.id.to_string()]
    );
    let from = urlencode(&rfc(at(3, 0)));
    let to = urlencode(&rfc(at(4, 0)));
    assert_eq!(
        ids(&list(&admin, &format!("from={from}&to={to}")).await),
        [b1.id.to_string()]
    );
    assert_eq!(
        ids(&list(&admin, "patient=100%25").await),
        Vec::<String>::new(),
        "LIKE characters are literal"
    );
    // Within what the caller may see: Ann filtering by Bob's appointments' doctor
    // sees only her own; a patient filter never widens a patient's list.
    assert_eq!(
        ids(&list(&ann, &format!("doctorId={}", s.doctor_id)).await),
        [a1.id.to_string()]
    );
    assert_eq!(ids(&list(&ann, "patient=bob").await), Vec::<String>::new());
    let long = "x".repeat(101);
    problem(
        s.app
            .get(
                &format!("/api/appointments?patient={long}"),
                Some(&admin.token),
            )
            .await,
        400,
    )
    .await;
    problem(
        s.app
            .get("/api/appointments?doctorId=nope", Some(&admin.token))
            .await,
        400,
    )
    .await;
}

#[both_backends]
async fn nul_and_control_characters_are_refused_not_stored(backend: Backend) {
    // PostgreSQL cannot store NUL in text: once a 500 there, stored as-is on SQLite.
    let setup = setup(backend).await;
    let s = &setup;
    let book = move |reason: &'static str| {
        let body =
            json!({"doctorId": s.doctor_id, "scheduledFor": rfc(at(3, 10)), "reason": reason});
        async move {
            s.app
                .post("/api/appointments", Some(&s.patient.token), &body)
                .await
        }
    };
    let p = problem(book("pain\u{0}x").await, 422).await;
    assert_eq!(p.errors[0].field, "reason");
    assert!(p.errors[0].message.contains("NUL"), "{:?}", p.errors);
    let p = problem(book("ring \u{7} bell").await, 422).await;
    assert_eq!(p.errors[0].field, "reason");
    let a: Appointment =
        serde_json::from_value(json_ok(book("Two lines:\nchest\tpain").await).await).unwrap();
    assert_eq!(a.reason.as_deref(), Some("Two lines:\nchest\tpain"));
    let p = problem(
        s.app
            .put(
                &format!("/api/appointments/{}", a.id),
                Some(&s.patient.token),
                &json!({"reason": "x\u{0}"}),
            )
            .await,
        422,
    )
    .await;
    assert_eq!(p.errors[0].field, "reason");
    let p = problem(
        s.app
            .post(
                "/api/auth/login",
                None,
                &json!({"email": "a\u{0}@x.com", "password": "whatever long"}),
            )
            .await,
        422,
    )
    .await;
    assert_eq!(p.errors[0].field, "email");
    let slots = format!("/api/doctors/{}/slots?from=%00", s.doctor_id);
    for path in [
        "/api/doctors?q=a%00b",
        "/api/doctors?specialization=a%00",
        &slots,
    ] {
        let p = problem(s.app.get(path, Some(&s.patient.token)).await, 400).await;
        assert!(p.detail.unwrap().contains("NUL"), "{path}");
    }
    let admin = s.app.user(Role::Admin).await;
    problem(
        s.app
            .get("/api/admin/users?q=a%00", Some(&admin.token))
            .await,
        400,
    )
    .await;
    // %2500 is a literal "%00", which is fine.
    json_ok(s.app.get("/api/doctors?q=%2500", None).await).await;
}

#[both_backends]
async fn a_patient_books(backend: Backend) {
    let s = setup(backend).await;
    let start = at(2, 10);
    let res = s.book(&s.patient, start).await;
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.unwrap();
    let keys: Vec<_> = body.as_object().unwrap().keys().cloned().collect();
    for k in [
        "id",
        "scheduledFor",
        "durationMinutes",
        "reason",
        "status",
        "createdAt",
        "updatedAt",
        "doctor",
        "patient",
    ] {
        assert!(keys.contains(&k.to_string()), "{k} missing");
    }
    assert_eq!(body["status"], "SCHEDULED");
    assert_eq!(body["durationMinutes"], 30);
    assert_eq!(body["reason"], "Checkup");
    assert_eq!(
        body["doctor"],
        json!({"id": s.doctor_id, "name": "Dr. Book", "specialization": "Cardiology"})
    );
    assert_eq!(body["patient"]["name"], "Test User");
    let scheduled: DateTime<Utc> = body["scheduledFor"].as_str().unwrap().parse().unwrap();
    assert_eq!(scheduled, start);
    assert!(body["scheduledFor"].as_str().unwrap().ends_with('Z'));
    // An offset other than Z names the same instant.
    let local = start
        .with_timezone(&chrono::FixedOffset::east_opt(5 * 3600 + 1800).unwrap())
        .to_rfc3339();
    let res = s
        .app
        .post(
            "/api/appointments",
            Some(&s.patient.token),
            &json!({"doctorId": s.doctor_id, "scheduledFor": local}),
        )
        .await;
    let p = problem(res, 409).await;
    assert_eq!(p.kind, "urn:mediconnect:problem:doctor-unavailable");
}

#[both_backends]
async fn only_patients_book(backend: Backend) {
    let s = setup(backend).await;
    let admin = s.app.user(Role::Admin).await;
    problem(s.book(&s.doctor, at(2, 10)).await, 403).await;
    problem(s.book(&admin, at(2, 10)).await, 403).await;
    problem(
        s.app
            .post(
                "/api/appointments",
                None,
                &json!({"doctorId": s.doctor_id, "scheduledFor": rfc(at(2, 10))}),
            )
            .await,
        401,
    )
    .await;
}

#[both_backends]
async fn booking_rules(backend: Backend) {
    let s = setup(backend).await;
    let app = &s.app;
    let t = &s.patient.token;
    let post = |body: Value| async move { app.post("/api/appointments", Some(t), &body).await };
    let p = problem(
        post(
            json!({"doctorId": s.doctor_id, "scheduledFor": rfc(Utc::now() - Duration::hours(1))}),
        )
        .await,
        422,
    )
    .await;
    assert!(p.field_message("scheduledFor").unwrap().contains("future"));
    let p = problem(
        post(
            json!({"doctorId": s.doctor_id, "scheduledFor": rfc(Utc::now() + Duration::days(181))}),
        )
        .await,
        422,
    )
    .await;
    assert!(p.field_message("scheduledFor").unwrap().contains("180"));
    let p = problem(
        post(json!({"doctorId": uuid::Uuid::new_v4(), "scheduledFor": rfc(at(2, 10))})).await,
        422,
    )
    .await;
    assert!(p.field_message("doctorId").is_some());
    let too_long = json!({
        "doctorId": s.doctor_id,
        "scheduledFor": rfc(at(2, 10)),
        "reason": "x".repeat(501)
    });
    let p = problem(post(too_long).await, 422).await;
    assert!(p.field_message("reason").is_some());
    // No offset: not RFC 3339.
    problem(
        post(json!({"doctorId": s.doctor_id, "scheduledFor": "2030-01-01T10:00:00"})).await,
        422,
    )
    .await;
    problem(
        post(json!({"doctorId": "nope", "scheduledFor": rfc(at(2, 10))})).await,
        422,
    )
    .await;
    // 500 characters are fine.
    let longest = json!({
        "doctorId": s.doctor_id,
        "scheduledFor": rfc(at(3, 10)),
        "reason": "x".repeat(500)
    });
    assert_eq!(post(longest).await.status(), 201);
}

#[both_backends]
async fn the_duration_is_the_doctors_slot_length(backend: Backend) {
    let s = setup(backend).await;
    let schedule = json!({"timeZone": "UTC", "slotMinutes": 45, "weekly": [], "exceptions": []});
    json_ok(
        s.app
            .put("/api/doctors/me/schedule", Some(&s.doctor.token), &schedule)
            .await,
    )
    .await;
    let a = s.booked(&s.patient, at(2, 10)).await;
    assert_eq!(a.duration_minutes, 45);
    assert_eq!(a.ends_at, a.scheduled_for + Duration::minutes(45));
}

#[both_backends]
async fn fifty_concurrent_bookings_of_one_slot_make_one(backend: Backend) {
    let s = setup(backend).await;
    let mut patients = Vec::new();
    for _ in 0..50 {
        patients.push(s.app.user(Role::Patient).await);
    }
    let start = at(5, 9);
    let results = futures_util::future::join_all(patients.iter().map(|p| s.book(p, start))).await;
    let mut statuses: Vec<u16> = results.iter().map(|r| r.status().as_u16()).collect();
    statuses.sort();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        49,
        "{statuses:?}"
    );
    let rows: i64 = s
        .app
        .with_conn(|c| appointments::table.count().get_result(c).unwrap())
        .await;
    assert_eq!(rows, 1);
}

// Pairs of patients race for many slots at once. On PostgreSQL, two inserts that
// conflict under an exclusion constraint can each wait for the other: one of them
// used to fail with "deadlock detected" (a 500) instead of a 409.
#[both_backends]
async fn many_slots_raced_at_once_answer_only_201_or_409(backend: Backend) {
    let s = setup(backend).await;
    // Up to ten rounds' bookings each: more than the default three ahead.
    s.app
        .booking_rules(&s.doctor, json!({"maxOpenPerPatient": 10}))
        .await;
    let mut patients = Vec::new();
    for _ in 0..24 {
        patients.push(s.app.user(Role::Patient).await);
    }
    for round in 0..10 {
        // 12 slots of 30 minutes, each wanted by two patients.
        let requests = patients
            .iter()
            .enumerate()
            .map(|(i, p)| s.book(p, at(2 + round, 8) + Duration::minutes(30 * (i as i64 / 2))));
        let results = futures_util::future::join_all(requests).await;
        let mut statuses: Vec<u16> = Vec::new();
        for r in results {
            let status = r.status().as_u16();
            if status != 201 && status != 409 {
                panic!("{status}: {}", r.text().await.unwrap());
            }
            statuses.push(status);
        }
        assert_eq!(
            statuses.iter().filter(|s| **s == 201).count(),
            12,
            "{statuses:?}"
        );
    }
}

#[both_backends]
async fn overlapping_but_not_identical_times_conflict(backend: Backend) {
    let s = setup(backend).await;
    let other = s.app.user(Role::Patient).await;
    s.booked(&s.patient, at(2, 10)).await;
    // 10:15 overlaps 10:00–10:30; 09:45 overlaps too.
    let p = problem(s.book(&other, at(2, 10) + Duration::minutes(15)).await, 409).await;
    assert_eq!(p.kind, "urn:mediconnect:problem:doctor-unavailable");
    problem(s.book(&other, at(2, 10) - Duration::minutes(15)).await, 409).await;
    // Back to back is fine.
    s.booked(&other, at(2, 10) + Duration::minutes(30)).await;
    s.booked(&other, at(2, 9) + Duration::minutes(30)).await;
}

#[both_backends]
async fn a_patient_cannot_be_in_two_places(backend: Backend) {
    let s = setup(backend).await;
    let second = s.app.doctor("Dr. Second", "Dermatology").await;
    let second_id =
        json_ok(s.app.get("/api/doctors?q=second", None).await).await["doctors"][0]["id"].clone();
    s.booked(&s.patient, at(2, 10)).await;
    let res = s
        .app
        .post(
            "/api/appointments",
            Some(&s.patient.token),
            &json!({"doctorId": second_id, "scheduledFor": rfc(at(2, 10) + Duration::minutes(10))}),
        )
        .await;
    let p = problem(res, 409).await;
    assert_eq!(p.kind, "urn:mediconnect:problem:patient-overlap");
    let _ = second;
}

#[both_backends]
async fn cancelled_time_is_free_again(backend: Backend) {
    let s = setup(backend).await;
    let other = s.app.user(Role::Patient).await;
    let a = s.booked(&s.patient, at(2, 10)).await;
    let res = s
        .app
        .client
        .delete(s.app.url(&format!("/api/appointments/{}", a.id)))
        .bearer_auth(&s.patient.token)
        .send()
        .await
        .unwrap();
    let cancelled: Appointment = serde_json::from_value(json_ok(res).await).unwrap();
    assert_eq!(
        cancelled.status,
        mediconnect_shared::AppointmentStatus::Cancelled
    );
    // Kept, not deleted.
    assert_eq!(
        json_ok(
            s.app
                .get(
                    &format!("/api/appointments/{}", a.id),
                    Some(&s.patient.token)
                )
                .await
        )
        .await["status"],
        "CANCELLED"
    );
    s.booked(&other, at(2, 10)).await;
}

#[both_backends]
async fn the_idempotency_key_books_once(backend: Backend) {
    let s = setup(backend).await;
    let body =
        json!({"doctorId": s.doctor_id, "scheduledFor": rfc(at(2, 11)), "reason": "Retry me"});
    let send = || {
        s.app
            .client
            .post(s.app.url("/api/appointments"))
            .bearer_auth(&s.patient.token)
            .header("Idempotency-Key", "booking-123")
            .json(&body)
            .send()
    };
    let first = send().await.unwrap();
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let again = send().await.unwrap();
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.json::<Value>().await.unwrap(), first);
    // Concurrent retries too.
    let body2 = json!({"doctorId": s.doctor_id, "scheduledFor": rfc(at(2, 14))});
    let results = futures_util::future::join_all((0..6).map(|_| {
        s.app
            .client
            .post(s.app.url("/api/appointments"))
            .bearer_auth(&s.patient.token)
            .header("Idempotency-Key", "booking-456")
            .json(&body2)
            .send()
    }))
    .await;
    let bodies: Vec<Value> = futures_util::future::join_all(results.into_iter().map(|r| async {
        let r = r.unwrap();
        assert_eq!(r.status(), 201);
        r.json::<Value>().await.unwrap()
    }))
    .await;
    assert!(bodies.iter().all(|b| b["id"] == bodies[0]["id"]));
    let rows: i64 = s
        .app
        .with_conn(|c| appointments::table.count().get_result(c).unwrap())
        .await;
    assert_eq!(rows, 2);
    // The same key with another body is refused.
    let other = json!({"doctorId": s.doctor_id, "scheduledFor": rfc(at(3, 11))});
    let res = s
        .app
        .client
        .post(s.app.url("/api/appointments"))
        .bearer_auth(&s.patient.token)
        .header("Idempotency-Key", "booking-123")
        .json(&other)
        .send()
        .await
        .unwrap();
    problem(res, 422).await;
    // Keys are per user: another patient's same key is theirs.
    let other_patient = s.app.user(Role::Patient).await;
    let res = s
        .app
        .client
        .post(s.app.url("/api/appointments"))
        .bearer_auth(&other_patient.token)
        .header("Idempotency-Key", "booking-123")
        .json(&other)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let res = s
        .app
        .client
        .post(s.app.url("/api/appointments"))
        .bearer_auth(&s.patient.token)
        .header("Idempotency-Key", "has space")
        .json(&other)
        .send()
        .await
        .unwrap();
    problem(res, 400).await;
}

#[both_backends]
async fn reading_is_limited_to_ones_own(backend: Backend) {
    let s = setup(backend).await;
    let other_patient = s.app.user(Role::Patient).await;
    let other_doctor = s.app.doctor("Dr. Other", "X").await;
    let admin = s.app.user(Role::Admin).await;
    let late = s.booked(&s.patient, at(4, 10)).await;
    let early = s.booked(&s.patient, at(2, 10)).await;
    s.booked(&other_patient, at(3, 10)).await;

    let mine: AppointmentList = s
        .app
        .get("/api/appointments", Some(&s.patient.token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        mine.appointments.iter().map(|a| a.id).collect::<Vec<_>>(),
        [early.id, late.id],
        "own only, by time"
    );
    let doctors: AppointmentList = s
        .app
        .get("/api/appointments", Some(&s.doctor.token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(doctors.pagination.total, 3);
    let all: AppointmentList = s
        .app
        .get("/api/appointments", Some(&admin.token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(all.pagination.total, 3);
    // The visit reason is the two parties' only: admins read the rest.
    assert!(
        all.appointments.iter().all(|a| a.reason.is_none()),
        "{:?}",
        all.appointments
    );
    assert!(
        doctors
            .appointments
            .iter()
            .all(|a| a.reason.as_deref() == Some("Checkup"))
    );
    assert_eq!(mine.appointments[0].reason.as_deref(), Some("Checkup"));
    let one: Appointment = serde_json::from_value(
        json_ok(
            s.app
                .get(
                    &format!("/api/appointments/{}", early.id),
                    Some(&admin.token),
                )
                .await,
        )
        .await,
    )
    .unwrap();
    assert_eq!(one.reason, None);
    let none: AppointmentList = s
        .app
        .get("/api/appointments", Some(&other_doctor.token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(none.pagination.total, 0);

    // Somebody else's: 404, as if it did not exist.
    for who in [&other_patient, &other_doctor] {
        problem(
            s.app
                .get(&format!("/api/appointments/{}", early.id), Some(&who.token))
                .await,
            404,
        )
        .await;
        problem(
            s.app
                .get(
                    &format!("/api/appointments/{}/history", early.id),
                    Some(&who.token),
                )
                .await,
            404,
        )
        .await;
        problem(
            s.change(who, early.id, json!({"status": "CANCELLED"}))
                .await,
            404,
        )
        .await;
    }
    problem(
        s.app
            .get(
                &format!("/api/appointments/{}", uuid::Uuid::new_v4()),
                Some(&s.patient.token),
            )
            .await,
        404,
    )
    .await;
    assert_eq!(
        s.app
            .get(
                &format!("/api/appointments/{}", early.id),
                Some(&admin.token)
            )
            .await
            .status(),
        200
    );
}

#[both_backends]
async fn listing_filters_and_pages(backend: Backend) {
    let s = setup(backend).await;
    let a = s.booked(&s.patient, at(2, 10)).await;
    let b = s.booked(&s.patient, at(3, 10)).await;
    s.booked(&s.patient, at(4, 10)).await;
    s.change(&s.patient, a.id, json!({"status": "CANCELLED"}))
        .await;
    let setup = &s;
    let get = |q: String| async move {
        setup
            .app
            .get(&format!("/api/appointments{q}"), Some(&setup.patient.token))
            .await
    };
    let scheduled: AppointmentList = get("?status=SCHEDULED".into()).await.json().await.unwrap();
    assert_eq!(scheduled.pagination.total, 2);
    let from = urlencode(&rfc(at(3, 0)));
    let to = urlencode(&rfc(at(4, 0)));
    let window: AppointmentList = get(format!("?from={from}&to={to}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        window.appointments.iter().map(|a| a.id).collect::<Vec<_>>(),
        [b.id]
    );
    let page: AppointmentList = get("?limit=2&page=2".into()).await.json().await.unwrap();
    assert_eq!(page.appointments.len(), 1);
    assert_eq!(page.pagination.total_pages, 2);
    // Latest first, paging back in time.
    let latest: AppointmentList = get("?order=desc&limit=2".into())
        .await
        .json()
        .await
        .unwrap();
    let all: AppointmentList = get("?order=asc".into()).await.json().await.unwrap();
    let mut reversed: Vec<_> = all.appointments.iter().map(|a| a.id).collect();
    reversed.reverse();
    assert_eq!(
        latest.appointments.iter().map(|a| a.id).collect::<Vec<_>>(),
        reversed[..2]
    );
    let older: AppointmentList = get("?order=desc&limit=2&page=2".into())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        older.appointments.iter().map(|a| a.id).collect::<Vec<_>>(),
        [a.id]
    );
    for bad in [
        "?status=DONE",
        "?limit=0",
        "?page=0",
        "?from=yesterday",
        "?order=sideways",
        &format!("?from={to}&to={from}"),
    ] {
        problem(get(bad.to_string()).await, 400).await;
    }
}

#[both_backends]
async fn once_started_only_the_doctor_may_end_an_appointment(backend: Backend) {
    let s = setup(backend).await;
    let a = s.booked(&s.patient, at(2, 10)).await;
    s.make_past(a.id).await;
    // The patient can neither cancel (by PUT or DELETE) nor move it: that would
    // turn a no-show into a cancellation.
    for body in [
        json!({"status": "CANCELLED"}),
        json!({"scheduledFor": rfc(at(5, 10))}),
    ] {
        let p = problem(s.change(&s.patient, a.id, body.clone()).await, 409).await;
        assert_eq!(
            p.kind, "urn:mediconnect:problem:appointment-started",
            "{body}"
        );
        assert!(p.detail.unwrap().contains("already started"));
    }
    let res = s
        .app
        .client
        .delete(s.app.url(&format!("/api/appointments/{}", a.id)))
        .bearer_auth(&s.patient.token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        problem(res, 409).await.kind,
        "urn:mediconnect:problem:appointment-started"
    );
    let unchanged: Appointment = serde_json::from_value(
        json_ok(
            s.app
                .get(
                    &format!("/api/appointments/{}", a.id),
                    Some(&s.patient.token),
                )
                .await,
        )
        .await,
    )
    .unwrap();
    assert_eq!(
        unchanged.status,
        mediconnect_shared::AppointmentStatus::Scheduled
    );
    assert!(unchanged.scheduled_for < Utc::now(), "not moved");
    let history: AppointmentHistory = serde_json::from_value(
        json_ok(
            s.app
                .get(
                    &format!("/api/appointments/{}/history", a.id),
                    Some(&s.patient.token),
                )
                .await,
        )
        .await,
    )
    .unwrap();
    assert_eq!(
        history.events.len(),
        1,
        "nothing recorded but the booking: {history:?}"
    );
    // The doctor ends it.
    let missed: Appointment = s
        .change(&s.doctor, a.id, json!({"status": "NO_SHOW"}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(missed.status, mediconnect_shared::AppointmentStatus::NoShow);
    // Before the start, the patient still cancels as before.
    let b = s.booked(&s.patient, at(3, 10)).await;
    let cancelled: Appointment = s
        .change(&s.patient, b.id, json!({"status": "CANCELLED"}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        cancelled.status,
        mediconnect_shared::AppointmentStatus::Cancelled
    );
}

#[both_backends]
async fn a_doctor_corrects_a_final_status_within_a_day(backend: Backend) {
    let s = setup(backend).await;
    let a = s.booked(&s.patient, at(2, 10)).await;
    s.make_past(a.id).await;
    let done: Appointment = json_ok(
        s.change(&s.doctor, a.id, json!({"status": "COMPLETED"}))
            .await,
    )
    .await
    .into_appointment();
    assert_eq!(
        done.status,
        mediconnect_shared::AppointmentStatus::Completed
    );
    // A mis-click: the doctor corrects it to missed, and back.
    let missed: Appointment = json_ok(
        s.change(&s.doctor, a.id, json!({"status": "NO_SHOW"}))
            .await,
    )
    .await
    .into_appointment();
    assert_eq!(missed.status, mediconnect_shared::AppointmentStatus::NoShow);
    // Nobody else corrects it, and it is never cancelled, moved or reopened.
    let p = problem(
        s.change(&s.patient, a.id, json!({"status": "COMPLETED"}))
            .await,
        409,
    )
    .await;
    assert_eq!(p.kind, "urn:mediconnect:problem:appointment-final");
    for body in [
        json!({"status": "CANCELLED"}),
        json!({"status": "SCHEDULED"}),
        json!({"status": "COMPLETED", "reason": "x"}),
    ] {
        problem(s.change(&s.doctor, a.id, body).await, 409).await;
    }
    // The history and the audit trail record each correction.
    let history: AppointmentHistory = serde_json::from_value(
        json_ok(
            s.app
                .get(
                    &format!("/api/appointments/{}/history", a.id),
                    Some(&s.patient.token),
                )
                .await,
        )
        .await,
    )
    .unwrap();
    let statuses: Vec<String> = history
        .events
        .iter()
        .filter(|e| e.action == mediconnect_shared::AppointmentAction::StatusChanged)
        .filter_map(|e| e.to_status.map(|t| t.as_str().to_owned()))
        .collect();
    assert_eq!(statuses, ["COMPLETED", "NO_SHOW"]);
    let corrections: i64 = s
        .app
        .with_conn(move |c| {
            use mediconnect_api::db::schema::audit_log;
            audit_log::table
                .filter(audit_log::action.eq("appointment.status.corrected"))
                .filter(audit_log::target_id.eq(Some(DbId(a.id))))
                .count()
                .get_result(c)
                .unwrap()
        })
        .await;
    assert_eq!(corrections, 1);
    // A day after it was set, the status stands.
    s.app
        .with_conn(move |c| {
            diesel::update(appointments::table.find(DbId(a.id)))
                .set(appointments::updated_at.eq(DbTime(Utc::now() - Duration::hours(25))))
                .execute(c)
                .unwrap();
        })
        .await;
    let p = problem(
        s.change(&s.doctor, a.id, json!({"status": "COMPLETED"}))
            .await,
        409,
    )
    .await;
    assert!(p.detail.unwrap().contains("more than 24 hours ago"));
}

#[both_backends]
async fn the_patients_phone_is_for_their_doctor_alone(backend: Backend) {
    let s = setup(backend).await;
    json_ok(
        s.app
            .put(
                "/api/users/profile",
                Some(&s.patient.token),
                &json!({"phoneNumber": "+1 555 010 0100"}),
            )
            .await,
    )
    .await;
    let booked = s.booked(&s.patient, at(2, 10)).await;
    assert_eq!(
        booked.patient.phone_number, None,
        "not echoed to the patient"
    );
    let path = format!("/api/appointments/{}", booked.id);
    let for_doctor: Appointment = json_ok(s.app.get(&path, Some(&s.doctor.token)).await)
        .await
        .into_appointment();
    assert_eq!(
        for_doctor.patient.phone_number.as_deref(),
        Some("+1 555 010 0100")
    );
    let listed = json_ok(s.app.get("/api/appointments", Some(&s.doctor.token)).await).await;
    assert_eq!(
        listed["appointments"][0]["patient"]["phoneNumber"],
        "+1 555 010 0100"
    );
    // The doctor's reads are in the audit trail.
    let reads: i64 = s
        .app
        .with_conn(move |c| {
            use mediconnect_api::db::schema::audit_log;
            audit_log::table
                .filter(audit_log::action.eq("appointment.read"))
                .filter(audit_log::target_id.eq(Some(DbId(booked.id))))
                .count()
                .get_result(c)
                .unwrap()
        })
        .await;
    assert_eq!(reads, 2);
    // Nobody else gets it: not the patient, not an admin, not the socket.
    let own = json_ok(s.app.get(&path, Some(&s.patient.token)).await).await;
    assert!(own["patient"].get("phoneNumber").is_none(), "{own}");
    let admin = s.app.user(Role::Admin).await;
    let read = json_ok(s.app.get(&path, Some(&admin.token)).await).await;
    assert!(read["patient"].get("phoneNumber").is_none(), "{read}");
    let mut doctor_socket = connect(&s.app).await;
    doctor_socket.auth(&s.doctor.token).await;
    json_ok(
        s.change(&s.patient, booked.id, json!({"reason": "Other"}))
            .await,
    )
    .await;
    let event = doctor_socket
        .next_of("appointment")
        .await
        .expect("the change, live");
    assert!(
        event["appointment"]["patient"].get("phoneNumber").is_none(),
        "{event}"
    );
}

#[both_backends]
async fn the_lifecycle(backend: Backend) {
    let s = setup(backend).await;
    let a = s.booked(&s.patient, at(2, 10)).await;
    // Before it starts: nobody completes it; the patient never can.
    problem(
        s.change(&s.doctor, a.id, json!({"status": "COMPLETED"}))
            .await,
        422,
    )
    .await;
    problem(
        s.change(&s.patient, a.id, json!({"status": "COMPLETED"}))
            .await,
        403,
    )
    .await;
    problem(
        s.change(&s.patient, a.id, json!({"status": "NO_SHOW"}))
            .await,
        403,
    )
    .await;
    s.make_past(a.id).await;
    problem(
        s.change(&s.patient, a.id, json!({"status": "COMPLETED"}))
            .await,
        403,
    )
    .await;
    let done: Appointment = s
        .change(&s.doctor, a.id, json!({"status": "COMPLETED"}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        done.status,
        mediconnect_shared::AppointmentStatus::Completed
    );
    // Final: nothing changes again (but the doctor's correction, tested below).
    for body in [
        json!({"status": "CANCELLED"}),
        json!({"status": "SCHEDULED"}),
        json!({"scheduledFor": rfc(at(5, 10))}),
        json!({"reason": "x"}),
    ] {
        let p = problem(s.change(&s.doctor, a.id, body.clone()).await, 409).await;
        assert_eq!(
            p.kind, "urn:mediconnect:problem:appointment-final",
            "{body}"
        );
    }
    let res = s
        .app
        .client
        .delete(s.app.url(&format!("/api/appointments/{}", a.id)))
        .bearer_auth(&s.patient.token)
        .send()
        .await
        .unwrap();
    problem(res, 409).await;

    // No-show, by the doctor, after the start.
    let b = s.booked(&s.patient, at(3, 10)).await;
    s.make_past(b.id).await;
    let missed: Appointment = s
        .change(&s.doctor, b.id, json!({"status": "NO_SHOW"}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(missed.status, mediconnect_shared::AppointmentStatus::NoShow);

    // Either party cancels.
    let c = s.booked(&s.patient, at(4, 10)).await;
    let cancelled: Appointment = s
        .change(&s.doctor, c.id, json!({"status": "CANCELLED"}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        cancelled.status,
        mediconnect_shared::AppointmentStatus::Cancelled
    );
    problem(
        s.change(&s.patient, c.id, json!({"status": "SCHEDULED"}))
            .await,
        409,
    )
    .await;

    // Admins read, but do not change.
    let d = s.booked(&s.patient, at(6, 10)).await;
    let admin = s.app.user(Role::Admin).await;
    problem(
        s.change(&admin, d.id, json!({"status": "CANCELLED"})).await,
        403,
    )
    .await;
    // Bad bodies.
    problem(s.change(&s.patient, d.id, json!({})).await, 422).await;
    problem(
        s.change(&s.patient, d.id, json!({"status": "DONE"})).await,
        422,
    )
    .await;
    problem(
        s.change(
            &s.patient,
            d.id,
            json!({"scheduledFor": rfc(at(7, 10)), "status": "CANCELLED"}),
        )
        .await,
        422,
    )
    .await;
    problem(
        s.change(&s.doctor, d.id, json!({"reason": "Doctor's words"}))
            .await,
        403,
    )
    .await;
}

#[both_backends]
async fn rescheduling_follows_the_booking_rules(backend: Backend) {
    let s = setup(backend).await;
    let other = s.app.user(Role::Patient).await;
    let a = s.booked(&s.patient, at(2, 10)).await;
    let taken = s.booked(&other, at(2, 12)).await;
    // Either party moves it.
    let moved: Appointment = s
        .change(&s.patient, a.id, json!({"scheduledFor": rfc(at(2, 11))}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(moved.scheduled_for, at(2, 11));
    assert_eq!(moved.ends_at, at(2, 11) + Duration::minutes(30));
    let moved: Appointment = s
        .change(&s.doctor, a.id, json!({"scheduledFor": rfc(at(2, 15))}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(moved.scheduled_for, at(2, 15));
    // Into another's time: 409; into the past: 422; its old time is free.
    let p = problem(
        s.change(
            &s.patient,
            a.id,
            json!({"scheduledFor": rfc(at(2, 12) + Duration::minutes(10))}),
        )
        .await,
        409,
    )
    .await;
    assert_eq!(p.kind, "urn:mediconnect:problem:doctor-unavailable");
    problem(
        s.change(
            &s.patient,
            a.id,
            json!({"scheduledFor": rfc(Utc::now() - Duration::hours(1))}),
        )
        .await,
        422,
    )
    .await;
    s.booked(&other, at(2, 10)).await;
    // The reason changes; an empty one, or null, removes it.
    let r: Appointment = s
        .change(&s.patient, a.id, json!({"reason": "  "}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r.reason, None);
    let r: Appointment = s
        .change(&s.patient, a.id, json!({"reason": "Back again"}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r.reason.as_deref(), Some("Back again"));
    let r: Appointment = s
        .change(&s.patient, a.id, json!({"reason": null}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r.reason, None);
    let _ = taken;
}

#[both_backends]
async fn history_records_every_change(backend: Backend) {
    let s = setup(backend).await;
    let a = s.booked(&s.patient, at(2, 10)).await;
    s.change(&s.doctor, a.id, json!({"scheduledFor": rfc(at(2, 11))}))
        .await;
    s.change(&s.patient, a.id, json!({"reason": "Follow-up"}))
        .await;
    s.change(&s.patient, a.id, json!({"status": "CANCELLED"}))
        .await;
    for who in [&s.patient, &s.doctor] {
        let h: AppointmentHistory = s
            .app
            .get(
                &format!("/api/appointments/{}/history", a.id),
                Some(&who.token),
            )
            .await
            .json()
            .await
            .unwrap();
        let actions: Vec<_> = h
            .events
            .iter()
            .map(|e| serde_json::to_value(e.action).unwrap())
            .collect();
        assert_eq!(
            actions,
            [
                json!("CREATED"),
                json!("RESCHEDULED"),
                json!("REASON_CHANGED"),
                json!("STATUS_CHANGED")
            ]
        );
        assert_eq!(h.events[1].from_time, Some(at(2, 10)));
        assert_eq!(h.events[1].to_time, Some(at(2, 11)));
        assert_eq!(h.events[1].actor.as_ref().unwrap().role, Role::Doctor);
        assert_eq!(h.events[3].actor.as_ref().unwrap().id, s.patient.id);
        assert_eq!(
            serde_json::to_value(h.events[3].to_status).unwrap(),
            json!("CANCELLED")
        );
        // The history never repeats the reason's text.
        assert!(!serde_json::to_string(&h).unwrap().contains("Follow-up"));
    }
}

#[both_backends]
async fn working_hours_and_free_slots(backend: Backend) {
    let s = setup(backend).await;
    problem(
        s.app
            .get("/api/doctors/me/schedule", Some(&s.patient.token))
            .await,
        403,
    )
    .await;
    let initial = json_ok(
        s.app
            .get("/api/doctors/me/schedule", Some(&s.doctor.token))
            .await,
    )
    .await;
    assert_eq!(
        initial,
        json!({"timeZone": "UTC", "slotMinutes": 30, "weekly": [], "exceptions": []})
    );
    // Without hours any time is bookable, and there are no slots to list.
    let slots = json_ok(
        s.app
            .get(&format!("/api/doctors/{}/slots", s.doctor_id), None)
            .await,
    )
    .await;
    assert_eq!(slots["hoursPublished"], false);
    assert_eq!(slots["slots"], json!([]));
    // (At 10:00 in Tokyo: inside the hours published below, which would otherwise be
    // refused for leaving it outside.)
    s.booked(&s.patient, at(2, 1)).await;

    // Every day 09:00–12:00 in Tokyo (UTC+9, no DST): 00:00–03:00 UTC.
    let weekly: Vec<Value> = (1..=7)
        .map(|d| json!({"weekday": d, "start": "09:00", "end": "12:00"}))
        .collect();
    let day = at(10, 0).date_naive();
    let schedule = json!({"timeZone": "Asia/Tokyo", "slotMinutes": 60, "weekly": weekly,
        "exceptions": [{"date": day.to_string(), "intervals": []}]});
    let stored = json_ok(
        s.app
            .put("/api/doctors/me/schedule", Some(&s.doctor.token), &schedule)
            .await,
    )
    .await;
    assert_eq!(stored, schedule);
    // Anyone may read the published hours; an unknown doctor is 404.
    let public = json_ok(
        s.app
            .get(&format!("/api/doctors/{}/hours", s.doctor_id), None)
            .await,
    )
    .await;
    assert_eq!(public, schedule);
    problem(
        s.app
            .get(
                &format!("/api/doctors/{}/hours", uuid::Uuid::new_v4()),
                None,
            )
            .await,
        404,
    )
    .await;
    // Slots name how far ahead bookings open.
    let listed = json_ok(
        s.app
            .get(&format!("/api/doctors/{}/slots", s.doctor_id), None)
            .await,
    )
    .await;
    let until: chrono::DateTime<chrono::Utc> =
        listed["bookableUntil"].as_str().unwrap().parse().unwrap();
    assert!(
        (until - chrono::Utc::now() - chrono::Duration::days(180))
            .num_seconds()
            .abs()
            < 60,
        "{until}"
    );

    let from = urlencode(&rfc(at(5, 0)));
    let to = urlencode(&rfc(at(6, 0)));
    let slots = json_ok(
        s.app
            .get(
                &format!("/api/doctors/{}/slots?from={from}&to={to}", s.doctor_id),
                None,
            )
            .await,
    )
    .await;
    assert_eq!(slots["hoursPublished"], true);
    assert_eq!(slots["timeZone"], "Asia/Tokyo");
    let starts: Vec<&str> = slots["slots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["start"].as_str().unwrap())
        .collect();
    assert_eq!(starts.len(), 3, "{starts:?}");
    assert!(starts[0].ends_with("T00:00:00Z"), "{starts:?}");
    // Booked time disappears from the slots.
    s.booked(&s.patient, at(5, 1)).await;
    let slots = json_ok(
        s.app
            .get(
                &format!("/api/doctors/{}/slots?from={from}&to={to}", s.doctor_id),
                None,
            )
            .await,
    )
    .await;
    assert_eq!(slots["slots"].as_array().unwrap().len(), 2);
    // Outside the hours: 422. On the day off: 422.
    let p = problem(s.book(&s.patient, at(5, 8)).await, 422).await;
    assert!(
        p.field_message("scheduledFor")
            .unwrap()
            .contains("does not see patients")
    );
    // Inside the hours but off the slots' grid: 422 too (it would block two slots).
    let p = problem(
        s.book(&s.patient, at(5, 0) + Duration::minutes(7)).await,
        422,
    )
    .await;
    assert!(
        p.field_message("scheduledFor")
            .unwrap()
            .contains("free slots")
    );
    problem(
        s.book(
            &s.patient,
            at(10, 0) - Duration::hours(9) + Duration::hours(9),
        )
        .await,
        422,
    )
    .await;
    // Range rules.
    problem(
        s.app
            .get(
                &format!(
                    "/api/doctors/{}/slots?from={from}&to={}",
                    s.doctor_id,
                    urlencode(&rfc(at(40, 0)))
                ),
                None,
            )
            .await,
        400,
    )
    .await;
    problem(
        s.app
            .get(
                &format!("/api/doctors/{}/slots?from={to}&to={from}", s.doctor_id),
                None,
            )
            .await,
        400,
    )
    .await;
    problem(
        s.app
            .get(
                &format!("/api/doctors/{}/slots", uuid::Uuid::new_v4()),
                None,
            )
            .await,
        404,
    )
    .await;
    // Invalid schedules.
    for bad in [
        json!({"timeZone": "Nowhere/City", "slotMinutes": 30}),
        json!({"timeZone": "UTC", "slotMinutes": 5}),
        json!({
            "timeZone": "UTC",
            "slotMinutes": 30,
            "weekly": [{"weekday": 8, "start": "09:00", "end": "10:00"}]
        }),
        json!({
            "timeZone": "UTC",
            "slotMinutes": 30,
            "weekly": [
                {"weekday": 1, "start": "09:00", "end": "11:00"},
                {"weekday": 1, "start": "10:00", "end": "12:00"}
            ]
        }),
    ] {
        problem(
            s.app
                .put("/api/doctors/me/schedule", Some(&s.doctor.token), &bad)
                .await,
            422,
        )
        .await;
    }
}

#[both_backends]
async fn slots_are_right_across_a_dst_change(backend: Backend) {
    let s = setup(backend).await;
    // Sundays 01:00–04:00 in Berlin; on the day the clocks skip 02:00–03:00 (the
    // next one at least eight days ahead, whatever the date the test runs on).
    let day = next_spring_forward();
    let at = |date: chrono::NaiveDate, time: &str| format!("{date}T{time}:00Z");
    let schedule = json!({
        "timeZone": "Europe/Berlin",
        "slotMinutes": 30,
        "weekly": [{"weekday": 7, "start": "01:00", "end": "04:00"}]
    });
    json_ok(
        s.app
            .put("/api/doctors/me/schedule", Some(&s.doctor.token), &schedule)
            .await,
    )
    .await;
    let around = |d: chrono::NaiveDate| {
        format!(
            "/api/doctors/{}/slots?from={}&to={}",
            s.doctor_id,
            at(d - Duration::days(1), "00:00"),
            at(d + Duration::days(1), "00:00")
        )
    };
    let slots = json_ok(s.app.get(&around(day), None).await).await;
    let starts: Vec<&str> = slots["slots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["start"].as_str().unwrap())
        .collect();
    assert_eq!(
        starts,
        [
            at(day, "00:00"),
            at(day, "00:30"),
            at(day, "01:00"),
            at(day, "01:30")
        ]
    );
    // A week earlier (no change) the same hours hold six slots, an hour earlier in UTC.
    let slots = json_ok(s.app.get(&around(day - Duration::days(7)), None).await).await;
    assert_eq!(slots["slots"].as_array().unwrap().len(), 6);
    assert_eq!(
        slots["slots"][0]["start"],
        at(day - Duration::days(7), "00:00")
    );
    // Booking checks the same windows: 01:30 UTC is 03:30 CEST, inside; 02:00 UTC is 04:00,
    // outside.
    let t: DateTime<Utc> = at(day, "01:30").parse().unwrap();
    if t < Utc::now() + Duration::days(MAX_DAYS) {
        assert_eq!(s.book(&s.patient, t).await.status(), 201);
        let p = problem(
            s.book(&s.patient, at(day, "02:00").parse().unwrap()).await,
            422,
        )
        .await;
        assert!(p.field_message("scheduledFor").is_some());
    }
}

#[both_backends]
async fn changes_reach_both_parties_sockets(backend: Backend) {
    let s = setup(backend).await;
    let stranger = s.app.user(Role::Patient).await;
    let mut doctor_socket = connect(&s.app).await;
    assert_eq!(doctor_socket.auth(&s.doctor.token).await["type"], "auth_ok");
    let mut patient_socket = connect(&s.app).await;
    patient_socket.auth(&s.patient.token).await;
    let mut stranger_socket = connect(&s.app).await;
    stranger_socket.auth(&stranger.token).await;

    let a = s.booked(&s.patient, at(2, 10)).await;
    for socket in [&mut doctor_socket, &mut patient_socket] {
        let msg = socket
            .next_of("appointment")
            .await
            .expect("an appointment event");
        assert_eq!(msg["appointment"]["id"], json!(a.id));
        assert_eq!(msg["appointment"]["status"], "SCHEDULED");
    }
    s.change(&s.doctor, a.id, json!({"status": "CANCELLED"}))
        .await;
    let msg = patient_socket.next_of("appointment").await.unwrap();
    assert_eq!(msg["appointment"]["status"], "CANCELLED");
    stranger_socket
        .expect_quiet(std::time::Duration::from_millis(300))
        .await;
}

/// Booking is allowed this far ahead.
const MAX_DAYS: i64 = 180;

/// The next day Berlin's clocks skip an hour (the last Sunday of March), at least eight
/// days ahead: the tests around it, and the week before it, lie in the future.
fn next_spring_forward() -> chrono::NaiveDate {
    use chrono::Datelike;
    let soonest = (Utc::now() + Duration::days(8)).date_naive();
    let last_sunday_of_march = |year: i32| {
        let d = chrono::NaiveDate::from_ymd_opt(year, 3, 31).unwrap();
        d - Duration::days(i64::from(d.weekday().num_days_from_sunday()))
    };
    (soonest.year()..)
        .map(last_sunday_of_march)
        .find(|d| *d >= soonest)
        .unwrap()
}

fn urlencode(s: &str) -> String {
    s.replace('+', "%2B").replace(':', "%3A")
}
