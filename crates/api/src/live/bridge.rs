//! Events across replicas. On PostgreSQL, a change's event is sent with `pg_notify` in
//! the same transaction as the change, so it is delivered if and only if the change
//! commits; every replica LISTENs on a dedicated connection. The replica that made the
//! change applies its own event at once, and ignores the echo.
//!
//! On SQLite (one process) the event is applied in-process after the commit.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use diesel::prelude::*;
use diesel::sql_types::Text;
use mediconnect_shared::{Appointment, Doctor, ServerMessage};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::db::{AnyConnection, Db, DbTarget};
use crate::error::ApiError;
use crate::live::hub::{Hub, Origin};

pub const CHANNEL: &str = "mediconnect_events";

/// A change other replicas must hear of.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LiveEvent {
    /// A doctor's status or public details changed.
    Doctor { doctor: Doctor },
    /// An appointment was booked or changed: for the sockets of its two parties.
    Appointment {
        appointment: Appointment,
        users: Vec<Uuid>,
    },
    /// A patient's waitlist entry changed (an offer came or ended): for their sockets.
    Waitlist {
        notice: mediconnect_shared::WaitlistNotice,
        user: Uuid,
    },
    /// A personal message for each of `users` (consults: the queue, a place, a start).
    Personal {
        message: ServerMessage,
        users: Vec<Uuid>,
    },
    /// A call signal for `user`, the other party of the consult (`data`: the payload's
    /// JSON text, relayed as it came).
    Signal {
        consult_id: Uuid,
        from: mediconnect_shared::Role,
        data: String,
        user: Uuid,
    },
    /// A user's sessions were ended at `at` (Unix seconds), by deactivation or a
    /// password change: access tokens issued at or before it stop working, and the
    /// user's signed-in sockets close. (Its wire name predates password changes.)
    #[serde(rename = "user_deactivated")]
    SessionsRevoked { user: Uuid, at: i64 },
}

#[derive(Serialize, Deserialize)]
struct Envelope {
    origin: Uuid,
    event: LiveEvent,
}

/// Queues `event` for the other replicas, inside the caller's transaction. A no-op on
/// SQLite, which has no other replicas.
pub fn notify_in_tx(
    conn: &mut AnyConnection,
    hub: &Hub,
    event: &LiveEvent,
) -> Result<(), ApiError> {
    if let AnyConnection::Postgresql(pg) = conn {
        let payload = serde_json::to_string(&Envelope {
            origin: hub.replica_id,
            event: event.clone(),
        })
        .map_err(ApiError::internal)?;
        for part in parts(&payload, Uuid::new_v4()) {
            diesel::sql_query("SELECT pg_notify($1, $2)")
                .bind::<Text, _>(CHANNEL)
                .bind::<Text, _>(part)
                .execute(pg)?;
        }
    }
    Ok(())
}

/// The longest notification PostgreSQL takes is 8000 bytes: a longer payload (a
/// call's offer) goes as parts of at most this many bytes, each with a header.
const PART_MAX: usize = 7800;
/// Begins every part of a split payload: `~<id> <index> <count> ` and the text.
const PART_MARK: char = '~';

/// `payload` as notifications: itself when it fits, or parts cut at character
/// boundaries, in order (a transaction's notifications arrive in order).
fn parts(payload: &str, id: Uuid) -> Vec<String> {
    if payload.len() <= PART_MAX {
        return vec![payload.to_owned()];
    }
    let mut cuts = Vec::new();
    let mut rest = payload;
    while !rest.is_empty() {
        let mut end = rest.len().min(PART_MAX);
        while !rest.is_char_boundary(end) {
            end -= 1;
        }
        cuts.push(&rest[..end]);
        rest = &rest[end..];
    }
    let count = cuts.len();
    cuts.iter()
        .enumerate()
        .map(|(i, text)| format!("{PART_MARK}{id} {i} {count} {text}"))
        .collect()
}

/// Joins the parts of split payloads as they arrive.
#[derive(Default)]
struct Joiner {
    pending: std::collections::HashMap<Uuid, Vec<String>>,
}

/// Payloads whose parts are awaited at most: a part whose message never completes (a
/// lost connection) is dropped when more than this many are pending.
const PENDING_MAX: usize = 64;

