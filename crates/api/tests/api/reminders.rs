//! Appointment reminders: queued through the outbox with the booking, due at their
//! time before the start, re-timed by a move, withdrawn by a cancellation or the
//! patient's choice, at most one per appointment and offset, and never sent late.

use chrono::{DateTime, Duration, DurationRound, Utc};
use diesel::prelude::*;
use mediconnect_api::config::Secret;
use mediconnect_api::db::schema::notifications;
use mediconnect_api::db::{DbId, DbTime};
use mediconnect_api::mail::email::{Email, Kind};
use mediconnect_api::mail::outbox;
use mediconnect_shared::Role;
use serde_json::json;
use uuid::Uuid;

use crate::helpers::*;
use mediconnect_test_macros::both_backends;

/// The reminders queued for an appointment: (minutes before, due, expires), soonest
/// due first.
async fn queued(app: &TestApp, appointment: Uuid) -> Vec<(i32, DateTime<Utc>, DateTime<Utc>)> {
    app.with_conn(move |c| {
        notifications::table
            .filter(notifications::appointment_id.eq(Some(DbId(appointment))))
            .filter(notifications::status.eq("queued"))
            .order(notifications::next_attempt_at.asc())
            .select((
                notifications::reminder_minutes,
                notifications::next_attempt_at,
                notifications::expires_at,
            ))
            .load::<(Option<i32>, DbTime, Option<DbTime>)>(c)
            .unwrap()
            .into_iter()
            .map(|(m, due, expires)| (m.unwrap(), due.0, expires.unwrap().0))
            .collect()
    })
    .await
}

#[both_backends]
async fn reminders_follow_their_appointment(backend: Backend) {
    let app = spawn_app(backend).await;
    let _doctor = app.doctor("Dr. Remind", "Cardiology").await;
    let patient = app.user(Role::Patient).await;
    let id = doctor_id(&app, "Remind").await;

    // 24 hours and 1 hour before, each dropped at the start.
    let start = at(3, 10);
    let a1 = book(&app, &patient, id, start).await;
    assert_eq!(
        queued(&app, a1).await,
        vec![
            (1440, start - Duration::hours(24), start),
            (60, start - Duration::hours(1), start)
        ]
    );
    // Five hours ahead: the day-before reminder would be late, so there is none.
    let soon = (Utc::now() + Duration::hours(5))
        .duration_trunc(Duration::minutes(30))
        .unwrap();
    let a2 = book(&app, &patient, id, soon).await;
    assert_eq!(
        queued(&app, a2).await,
        vec![(60, soon - Duration::hours(1), soon)]
    );

    // A move re-times them; a cancellation withdraws them.
    let later = at(4, 15);
    let path = format!("/api/appointments/{a1}");
    json_ok(
        app.put(
            &path,
            Some(&patient.token),
            &json!({"scheduledFor": later.to_rfc3339()}),
        )
        .await,
    )
    .await;
    let times: Vec<_> = queued(&app, a1).await.iter().map(|r| r.1).collect();
    assert_eq!(
        times,
        vec![later - Duration::hours(24), later - Duration::hours(1)]
    );
    json_ok(
        app.put(&path, Some(&patient.token), &json!({"status": "CANCELLED"}))
            .await,
    )
    .await;
    assert_eq!(queued(&app, a1).await, vec![]);

    // At most one is queued per appointment and offset: the database refuses another.
    let email = Email {
        kind: Kind::AppointmentReminder,
        user_id: Some(patient.id),
        doctor_id: None,
        to: patient.email.clone(),
        subject: "Reminder".into(),
        text: "Reminder".into(),
        html: "Reminder".into(),
        ics: None,
        unsubscribe_url: None,
    };
    let slot = mediconnect_api::db::models::notifications::ReminderSlot {
        appointment: a2,
        minutes: 60,
        due: soon - Duration::hours(1),
        expires: soon,
    };
    let twice = app
        .with_conn(move |c| outbox::enqueue_reminder(c, &email, &slot, Utc::now()).is_err())
        .await;
    assert!(
        twice,
        "a second reminder for the same appointment and offset"
    );
}

