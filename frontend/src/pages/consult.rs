//! Consult now: a patient asks an online doctor for a consultation (on the doctor's
//! page), the doctor takes patients from their queue (on their home page), and the two
//! meet in the room, `/consult/{id}`: a video call between the two browsers, whose
//! signals travel on the live socket, and a chat beside it, kept with the consult, which
//! works without camera or microphone.
//!
//! The call: the patient's room says `ready` (again every few seconds until an offer
//! comes); the doctor's room says `ready` once as it opens, and answers each `ready`
//! with a fresh offer; the patient answers each offer. Each offer has a number that its
//! answer and candidates repeat, so a late message of an earlier attempt is ignored.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use futures::channel::mpsc;
use futures::{FutureExt, SinkExt, StreamExt};
use gloo_net::websocket::Message;
use gloo_net::websocket::futures::WebSocket;
use gloo_timers::future::TimeoutFuture;
use js_sys::{Array, Function, Object, Promise, Reflect};
use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use mediconnect_shared::{
    ChatMessage, ClientMessage, Consult, ConsultQueue, ConsultRoom, ConsultStatus, IceServer,
    NewConsult, Role, ServerMessage, SignalData,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::api::{self, ApiAction, ApiResource};
use crate::components::{Field, FormError, Loading, RequireAuth};
use crate::dates::time_label;
use crate::router::{A, use_location};
use crate::state::live::{auth_message, socket_url, use_live};

/// A consult view's way to send on its socket (the room's call signals).
#[derive(Clone)]
struct Link(mpsc::UnboundedSender<String>);

impl Link {
    fn send(&self, text: String) {
        let _ = self.0.unbounded_send(text);
    }
}

/// Opens the calling view's own live socket, signed in, for as long as the view is
/// shown, reconnecting when it drops, and calls `on` with each message it brings
/// (`auth_ok` each time it is signed in again). The app's socket gets the same
/// messages; the consult views keep one of their own so that their code, and the
/// room's signals, stay out of the app's first load.
fn consult_socket(on: impl FnMut(ServerMessage) + 'static) -> Link {
    let (tx, mut outgoing) = mpsc::unbounded::<String>();
    // Held by the task, so that a view that never sends may drop its `Link`.
    let keep_open = tx.clone();
    let (task, stop) = futures::future::abortable(async move {
        let _keep_open = keep_open;
        let mut on = on;
        loop {
            if let Some(Ok(socket)) = socket_url().map(|url| WebSocket::open(&url)) {
                let (mut write, mut read) = socket.split();
                if let Ok(token) = api::access_token().await
                    && write.send(auth_message(&token)).await.is_ok()
                {
                    loop {
                        let mut next = read.next().fuse();
                        let mut out = outgoing.next().fuse();
                        futures::select! {
                            m = next => match m {
                                Some(Ok(Message::Text(text))) => {
                                    if let Ok(m) = serde_json::from_str::<ServerMessage>(&text) {
                                        on(m);
                                    }
                                }
                                Some(Ok(Message::Bytes(_))) => {}
                                Some(Err(_)) | None => break,
                            },
                            text = out => match text {
                                Some(text) => {
                                    if write.send(Message::Text(text)).await.is_err() {
                                        break;
                                    }
                                }
                                None => return,
                            },
                        }
                    }
                }
            }
            TimeoutFuture::new(1_000).await;
        }
    });
    spawn_local(async move {
        let _ = task.await;
    });
    on_cleanup(move || stop.abort());
    Link(tx)
}

// ---------------------------------------------------------------------------------------
// The patient: "Consult now" on the doctor's page.
// ---------------------------------------------------------------------------------------

/// On a doctor's page, for a signed-in patient while the doctor is online and takes
/// consults: ask for one now, then the place in the queue, live, and a way to leave.
#[component]
pub fn ConsultNow(doctor: Uuid, name: String) -> impl IntoView {
    let live = use_live();
    let reason = RwSignal::new(String::new());
    // The patient's open consult, from the server first, then from the socket.
    let consult = RwSignal::new(None::<Consult>);
    let current = ApiResource::new(api::current_consult);
    Effect::new(move |_| {
        if let Some(Ok(Some(c))) = current.get() {
            consult.set(Some(c));
        }
    });
    let location = use_location();
    consult_socket(move |m| match m {
        ServerMessage::Consult { consult: c } => {
            let Some(c) = c.get() else { return };
            match c.status {
                ConsultStatus::Waiting if c.position == 1 => {
                    live.announcement.set("You are next in the queue.".into());
                }
                ConsultStatus::Dropped => live.announcement.set(
                    "Your consult request ended: the doctor went offline, or you were away too \
                     long."
                        .into(),
                ),
                _ => {}
            }
            consult.set(Some(c));
        }
        // Taken: to the room.
        ServerMessage::ConsultStarted { consult: c } => {
            if let Some(c) = c.get().filter(|c| c.status == ConsultStatus::Active) {
                live.announcement.set("Your consult is starting.".into());
                location.navigate(&format!("/consult/{}", c.id));
            }
        }
        _ => {}
    });
    let join = ApiAction::new(|req: &NewConsult| {
        let req = req.clone();
        async move { api::join_consult(&req).await }
    });
    Effect::new(move |_| {
        if let Some(Ok(c)) = join.result() {
            consult.set(Some(c));
        }
    });
    let leave = ApiAction::new(|id: &Uuid| {
        let id = *id;
        async move { api::leave_consult(id).await }
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = leave.result() {
            consult.set(None);
            live.announcement.set("You left the queue.".into());
        }
    });
    let mine = move || {
        consult
            .get()
            .filter(|c| c.doctor_id == doctor && c.status == ConsultStatus::Waiting)
    };
    let active_here = move || {
        consult
            .get()
            .filter(|c| c.doctor_id == doctor && c.status == ConsultStatus::Active)
    };
    let ended_here = move || {
        consult
            .get()
            .is_some_and(|c| c.doctor_id == doctor && c.status == ConsultStatus::Dropped)
    };
    let failure = move || join.error().or_else(|| leave.error()).map(|e| e.message());
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let text = reason.get_untracked();
        let text = text.trim();
        join.dispatch(NewConsult {
            doctor_id: doctor,
            reason: (!text.is_empty()).then(|| text.to_owned()),
        });
    };
    let waiting_name = name.clone();
    view! {
        <section class="card consult-now" aria-labelledby="consult-heading" data-test="consult-now">
            <h2 id="consult-heading">"Consult now"</h2>
            <FormError message=Signal::derive(failure)/>
            {move || active_here().map(|c| view! {
                <p class="alert success" role="status">
                    "Your consult has started. "
                    <A href=format!("/consult/{}", c.id)>"Go to the consult"</A>
                </p>
            })}
            {move || match mine() {
                Some(c) => view! {
                    <div role="status" data-test="consult-waiting">
                        <p class="consult-place">
                            {if c.position <= 1 {
                                "You are next.".to_owned()
                            } else {
                                format!("You are number {} in the queue.", c.position)
                            }}
                        </p>
                        <p class="muted">
                            {if c.estimated_wait_minutes == 0 {
                                format!("{waiting_name} will take you as soon as they can.")
                            } else {
                                format!(
                                    "About {} minutes. Keep this tab open: the call starts \
                                     here when {waiting_name} takes you.",
                                    c.estimated_wait_minutes
                                )
                            }}
                        </p>
                    </div>
                    <button
                        type="button"
                        class="button secondary"
                        disabled=move || leave.pending()
                        on:click=move |_| { leave.dispatch(c.id); }
                    >
                        "Leave the queue"
                    </button>
                }.into_any(),
                None if active_here().is_some() => ().into_any(),
                None => view! {
                    {move || ended_here().then(|| view! {
                        <p class="alert" role="status">
                            "Your request ended: the doctor went offline, or you were away too \
                             long. Book a time instead, or ask again when they are back."
                        </p>
                    })}
                    <p class="muted">
                        {format!(
                            "{name} is online and taking consults: wait in their queue and \
                             talk by video (or chat) in a few minutes."
                        )}
                    </p>
                    <form on:submit=on_submit>
                        <Field id="consult-reason" label="What is it about? (for the doctor only)"
                            kind="text" value=reason/>
                        <button class="button" type="submit" disabled=move || join.pending()>
                            {move || {
                                if join.pending() { "Joining…" } else { "Ask for a consult now" }
                            }}
                        </button>
                    </form>
                }.into_any(),
            }}
        </section>
    }
}

