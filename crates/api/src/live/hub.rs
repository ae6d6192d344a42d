//! The hub: the presence view (who is online), the fan-out of public events to every
//! socket, and the delivery of personal events to one user's sockets.
//!
//! Every event is serialized once into a `ByteString` that all sockets share. Public
//! events go through a bounded broadcast channel: a socket that falls behind loses its
//! place and gets a fresh snapshot instead, and never delays the others.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, RwLock};

use actix_web::web::Bytes;
use bytestring::ByteString;
use mediconnect_shared::{Doctor, OnlineDoctors, ServerMessage};
use tokio::sync::{broadcast, mpsc};
use uuid::Uuid;

/// How many public events a socket may lag behind before it is resynced.
const BROADCAST_CAPACITY: usize = 256;
/// Personal events queued per socket before it is considered stuck.
pub const PERSONAL_CAPACITY: usize = 64;

/// The cached answers derived from the presence view, rebuilt on every change.
struct View {
    online: HashMap<Uuid, Doctor>,
    /// `GET /api/doctors/online`, ready to send.
    online_json: Bytes,
    /// `{"type":"snapshot",...}`, ready to send.
    snapshot: ByteString,
}

impl View {
    fn build(online: HashMap<Uuid, Doctor>) -> View {
        let mut doctors: Vec<Doctor> = online.values().cloned().collect();
        doctors.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
        let online_json = serde_json::to_vec(&OnlineDoctors {
            doctors: doctors.clone(),
        })
        .expect("doctors serialize");
        let snapshot =
            serde_json::to_string(&ServerMessage::Snapshot { doctors }).expect("doctors serialize");
        View {
            online,
            online_json: Bytes::from(online_json),
            snapshot: ByteString::from(snapshot),
        }
    }
}

/// What the public channel carries to every socket.
#[derive(Clone, Debug)]
pub enum Public {
    /// A serialized event, the same bytes for every socket.
    Event(ByteString),
    /// The view was replaced: send [`Hub::snapshot`]. Each socket sends it itself, in
    /// fragments, as it does its first one (ADR 0015).
    Resync,
}

/// One socket's queue of personal events, by connection id.
type PersonalSocket = (u64, mpsc::Sender<ByteString>);

pub struct Hub {
    /// This process, among the replicas sharing a database.
    pub replica_id: Uuid,
    view: RwLock<View>,
    public: broadcast::Sender<Public>,
    personal: Mutex<HashMap<Uuid, Vec<PersonalSocket>>>,
    next_conn: AtomicU64,
    /// Whether the cross-replica event feed is connected (always true on SQLite).
    pub feed_connected: AtomicBool,
    /// Set when the server is stopping: sockets close with 1001 (going away).
    shutdown: tokio::sync::watch::Sender<bool>,
    /// Deactivated users: access tokens issued at or before this time (Unix seconds)
    /// are refused. Entries older than an access token's lifetime are dropped.
    revoked: RwLock<HashMap<Uuid, i64>>,
    pub counters: LiveCounters,
}

/// The live side's metrics (registered with the server's others in `metrics`).
#[derive(Clone)]
pub struct LiveCounters {
    pub open_sockets: prometheus::IntGauge,
    pub sent: prometheus::IntCounter,
    pub dropped: prometheus::IntCounter,
    presence_events: prometheus::IntCounterVec,
}

impl LiveCounters {
    fn new() -> LiveCounters {
        use crate::metrics::{counter, counter_vec, gauge};
        LiveCounters {
            open_sockets: gauge("ws_open_sockets", "WebSocket connections open now."),
            sent: counter("ws_messages_sent_total", "Messages sent to sockets."),
            dropped: counter(
                "ws_messages_dropped_total",
                "Messages a socket missed because it was not keeping up.",
            ),
            presence_events: counter_vec(
                "presence_events_total",
                "Doctor status events applied, made here (local) or on another replica.",
                &["origin"],
            ),
        }
    }

    pub fn register(&self, registry: &prometheus::Registry) -> prometheus::Result<()> {
        registry.register(Box::new(self.open_sockets.clone()))?;
        registry.register(Box::new(self.sent.clone()))?;
        registry.register(Box::new(self.dropped.clone()))?;
        registry.register(Box::new(self.presence_events.clone()))
    }
}

/// Where a doctor's status event was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Local,
    Replica,
}

impl Hub {
    pub fn new(online: Vec<Doctor>) -> Hub {
        let (public, _) = broadcast::channel(BROADCAST_CAPACITY);
        Hub {
            replica_id: Uuid::new_v4(),
            view: RwLock::new(View::build(online.into_iter().map(|d| (d.id, d)).collect())),
            public,
            personal: Mutex::new(HashMap::new()),
            next_conn: AtomicU64::new(1),
            feed_connected: AtomicBool::new(true),
            revoked: RwLock::new(HashMap::new()),
            shutdown: tokio::sync::watch::channel(false).0,
            counters: LiveCounters::new(),
        }
    }