#[both_backends]
async fn a_patient_who_turns_reminders_off_gets_none(backend: Backend) {
    let app = spawn_app(backend).await;
    let _doctor = app.doctor("Dr. Quiet", "Dermatology").await;
    let patient = app.user(Role::Patient).await;
    let id = doctor_id(&app, "Quiet").await;
    let a1 = book(&app, &patient, id, at(3, 9)).await;
    assert_eq!(queued(&app, a1).await.len(), 2);

    let prefs = json!({"notifications": {"doctorOnline": "all", "appointmentReminders": false}});
    let profile = json_ok(
        app.put("/api/users/profile", Some(&patient.token), &prefs)
            .await,
    )
    .await;
    assert_eq!(
        profile["patient"]["notifications"]["appointmentReminders"],
        false
    );
    assert_eq!(queued(&app, a1).await, vec![]);
    let a2 = book(&app, &patient, id, at(3, 11)).await;
    assert_eq!(queued(&app, a2).await, vec![]);
    // Left out, the choice is "on" (older clients send only doctorOnline).
    let prefs = json!({"notifications": {"doctorOnline": "followed"}});
    let profile = json_ok(
        app.put("/api/users/profile", Some(&patient.token), &prefs)
            .await,
    )
    .await;
    assert_eq!(
        profile["patient"]["notifications"]["appointmentReminders"],
        true
    );
}

#[both_backends]
async fn a_due_reminder_is_sent_and_a_late_one_never(backend: Backend) {
    let smtp = smtp_sink().await;
    let url = smtp.url();
    let app = spawn_app_with(backend, move |c| {
        c.smtp_url = Some(Secret::new(url));
        c.reminder_offsets = vec![5];
    })
    .await;
    let doctor = app.doctor("Dr. Prompt", "Neurology").await;
    app.booking_rules(&doctor, json!({"minNoticeMinutes": 0}))
        .await;
    let patient = app.user(Role::Patient).await;
    let id = doctor_id(&app, "Prompt").await;
    let reminders = |smtp: &mediconnect_smtp_sink::SmtpServer| {
        smtp.received()
            .into_iter()
            .filter(|m| m.to == [patient.email.clone()])
            .filter(|m| {
                m.header("Subject")
                    .is_some_and(|s| s.starts_with("Reminder:"))
            })
            .collect::<Vec<_>>()
    };

    // Five minutes before a start five minutes and three seconds away: due at once.
    let start = Utc::now() + Duration::minutes(5) + Duration::seconds(3);
    book(&app, &patient, id, start).await;
    let sent = eventually(20, std::time::Duration::from_millis(200), || async {
        let sent = reminders(&smtp);
        if sent.is_empty() {
            Err("no reminder yet".to_owned())
        } else {
            Ok(sent)
        }
    })
    .await;
    let text = sent[0].text();
    assert!(
        text.contains("Dr. Prompt") && text.contains("in 5 minutes"),
        "{text}"
    );
    assert!(sent[0].calendar().unwrap().contains("METHOD:REQUEST"));

    // One whose appointment began before it could be sent (a mail outage, say) is
    // dropped, never sent late.
    let later = book(&app, &patient, id, start + Duration::minutes(40)).await;
    let past = Utc::now() - Duration::seconds(1);
    app.with_conn(move |c| {
        // The reminders only: the booking's own email, sent by now or not, has the
        // appointment's id too.
        diesel::update(
            notifications::table
                .filter(notifications::appointment_id.eq(Some(DbId(later))))
                .filter(notifications::kind.eq("APPOINTMENT_REMINDER")),
        )
        .set((
            notifications::next_attempt_at.eq(DbTime(past)),
            notifications::expires_at.eq(Some(DbTime(past))),
        ))
        .execute(c)
        .unwrap();
    })
    .await;
    // Another booking wakes the mailer.
    book(&app, &patient, id, start + Duration::minutes(80)).await;
    let status = eventually(10, std::time::Duration::from_millis(100), || async {
        let status: String = app
            .with_conn(move |c| {
                notifications::table
                    .filter(notifications::appointment_id.eq(Some(DbId(later))))
                    .filter(notifications::kind.eq("APPOINTMENT_REMINDER"))
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
    assert_eq!(reminders(&smtp).len(), 1);
}

/// Appointments cancelled for the doctor's reasons (here, time off) take their
/// reminders with them.
#[both_backends]
async fn reminders_go_with_an_appointment_the_doctor_withdraws(backend: Backend) {
    let app = spawn_app(backend).await;
    let doctor = app.doctor("Dr. Away Soon", "Oncology").await;
    let patient = app.user(Role::Patient).await;
    let id = doctor_id(&app, "Away").await;
    let start = at(3, 10);
    let a1 = book(&app, &patient, id, start).await;
    assert_eq!(queued(&app, a1).await.len(), 2);
    let day = start.format("%Y-%m-%d");
    let range = json!({"from": format!("{day}T00:00"), "to": format!("{day}T23:00"),
        "cancelAffected": true});
    let res = app
        .post("/api/doctors/me/time-off", Some(&doctor.token), &range)
        .await;
    assert_eq!(res.status(), 201);
    assert_eq!(queued(&app, a1).await, vec![]);
}