// ---------------------------------------------------------------------------------------
// The doctor: the queue on the home page.
// ---------------------------------------------------------------------------------------

/// The signed-in doctor's id, for [`ConsultQueueCard`].
#[derive(Clone, Copy)]
pub struct OwnDoctor(pub Uuid);

/// On the doctor's home page: take consults now (while online), the queue, live, and
/// "Take the next patient".
#[component]
pub fn ConsultQueueCard() -> impl IntoView {
    let live = use_live();
    let location = use_location();
    let OwnDoctor(id) = expect_context::<OwnDoctor>();
    let queue = RwSignal::new(None::<ConsultQueue>);
    let loaded = ApiResource::new(api::consult_queue);
    Effect::new(move |_| {
        if let Some(Ok(q)) = loaded.get() {
            queue.set(Some(q));
        }
    });
    consult_socket(move |m| {
        if let ServerMessage::ConsultQueue { queue: q } = m
            && let Some(q) = q.get()
        {
            queue.set(Some(q));
        }
    });
    let me = move || live.online.with(|m| m.get(&id).cloned());
    let online = move || me().is_some();
    let accepting = move || me().is_some_and(|d| d.accepting_consults);
    let switch = ApiAction::new(|on: &bool| {
        let on = *on;
        async move { api::set_accepting_consults(on).await }
    });
    Effect::new(move |_| {
        if let Some(Ok(d)) = switch.result() {
            live.apply(d);
        }
    });
    let next = ApiAction::new(|_: &()| async move { api::next_consult().await });
    Effect::new(move |_| {
        if let Some(Ok(started)) = next.result() {
            location.navigate(&format!("/consult/{}", started.id));
        }
    });
    let patients = move || queue.get().map(|q| q.patients).unwrap_or_default();
    let failure = move || switch.error().or_else(|| next.error()).map(|e| e.message());
    view! {
        <section
            class="card consult-queue"
            aria-labelledby="queue-heading"
            data-test="consult-queue"
        >
            <h2 id="queue-heading">"Consults now"</h2>
            <FormError message=Signal::derive(failure)/>
            <label class="choice">
                <input
                    type="checkbox"
                    data-test="accepting-consults"
                    prop:checked=accepting
                    disabled=move || !online() || switch.pending()
                    on:change=move |ev| { switch.dispatch(event_target_checked(&ev)); }
                />
                "Take consults now"
            </label>
            <p class="muted">
                {move || if !online() {
                    "Go online to take consults: patients then ask for one from your page and \
                     wait in your queue."
                } else if accepting() {
                    "Patients can ask for a consult now. Going offline ends your queue, and \
                     each patient waiting is told."
                } else {
                    "Patients can only book times with you."
                }}
            </p>
            {move || {
                let list = patients();
                if list.is_empty() {
                    view! { <p class="empty" data-test="queue-empty">"Nobody is waiting."</p> }
                        .into_any()
                } else {
                    let count = list.len();
                    view! {
                        <p role="status">
                            {if count == 1 {
                                "1 patient is waiting.".to_owned()
                            } else {
                                format!("{count} patients are waiting.")
                            }}
                        </p>
                        <ol class="queue-list">
                            {list.into_iter().map(|p| view! {
                                <li data-test="queued-patient">
                                    <strong>{p.patient_name}</strong>
                                    " "
                                    <span class="muted">
                                        {format!("waiting since {}", time_label(p.waiting_since))}
                                    </span>
                                    {p.reason.map(|r| view! { <p class="reason">{r}</p> })}
                                </li>
                            }).collect_view()}
                        </ol>
                        <button
                            type="button"
                            class="button"
                            disabled=move || next.pending()
                            on:click=move |_| { next.dispatch(()); }
                        >
                            {move || {
                                if next.pending() { "Starting…" } else { "Take the next patient" }
                            }}
                        </button>
                    }
                    .into_any()
                }
            }}
        </section>
    }
}

