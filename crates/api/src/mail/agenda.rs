//! Doctors' daily agenda: a doctor who asks for it is emailed the day's appointments
//! at 07:00 in their time zone, on days that have any. The mail worker looks once a
//! minute. Each day is claimed by moving the doctor's `agenda_day` forward, in the
//! transaction that queues the email, so it is queued once whatever the replicas or
//! restarts; one not sent by noon (a long outage) expires rather than arrive stale.

use chrono::{DateTime, Days, NaiveDate, Utc};
use chrono_tz::Tz;

use super::MailContext;
use super::compose::{self, AgendaItem, Recipient};
use super::outbox;
use crate::db::AnyConnection;
use crate::db::models::{appointments, doctors};
use crate::domain::Zone;
use crate::domain::zone::at_hour as at;
use crate::error::ApiError;

/// The local hour the agenda goes out at.
pub const HOUR: u32 = 7;
/// The local hour after which a day's agenda is no longer worth sending.
pub const STALE_HOUR: u32 = 12;

/// The reader's local day, its zone and when its agenda goes stale, if `now` is between
/// 07:00 and noon of a day whose agenda they have not had yet.
fn due(
    reader: &doctors::AgendaReader,
    now: DateTime<Utc>,
) -> Option<(Tz, NaiveDate, DateTime<Utc>)> {
    let tz = Zone::stored(&reader.time_zone);
    let day = now.with_timezone(&tz).date_naive();
    let stale = at(tz, day, STALE_HOUR);
    let waiting = reader.last_day.is_none_or(|last| last < day);
    (waiting && now >= at(tz, day, HOUR) && now < stale).then_some((tz, day, stale))
}

/// Whether any doctor's agenda is due at `now`: a read, so that the worker opens a
/// write transaction only when there is something to queue.
pub fn any_due(conn: &mut AnyConnection, now: DateTime<Utc>) -> Result<bool, ApiError> {
    Ok(doctors::agenda_readers(conn)?
        .iter()
        .any(|r| due(r, now).is_some()))
}

/// Queues, in the caller's transaction, the agenda of every doctor who asked for one
/// and whose local time `now` is between 07:00 and noon of a day not yet claimed.
/// Returns how many emails were queued.
pub fn queue_due(
    conn: &mut AnyConnection,
    ctx: &MailContext,
    now: DateTime<Utc>,
) -> Result<usize, ApiError> {
    let mut queued = 0;
    for reader in doctors::agenda_readers(conn)? {
        let Some((tz, day, stale)) = due(&reader, now) else {
            continue;
        };
        if !doctors::claim_agenda_day(conn, reader.doctor_id, day)? {
            continue;
        }
        let next = day.checked_add_days(Days::new(1)).unwrap_or(day);
        let rows = appointments::agenda(conn, reader.doctor_id, at(tz, day, 0), at(tz, next, 0))?;
        if rows.is_empty() {
            continue;
        }
        let items: Vec<AgendaItem<'_>> = rows
            .iter()
            .map(|(start, end, patient)| AgendaItem {
                start: *start,
                end: *end,
                patient,
            })
            .collect();
        let to = Recipient {
            user_id: reader.user_id,
            name: &reader.name,
            email: &reader.email,
        };
        let email = compose::daily_agenda(ctx, to, tz, day, &items);
        outbox::enqueue_expiring(conn, &email, stale, now)?;
        queued += 1;
    }
    Ok(queued)
}
