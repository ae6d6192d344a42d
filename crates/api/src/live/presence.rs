//! Presence that expires: a doctor who went online through the web app holds an
//! authenticated socket; when the last one has been gone for the grace period, on every
//! replica, the doctor goes offline by themselves.
//!
//! Each replica records, per doctor, how many sockets it holds (`presence_leases`, one
//! row per doctor and replica) and refreshes the rows of the sockets it holds, so that
//! a replica that dies stops counting. A sweeper on every replica takes online doctors
//! offline when none of their leases is alive and the last one died more than the grace
//! period ago; a conditional update lets exactly one replica do it and emit the event.
//!
//! The grace depends on how the last socket went: closed by the client (a WebSocket
//! Close with 1000 or 1001, as when the tab is closed) it is [`CLEAN_CLOSE_GRACE`], long
//! enough for a reload; dropped (a network gone), it is `PRESENCE_GRACE_SECONDS`.
//!
//! Patients' sockets are counted the same way, for one purpose: a patient waiting in a
//! consult queue whose sockets are all gone for the grace leaves the queue.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::mpsc;
use uuid::Uuid;

use crate::db::models::presence_leases as leases;
use crate::db::{AnyConnection, Db, write_transaction};
use crate::error::ApiError;
use crate::live::bridge::LiveEvent;
use crate::live::effects::Effects;
use crate::live::hub::Hub;

/// The grace after a doctor's last socket was closed by the client: a reload opens the
/// next one well within it. (Never longer than the configured grace.)
pub const CLEAN_CLOSE_GRACE: Duration = Duration::from_secs(10);

/// Timing of presence, from the configuration.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// How long a doctor's last socket may be gone before they go offline.
    pub grace: Duration,
    /// How often a replica refreshes the leases of the sockets it holds.
    pub refresh: Duration,
}

impl Timing {
    /// A lease not refreshed for this long belongs to a replica that is gone.
    pub fn stale_after(&self) -> Duration {
        self.refresh * 3
    }

    /// The grace after a clean close.
    pub fn clean_grace(&self) -> Duration {
        CLEAN_CLOSE_GRACE.min(self.grace)
    }

    fn sweep_every(&self) -> Duration {
        (self.clean_grace() / 4).clamp(Duration::from_millis(100), Duration::from_secs(5))
    }
}

enum Command {
    /// The user's sockets on this replica; `clean`: the last one went by a clean close.
    Set {
        user: Uuid,
        sockets: i32,
        clean: bool,
    },
}

/// The handle sockets use to report doctors' connections.
pub struct PresenceTracker {
    local: Mutex<HashMap<Uuid, i32>>,
    commands: mpsc::UnboundedSender<Command>,
}

impl PresenceTracker {
    /// Starts the lease writer and the sweeper.
    /// `ctx` writes the emails of a queue that ends with its doctor.
    pub fn start(
        db: Db,
        hub: Arc<Hub>,
        timing: Timing,
        ctx: crate::mail::MailContext,
    ) -> Arc<PresenceTracker> {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(run(db, Arc::downgrade(&hub), timing, ctx, rx));
        Arc::new(PresenceTracker {
            local: Mutex::new(HashMap::new()),
            commands: tx,
        })
    }

    fn change(&self, user: Uuid, delta: i32, clean: bool) {
        let mut local = self.local.lock().unwrap_or_else(|e| e.into_inner());
        let count = local.entry(user).or_insert(0);
        *count = (*count + delta).max(0);
        let sockets = *count;
        if sockets == 0 {
            local.remove(&user);
        }
        // Sent under the lock, so the writer sees the counts in order.
        let _ = self.commands.send(Command::Set {
            user,
            sockets,
            clean: clean && sockets == 0,
        });
    }

    /// A doctor's or a patient's socket signed in.
    pub fn socket_opened(&self, user: Uuid) {
        self.change(user, 1, false);
    }

    /// A doctor's or a patient's socket ended: `clean` when the client closed it (1000,
    /// 1001).
    pub fn socket_closed(&self, user: Uuid, clean: bool) {
        self.change(user, -1, clean);
    }
}