// ---------------------------------------------------------------------------------------
// The room.
// ---------------------------------------------------------------------------------------

/// `/consult/{id}`.
#[component]
pub fn ConsultRoomPage() -> impl IntoView {
    let location = use_location();
    let id = location
        .path_untracked()
        .strip_prefix("/consult/")
        .and_then(|s| s.parse::<Uuid>().ok());
    match id {
        Some(id) => view! {
            <RequireAuth>
                <RoomLoader id=id/>
            </RequireAuth>
        }
        .into_any(),
        None => view! { <crate::pages::NotFound/> }.into_any(),
    }
}

#[component]
fn RoomLoader(id: Uuid) -> impl IntoView {
    let room = ApiResource::new(move || api::consult_room(id));
    view! {
        <Transition fallback=|| view! { <Loading message="Opening the consult…"/> }>
            {move || room.get().map(|r| match r {
                Ok(room) => view! { <Room room=room/> }.into_any(),
                Err(e) if e.status == 404 => view! {
                    <h1>"No such consult"</h1>
                    <p>"This consult is not yours, or it does not exist. "
                        <A href="/appointments">"See your appointments"</A></p>
                }.into_any(),
                Err(e) => view! {
                    <p class="alert error" role="alert">{e.message()}</p>
                }.into_any(),
            })}
        </Transition>
    }
}

