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

pub async fn set_schedule(
    state: &AppState,
    doctor: DoctorUser,
    req: Schedule,
) -> Result<Schedule, ApiError> {
    let hours = Hours::parse(&req)?;
    state
        .db
        .write(move |conn| {
            let Party::Doctor(id) = party(conn, doctor.0)? else {
                unreachable!("a doctor")
            };
            diesel::update(doctors::table.find(DbId(id)))
                .set((
                    doctors::slot_minutes.eq(hours.slot_minutes as i32),
                    doctors::time_zone.eq(hours.tz.name()),
                ))
                .execute(conn)?;
            diesel::delete(working_hours::table.filter(working_hours::doctor_id.eq(DbId(id))))
                .execute(conn)?;
            diesel::delete(
                schedule_exceptions::table.filter(schedule_exceptions::doctor_id.eq(DbId(id))),
            )
            .execute(conn)?;
            for (day, list) in hours.weekly.iter().enumerate() {
                for &(start, end) in list {
                    diesel::insert_into(working_hours::table)
                        .values((
                            working_hours::id.eq(DbId(Uuid::new_v4())),
                            working_hours::doctor_id.eq(DbId(id)),
                            working_hours::weekday.eq(day as i32 + 1),
                            working_hours::start_minute.eq(i32::from(start)),
                            working_hours::end_minute.eq(i32::from(end)),
                        ))
                        .execute(conn)?;
                }
            }
            for (date, list) in &hours.exceptions {
                let rows: Vec<(Option<i32>, Option<i32>)> = if list.is_empty() {
                    vec![(None, None)]
                } else {
                    list.iter()
                        .map(|&(s, e)| (Some(i32::from(s)), Some(i32::from(e))))
                        .collect()
                };
                for (start, end) in rows {
                    diesel::insert_into(schedule_exceptions::table)
                        .values((
                            schedule_exceptions::id.eq(DbId(Uuid::new_v4())),
                            schedule_exceptions::doctor_id.eq(DbId(id)),
                            schedule_exceptions::day.eq(*date),
                            schedule_exceptions::start_minute.eq(start),
                            schedule_exceptions::end_minute.eq(end),
                        ))
                        .execute(conn)?;
                }
            }
            Ok(load_hours(conn, id)?.to_dto())
        })
        .await
}

pub async fn slots(state: &AppState, doctor: Uuid, q: SlotQuery) -> Result<SlotList, ApiError> {
    let now = Utc::now();
    let from = q.from.unwrap_or(now).max(now);
    let to = q.to.unwrap_or(from + Duration::days(7));
    let bookable_until = now + Duration::days(MAX_DAYS_AHEAD);
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
    state
        .db
        .run(move |conn| {
            crate::doctors::require_active(conn, doctor)?;
            let hours = load_hours(conn, doctor)?;
            let booked: Vec<(DbTime, DbTime)> = appointments::table
                .filter(appointments::doctor_id.eq(DbId(doctor)))
                .filter(appointments::status.eq(AppointmentStatus::Scheduled.as_str()))
                .filter(appointments::scheduled_for.lt(DbTime(to)))
                .filter(appointments::ends_at.gt(DbTime(from)))
                .select((appointments::scheduled_for, appointments::ends_at))
                .load(conn)?;
            let booked: Vec<_> = booked.into_iter().map(|(s, e)| (s.0, e.0)).collect();
            let published = hours.published();
            Ok(SlotList {
                doctor_id: doctor,
                time_zone: hours.tz.name().to_owned(),
                slot_minutes: hours.slot_minutes,
                hours_published: published,
                bookable_until,
                slots: if published {
                    hours.free_slots(from, to.min(bookable_until), &booked)
                } else {
                    Vec::new()
                },
            })
        })
        .await
}