    /// Tells every socket that the server is stopping.
    pub fn shut_down(&self) {
        self.shutdown.send_replace(true);
    }

    /// Resolves when the server is stopping.
    pub fn stopping(&self) -> tokio::sync::watch::Receiver<bool> {
        self.shutdown.subscribe()
    }

    /// Refuses the user's access tokens issued until `at`, and closes their sockets.
    pub fn revoke(&self, user: Uuid, at: i64) {
        let horizon =
            chrono::Utc::now().timestamp() - crate::domain::ACCESS_TOKEN_TTL_SECS as i64 - 60;
        let mut revoked = self.revoked.write().unwrap_or_else(|e| e.into_inner());
        revoked.retain(|_, t| *t > horizon);
        let entry = revoked.entry(user).or_insert(at);
        *entry = (*entry).max(at);
        drop(revoked);
        // Dropping the queues closes the user's signed-in sockets.
        self.personal
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&user);
    }

    /// Whether an access token of `user` issued at `issued_at` was revoked.
    /// When the user was last signed out everywhere (Unix seconds), if ever.
    pub fn revoked_at(&self, user: Uuid) -> Option<i64> {
        self.revoked
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&user)
            .copied()
    }

    pub fn is_revoked(&self, user: Uuid, issued_at: i64) -> bool {
        self.revoked
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&user)
            .is_some_and(|at| issued_at <= *at)
    }

    /// The body of `GET /api/doctors/online`: no database query, no serialization.
    pub fn online_json(&self) -> Bytes {
        self.view
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .online_json
            .clone()
    }

    pub fn snapshot(&self) -> ByteString {
        self.view
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .snapshot
            .clone()
    }

    pub fn is_online(&self, doctor: Uuid) -> bool {
        self.view
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .online
            .contains_key(&doctor)
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Public> {
        self.public.subscribe()
    }

    pub fn sockets(&self) -> usize {
        self.public.receiver_count()
    }

    /// Applies a doctor's new state, made on this replica, to the view and sends it to
    /// every socket.
    pub fn doctor_changed(&self, doctor: Doctor) {
        self.doctor_changed_from(doctor, Origin::Local);
    }

    /// Like [`Hub::doctor_changed`], for an event from `origin`.
    pub fn doctor_changed_from(&self, doctor: Doctor, origin: Origin) {
        let label = match origin {
            Origin::Local => "local",
            Origin::Replica => "replica",
        };
        self.counters
            .presence_events
            .with_label_values(&[label])
            .inc();
        let frame = ByteString::from(
            serde_json::to_string(&ServerMessage::DoctorStatus {
                doctor: doctor.clone(),
            })
            .expect("doctor serializes"),
        );
        {
            let mut view = self.view.write().unwrap_or_else(|e| e.into_inner());
            let was = view.online.get(&doctor.id);
            let changed = match (was, doctor.is_online) {
                (Some(old), true) => *old != doctor,
                (None, true) | (Some(_), false) => true,
                (None, false) => false,
            };
            if changed {
                let mut online = std::mem::take(&mut view.online);
                if doctor.is_online {
                    online.insert(doctor.id, doctor);
                } else {
                    online.remove(&doctor.id);
                }
                *view = View::build(online);
            }
        }
        // No receivers is fine: nobody is connected.
        let _ = self.public.send(Public::Event(frame));
    }

    /// Replaces the view with the database's truth, and resyncs every socket with a
    /// snapshot (they may have missed events).
    pub fn resync(&self, online: Vec<Doctor>) {
        let view = View::build(online.into_iter().map(|d| (d.id, d)).collect());
        *self.view.write().unwrap_or_else(|e| e.into_inner()) = view;
        let _ = self.public.send(Public::Resync);
    }

    /// Tells every signed-in socket on this replica to re-read what is personal to it
    /// (a `resync` message): events meant for it may have been lost.
    pub fn resync_signed_in(&self) {
        let frame = ByteString::from(
            serde_json::to_string(&ServerMessage::Resync).expect("message serializes"),
        );
        let mut map = self.personal.lock().unwrap_or_else(|e| e.into_inner());
        map.retain(|_, list| {
            list.retain(|(_, tx)| tx.try_send(frame.clone()).is_ok());
            !list.is_empty()
        });
    }

    /// Registers a socket for `user`'s personal events.
    pub fn register_personal(&self, user: Uuid) -> (u64, mpsc::Receiver<ByteString>) {
        let id = self.next_conn.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = mpsc::channel(PERSONAL_CAPACITY);
        self.personal
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(user)
            .or_default()
            .push((id, tx));
        (id, rx)
    }

    pub fn unregister_personal(&self, user: Uuid, conn: u64) {
        let mut map = self.personal.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(list) = map.get_mut(&user) {
            list.retain(|(id, _)| *id != conn);
            if list.is_empty() {
                map.remove(&user);
            }
        }
    }

    /// Sends a personal event to every socket of `user` on this replica. A socket whose
    /// queue is full is dropped from the list (its session then closes and the client
    /// reconnects).
    pub fn send_to_user(&self, user: Uuid, message: &ServerMessage) {
        let mut map = self.personal.lock().unwrap_or_else(|e| e.into_inner());
        let Some(list) = map.get_mut(&user) else {
            return;
        };
        let frame = ByteString::from(serde_json::to_string(message).expect("message serializes"));
        list.retain(|(_, tx)| {
            let kept = tx.try_send(frame.clone()).is_ok();
            if !kept {
                self.counters.dropped.inc();
            }
            kept
        });
        if list.is_empty() {
            map.remove(&user);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn doctor(name: &str, online: bool) -> Doctor {
        Doctor {
            accepting_consults: false,
            id: Uuid::new_v4(),
            name: name.into(),
            specialization: "Cardiology".into(),
            is_online: online,
            last_online: (!online).then(Utc::now),
        }
    }

    #[test]
    fn the_cached_answer_follows_changes() {
        let hub = Hub::new(vec![]);
        assert_eq!(&hub.online_json()[..], br#"{"doctors":[]}"#);
        let mut d = doctor("Dr. A", true);
        hub.doctor_changed(d.clone());
        let json: serde_json::Value = serde_json::from_slice(&hub.online_json()).unwrap();
        assert_eq!(json["doctors"][0]["name"], "Dr. A");
        assert!(hub.is_online(d.id));
        d.is_online = false;
        hub.doctor_changed(d.clone());
        assert_eq!(&hub.online_json()[..], br#"{"doctors":[]}"#);
        assert!(hub.snapshot().contains(r#""type":"snapshot""#));
    }

    #[test]
    fn the_same_bytes_are_reused_until_a_change() {
        let hub = Hub::new(vec![doctor("Dr. B", true)]);
        let a = hub.online_json();
        let b = hub.online_json();
        assert_eq!(
            a.as_ptr(),
            b.as_ptr(),
            "the cached body is shared, not rebuilt"
        );
        hub.doctor_changed(doctor("Dr. C", true));
        assert_ne!(hub.online_json().as_ptr(), a.as_ptr());
    }

    #[tokio::test]
    async fn a_slow_receiver_does_not_hold_back_a_fast_one() {
        let hub = Hub::new(vec![]);
        let mut fast = hub.subscribe();
        let mut slow = hub.subscribe();
        for i in 0..(BROADCAST_CAPACITY + 50) {
            hub.doctor_changed(doctor(&format!("Dr. {i}"), true));
            // The fast one keeps up with every event, as sent.
            let Public::Event(frame) = fast.recv().await.unwrap() else {
                panic!("an event, not a resync");
            };
            assert!(frame.contains(&format!("\"Dr. {i}\"")));
        }
        // The slow one lost its place; the session answers that with a snapshot.
        assert!(matches!(
            slow.recv().await,
            Err(broadcast::error::RecvError::Lagged(_))
        ));
    }

    #[tokio::test]
    async fn a_resync_replaces_the_view_and_tells_every_socket() {
        let hub = Hub::new(vec![doctor("Dr. Gone", true)]);
        let mut socket = hub.subscribe();
        hub.resync(vec![doctor("Dr. Back", true)]);
        assert!(matches!(socket.recv().await, Ok(Public::Resync)));
        let snapshot = hub.snapshot();
        assert!(snapshot.contains("Dr. Back") && !snapshot.contains("Dr. Gone"));
    }

    #[tokio::test]
    async fn a_personal_resync_reaches_every_signed_in_socket() {
        let hub = Hub::new(vec![]);
        let (_, mut a) = hub.register_personal(Uuid::new_v4());
        let (_, mut b) = hub.register_personal(Uuid::new_v4());
        let mut anonymous = hub.subscribe();
        hub.resync_signed_in();
        assert_eq!(&*a.recv().await.unwrap(), r#"{"type":"resync"}"#);
        assert_eq!(&*b.recv().await.unwrap(), r#"{"type":"resync"}"#);
        assert!(anonymous.try_recv().is_err(), "nothing public");
    }

    #[tokio::test]
    async fn personal_events_reach_only_their_user() {
        let hub = Hub::new(vec![]);
        let alice = Uuid::new_v4();
        let bob = Uuid::new_v4();
        let (_, mut a) = hub.register_personal(alice);
        let (bob_conn, mut b) = hub.register_personal(bob);
        hub.send_to_user(alice, &ServerMessage::AuthOk);
        assert!(a.recv().await.unwrap().contains("auth_ok"));
        assert!(b.try_recv().is_err());
        hub.unregister_personal(bob, bob_conn);
        hub.send_to_user(bob, &ServerMessage::AuthOk);
        assert!(b.try_recv().is_err());
    }
}
