//! Live availability: one WebSocket for the whole app. It keeps the online doctors
//! current, says whether it is live, announces changes to screen readers, and falls
//! back to polling while it reconnects.

use std::collections::HashMap;

use futures::channel::mpsc;
use futures::{FutureExt, SinkExt, StreamExt};
use gloo_net::websocket::Message;
use gloo_net::websocket::futures::WebSocket;
use gloo_timers::future::TimeoutFuture;
use leptos::prelude::*;
use leptos::task::spawn_local;
use mediconnect_shared::{AppointmentStatus, Doctor, ServerMessage};
use uuid::Uuid;

use crate::api;
use crate::state::session::Session;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Connection {
    Connecting,
    Live,
    Reconnecting,
}

#[derive(Clone, Copy)]
pub struct Live {
    /// Online doctors by id.
    pub online: RwSignal<HashMap<Uuid, Doctor>>,
    /// The latest state of every doctor an event told us about (online or not).
    pub changes: RwSignal<HashMap<Uuid, Doctor>>,
    pub connection: RwSignal<Connection>,
    /// The last change, in words, for the ARIA live region.
    pub announcement: RwSignal<String>,
    /// Whether the first snapshot (or poll) has arrived.
    pub loaded: RwSignal<bool>,
    /// Bumped on every change to one of the user's appointments (pages refetch on it).
    pub appointments_changed: RwSignal<u64>,
    /// Changes this tab is making itself, until their event arrives (or 15 s pass):
    /// their events are not announced, since the page reports the outcome itself.
    own_changes: StoredValue<Vec<(OwnChange, f64)>, LocalStorage>,
    restart: StoredValue<Option<mpsc::UnboundedSender<()>>, LocalStorage>,
}

/// A change the user is making in this tab, announced by the page that makes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnChange {
    /// A change to this appointment.
    Appointment(Uuid),
    /// A booking with this doctor (its id is not known before the answer).
    BookingWith(Uuid),
}

/// How long an own change waits for its event.
const OWN_CHANGE_MS: f64 = 15_000.0;

impl Live {
    /// Online doctors, sorted by name.
    pub fn online_sorted(&self) -> Vec<Doctor> {
        let mut list: Vec<Doctor> = self.online.with(|m| m.values().cloned().collect());
        list.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
        list
    }

    pub fn is_online(&self, id: Uuid) -> bool {
        self.online.with(|m| m.contains_key(&id))
    }

    /// Says that this tab is about to make `change`: its event will not be announced.
    /// Call it before the request, since the event may arrive before the answer.
    pub fn expect_own(&self, change: OwnChange) {
        let now = js_sys::Date::now();
        self.own_changes.update_value(|list| {
            list.retain(|(_, until)| *until > now);
            list.push((change, now + OWN_CHANGE_MS));
        });
    }

    /// Whether `appointment`'s event is of a change this tab made (and forgets that change).
    fn is_own(&self, appointment: &mediconnect_shared::Appointment) -> bool {
        let now = js_sys::Date::now();
        let mut own = false;
        self.own_changes.update_value(|list| {
            list.retain(|(_, until)| *until > now);
            let found = list.iter().position(|(change, _)| match change {
                OwnChange::Appointment(id) => *id == appointment.id,
                OwnChange::BookingWith(doctor) => {
                    *doctor == appointment.doctor.id
                        && appointment.status == AppointmentStatus::Scheduled
                }
            });
            if let Some(i) = found {
                list.remove(i);
                own = true;
            }
        });
        own
    }

    /// Reconnects, e.g. after signing in or out, so the socket carries the right identity.
    pub fn restart(&self) {
        self.restart.with_value(|tx| {
            if let Some(tx) = tx {
                let _ = tx.unbounded_send(());
            }
        });
    }

    fn replace(&self, doctors: Vec<Doctor>) {
        self.online
            .set(doctors.into_iter().map(|d| (d.id, d)).collect());
        self.loaded.set(true);
    }

    /// Takes in a doctor's new state (from an event, or from our own switch).
    pub fn apply(&self, doctor: Doctor) {
        // Untracked: this writes the signals it reads, and may run inside an effect.
        let was_online = self.online.with_untracked(|m| m.contains_key(&doctor.id));
        let message = match (was_online, doctor.is_online) {
            (false, true) => Some(format!("{} is now online.", doctor.name)),
            (true, false) => Some(format!("{} went offline.", doctor.name)),
            _ => None,
        };
        self.online.update(|m| {
            if doctor.is_online {
                m.insert(doctor.id, doctor.clone());
            } else {
                m.remove(&doctor.id);
            }
        });
        self.changes.update(|m| {
            m.insert(doctor.id, doctor);
        });
        if let Some(message) = message {
            self.announcement.set(message);
        }
    }
}