/// How the call stands, in words for the page.
#[derive(Debug, Clone, PartialEq)]
enum CallState {
    /// Asking for the camera and microphone.
    Starting,
    /// Waiting for the other party to open the room.
    Waiting,
    Connecting,
    Connected,
    /// The connection failed or was lost.
    Lost,
    /// No call: the consult is over (or the reader is an admin).
    None,
}

#[component]
fn Room(room: ConsultRoom) -> impl IntoView {
    let live = use_live();
    let id = room.id;
    let party = room.role != Role::Admin;
    let ended = RwSignal::new(room.status != ConsultStatus::Active);
    let kept = RwSignal::new(room.appointment_id);
    let other = if room.role == Role::Doctor {
        room.patient_name.clone()
    } else {
        room.doctor.name.clone()
    };
    let title = match room.role {
        Role::Admin => format!("Consult of {} with {}", room.patient_name, room.doctor.name),
        _ => format!("Consult with {other}"),
    };
    if let Some(doc) = web_sys::window().and_then(|w| w.document()) {
        doc.set_title(&format!("{title} · MediConnect"));
    }
    let state = RwSignal::new(if ended.get_untracked() || !party {
        CallState::None
    } else {
        CallState::Starting
    });
    let media_error = RwSignal::new(None::<String>);
    let remote_video = NodeRef::<html::Video>::new();
    let local_video = NodeRef::<html::Video>::new();

    // The chat: what was said, then what is said.
    let messages = RwSignal::new(Vec::<ChatMessage>::new());
    let chat_error = RwSignal::new(None::<String>);
    spawn_local(async move {
        match api::consult_chat(id).await {
            Ok(list) => messages.update(|m| {
                for message in list.messages {
                    if !m.iter().any(|x| x.id == message.id) {
                        m.push(message);
                    }
                }
                m.sort_by_key(|x| x.sent_at);
            }),
            Err(e) => chat_error.set(Some(e.message())),
        }
    });

    // The room's messages from the socket: the chat, the call's signals, the end.
    let call: StoredValue<Option<Rc<Call>>, LocalStorage> = StoredValue::new_local(None);
    if party && !ended.get_untracked() {
        let (sink, mut inbox) = mpsc::unbounded::<ServerMessage>();
        let link = consult_socket(move |m| {
            let _ = sink.unbounded_send(m);
        });
        let ice = room.ice_servers.clone();
        let role = room.role;
        let (task, stop) = futures::future::abortable(async move {
            let local = match user_media().await {
                Ok(stream) => {
                    if let Some(video) = local_video.get_untracked() {
                        set(&video, "srcObject", &stream);
                    }
                    Some(stream)
                }
                Err(message) => {
                    media_error.set(Some(message));
                    None
                }
            };
            if ended.get_untracked() {
                stop(local.as_ref());
                return;
            }
            let c = Rc::new(Call {
                link,
                consult: id,
                offerer: role == Role::Doctor,
                ice,
                local,
                pc: RefCell::new(None),
                n: Cell::new(0),
                offered: Cell::new(false),
                remote_video,
                state,
                handlers: RefCell::new(Vec::new()),
            });
            call.set_value(Some(c.clone()));
            state.set(CallState::Waiting);
            if !c.offerer {
                // Again until the doctor's offer comes (a room opened before theirs, a
                // message lost to a reconnect).
                let again = c.clone();
                spawn_local(async move {
                    loop {
                        TimeoutFuture::new(3_000).await;
                        if again.offered.get() || ended.get_untracked() {
                            break;
                        }
                        again.say_ready();
                    }
                });
            }
            while let Some(message) = inbox.next().await {
                match message {
                    // Signed in (again): the other room may be waiting for us.
                    ServerMessage::AuthOk => c.say_ready(),
                    ServerMessage::Signal {
                        consult_id, data, ..
                    } if consult_id == id => c.on_signal(&data.json()).await,
                    ServerMessage::ConsultChat { chat } => {
                        let Some(chat) = chat.get().filter(|m| m.consult_id == id) else {
                            continue;
                        };
                        messages.update(|m| {
                            if !m.iter().any(|x| x.id == chat.id) {
                                m.push(chat);
                            }
                        });
                    }
                    ServerMessage::ConsultStarted { consult }
                        if consult
                            .get()
                            .is_some_and(|c| c.id == id && c.status != ConsultStatus::Active) =>
                    {
                        ended.set(true);
                        c.hang_up();
                        state.set(CallState::None);
                        live.announcement.set("The consult has ended.".into());
                        if let Ok(r) = api::consult_room(id).await {
                            kept.set(r.appointment_id);
                        }
                        break;
                    }
                    _ => {}
                }
            }
        });
        spawn_local(async move {
            let _ = task.await;
        });
        on_cleanup(move || stop.abort());
    }
    on_cleanup(move || {
        call.with_value(|c| {
            if let Some(c) = c {
                c.hang_up();
            }
        });
    });

    let end = ApiAction::new(move |_: &()| async move { api::end_consult(id).await });
    Effect::new(move |_| {
        if let Some(Ok(r)) = end.result() {
            kept.set(r.appointment_id);
            ended.set(true);
            state.set(CallState::None);
            call.with_value(|c| {
                if let Some(c) = c {
                    c.hang_up();
                }
            });
        }
    });
    let draft = RwSignal::new(String::new());
    let say = ApiAction::new(move |text: &String| {
        let text = text.clone();
        async move { api::say_in_consult(id, text).await }
    });
    Effect::new(move |_| match say.result() {
        Some(Ok(message)) => {
            draft.set(String::new());
            chat_error.set(None);
            messages.update(|m| {
                if !m.iter().any(|x| x.id == message.id) {
                    m.push(message);
                }
            });
        }
        Some(Err(e)) => chat_error.set(Some(e.message())),
        None => {}
    });
    let on_say = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let text = draft.get_untracked();
        if !text.trim().is_empty() {
            say.dispatch(text);
        }
    };
    let me = room.role;
    let other_name = other.clone();
    let status_text = move || match state.get() {
        CallState::Starting => "Asking for your camera and microphone…".to_owned(),
        CallState::Waiting => format!("Waiting for {other_name} to join…"),
        CallState::Connecting => "Connecting the call…".to_owned(),
        CallState::Connected => "Connected.".to_owned(),
        CallState::Lost => "The call could not connect, or was cut off. You can still \
                            write to each other below."
            .to_owned(),
        CallState::None => String::new(),
    };
    let reason = room.reason.clone();
    view! {
        <article class="consult-room" data-test="consult-room">
            <header class="card">
                <h1>{title}</h1>
                {reason.map(|r| view! { <p class="muted">"About: " {r}</p> })}
                <p role="status" data-test="call-status">{status_text}</p>
                {move || media_error.get().map(|m| view! {
                    <p class="alert" role="alert" data-test="media-error">
                        {m} " You can still use the chat below."
                    </p>
                })}
                {move || ended.get().then(|| view! {
                    <p class="alert success" role="status" data-test="consult-ended">
                        "This consult has ended. It is kept in your appointments. "
                        <A href="/appointments">"See your appointments"</A>
                        {move || kept.get().map(|_| "")}
                    </p>
                })}
                {move || (party && !ended.get()).then(|| view! {
                    <div class="card-actions">
                        <button
                            type="button"
                            class="button danger"
                            data-test="end-consult"
                            disabled=move || end.pending()
                            on:click=move |_| { end.dispatch(()); }
                        >
                            {move || if end.pending() { "Ending…" } else { "End the consult" }}
                        </button>
                    </div>
                })}
                {move || end.error().map(|e| view! {
                    <p class="alert error" role="alert">{e.message()}</p>
                })}
            </header>
            <div class="consult-body">
                <section
                    class="card call"
                    aria-label="Video"
                    hidden=move || ended.get() || !party
                >
                    <video
                        node_ref=remote_video
                        class="remote-video"
                        data-test="remote-video"
                        autoplay=true
                        playsinline=true
                        aria-label=format!("{other}'s video")
                    ></video>
                    <video
                        node_ref=local_video
                        class="local-video"
                        data-test="local-video"
                        autoplay=true
                        playsinline=true
                        muted=true
                        prop:muted=true
                        aria-label="Your video"
                    ></video>
                </section>
                <section class="card chat" aria-labelledby="chat-heading">
                    <h2 id="chat-heading">"Chat"</h2>
                    <ol class="chat-list" aria-live="polite" data-test="chat-list">
                        {move || {
                            let list = messages.get();
                            if list.is_empty() {
                                view! { <li class="empty">"No messages yet."</li> }.into_any()
                            } else {
                                list.into_iter().map(|m| {
                                    let mine = m.from == me;
                                    let who = match (mine, m.from) {
                                        (true, _) => "You",
                                        (false, Role::Doctor) => "Doctor",
                                        (false, _) => "Patient",
                                    };
                                    view! {
                                        <li
                                            class=if mine {
                                                "chat-message mine"
                                            } else {
                                                "chat-message"
                                            }
                                            data-test="chat-message"
                                        >
                                            <span class="chat-meta">
                                                {format!("{who}, {}", time_label(m.sent_at))}
                                            </span>
                                            <span class="chat-text">{m.text}</span>
                                        </li>
                                    }
                                }).collect_view().into_any()
                            }
                        }}
                    </ol>
                    <FormError message=Signal::derive(move || chat_error.get())/>
                    {move || (party && !ended.get()).then(|| view! {
                        <form class="chat-form" on:submit=on_say>
                            <label for="chat-input" class="visually-hidden">"Message"</label>
                            <input
                                id="chat-input"
                                type="text"
                                maxlength="2000"
                                autocomplete="off"
                                placeholder="Write a message"
                                data-test="chat-input"
                                prop:value=move || draft.get()
                                on:input=move |ev| draft.set(event_target_value(&ev))
                            />
                            <button class="button" type="submit" disabled=move || say.pending()>
                                "Send"
                            </button>
                        </form>
                    })}
                </section>
            </div>
        </article>
    }
}

