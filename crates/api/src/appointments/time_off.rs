//! A doctor's time off: ranges, entered in the doctor's time zone, in which no slot
//! is offered and nothing can be booked. Time off over booked appointments is refused
//! with a 409 that lists them, unless the doctor says to cancel them.

use chrono_tz::Tz;
use mediconnect_shared::{NewTimeOff, TimeOff, TimeOffList};

use super::*;
use crate::db::models::time_off::{self as rows, TimeOffRow};

/// The longest range, in days.
const MAX_DAYS: i64 = 366;
/// The longest note, in characters.
const NOTE_MAX: usize = 200;

use crate::domain::zone::instant;

fn to_dto(row: TimeOffRow) -> TimeOff {
    let tz = Zone::stored(&row.time_zone);
    TimeOff {
        id: row.id.0,
        from: row.starts_at.0.with_timezone(&tz).naive_local(),
        to: row.ends_at.0.with_timezone(&tz).naive_local(),
        time_zone: row.time_zone,
        starts_at: row.starts_at.0,
        ends_at: row.ends_at.0,
        note: row.note,
    }
}

fn the_doctor(conn: &mut AnyConnection, doctor: DoctorUser) -> Result<Uuid, ApiError> {
    match party(conn, doctor.0)? {
        Party::Doctor(id) => Ok(id),
        _ => unreachable!("a doctor"),
    }
}

/// The range as instants in `tz`, checked: it ends after it starts, is not over, and
/// lasts at most [`MAX_DAYS`].
fn range(
    tz: Tz,
    req: &NewTimeOff,
    now: DateTime<Utc>,
) -> Result<(DateTime<Utc>, DateTime<Utc>), ApiError> {
    let unknown =
        |field: &str| ApiError::field(field, "This time does not exist in your time zone");
    let start = instant(tz, req.from).ok_or_else(|| unknown("from"))?;
    let end = instant(tz, req.to).ok_or_else(|| unknown("to"))?;
    if end <= start {
        return Err(ApiError::field("to", "The end must be after the start"));
    }
    if end <= now {
        return Err(ApiError::field("to", "This time is over already"));
    }
    if end - start > Duration::days(MAX_DAYS) {
        return Err(ApiError::field(
            "to",
            format!("Time off lasts at most {MAX_DAYS} days; add another range for more"),
        ));
    }
    Ok((start, end))
}

pub async fn add_time_off(
    state: &AppState,
    doctor: DoctorUser,
    req: NewTimeOff,
) -> Result<TimeOff, ApiError> {
    let note = match req.note.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(n) => Some(
            crate::domain::single_line(n, "The note", NOTE_MAX)
                .map_err(|m| ApiError::field("note", m))?,
        ),
    };
    let ctx = state.mail_ctx.clone();
    state
        .write(move |conn, effects| {
            let now = Utc::now();
            let id = the_doctor(conn, doctor)?;
            let (_, zone) = models::doctors::slot_setting(conn, id)?;
            let (start, end) = range(Zone::stored(&zone), &req, now)?;
            let inside: Vec<AppointmentRow> = ahead(conn, id, now)?
                .into_iter()
                .filter(|r| r.scheduled_for.0 < end && r.ends_at.0 > start)
                .collect();
            refuse_unless(req.cancel_affected, &inside, "appointments-affected", |n| {
                format!(
                    "This time off holds {}. Change it, or send cancelAffected: true to \
                     cancel {} (each patient is emailed).",
                    count_appointments(n),
                    it_or_them(n),
                )
            })?;
            let row = TimeOffRow {
                id: DbId(Uuid::new_v4()),
                doctor_id: DbId(id),
                starts_at: DbTime(start),
                ends_at: DbTime(end),
                time_zone: zone,
                note,
                created_at: DbTime(now),
            };
            rows::insert(conn, &row)?;
            if !inside.is_empty() {
                let name = models::doctors::name(conn, id)?;
                let reason = format!("{name} is away at that time.");
                withdraw(conn, effects, &ctx, inside, doctor.0.id, &reason, now)?;
            }
            Ok(to_dto(row))
        })
        .await
}

pub async fn time_off(state: &AppState, doctor: DoctorUser) -> Result<TimeOffList, ApiError> {
    state
        .db
        .run(move |conn| {
            let id = the_doctor(conn, doctor)?;
            let list = rows::upcoming(conn, id, Utc::now())?;
            Ok(TimeOffList {
                time_off: list.into_iter().map(to_dto).collect(),
            })
        })
        .await
}

pub async fn remove_time_off(
    state: &AppState,
    doctor: DoctorUser,
    range: Uuid,
) -> Result<(), ApiError> {
    let ctx = state.mail_ctx.clone();
    state
        .write(move |conn, effects| {
            let id = the_doctor(conn, doctor)?;
            if !rows::delete(conn, id, range)? {
                return Err(ApiError::NotFound("There is no such time off.".into()));
            }
            // The time is open again: the doctor's waiters may want it.
            offer_free(conn, effects, &ctx, id, Utc::now())
        })
        .await
}

/// Refuses `[start, end)` if it touches the doctor's time off.
pub(super) fn check_time_off(
    conn: &mut AnyConnection,
    (doctor, doctor_name): (Uuid, &str),
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<(), ApiError> {
    if rows::between(conn, doctor, start, end)?.is_empty() {
        return Ok(());
    }
    Err(ApiError::field(
        "scheduledFor",
        format!("{doctor_name} is away at that time; pick one of the free slots"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local(s: &str) -> chrono::NaiveDateTime {
        mediconnect_shared::time::parse_local_minute(s).unwrap()
    }

    #[test]
    fn local_times_become_instants_across_clock_changes() {
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        // 02:30 does not exist on 2026-03-29: the gap ends at 03:00 CEST (01:00Z).
        let t = instant(berlin, local("2026-03-29T02:30")).unwrap();
        assert_eq!(t.to_rfc3339(), "2026-03-29T01:00:00+00:00");
        // 02:30 happens twice on 2026-10-25: the first, CEST (00:30Z).
        let t = instant(berlin, local("2026-10-25T02:30")).unwrap();
        assert_eq!(t.to_rfc3339(), "2026-10-25T00:30:00+00:00");
    }

    #[test]
    fn a_range_is_checked() {
        let now = Utc::now();
        let tz: Tz = "UTC".parse().unwrap();
        let req = |from: &str, to: &str| NewTimeOff {
            from: local(from),
            to: local(to),
            note: None,
            cancel_affected: false,
        };
        let field = |r: Result<_, ApiError>| match r {
            Err(ApiError::Validation(e)) => e[0].message.clone(),
            other => panic!("{other:?}"),
        };
        assert!(
            field(range(tz, &req("2030-01-02T10:00", "2030-01-02T09:00"), now)).contains("after")
        );
        assert!(
            field(range(tz, &req("2020-01-02T10:00", "2020-01-02T11:00"), now)).contains("over")
        );
        assert!(
            field(range(tz, &req("2030-01-01T00:00", "2031-01-03T00:00"), now)).contains("366")
        );
        assert!(range(tz, &req("2030-01-01T13:00", "2030-01-03T00:00"), now).is_ok());
    }
}