impl Joiner {
    /// The whole payload, once `text` completes it (at once if it was not split).
    fn take(&mut self, text: String) -> Option<String> {
        let Some(part) = text.strip_prefix(PART_MARK) else {
            return Some(text);
        };
        let mut fields = part.splitn(4, ' ');
        let id: Uuid = fields.next()?.parse().ok()?;
        let index: usize = fields.next()?.parse().ok()?;
        let count: usize = fields.next()?.parse().ok()?;
        let body = fields.next()?;
        if index == 0 && self.pending.len() >= PENDING_MAX {
            self.pending.clear();
        }
        let got = self.pending.entry(id).or_default();
        if got.len() != index {
            self.pending.remove(&id);
            return None;
        }
        got.push(body.to_owned());
        if got.len() < count {
            return None;
        }
        self.pending.remove(&id).map(|parts| parts.concat())
    }
}

/// Applies an event made on this replica to its hub (after the commit).
pub fn apply(hub: &Hub, event: LiveEvent) {
    apply_from(hub, event, Origin::Local);
}

fn apply_from(hub: &Hub, event: LiveEvent, origin: Origin) {
    match event {
        LiveEvent::Doctor { doctor } => hub.doctor_changed_from(doctor, origin),
        LiveEvent::SessionsRevoked { user, at } => hub.revoke(user, at),
        LiveEvent::Waitlist { notice, user } => {
            hub.send_to_user(user, &ServerMessage::Waitlist { waitlist: notice });
        }
        LiveEvent::Signal {
            consult_id,
            from,
            data,
            user,
        } => {
            if let Some(data) = mediconnect_shared::SignalData::from_json(data) {
                let message = ServerMessage::Signal {
                    consult_id,
                    from,
                    data,
                };
                hub.send_to_user(user, &message);
            }
        }
        LiveEvent::Personal { message, users } => {
            for user in users {
                hub.send_to_user(user, &message);
            }
        }
        LiveEvent::Appointment { appointment, users } => {
            let message = ServerMessage::Appointment { appointment };
            for user in users {
                hub.send_to_user(user, &message);
            }
        }
    }
}

/// How often the listener looks for notifications. libpq gives no blocking wait through
/// diesel; a check is one non-blocking read.
const POLL: Duration = Duration::from_millis(5);
const RECONNECT_MAX: Duration = Duration::from_secs(5);

/// Starts the LISTEN thread on PostgreSQL. It reconnects when the connection drops and
/// then catches up from the database ([`catch_up`]). It ends when the hub is dropped.
pub fn spawn_listener(db: &Db, hub: &Arc<Hub>) {
    let DbTarget::Postgres(url) = db.target().clone() else {
        return;
    };
    hub.feed_connected.store(false, Ordering::Relaxed);
    let weak = Arc::downgrade(hub);
    let db = db.clone();
    std::thread::Builder::new()
        .name("pg-listener".into())
        .spawn(move || {
            let mut backoff = Duration::from_millis(100);
            loop {
                if weak.strong_count() == 0 {
                    return;
                }
                match listen(&url) {
                    Ok(mut conn) => {
                        backoff = Duration::from_millis(100);
                        let Some(hub) = weak.upgrade() else { return };
                        // Events may have been missed while disconnected (or before the
                        // LISTEN began): take the truth from the database.
                        catch_up(&db, &hub);
                        // Release: whoever sees the feed connected sees the resync too.
                        hub.feed_connected.store(true, Ordering::Release);
                        tracing::info!("listening for events from other replicas");
                        drop(hub);
                        if !pump(&mut conn, &weak) {
                            return;
                        }
                        if let Some(hub) = weak.upgrade() {
                            hub.feed_connected.store(false, Ordering::Relaxed);
                        }
                        tracing::warn!("the event feed connection dropped; reconnecting");
                    }
                    Err(e) => {
                        let retry_in_ms = backoff.as_millis() as u64;
                        tracing::warn!(error = %e, retry_in_ms, "cannot listen for events");
                        std::thread::sleep(backoff);
                        backoff = (backoff * 2).min(RECONNECT_MAX);
                    }
                }
            }
        })
        .expect("spawn the listener thread");
}