// The browser's WebRTC and media objects are used through `Reflect`: web-sys's typed
// bindings would each add an import, and its glue, to the app's first load (the
// imports of every module are the main module's).

fn get(object: &JsValue, key: &str) -> JsValue {
    Reflect::get(object, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn set(object: &JsValue, key: &str, value: &JsValue) {
    let _ = Reflect::set(object, &JsValue::from_str(key), value);
}

/// `object.method(...args)`, or its exception.
fn call(object: &JsValue, method: &str, args: &[&JsValue]) -> Result<JsValue, JsValue> {
    let f: Function = get(object, method)
        .dyn_into()
        .map_err(|_| JsValue::from_str(method))?;
    match args {
        [] => f.call0(object),
        [a] => f.call1(object, a),
        [a, b, ..] => f.call2(object, a, b),
    }
}

/// Awaits the promise `object.method(...args)` returns.
async fn call_async(object: &JsValue, method: &str, args: &[&JsValue]) -> Result<JsValue, JsValue> {
    let promise: Promise = call(object, method, args)?.dyn_into()?;
    JsFuture::from(promise).await
}

/// `new Name(...args)` of the browser's global `name`.
fn construct(name: &str, args: &[&JsValue]) -> Result<JsValue, JsValue> {
    let class: Function = get(&js_sys::global(), name).dyn_into()?;
    let list = Array::new();
    for a in args {
        list.push(a);
    }
    Reflect::construct(&class, &list)
}

/// A plain object of `pairs`.
fn object(pairs: &[(&str, JsValue)]) -> JsValue {
    let o: JsValue = Object::new().into();
    for (k, v) in pairs {
        set(&o, k, v);
    }
    o
}

/// The camera and microphone (a `MediaStream`), or why not, in words.
async fn user_media() -> Result<JsValue, String> {
    let devices = get(&get(&js_sys::global(), "navigator"), "mediaDevices");
    if devices.is_undefined() {
        return Err("This browser cannot use a camera here (it needs a secure connection).".into());
    }
    let constraints = object(&[("audio", JsValue::TRUE), ("video", JsValue::TRUE)]);
    match call_async(&devices, "getUserMedia", &[&constraints]).await {
        Ok(stream) => Ok(stream),
        Err(e) => Err(match get(&e, "name").as_string().as_deref() {
            Some("NotAllowedError" | "SecurityError") => {
                "Your camera and microphone are blocked for this site.".to_owned()
            }
            Some("NotFoundError" | "OverconstrainedError") => {
                "No camera or microphone was found.".to_owned()
            }
            Some("NotReadableError") => "Your camera or microphone is in use elsewhere.".to_owned(),
            _ => "Your camera or microphone did not start.".to_owned(),
        }),
    }
}

/// The tracks of a `MediaStream`.
fn tracks(stream: &JsValue) -> Vec<JsValue> {
    call(stream, "getTracks", &[])
        .map(|t| Array::from(&t).iter().collect())
        .unwrap_or_default()
}

fn stop(stream: Option<&JsValue>) {
    for track in stream.map(tracks).unwrap_or_default() {
        let _ = call(&track, "stop", &[]);
    }
}

/// A call signal, as the two rooms write it in a signal's `data`.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Sig {
    /// `ready`, `offer`, `answer` or `candidate`.
    kind: String,
    /// The offer this belongs to.
    #[serde(default)]
    n: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sdp: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    candidate: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    mid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    line: Option<u16>,
}

/// An event handler of the connection.
type Handler = Closure<dyn FnMut(JsValue)>;

/// The call of one room.
struct Call {
    /// The room's socket.
    link: Link,
    consult: Uuid,
    /// The doctor offers; the patient answers.
    offerer: bool,
    ice: Vec<IceServer>,
    /// The camera and microphone, if they could be had.
    local: Option<JsValue>,
    /// The `RTCPeerConnection` of the current offer.
    pc: RefCell<Option<JsValue>>,
    /// The current offer's number.
    n: Cell<u32>,
    /// Whether an offer ever came (for the patient).
    offered: Cell<bool>,
    remote_video: NodeRef<html::Video>,
    state: RwSignal<CallState>,
    /// The connection's event handlers, kept alive as long as the call.
    handlers: RefCell<Vec<Handler>>,
}

const HANDLERS: [&str; 3] = ["onicecandidate", "ontrack", "onconnectionstatechange"];

impl Call {
    fn send(&self, sig: &Sig) {
        let Ok(json) = serde_json::to_string(sig) else {
            return;
        };
        let Some(data) = SignalData::from_json(json) else {
            return;
        };
        let message = ClientMessage::Signal {
            consult_id: self.consult,
            data,
        };
        if let Ok(text) = serde_json::to_string(&message) {
            self.link.send(text);
        }
    }

    fn say_ready(&self) {
        self.send(&Sig {
            kind: "ready".into(),
            ..Sig::default()
        });
    }

    fn configuration(&self) -> JsValue {
        let servers = Array::new();
        for s in &self.ice {
            let urls: Array = s.urls.iter().map(|u| JsValue::from_str(u)).collect();
            let mut pairs = vec![("urls", urls.into())];
            if let Some(u) = &s.username {
                pairs.push(("username", JsValue::from_str(u)));
            }
            if let Some(c) = &s.credential {
                pairs.push(("credential", JsValue::from_str(c)));
            }
            servers.push(&object(&pairs));
        }
        object(&[("iceServers", servers.into())])
    }

    /// A new connection for offer `n`, replacing any other.
    fn connect(self: &Rc<Self>, n: u32) -> Option<JsValue> {
        self.close_connection();
        self.n.set(n);
        let pc = construct("RTCPeerConnection", &[&self.configuration()]).ok()?;
        let me = Rc::downgrade(self);
        let on_candidate = Handler::new(move |e: JsValue| {
            let Some(call) = me.upgrade() else { return };
            let c = get(&e, "candidate");
            if c.is_null() || c.is_undefined() {
                return;
            }
            call.send(&Sig {
                kind: "candidate".into(),
                n: call.n.get(),
                candidate: get(&c, "candidate").as_string(),
                mid: get(&c, "sdpMid").as_string(),
                line: get(&c, "sdpMLineIndex").as_f64().map(|l| l as u16),
                ..Sig::default()
            });
        });
        let video = self.remote_video;
        let on_track = Handler::new(move |e: JsValue| {
            let Some(video) = video.get_untracked() else {
                return;
            };
            let first = Array::from(&get(&e, "streams")).get(0);
            let stream = if first.is_undefined() {
                let Ok(s) = construct("MediaStream", &[]) else {
                    return;
                };
                let _ = call(&s, "addTrack", &[&get(&e, "track")]);
                s
            } else {
                first
            };
            set(&video, "srcObject", &stream);
            let _ = call(&video, "play", &[]);
        });
        let me = Rc::downgrade(self);
        let on_state = Handler::new(move |_: JsValue| {
            let Some(call) = me.upgrade() else { return };
            let Some(state) = call
                .pc
                .borrow()
                .as_ref()
                .and_then(|pc| get(pc, "connectionState").as_string())
            else {
                return;
            };
            call.state.set(match state.as_str() {
                "connected" => CallState::Connected,
                "failed" | "disconnected" => CallState::Lost,
                "closed" => return,
                _ => CallState::Connecting,
            });
        });
        let handlers = [on_candidate, on_track, on_state];
        for (name, handler) in HANDLERS.iter().zip(&handlers) {
            set(&pc, name, handler.as_ref());
        }
        self.handlers.borrow_mut().extend(handlers);
        match &self.local {
            Some(stream) => {
                for track in tracks(stream) {
                    let _ = call(&pc, "addTrack", &[&track, stream]);
                }
            }
            // No camera or microphone here: receive the other's, if they have them.
            None if self.offerer => {
                let init = object(&[("direction", JsValue::from_str("recvonly"))]);
                for kind in ["audio", "video"] {
                    let _ = call(&pc, "addTransceiver", &[&JsValue::from_str(kind), &init]);
                }
            }
            None => {}
        }
        *self.pc.borrow_mut() = Some(pc.clone());
        self.state.set(CallState::Connecting);
        Some(pc)
    }

    /// Takes in one signal from the other party.
    async fn on_signal(self: &Rc<Self>, json: &str) {
        let Ok(sig) = serde_json::from_str::<Sig>(json) else {
            return;
        };
        match (sig.kind.as_str(), self.offerer) {
            ("ready", true) => self.offer().await,
            ("ready", false) if !self.offered.get() => self.say_ready(),
            ("offer", false) => {
                self.offered.set(true);
                self.answer(sig).await;
            }
            ("answer", true) if sig.n == self.n.get() => {
                let pc = self.pc.borrow().clone();
                if let (Some(pc), Some(sdp)) = (pc, sig.sdp) {
                    let answer = description("answer", &sdp);
                    let _ = call_async(&pc, "setRemoteDescription", &[&answer]).await;
                }
            }
            ("candidate", _) if sig.n == self.n.get() => {
                let pc = self.pc.borrow().clone();
                if let (Some(pc), Some(candidate)) = (pc, sig.candidate) {
                    let init = object(&[
                        ("candidate", JsValue::from_str(&candidate)),
                        (
                            "sdpMid",
                            sig.mid.as_deref().map_or(JsValue::NULL, JsValue::from_str),
                        ),
                        (
                            "sdpMLineIndex",
                            sig.line.map_or(JsValue::NULL, JsValue::from),
                        ),
                    ]);
                    let _ = call_async(&pc, "addIceCandidate", &[&init]).await;
                }
            }
            _ => {}
        }
    }

    async fn offer(self: &Rc<Self>) {
        let n = self.n.get() + 1;
        let Some(pc) = self.connect(n) else {
            self.state.set(CallState::Lost);
            return;
        };
        let Some(sdp) = call_async(&pc, "createOffer", &[])
            .await
            .ok()
            .and_then(|o| get(&o, "sdp").as_string())
        else {
            self.state.set(CallState::Lost);
            return;
        };
        self.describe_and_send(&pc, "offer", n, sdp).await;
    }

    async fn answer(self: &Rc<Self>, sig: Sig) {
        let (Some(offer), n) = (sig.sdp, sig.n) else {
            return;
        };
        let Some(pc) = self.connect(n) else {
            self.state.set(CallState::Lost);
            return;
        };
        let remote = description("offer", &offer);
        let Some(sdp) = (match call_async(&pc, "setRemoteDescription", &[&remote]).await {
            Ok(_) => call_async(&pc, "createAnswer", &[])
                .await
                .ok()
                .and_then(|a| get(&a, "sdp").as_string()),
            Err(_) => None,
        }) else {
            self.state.set(CallState::Lost);
            return;
        };
        self.describe_and_send(&pc, "answer", n, sdp).await;
    }

    /// Makes `sdp` (an `offer` or `answer`) the connection's own, then sends it, unless
    /// a newer offer began meanwhile.
    async fn describe_and_send(&self, pc: &JsValue, kind: &str, n: u32, sdp: String) {
        let local = description(kind, &sdp);
        if call_async(pc, "setLocalDescription", &[&local])
            .await
            .is_err()
            || self.n.get() != n
        {
            return;
        }
        self.send(&Sig {
            kind: kind.into(),
            n,
            sdp: Some(sdp),
            ..Sig::default()
        });
    }

    fn close_connection(&self) {
        if let Some(pc) = self.pc.borrow_mut().take() {
            for name in HANDLERS {
                set(&pc, name, &JsValue::NULL);
            }
            let _ = call(&pc, "close", &[]);
        }
        self.handlers.borrow_mut().clear();
    }

    /// Ends the call: the connection, the camera and the microphone.
    fn hang_up(&self) {
        self.close_connection();
        stop(self.local.as_ref());
        if let Some(video) = self.remote_video.get_untracked() {
            set(&video, "srcObject", &JsValue::NULL);
        }
    }
}

/// An `RTCSessionDescriptionInit`.
fn description(kind: &str, sdp: &str) -> JsValue {
    object(&[
        ("type", JsValue::from_str(kind)),
        ("sdp", JsValue::from_str(sdp)),
    ])
}