pub fn socket_url() -> Option<String> {
    let location = web_sys::window()?.location();
    let scheme = if location.protocol().ok()? == "https:" {
        "wss"
    } else {
        "ws"
    };
    Some(format!("{scheme}://{}/api/ws", location.host().ok()?))
}

/// Starts the socket and provides the context.
pub fn provide_live(session: Session) -> Live {
    let (tx, rx) = mpsc::unbounded();
    let live = Live {
        online: RwSignal::new(HashMap::new()),
        changes: RwSignal::new(HashMap::new()),
        connection: RwSignal::new(Connection::Connecting),
        announcement: RwSignal::new(String::new()),
        loaded: RwSignal::new(false),
        appointments_changed: RwSignal::new(0),
        own_changes: StoredValue::new_local(Vec::new()),
        restart: StoredValue::new_local(Some(tx)),
    };
    provide_context(live);
    // Reconnect with the new identity whenever the user signs in or out.
    let signed_in = Memo::new(move |_| session.user.with(|u| u.as_ref().map(|u| u.id)));
    Effect::new(move |previous: Option<Option<Uuid>>| {
        let now = signed_in.get();
        if previous.is_some_and(|p| p != now) {
            live.restart();
        }
        now
    });
    spawn_local(run(live, session, rx));
    live
}

pub fn use_live() -> Live {
    expect_context::<Live>()
}

