//! A doctor's working hours and free slots.

use super::*;

pub async fn schedule(state: &AppState, doctor: DoctorUser) -> Result<Schedule, ApiError> {
    state
        .db
        .run(move |conn| {
            let Party::Doctor(id) = party(conn, doctor.0)? else {
                unreachable!("a doctor")
            };
            Ok(load_hours(conn, id)?.to_dto())
        })
        .await
}

/// A doctor's published hours, for anyone: the weekly hours, and the exceptions from
/// today on (past ones are nobody's business).
pub async fn public_hours(state: &AppState, doctor: Uuid) -> Result<Schedule, ApiError> {
    state
        .db
        .run(move |conn| {
            crate::doctors::require_active(conn, doctor)?;
            let mut hours = load_hours(conn, doctor)?.to_dto();
            let today = Utc::now()
                .with_timezone(&Zone::stored(&hours.time_zone))
                .date_naive();
            hours.exceptions.retain(|e| e.date >= today);
            Ok(hours)
        })
        .await
}

/// Saves the doctor's hours. Booked appointments the new hours leave outside are
/// listed in a 409 `appointments-affected`, unless `cancelAffected` is sent: then they
/// are cancelled, and their patients told why.
pub async fn set_schedule(
    state: &AppState,
    doctor: DoctorUser,
    req: Schedule,
) -> Result<Schedule, ApiError> {
    let hours = Hours::parse(&req)?;
    let ctx = state.mail_ctx.clone();
    state
        .write(move |conn, effects| {
            let now = Utc::now();
            let Party::Doctor(id) = party(conn, doctor.0)? else {
                unreachable!("a doctor")
            };
            let outside: Vec<AppointmentRow> = ahead(conn, id, now)?
                .into_iter()
                .filter(|r| !hours.covers(r.scheduled_for.0, r.ends_at.0))
                .collect();
            refuse_unless(
                req.cancel_affected,
                &outside,
                "appointments-affected",
                |n| {
                    format!(
                        "These hours leave {} outside them. Keep hours that include {}, \
                         or send cancelAffected: true to cancel {} (each patient is emailed).",
                        count_appointments(n),
                        it_or_them(n),
                        it_or_them(n),
                    )
                },
            )?;
            models::doctors::set_slot_setting(
                conn,
                id,
                hours.slot_minutes as i32,
                hours.tz.name(),
            )?;
            models::working_hours::replace(conn, id, &weekly_rows(&hours))?;
            models::schedule_exceptions::replace(conn, id, &exception_rows(&hours))?;
            if !outside.is_empty() {
                let name = models::doctors::name(conn, id)?;
                let reason = format!(
                    "{name} changed their working hours and no longer sees patients at that time."
                );
                withdraw(conn, effects, &ctx, outside, doctor.0.id, &reason, now)?;
            }
            // New hours may open times the doctor's waiters want.
            offer_free(conn, effects, &ctx, id, now)?;
            Ok(load_hours(conn, id)?.to_dto())
        })
        .await
}

/// The weekly hours as rows: (weekday 1 to 7, start minute, end minute).
fn weekly_rows(hours: &Hours) -> Vec<(i32, i32, i32)> {
    let mut rows = Vec::new();
    for (day, list) in hours.weekly.iter().enumerate() {
        for &(start, end) in list {
            rows.push((day as i32 + 1, i32::from(start), i32::from(end)));
        }
    }
    rows
}

/// The exceptions as rows: a day off is one row without minutes.
fn exception_rows(hours: &Hours) -> Vec<models::schedule_exceptions::Exception> {
    let mut rows = Vec::new();
    for (date, list) in &hours.exceptions {
        if list.is_empty() {
            rows.push((*date, None, None));
        }
        for &(s, e) in list {
            rows.push((*date, Some(i32::from(s)), Some(i32::from(e))));
        }
    }
    rows
}

/// Free slots of a doctor, within the doctor's booking rules (notice, horizon). For a
/// signed-in patient who may not book the doctor now (as many appointments ahead as
/// allowed), none, and why.
pub async fn slots(
    state: &AppState,
    doctor: Uuid,
    q: SlotQuery,
    caller: Option<AuthUser>,
) -> Result<SlotList, ApiError> {
    let now = Utc::now();
    let from = q.from.unwrap_or(now).max(now);
    let to = q.to.unwrap_or(from + Duration::days(7));
    if to <= from {
        return Err(ApiError::BadRequest(
            "to must be after from (and after now).".into(),
        ));
    }
    if to - from > Duration::days(31) {
        return Err(ApiError::BadRequest(
            "Ask for at most 31 days of slots at a time.".into(),
        ));
    }
    let clinic_max = state.config.patient_max_open_bookings;
    state
        .db
        .run(move |conn| {
            crate::doctors::require_active(conn, doctor)?;
            let hours = load_hours(conn, doctor)?;
            let rules = models::booking_rules::of_doctor(conn, doctor)?;
            let booking_blocked = match caller.filter(|c| c.role == Role::Patient) {
                Some(user) => match party(conn, user)? {
                    Party::Patient(patient) => {
                        let name = models::doctors::name(conn, doctor)?;
                        let by = (doctor, name.as_str());
                        open_limit(conn, &rules, by, patient, clinic_max, now)?
                            .map(|refusal| refusal.to_string())
                    }
                    _ => None,
                },
                None => None,
            };
            let earliest = from.max(now + Duration::minutes(i64::from(rules.min_notice_minutes)));
            let bookable_until = now + Duration::days(i64::from(rules.horizon_days));
            let mut booked = models::appointments::booked_between(conn, doctor, from, to)?;
            booked.extend(models::time_off::between(conn, doctor, from, to)?);
            booked.extend(models::waitlist::held_between(
                conn,
                doctor,
                (from, to),
                now,
            )?);
            let published = hours.published();
            let open = published && booking_blocked.is_none() && earliest < to;
            Ok(SlotList {
                doctor_id: doctor,
                time_zone: hours.tz.name().to_owned(),
                slot_minutes: hours.slot_minutes,
                hours_published: published,
                bookable_until,
                slots: if open {
                    hours.free_slots(earliest, to.min(bookable_until), &booked)
                } else {
                    Vec::new()
                },
                rules,
                booking_blocked,
            })
        })
        .await
}
