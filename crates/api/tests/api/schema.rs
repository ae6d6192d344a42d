//! schema.rs is kept by hand (it uses the portable UUID and time types): load every
//! column of every table on both backends, so a drift from the migrations fails here.

use diesel::prelude::*;
use mediconnect_api::db::schema::*;

use crate::helpers::*;
use mediconnect_test_macros::both_backends;

#[both_backends]
async fn every_column_of_every_table_loads(backend: Backend) {
    let app = spawn_app(backend).await;
    // Rows in each table, so that decoding is exercised, not only the column list.
    let doctor = app.user(mediconnect_shared::Role::Doctor).await;
    let _patient = app.user(mediconnect_shared::Role::Patient).await;
    let _ = doctor;
    app.with_conn(|conn| {
        users::table
            .select(users::all_columns)
            .load::<UserTuple>(conn)
            .unwrap();
        doctors::table
            .select(doctors::all_columns)
            .load::<DoctorTuple>(conn)
            .unwrap();
        patients::table
            .select(patients::all_columns)
            .load::<PatientTuple>(conn)
            .unwrap();
        appointments::table
            .select(appointments::all_columns)
            .load::<AppointmentTuple>(conn)
            .unwrap();
        notifications::table
            .select(notifications::all_columns)
            .load::<NotificationTuple>(conn)
            .unwrap();
        appointment_events::table
            .select(appointment_events::all_columns)
            .load::<EventTuple>(conn)
            .unwrap();
        idempotency_keys::table
            .select(idempotency_keys::all_columns)
            .load::<KeyTuple>(conn)
            .unwrap();
        working_hours::table
            .select(working_hours::all_columns)
            .load::<(DbId, DbId, i32, i32, i32)>(conn)
            .unwrap();
        schedule_exceptions::table
            .select(schedule_exceptions::all_columns)
            .load::<(DbId, DbId, chrono::NaiveDate, Option<i32>, Option<i32>)>(conn)
            .unwrap();
        notification_jobs::table
            .select(notification_jobs::all_columns)
            .load::<(
                DbId,
                String,
                DbId,
                Option<DbId>,
                String,
                DbTime,
                DbTime,
                Option<i64>,
                Option<i64>,
                Option<DbTime>,
                Option<DbTime>,
            )>(conn)
            .unwrap();
        alert_audience::table
            .select(alert_audience::all_columns)
            .load::<(bool, i64)>(conn)
            .unwrap();
        booking_rules::table
            .select(booking_rules::all_columns)
            .load::<(DbId, i32, i32, i32, i32, DbTime)>(conn)
            .unwrap();
        consults::table
            .select(consults::all_columns)
            .load::<ConsultTuple>(conn)
            .unwrap();
        consult_messages::table
            .select(consult_messages::all_columns)
            .load::<(DbId, DbId, Option<DbId>, String, String, DbTime)>(conn)
            .unwrap();
        calendar_feeds::table
            .select(calendar_feeds::all_columns)
            .load::<(DbId, String, DbTime)>(conn)
            .unwrap();
        time_off::table
            .select(time_off::all_columns)
            .load::<(DbId, DbId, DbTime, DbTime, String, Option<String>, DbTime)>(conn)
            .unwrap();
        follows::table
            .select(follows::all_columns)
            .load::<(DbId, DbId, DbTime)>(conn)
            .unwrap();
        presence_intervals::table
            .select(presence_intervals::all_columns)
            .load::<(DbId, DbId, DbTime, Option<DbTime>)>(conn)
            .unwrap();
        audit_log::table
            .select(audit_log::all_columns)
            .load::<(
                DbId,
                Option<DbId>,
                String,
                String,
                String,
                Option<DbId>,
                Option<String>,
                DbTime,
            )>(conn)
            .unwrap();
        presence_leases::table
            .select(presence_leases::all_columns)
            .load::<LeaseTuple>(conn)
            .unwrap();
        account_tokens::table
            .select(account_tokens::all_columns)
            .load::<AccountTokenTuple>(conn)
            .unwrap();
        invitations::table
            .select(invitations::all_columns)
            .load::<InvitationTuple>(conn)
            .unwrap();
        let tokens = refresh_tokens::table
            .select(refresh_tokens::all_columns)
            .load::<TokenTuple>(conn)
            .unwrap();
        assert_eq!(tokens.len(), 2);
    })
    .await;
}

#[both_backends]
async fn migrations_are_idempotent_across_restarts(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app.user(mediconnect_shared::Role::Patient).await;
    // A second server on the same database applies nothing and sees the data.
    let again = spawn_on(backend, TestDb::attach(&app.test_db), app.config.clone()).await;
    assert_eq!(again.login(&user.email, PASSWORD).await.status(), 200);
    let applied = again.db.migrate_blocking().unwrap();
    assert!(applied.is_empty(), "{applied:?}");
}

use mediconnect_api::db::{DbId, DbTime};
type UserTuple = (
    DbId,
    String,
    String,
    String,
    String,
    bool,
    DbTime,
    DbTime,
    String,
    Option<DbTime>,
    String,
    Option<DbTime>,
);
type DoctorTuple = (
    DbId,
    DbId,
    String,
    bool,
    Option<DbTime>,
    String,
    i32,
    String,
    String,
    Option<String>,
    Option<String>,
    bool,
    Option<chrono::NaiveDate>,
    bool,
);
type ConsultTuple = (
    DbId,
    DbId,
    DbId,
    Option<String>,
    String,
    DbTime,
    Option<DbTime>,
    Option<DbTime>,
    Option<DbId>,
);
type LeaseTuple = (DbId, DbId, i32, DbTime, bool);
type AccountTokenTuple = (DbId, DbId, String, String, DbTime, DbTime, Option<DbTime>);
type InvitationTuple = (
    DbId,
    String,
    String,
    String,
    Option<String>,
    String,
    Option<DbId>,
    DbTime,
    DbTime,
    Option<DbTime>,
    Option<DbTime>,
);
type PatientTuple = (
    DbId,
    DbId,
    Option<chrono::NaiveDate>,
    Option<String>,
    String,
    i64,
    bool,
);
type AppointmentTuple = (
    DbId,
    DbId,
    DbId,
    DbTime,
    i32,
    Option<String>,
    String,
    DbTime,
    DbTime,
    DbTime,
    String,
);
type NotificationTuple = (
    DbId,
    String,
    String,
    String,
    bool,
    Option<DbTime>,
    DbTime,
    String,
    Option<DbId>,
    Option<DbId>,
    String,
    i32,
    DbTime,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<DbId>,
    Option<i32>,
    Option<DbTime>,
);
type TokenTuple = (
    DbId,
    DbId,
    DbId,
    String,
    DbTime,
    DbTime,
    Option<DbTime>,
    Option<DbTime>,
);
type EventTuple = (
    DbId,
    DbId,
    Option<DbId>,
    String,
    Option<String>,
    Option<String>,
    Option<DbTime>,
    Option<DbTime>,
    DbTime,
    Option<String>,
);
type KeyTuple = (DbId, String, String, Option<i32>, Option<String>, DbTime);