async fn run(live: Live, session: Session, mut restart: mpsc::UnboundedReceiver<()>) {
    // Wait for the stored session to be restored, so the first socket can sign in.
    while !session.ready.get_untracked() {
        TimeoutFuture::new(50).await;
    }
    let mut backoff_ms: u32 = 500;
    loop {
        let ended = connect_once(live, session, &mut restart).await;
        if ended == Ended::Restart {
            // A new identity: reconnect at once, so a doctor's socket signs in before
            // they can switch themselves online.
            backoff_ms = 500;
            continue;
        }
        if ended == Ended::AfterSnapshot {
            backoff_ms = 500;
        }
        live.connection.set(Connection::Reconnecting);
        // While the socket is down, keep the list true by polling.
        if let Ok(doctors) = api::online_doctors().await {
            live.replace(doctors);
        }
        // Backoff with jitter, cut short by a restart request.
        let jitter = (js_sys::Math::random() * f64::from(backoff_ms) / 2.0) as u32;
        let mut sleep = TimeoutFuture::new(backoff_ms + jitter).fuse();
        let mut wake = restart.next().fuse();
        futures::select! {
            _ = sleep => {}
            _ = wake => { backoff_ms = 500; continue; }
        }
        backoff_ms = (backoff_ms * 2).min(15_000);
        // Poll every few seconds during long outages.
        if backoff_ms >= 4_000
            && let Ok(doctors) = api::online_doctors().await
        {
            live.replace(doctors);
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Ended {
    /// A restart was asked for.
    Restart,
    /// The connection dropped after it had worked.
    AfterSnapshot,
    /// The connection failed, or dropped before the snapshot.
    Failed,
}

/// One connection, until it drops or a restart is asked for.
async fn connect_once(
    live: Live,
    session: Session,
    restart: &mut mpsc::UnboundedReceiver<()>,
) -> Ended {
    let Some(url) = socket_url() else {
        return Ended::Failed;
    };
    let Ok(socket) = WebSocket::open(&url) else {
        return Ended::Failed;
    };
    let (mut write, mut read) = socket.split();
    // The token this connection first authenticated with, until the server answers.
    // Only that one is replaced when refused: once per connection, not in a loop.
    let mut pending_auth = None;
    if session.user.get_untracked().is_some()
        && let Ok(token) = api::access_token().await
    {
        if write.send(auth_message(&token)).await.is_err() {
            return Ended::Failed;
        }
        pending_auth = Some(token);
    }
    let mut got_snapshot = false;
    let dropped = |got_snapshot: bool| {
        if got_snapshot {
            Ended::AfterSnapshot
        } else {
            Ended::Failed
        }
    };
    loop {
        let mut next = read.next().fuse();
        let mut wake = restart.next().fuse();
        let message = futures::select! {
            m = next => m,
            _ = wake => return Ended::Restart,
        };
        let text = match message {
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(Message::Bytes(_))) => continue,
            Some(Err(_)) | None => return dropped(got_snapshot),
        };
        match read_message(&text) {
            Some(ServerMessage::Snapshot { doctors }) => {
                live.replace(doctors);
                live.connection.set(Connection::Live);
                got_snapshot = true;
            }
            Some(ServerMessage::DoctorStatus { doctor }) => live.apply(doctor),
            Some(ServerMessage::Appointment { appointment }) if live.is_own(&appointment) => {
                live.appointments_changed.update(|v| *v += 1);
            }
            Some(ServerMessage::Appointment { appointment }) => {
                // Named after the other party: a doctor hears the patient's name.
                let viewer_is_doctor = session.user.with_untracked(|u| {
                    u.as_ref()
                        .is_some_and(|u| u.role == mediconnect_shared::Role::Doctor)
                });
                let with = if viewer_is_doctor {
                    &appointment.patient.name
                } else {
                    &appointment.doctor.name
                };
                let status = match appointment.status {
                    AppointmentStatus::Scheduled => "is scheduled",
                    AppointmentStatus::Completed => "is completed",
                    AppointmentStatus::Cancelled => "is cancelled",
                    AppointmentStatus::NoShow => "is marked missed",
                };
                live.announcement.set(format!(
                    "Appointment with {with} on {} {status}.",
                    crate::dates::format_local(appointment.scheduled_for),
                ));
                live.appointments_changed.update(|v| *v += 1);
            }
            Some(ServerMessage::Waitlist { waitlist }) => {
                if let Some(offer) = &waitlist.offer {
                    live.announcement.set(format!(
                        "A time with {} on {} is held for you until {}: see Appointments.",
                        waitlist.doctor.name,
                        crate::dates::format_local(offer.start),
                        crate::dates::format_local(offer.expires_at),
                    ));
                }
                live.appointments_changed.update(|v| *v += 1);
            }
            // Not read here (see `read_message`).
            Some(
                ServerMessage::Consult { .. }
                | ServerMessage::ConsultQueue { .. }
                | ServerMessage::ConsultStarted { .. }
                | ServerMessage::Signal { .. }
                | ServerMessage::ConsultChat { .. },
            ) => {}
            Some(ServerMessage::AuthOk) => pending_auth = None,
            // The server may have lost events meant for this user: pages re-read their
            // appointments, quietly (nothing to announce).
            Some(ServerMessage::Resync) => live.appointments_changed.update(|v| *v += 1),
            // The token was refused: it expired while the tab slept, or the session was
            // revoked elsewhere (a password change, a deactivation), which also closed
            // the previous connection. A new token is sent; if the refresh is refused
            // too, the tab is signed out now, not at its next call.
            Some(ServerMessage::Error { .. }) => {
                if let Some(refused) = pending_auth.take()
                    && let Ok(token) = api::refresh(Some(&refused)).await
                    && write.send(auth_message(&token)).await.is_err()
                {
                    return dropped(got_snapshot);
                }
            }
            None => {}
        }
    }
}

/// `{"type":"auth","token":"..."}`, written out: serializing `ClientMessage` here
/// would bring the call signals' JSON writer into the first load. An access token is a
/// JWT, base64url and dots, which JSON takes as they are.
/// What this socket acts on, read with only the fields it needs.
#[derive(serde::Deserialize)]
struct Incoming {
    #[serde(rename = "type")]
    kind: String,
    doctors: Option<Vec<Doctor>>,
    doctor: Option<Doctor>,
    appointment: Option<mediconnect_shared::Appointment>,
    waitlist: Option<mediconnect_shared::WaitlistNotice>,
}

/// A server message this socket acts on: the online doctors and the user's own
/// appointments and waitlists. The consult messages (places, queues, chat, call
/// signals) are left to the consult views, which hold a socket of their own and read
/// them with `ServerMessage`'s own decoder: here it would bring their types into the
/// app's first load (ADR 0024). So is any type newer than this app.
fn read_message(text: &str) -> Option<ServerMessage> {
    let m: Incoming = crate::api::json::from_str(text)?;
    Some(match m.kind.as_str() {
        "snapshot" => ServerMessage::Snapshot {
            doctors: m.doctors?,
        },
        "doctor_status" => ServerMessage::DoctorStatus { doctor: m.doctor? },
        "appointment" => ServerMessage::Appointment {
            appointment: m.appointment?,
        },
        "waitlist" => ServerMessage::Waitlist {
            waitlist: m.waitlist?,
        },
        "auth_ok" => ServerMessage::AuthOk,
        "resync" => ServerMessage::Resync,
        "error" => ServerMessage::Error {
            message: String::new(),
        },
        _ => return None,
    })
}

pub fn auth_message(token: &str) -> Message {
    debug_assert!(
        token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    );
    Message::Text(format!(r#"{{"type":"auth","token":"{token}"}}"#))
}