async fn run(
    db: Db,
    hub: std::sync::Weak<Hub>,
    timing: Timing,
    ctx: crate::mail::MailContext,
    mut commands: mpsc::UnboundedReceiver<Command>,
) {
    let Some(replica) = hub.upgrade().map(|h| h.replica_id) else {
        return;
    };
    let mut refresh = tokio::time::interval(timing.refresh);
    let mut sweep = tokio::time::interval(timing.sweep_every());
    let mut tidy = tokio::time::interval(std::time::Duration::from_secs(600));
    loop {
        tokio::select! {
            command = commands.recv() => {
                let Some(first) = command else { return };
                // Coalesce whatever else is queued: only the latest count matters.
                let mut latest = HashMap::new();
                let Command::Set { user, sockets, clean } = first;
                latest.insert(user, (sockets, clean));
                while let Ok(Command::Set { user, sockets, clean }) = commands.try_recv() {
                    latest.insert(user, (sockets, clean));
                }
                let result = db.write(move |conn| {
                    let now = Utc::now();
                    for (user, (sockets, clean)) in latest {
                        leases::set(conn, user, replica, sockets, clean, now)?;
                    }
                    Ok(())
                }).await;
                if let Err(e) = result {
                    tracing::warn!(error = %e, "cannot record socket presence");
                }
            }
            _ = refresh.tick() => {
                let result = db
                    .run(move |conn| Ok(leases::refresh(conn, replica, Utc::now())?))
                    .await;
                if let Err(e) = result {
                    tracing::warn!(error = %e, "cannot refresh socket presence");
                }
            }
            // Patients' leases whose sockets are long gone: they matter only to a
            // queue's wait.
            _ = tidy.tick() => {
                let result = db
                    .run(move |conn| {
                        let before = Utc::now() - chrono::Duration::hours(1);
                        Ok(leases::forget_idle_patients(conn, before)?)
                    })
                    .await;
                if let Err(e) = result {
                    tracing::warn!(error = %e, "cannot forget idle patients' presence");
                }
            }
            _ = sweep.tick() => {
                let Some(strong) = hub.upgrade() else { return };
                if let Err(e) = expire(&db, &strong, timing, &ctx).await {
                    tracing::warn!(error = %e, "presence sweep failed");
                }
            }
        }
    }
}

/// Forgets the leases of sockets that are gone. Called when a doctor goes online
/// through the API: presence is tracked again only once a socket is open.
pub fn forget_dead_leases(
    conn: &mut AnyConnection,
    user: Uuid,
    now: DateTime<Utc>,
    timing: Timing,
) -> Result<(), ApiError> {
    let stale = now - chrono::Duration::from_std(timing.stale_after()).unwrap_or_default();
    leases::forget_dead(conn, user, stale)?;
    Ok(())
}

/// A lease as the sweeper reads it: sockets held, when last written, and whether its
/// last socket went by a clean close.
type Lease = (i32, DateTime<Utc>, bool);

/// When the last socket of a doctor was seen, if none is alive now, and whether that
/// last one was closed cleanly by its client (a replica that died closed nothing).
fn dead_since(
    leases: &[Lease],
    now: DateTime<Utc>,
    stale: chrono::Duration,
) -> Option<(DateTime<Utc>, bool)> {
    let mut latest: Option<(DateTime<Utc>, bool)> = None;
    for &(sockets, updated_at, clean) in leases {
        let died = if sockets > 0 {
            if updated_at + stale > now {
                return None; // a live socket
            }
            (updated_at + stale, false)
        } else {
            (updated_at, clean)
        };
        latest = Some(match latest {
            Some(l) if l.0 >= died.0 => l,
            _ => died,
        });
    }
    latest
}

