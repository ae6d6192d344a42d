//! The `booking_rules` table: a doctor's rules for when and how much patients may
//! book. A doctor without a row has the defaults.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use mediconnect_shared::BookingRules;
use uuid::Uuid;

use crate::db::schema::booking_rules;
use crate::db::{AnyConnection, DbId, DbTime};

/// The doctor's rules, or the defaults.
pub fn of_doctor(conn: &mut AnyConnection, doctor: Uuid) -> QueryResult<BookingRules> {
    let row: Option<(i32, i32, i32, i32)> = booking_rules::table
        .find(DbId(doctor))
        .select((
            booking_rules::min_notice_minutes,
            booking_rules::cancel_cutoff_minutes,
            booking_rules::horizon_days,
            booking_rules::max_open_per_patient,
        ))
        .first(conn)
        .optional()?;
    Ok(match row {
        Some((notice, cutoff, horizon, max_open)) => BookingRules {
            min_notice_minutes: notice.max(0) as u32,
            cancel_cutoff_minutes: cutoff.max(0) as u32,
            horizon_days: horizon.max(1) as u32,
            max_open_per_patient: max_open.max(1) as u32,
        },
        None => BookingRules::default(),
    })
}

/// Stores the doctor's rules (the database checks their ranges). The caller holds the
/// doctor's turn, so that two saves do not both insert.
pub fn set(
    conn: &mut AnyConnection,
    doctor: Uuid,
    rules: &BookingRules,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    let values = (
        booking_rules::min_notice_minutes.eq(rules.min_notice_minutes as i32),
        booking_rules::cancel_cutoff_minutes.eq(rules.cancel_cutoff_minutes as i32),
        booking_rules::horizon_days.eq(rules.horizon_days as i32),
        booking_rules::max_open_per_patient.eq(rules.max_open_per_patient as i32),
        booking_rules::updated_at.eq(DbTime(now)),
    );
    let updated = diesel::update(booking_rules::table.find(DbId(doctor)))
        .set(values)
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(booking_rules::table)
            .values((booking_rules::doctor_id.eq(DbId(doctor)), values))
            .execute(conn)?;
    }
    Ok(())
}
