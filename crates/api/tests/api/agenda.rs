//! Doctors' daily agenda, with an injected clock: queued at 07:00 in the doctor's
//! zone, once per day whatever the replicas, never after noon, only on days with
//! appointments, and only for doctors who asked for it.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Europe::Berlin;
use diesel::prelude::*;
use mediconnect_api::db::schema::notifications;
use mediconnect_api::db::{AnyConnection, DbTime};
use mediconnect_api::mail::{MailContext, agenda};
use mediconnect_shared::Role;
use serde_json::{Value, json};

use crate::helpers::*;
use mediconnect_test_macros::both_backends;

fn berlin(day: NaiveDate, hour: u32, minute: u32) -> DateTime<Utc> {
    Berlin
        .from_local_datetime(&day.and_hms_opt(hour, minute, 0).unwrap())
        .single()
        .unwrap()
        .with_timezone(&Utc)
}

/// Runs the agenda pass at `now`, in a write transaction as the mail worker does.
async fn pass(app: &TestApp, now: DateTime<Utc>) -> usize {
    let ctx = MailContext::from_config(&app.config);
    app.db
        .write(move |c| agenda::queue_due(c, &ctx, now))
        .await
        .unwrap()
}

/// The queued agendas: recipient, text and expiry.
fn agendas(c: &mut AnyConnection) -> Vec<(String, String, DateTime<Utc>)> {
    notifications::table
        .filter(notifications::kind.eq("DAILY_AGENDA"))
        .order(notifications::created_at.asc())
        .select((
            notifications::email,
            notifications::content,
            notifications::expires_at,
        ))
        .load::<(String, String, Option<DbTime>)>(c)
        .unwrap()
        .into_iter()
        .map(|(to, text, expires)| (to, text, expires.unwrap().0))
        .collect()
}

async fn set_agenda(app: &TestApp, who: &TestUser, on: bool) -> reqwest::Response {
    app.put(
        "/api/users/profile",
        Some(&who.token),
        &json!({"dailyAgenda": on}),
    )
    .await
}

#[both_backends]
async fn a_doctor_who_asks_gets_the_day_at_seven_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let doctor = app.doctor("Dr. Agenda", "Cardiology").await;
    let quiet = app.doctor("Dr. Quiet", "Cardiology").await;
    let patient = app.patient("Pat Agenda").await;
    let id = doctor_id(&app, "Agenda").await;
    let quiet_id = doctor_id(&app, "Quiet").await;
    let weekly: Vec<Value> = (1..=7)
        .map(|d| json!({"weekday": d, "start": "00:00", "end": "24:00"}))
        .collect();
    let schedule = json!({"timeZone": "Europe/Berlin", "slotMinutes": 30, "weekly": weekly});
    for d in [&doctor, &quiet] {
        json_ok(
            app.put("/api/doctors/me/schedule", Some(&d.token), &schedule)
                .await,
        )
        .await;
        json_ok(
            app.put(
                "/api/users/profile",
                Some(&d.token),
                &json!({"timeZone": "Europe/Berlin"}),
            )
            .await,
        )
        .await;
    }

    // Only doctors have an agenda; it is off until asked for.
    let p = problem(set_agenda(&app, &patient, true).await, 422).await;
    assert!(p.field_message("dailyAgenda").is_some(), "{p:?}");
    let profile = json_ok(app.get("/api/users/profile", Some(&doctor.token)).await).await;
    assert_eq!(profile["doctor"]["dailyAgenda"], false);
    let profile = json_ok(set_agenda(&app, &doctor, true).await).await;
    assert_eq!(profile["doctor"]["dailyAgenda"], true);

    // Day D: two appointments and a cancelled one; D+1 one; the quiet doctor one on D,
    // but no agenda asked for.
    let day = (Utc::now() + Duration::days(4))
        .with_timezone(&Berlin)
        .date_naive();
    let next = day.succ_opt().unwrap();
    let reasoned = json!({"doctorId": id, "scheduledFor": berlin(day, 14, 0).to_rfc3339(),
        "reason": "Private matter"});
    json_ok(
        app.post("/api/appointments", Some(&patient.token), &reasoned)
            .await,
    )
    .await;
    book(&app, &patient, id, berlin(day, 9, 0)).await;
    let cancelled = book(&app, &patient, id, berlin(day, 11, 0)).await;
    cancel(&app, &patient, cancelled).await;
    book(&app, &patient, id, berlin(next, 10, 0)).await;
    book(&app, &patient, quiet_id, berlin(day, 16, 0)).await;

    // Not before 07:00; at 07:00 once, however often the pass runs.
    assert_eq!(pass(&app, berlin(day, 6, 59)).await, 0);
    assert_eq!(pass(&app, berlin(day, 7, 0)).await, 1);
    assert_eq!(pass(&app, berlin(day, 7, 1)).await, 0);
    assert_eq!(pass(&app, berlin(day, 9, 0)).await, 0);
    let queued = app.with_conn(agendas).await;
    assert_eq!(queued.len(), 1);
    let (to, text, expires) = &queued[0];
    assert_eq!(to, &doctor.email);
    assert_eq!(*expires, berlin(day, 12, 0));
    assert!(
        text.contains("09:00–09:30  Pat Agenda\n  14:00–14:30  Pat Agenda"),
        "{text}"
    );
    assert!(!text.contains("11:00"), "a cancelled appointment: {text}");
    assert!(!text.contains("10:00"), "the next day's: {text}");
    assert!(!text.contains("Private matter"), "{text}");
    assert!(text.contains("(Berlin time)"), "{text}");

    // After noon the day's agenda is stale: none. A day without appointments: none.
    assert_eq!(pass(&app, berlin(next, 12, 0)).await, 0);
    let later = next.succ_opt().unwrap();
    assert_eq!(pass(&app, berlin(later, 7, 30)).await, 0);
    assert_eq!(app.with_conn(agendas).await.len(), 1);

    // Turned off: nothing more.
    json_ok(set_agenda(&app, &doctor, false).await).await;
    let after = later.succ_opt().unwrap();
    let another = app.user(Role::Patient).await;
    book(&app, &another, id, berlin(after, 10, 0)).await;
    assert_eq!(pass(&app, berlin(after, 8, 0)).await, 0);
}

/// Replicas race for the same day: it is queued once.
#[both_backends]
async fn racing_passes_queue_one_agenda(backend: Backend) {
    let app = spawn_app(backend).await;
    let doctor = app.doctor("Dr. Race Agenda", "Cardiology").await;
    let patient = app.user(Role::Patient).await;
    let id = doctor_id(&app, "Race Agenda").await;
    json_ok(set_agenda(&app, &doctor, true).await).await;
    let start = at(3, 10);
    book(&app, &patient, id, start).await;
    // The doctor's zone is UTC: 07:00 on the appointment's day.
    let seven = start.date_naive().and_hms_opt(7, 0, 0).unwrap().and_utc();
    let passes: Vec<_> = (0..6).map(|_| pass(&app, seven)).collect();
    let counts = futures_util::future::join_all(passes).await;
    assert_eq!(counts.iter().sum::<usize>(), 1, "{counts:?}");
    assert_eq!(app.with_conn(agendas).await.len(), 1);
}
