//! The `presence_leases` table: how many sockets each replica holds for a user, and
//! when it last said so. The presence sweeper reads them to take a doctor whose
//! sockets are all gone offline, and a waiting patient whose sockets are gone out of
//! their doctor's consult queue.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::schema::{consults, doctors, patients, presence_leases, users};
use crate::db::{AnyConnection, DbId, DbTime};

/// Records that `replica` holds `sockets` for `user` (`clean`: its last socket closed
/// cleanly). Only this replica writes its own rows, so there is no race on the key.
/// Nothing is recorded for a user deleted meanwhile.
pub fn set(
    conn: &mut AnyConnection,
    user: Uuid,
    replica: Uuid,
    sockets: i32,
    clean: bool,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    let key = presence_leases::table
        .filter(presence_leases::user_id.eq(DbId(user)))
        .filter(presence_leases::replica_id.eq(DbId(replica)));
    let updated = diesel::update(key)
        .set((
            presence_leases::sockets.eq(sockets),
            presence_leases::updated_at.eq(DbTime(now)),
            presence_leases::clean_close.eq(clean),
        ))
        .execute(conn)?;
    if updated == 0 {
        let exists: i64 = users::table.find(DbId(user)).count().get_result(conn)?;
        if exists == 1 {
            diesel::insert_into(presence_leases::table)
                .values((
                    presence_leases::user_id.eq(DbId(user)),
                    presence_leases::replica_id.eq(DbId(replica)),
                    presence_leases::sockets.eq(sockets),
                    presence_leases::updated_at.eq(DbTime(now)),
                    presence_leases::clean_close.eq(clean),
                ))
                .execute(conn)?;
        }
    }
    Ok(())
}

/// Marks every lease of `replica` that holds sockets as still alive at `now`.
pub fn refresh(conn: &mut AnyConnection, replica: Uuid, now: DateTime<Utc>) -> QueryResult<()> {
    diesel::update(
        presence_leases::table
            .filter(presence_leases::replica_id.eq(DbId(replica)))
            .filter(presence_leases::sockets.gt(0)),
    )
    .set(presence_leases::updated_at.eq(DbTime(now)))
    .execute(conn)?;
    Ok(())
}

/// Deletes the user's leases that hold no socket or were last written before `stale`.
pub fn forget_dead(conn: &mut AnyConnection, user: Uuid, stale: DateTime<Utc>) -> QueryResult<()> {
    diesel::delete(
        presence_leases::table
            .filter(presence_leases::user_id.eq(DbId(user)))
            .filter(
                presence_leases::sockets
                    .eq(0)
                    .or(presence_leases::updated_at.lt(DbTime(stale))),
            ),
    )
    .execute(conn)?;
    Ok(())
}

/// Deletes every lease of the user.
pub fn forget(conn: &mut AnyConnection, user: Uuid) -> QueryResult<()> {
    diesel::delete(presence_leases::table.filter(presence_leases::user_id.eq(DbId(user))))
        .execute(conn)?;
    Ok(())
}

/// A lease of an online doctor: doctor id, user id, sockets held, when last written,
/// and whether its last socket closed cleanly.
pub type OnlineLease = (Uuid, Uuid, i32, DateTime<Utc>, bool);

/// The leases of every doctor who is online.
pub fn of_online_doctors(conn: &mut AnyConnection) -> QueryResult<Vec<OnlineLease>> {
    let rows: Vec<(DbId, DbId, i32, DbTime, bool)> = doctors::table
        .inner_join(presence_leases::table.on(presence_leases::user_id.eq(doctors::user_id)))
        .filter(doctors::is_online.eq(true))
        .select((
            doctors::id,
            doctors::user_id,
            presence_leases::sockets,
            presence_leases::updated_at,
            presence_leases::clean_close,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(d, u, sockets, at, clean)| (d.0, u.0, sockets, at.0, clean))
        .collect())
}

/// A lease of a patient waiting in a consult queue: the consult's id, then as
/// [`OnlineLease`] the sockets held, when last written, and whether the last closed
/// cleanly.
pub type WaitingLease = (Uuid, i32, DateTime<Utc>, bool);

/// The leases of every patient waiting in a consult queue (one with no socket ever
/// open has none).
pub fn of_waiting_patients(conn: &mut AnyConnection) -> QueryResult<Vec<WaitingLease>> {
    let rows: Vec<(DbId, i32, DbTime, bool)> = consults::table
        .inner_join(patients::table)
        .inner_join(presence_leases::table.on(presence_leases::user_id.eq(patients::user_id)))
        .filter(consults::status.eq(crate::db::models::consults::WAITING))
        .select((
            consults::id,
            presence_leases::sockets,
            presence_leases::updated_at,
            presence_leases::clean_close,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(c, sockets, at, clean)| (c.0, sockets, at.0, clean))
        .collect())
}

/// Deletes the leases of patients that hold no socket and were written before
/// `before`: once their sockets are gone, they matter only to a queue's wait.
pub fn forget_idle_patients(conn: &mut AnyConnection, before: DateTime<Utc>) -> QueryResult<usize> {
    diesel::delete(
        presence_leases::table
            .filter(presence_leases::sockets.eq(0))
            .filter(presence_leases::updated_at.lt(DbTime(before)))
            .filter(presence_leases::user_id.eq_any(patients::table.select(patients::user_id))),
    )
    .execute(conn)
}