/// Brings this replica up to date after its feed (re)connects, from the database:
/// the online doctors (every socket gets a snapshot); the sessions revoked meanwhile
/// (their access tokens are refused and their sockets closed, as at start); and the
/// signed-in sockets are told to re-read what is theirs (`resync`), since personal
/// events sent during the gap were lost.
fn catch_up(db: &Db, hub: &Hub) {
    if let Err(e) = load_revocations(db, hub) {
        tracing::warn!(error = %e, "reloading session revocations failed");
    }
    match crate::db::models::doctors::load_online_blocking(db) {
        Ok(online) => hub.resync(online),
        Err(e) => tracing::warn!(error = %e, "presence resync failed"),
    }
    hub.resync_signed_in();
}

/// Makes `hub` refuse the access tokens of every session revoked within an access
/// token's lifetime (password changes, deactivations), as the running replicas do: at
/// start, and when the event feed comes back after a gap.
pub fn load_revocations(db: &Db, hub: &Hub) -> anyhow::Result<()> {
    let lifetime = crate::domain::ACCESS_TOKEN_TTL_SECS as i64 + 60;
    let since = chrono::Utc::now() - chrono::Duration::seconds(lifetime);
    let mut conn = db.get_blocking()?;
    for (user, at) in crate::db::models::users::revoked_since(&mut conn, since)? {
        hub.revoke(user, at);
    }
    Ok(())
}

fn listen(url: &str) -> Result<diesel::PgConnection, String> {
    // Named, so operators (and tests) can tell it apart in pg_stat_activity.
    let sep = if url.contains('?') { '&' } else { '?' };
    let mut url = format!("{url}{sep}application_name=mediconnect-listener");
    if !url.contains("connect_timeout=") {
        url.push_str("&connect_timeout=5");
    }
    let mut conn = diesel::PgConnection::establish(&url).map_err(|e| e.to_string())?;
    diesel::sql_query(format!("LISTEN {CHANNEL}"))
        .execute(&mut conn)
        .map_err(|e| e.to_string())?;
    Ok(conn)
}

/// Delivers notifications until the connection fails (returns true: reconnect) or the
/// hub is gone (returns false: stop).
fn pump(conn: &mut diesel::PgConnection, hub: &std::sync::Weak<Hub>) -> bool {
    let mut since_check = std::time::Instant::now();
    let mut joiner = Joiner::default();
    loop {
        let Some(hub) = hub.upgrade() else {
            return false;
        };
        for notification in conn.notifications_iter() {
            match notification {
                Ok(n) => {
                    let Some(payload) = joiner.take(n.payload) else {
                        continue;
                    };
                    match serde_json::from_str::<Envelope>(&payload) {
                        Ok(envelope) if envelope.origin == hub.replica_id => {}
                        Ok(envelope) => apply_from(&hub, envelope.event, Origin::Replica),
                        Err(e) => tracing::warn!(error = %e, "unreadable event"),
                    }
                }
                Err(_) => return true,
            }
        }
        drop(hub);
        // A dead server does not always show as a read error: ask now and then.
        if since_check.elapsed() > Duration::from_secs(2) {
            if diesel::sql_query("SELECT 1").execute(conn).is_err() {
                return true;
            }
            since_check = std::time::Instant::now();
        }
        std::thread::sleep(POLL);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_payload_goes_in_parts_that_join_again() {
        let payload = format!("{{\"sdp\":\"{}\"}}", "ä€b".repeat(5000));
        let parts = parts(&payload, Uuid::from_u128(1));
        assert!(parts.len() > 2);
        assert!(
            parts.iter().all(|p| p.len() < 8000),
            "each fits a notification"
        );
        let mut joiner = Joiner::default();
        let (last, rest) = parts.split_last().unwrap();
        for part in rest {
            assert_eq!(joiner.take(part.clone()), None);
        }
        assert_eq!(joiner.take(last.clone()), Some(payload));
        assert!(joiner.pending.is_empty());
        // A short payload is sent, and read, as it is.
        assert_eq!(super::parts("{}", Uuid::nil()), vec!["{}".to_owned()]);
        assert_eq!(joiner.take("{}".into()), Some("{}".into()));
    }

    #[test]
    fn a_part_out_of_order_drops_its_message() {
        let payload = "x".repeat(PART_MAX * 2 + 5);
        let parts = parts(&payload, Uuid::from_u128(2));
        let mut joiner = Joiner::default();
        assert_eq!(joiner.take(parts[1].clone()), None);
        assert_eq!(joiner.take(parts[2].clone()), None);
        assert!(joiner.pending.is_empty());
    }
}