async fn expire(
    db: &Db,
    hub: &Arc<Hub>,
    timing: Timing,
    ctx: &crate::mail::MailContext,
) -> Result<(), ApiError> {
    let hub_for_tx = hub.clone();
    let ctx = ctx.clone();
    let (offline, effects) = db
        .run(move |conn| {
            write_transaction(conn, |conn| {
                let now = Utc::now();
                let stale = chrono::Duration::from_std(timing.stale_after()).unwrap_or_default();
                let grace = chrono::Duration::from_std(timing.grace).unwrap_or_default();
                let clean_grace =
                    chrono::Duration::from_std(timing.clean_grace()).unwrap_or_default();
                let mut by_doctor: HashMap<(Uuid, Uuid), Vec<Lease>> = HashMap::new();
                for (doctor, user, sockets, updated_at, clean) in leases::of_online_doctors(conn)? {
                    by_doctor
                        .entry((doctor, user))
                        .or_default()
                        .push((sockets, updated_at, clean));
                }
                let mut effects = Effects::new(hub_for_tx);
                let mut offline = Vec::new();
                for ((doctor, user), leases) in by_doctor {
                    let Some((since, clean)) = dead_since(&leases, now, stale) else {
                        continue;
                    };
                    if now - since < if clean { clean_grace } else { grace } {
                        continue;
                    }
                    if let Some(doctor) = crate::db::models::doctors::go_offline(conn, doctor, now)?
                    {
                        leases::forget(conn, user)?;
                        offline.push(doctor.id);
                        let id = doctor.id;
                        effects.announce(conn, LiveEvent::Doctor { doctor })?;
                        crate::live::queue::end_queue(conn, &mut effects, &ctx, id, now)?;
                    }
                }
                // Patients waiting for a consult whose sockets are gone leave the queue.
                let mut by_consult: HashMap<Uuid, Vec<Lease>> = HashMap::new();
                for (consult, sockets, updated_at, clean) in leases::of_waiting_patients(conn)? {
                    by_consult
                        .entry(consult)
                        .or_default()
                        .push((sockets, updated_at, clean));
                }
                let gone: Vec<Uuid> = by_consult
                    .into_iter()
                    .filter(|(_, leases)| {
                        dead_since(leases, now, stale).is_some_and(|(since, clean)| {
                            now - since >= if clean { clean_grace } else { grace }
                        })
                    })
                    .map(|(consult, _)| consult)
                    .collect();
                let left = crate::live::queue::drop_absent(conn, &mut effects, &gone, now)?;
                if left > 0 {
                    tracing::info!(left, "patients left consult queues: no connection");
                }
                Ok((offline, effects))
            })
        })
        .await?;
    // After commit: this runs outside a request, with no mail to wake.
    effects.apply(None);
    for doctor in offline {
        tracing::info!(
            doctor_id = %doctor,
            "doctor went offline: no connection within the grace period"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_live_socket_keeps_the_doctor() {
        let now = Utc::now();
        let stale = chrono::Duration::seconds(45);
        let fresh = (1, now - chrono::Duration::seconds(10), false);
        let closed = (0, now - chrono::Duration::seconds(100), true);
        assert_eq!(dead_since(&[fresh, closed], now, stale), None);
        assert_eq!(dead_since(&[closed], now, stale), Some((closed.1, true)));
    }

    #[test]
    fn a_stale_replica_counts_as_gone() {
        let now = Utc::now();
        let stale = chrono::Duration::seconds(45);
        let silent = (2, now - chrono::Duration::seconds(60), false);
        assert_eq!(
            dead_since(&[silent], now, stale),
            Some((silent.1 + stale, false))
        );
        let closed_later = (0, now - chrono::Duration::seconds(5), false);
        assert_eq!(
            dead_since(&[silent, closed_later], now, stale),
            Some((closed_later.1, false))
        );
        assert_eq!(dead_since(&[], now, stale), None);
    }

    #[test]
    fn the_last_socket_to_go_says_how() {
        let now = Utc::now();
        let stale = chrono::Duration::seconds(45);
        let dropped_earlier = (0, now - chrono::Duration::seconds(30), false);
        let closed_last = (0, now - chrono::Duration::seconds(3), true);
        assert_eq!(
            dead_since(&[dropped_earlier, closed_last], now, stale),
            Some((closed_last.1, true))
        );
        // A replica that died closed nothing cleanly, whatever it said before.
        let died_last = (1, now - chrono::Duration::seconds(46), true);
        let closed_earlier = (0, now - chrono::Duration::seconds(20), true);
        assert_eq!(
            dead_since(&[closed_earlier, died_last], now, stale),
            Some((died_last.1 + stale, false)),
            "the replica's death (a second ago) is the last, and no clean close"
        );
        let timing = Timing {
            grace: Duration::from_secs(60),
            refresh: Duration::from_secs(15),
        };
        assert_eq!(timing.clean_grace(), CLEAN_CLOSE_GRACE);
        let short = Timing {
            grace: Duration::from_secs(2),
            refresh: Duration::from_secs(1),
        };
        assert_eq!(short.clean_grace(), Duration::from_secs(2));
    }
}
