//! `GET /api/ws`: one task per socket. It sends the snapshot first, then every public
//! event, answers `auth`, relays personal events once authenticated, pings every
//! heartbeat and drops a client that has been silent for too long.

use std::time::Instant;

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use actix_ws::{AggregatedMessage, CloseCode, CloseReason, Item};
use bytestring::ByteString;
use mediconnect_shared::{ClientMessage, Role, ServerMessage};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc;

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::limits::{RateLimiter, SocketSlot};
use crate::live::hub::Public;
use crate::state::AppState;

/// Inbound messages larger than this are refused: room for a call's offer
/// ([`SIGNAL_MAX`]) in its envelope.
pub const MAX_FRAME: usize = 20 * 1024;
/// The longest signal payload (`data`), in bytes: an offer with audio and video is
/// about 5 KB.
pub const SIGNAL_MAX: usize = 16 * 1024;

/// Whether a browser page at `origin` may open the socket: the server's own origin, the
/// origin of PUBLIC_URL, or one of CORS_ORIGINS. Clients that send no Origin (not a
/// browser) are allowed.
pub fn origin_allowed(req: &HttpRequest, state: &AppState) -> bool {
    let Some(origin) = req.headers().get(header::ORIGIN) else {
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    let origin = origin.trim_end_matches('/').to_ascii_lowercase();
    let info = req.connection_info();
    let same = format!("{}://{}", info.scheme(), info.host()).to_ascii_lowercase();
    // Behind a TLS-terminating proxy the scheme we see may be http.
    let same_tls = format!("https://{}", info.host()).to_ascii_lowercase();
    origin == same
        || origin == same_tls
        || state
            .config
            .public_url
            .as_deref()
            .is_some_and(|p| origin_of(p) == origin)
        || state.config.cors_origins.contains(&origin)
}

fn origin_of(url: &str) -> String {
    let lower = url.to_ascii_lowercase();
    match lower.split_once("://") {
        Some((scheme, rest)) => {
            let host = rest.split('/').next().unwrap_or_default();
            format!("{scheme}://{host}")
        }
        None => lower,
    }
}

/// The live socket. Messages are JSON objects tagged by `type`: from the server,
/// `snapshot` (first, and after any gap), `doctor_status`, `appointment` and `resync`
/// (personal: re-read your own data, events may have been lost), `auth_ok`, `error`;
/// from the
/// client, `{"type":"auth","token":"<access token>"}` for personal events. The server
/// pings every 15 s and drops clients silent for 45 s. A snapshot over 256 bytes is sent
/// as continuation frames, which WebSocket clients join into one message.
#[utoipa::path(
    get,
    operation_id = "openLiveSocket",
    path = "/api/ws",
    tag = "doctors",
    responses(
        (status = 101, description = "Switching to the WebSocket protocol"),
        (
            status = 400,
            description = "Not a WebSocket handshake",
            body = mediconnect_shared::Problem,
            content_type = "application/problem+json"
        ),
        (
            status = 403,
            description = "A browser Origin that is not allowed",
            body = mediconnect_shared::Problem,
            content_type = "application/problem+json"
        ),
    )
)]
pub async fn ws(
    req: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, actix_web::Error> {
    if !origin_allowed(&req, &state) {
        return Err(
            ApiError::Forbidden("This origin may not open the live connection.".into()).into(),
        );
    }
    let slot = state.limits.socket_slot(state.limits.client_ip(&req))?;
    let (response, session, stream) = actix_ws::handle(&req, body)?;
    let stream = stream
        .max_frame_size(MAX_FRAME)
        .aggregate_continuations()
        .max_continuation_size(MAX_FRAME);
    actix_web::rt::spawn(run(state.into_inner(), session, stream, slot));
    Ok(response)
}

/// A snapshot longer than this goes out as continuation fragments of this size, each
/// normally written out before the next is queued. An idle connection keeps its write
/// buffer resident as far as it was ever filled, so this bounds what the snapshot
/// (about 2.7 KB for 20 doctors) costs every socket for its whole life (ADR 0015).
pub const FRAGMENT: usize = 256;

/// Sends a snapshot, the longest message, as fragments of [`FRAGMENT`] bytes; the
/// client receives one message. The fragmenting is boxed, so that the socket's own
/// future does not carry its state. Events and replies are short and go as they are:
/// yielding per fragment would slow a busy socket down.
async fn send_snapshot(
    session: &mut actix_ws::Session,
    snapshot: ByteString,
) -> Result<(), actix_ws::Closed> {
    if snapshot.len() <= FRAGMENT {
        session.text(snapshot).await
    } else {
        Box::pin(send_fragments(session, snapshot.into_bytes())).await
    }
}

async fn send_fragments(
    session: &mut actix_ws::Session,
    text: Bytes,
) -> Result<(), actix_ws::Closed> {
    for item in fragments(text, FRAGMENT) {
        session.continuation(item).await?;
        // Let the connection write this fragment before the next is queued. (When the
        // kernel cannot take more, the connection buffers fragments as it would a
        // whole message.)
        tokio::task::yield_now().await;
    }
    Ok(())
}

/// `text` cut into continuation items of at most `size` bytes: first, middle, last.
/// The cuts may fall inside a UTF-8 sequence; receivers check the whole message.
fn fragments(text: Bytes, size: usize) -> impl Iterator<Item = Item> {
    let len = text.len();
    debug_assert!(len > size, "one fragment would be an unfinished message");
    (0..len).step_by(size).map(move |start| {
        let end = (start + size).min(len);
        let part = text.slice(start..end);
        match (start, end) {
            (0, _) => Item::FirstText(part),
            (_, end) if end == len => Item::Last(part),
            _ => Item::Continue(part),
        }
    })
}

/// The reason a socket is closed with.
fn closing(code: CloseCode, why: &str) -> CloseReason {
    CloseReason {
        code,
        description: Some(why.into()),
    }
}

/// An error message to the client, which keeps its socket.
fn refusal(message: &str) -> ServerMessage {
    ServerMessage::Error {
        message: message.into(),
    }
}

fn frame(message: &ServerMessage) -> ByteString {
    ByteString::from(serde_json::to_string(message).expect("message serializes"))
}

struct Authenticated {
    user: AuthUser,
    /// When the token it authenticated with was issued (Unix seconds).
    issued_at: i64,
    conn: u64,
    personal: mpsc::Receiver<ByteString>,
}

async fn next_personal(auth: &mut Option<Box<Authenticated>>) -> Option<ByteString> {
    match auth {
        Some(a) => a.personal.recv().await,
        None => std::future::pending().await,
    }
}

/// One socket's task, for as long as it is open. Its future is every idle socket's
/// largest allocation of our own, so it is kept small: a plain `fn` returning an
/// `async move` block (an `async fn` would store its arguments twice), fragmented sends
/// boxed, and the throttle made only when the client first speaks.
#[expect(
    clippy::manual_async_fn,
    reason = "an async fn's future would hold its arguments twice"
)]
fn run(
    state: std::sync::Arc<AppState>,
    mut session: actix_ws::Session,
    mut stream: actix_ws::AggregatedMessageStream,
    slot: SocketSlot,
) -> impl Future<Output = ()> {
    async move {
        let hub = &state.hub;
        let mut events = hub.subscribe();
        // Boxed: an anonymous socket carries only the pointer.
        let mut auth: Option<Box<Authenticated>> = None;
        let mut last_heard = Instant::now();
        let mut heartbeat = tokio::time::interval(state.config.ws_heartbeat);
        heartbeat.tick().await; // the first tick is immediate
        let mut close: Option<CloseReason> = None;
        // Whether the client ended the socket by a Close it meant (not a drop).
        let mut clean_close = false;
        let mut stopping = hub.stopping();
        // Client messages are throttled: a burst of 20, then one every half second.
        // Made on the first message: most sockets never send one.
        let mut throttle: Option<Box<RateLimiter<()>>> = None;
        // Call signals have their own budget: a call's start sends a burst of them.
        let mut signal_throttle: Option<Box<RateLimiter<()>>> = None;
        let mut refused = 0u32;

        if send_snapshot(&mut session, hub.snapshot()).await.is_err() {
            return;
        }
        let counters = &hub.counters;
        counters.sent.inc();
        counters.open_sockets.inc();
        let _open = OpenSocket(counters.open_sockets.clone());
        loop {
            tokio::select! {
                inbound = stream.recv() => {
                    last_heard = Instant::now();
                    match inbound {
                        Some(Ok(AggregatedMessage::Text(text))) => {
                            let message = serde_json::from_str::<ClientMessage>(&text);
                            let signal = matches!(message, Ok(ClientMessage::Signal { .. }));
                            let budget = if signal {
                                signal_throttle.get_or_insert_with(|| {
                                    Box::new(RateLimiter::with_burst(1200, 100))
                                })
                            } else {
                                throttle.get_or_insert_with(|| {
                                    Box::new(RateLimiter::with_burst(120, 20))
                                })
                            };
                            if budget.check(()).is_err() {
                                refused += 1;
                                if refused > 50 {
                                    close = Some(closing(CloseCode::Policy, "too many messages"));
                                    break;
                                }
                                let reply = refusal("Too many messages; slow down.");
                                if refused == 1 && session.text(frame(&reply)).await.is_err() {
                                    break;
                                }
                                continue;
                            }
                            refused = 0;
                            let reply = match message {
                                Ok(ClientMessage::Signal { consult_id, data }) => {
                                    Box::pin(relay(&state, auth.as_deref(), consult_id, data))
                                        .await
                                }
                                other => Some(handle_client_message(&state, other, &mut auth)),
                            };
                            if let Some(reply) = reply
                                && session.text(frame(&reply)).await.is_err()
                            {
                                break;
                            }
                        }
                        Some(Ok(AggregatedMessage::Binary(_))) => {
                            let reply = refusal("Send JSON text messages.");
                            if session.text(frame(&reply)).await.is_err() {
                                break;
                            }
                        }
                        Some(Ok(AggregatedMessage::Ping(bytes))) => {
                            if session.pong(&bytes).await.is_err() {
                                break;
                            }
                        }
                        Some(Ok(AggregatedMessage::Pong(_))) => {}
                        // The client closes: answer with its own code (RFC 6455 5.5.1),
                        // then end the connection.
                        Some(Ok(AggregatedMessage::Close(reason))) => {
                            // 1000 or 1001 (a closed tab): the doctor left, and a reload
                            // comes back within the short grace.
                            clean_close = reason.as_ref().is_some_and(|r| {
                                matches!(r.code, CloseCode::Normal | CloseCode::Away)
                            });
                            close = reason;
                            break;
                        }
                        None => break,
                        Some(Err(e)) => {
                            tracing::debug!(error = %e, "socket protocol error");
                            let why = "message too large or malformed";
                            close = Some(closing(CloseCode::Size, why));
                            break;
                        }
                    }
                }
                event = events.recv() => {
                    let sent = match event {
                        Ok(Public::Event(frame)) => session.text(frame).await,
                        Ok(Public::Resync) => send_snapshot(&mut session, hub.snapshot()).await,
                        // Fell behind: skip what was missed and resync from a snapshot.
                        Err(RecvError::Lagged(missed)) => {
                            counters.dropped.inc_by(missed);
                            send_snapshot(&mut session, hub.snapshot()).await
                        }
                        Err(RecvError::Closed) => break,
                    };
                    if sent.is_err() {
                        break;
                    }
                    counters.sent.inc();
                }
                personal = next_personal(&mut auth) => {
                    match personal {
                        Some(frame) => {
                            if session.text(frame).await.is_err() {
                                break;
                            }
                            counters.sent.inc();
                        }
                        // The hub dropped this socket's queue: the user's sessions were
                        // revoked, or it was not keeping up.
                        None => {
                            let revoked = auth
                                .as_ref()
                                .is_some_and(|a| hub.is_revoked(a.user.id, a.issued_at));
                            close = Some(if revoked {
                                closing(CloseCode::Policy, "signed out")
                            } else {
                                closing(CloseCode::Again, "fell behind; reconnect")
                            });
                            break;
                        }
                    }
                }
                _ = stopping.wait_for(|stop| *stop) => {
                    close = Some(closing(CloseCode::Away, "server restarting"));
                    break;
                }
                _ = heartbeat.tick() => {
                    if last_heard.elapsed() > state.config.ws_client_timeout {
                        tracing::debug!("dropping a socket that stopped answering pings");
                        close = Some(closing(CloseCode::Policy, "no answer to pings"));
                        break;
                    }
                    if session.ping(b"").await.is_err() {
                        break;
                    }
                }
            }
        }
        if let Some(a) = auth {
            hub.unregister_personal(a.user.id, a.conn);
            if a.user.role != Role::Admin {
                state.presence.socket_closed(a.user.id, clean_close);
            }
        }
        let _ = Box::pin(session.close(close)).await;
        // This address's socket slot, given back when the socket ends (also on the
        // early return above, with the future).
        drop(slot);
    }
}

/// Counts a socket as open for as long as it lives.
struct OpenSocket(prometheus::IntGauge);

impl Drop for OpenSocket {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// Relays a call signal from the signed-in user; a refusal to tell them, if any.
async fn relay(
    state: &AppState,
    auth: Option<&Authenticated>,
    consult: uuid::Uuid,
    data: mediconnect_shared::SignalData,
) -> Option<ServerMessage> {
    let Some(auth) = auth else {
        return Some(refusal(
            "Sign in on this connection (auth) before sending signals.",
        ));
    };
    if data.json().len() > SIGNAL_MAX {
        return Some(refusal("The signal is too large."));
    }
    crate::consults::relay_signal(state, auth.user.id, consult, data)
        .await
        .err()
        .map(refusal)
}

fn handle_client_message(
    state: &AppState,
    message: Result<ClientMessage, serde_json::Error>,
    auth: &mut Option<Box<Authenticated>>,
) -> ServerMessage {
    let Ok(message) = message else {
        return ServerMessage::Error {
            message: "Unknown message. Send {\"type\":\"auth\",\"token\":\"...\"}, or a \
                      signal."
                .into(),
        };
    };
    match message {
        // Relayed by the socket's loop, which awaits it.
        ClientMessage::Signal { .. } => refusal("Signals are relayed by the socket."),
        ClientMessage::Auth { token } => {
            if auth.is_some() {
                return ServerMessage::Error {
                    message: "This connection is already authenticated.".into(),
                };
            }
            let Some(claims) = state
                .jwt
                .verify(&token)
                .filter(|c| !state.hub.is_revoked(c.sub, c.iat))
            else {
                return ServerMessage::Error {
                    message: "The token is invalid or expired.".into(),
                };
            };
            let user = AuthUser {
                id: claims.sub,
                role: claims.role,
            };
            let (conn, personal) = state.hub.register_personal(user.id);
            // A doctor's presence, and a waiting patient's place, last while a socket
            // does.
            if user.role != Role::Admin {
                state.presence.socket_opened(user.id);
            }
            *auth = Some(Box::new(Authenticated {
                user,
                issued_at: claims.iat,
                conn,
                personal,
            }));
            ServerMessage::AuthOk
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(text: &str, size: usize) -> Vec<Item> {
        fragments(Bytes::copy_from_slice(text.as_bytes()), size).collect()
    }

    #[test]
    fn fragments_rebuild_the_message_first_middle_last() {
        let text = "{\"type\":\"snapshot\",\"doctors\":[\"Zoë Ærø\"]}";
        for size in 1..text.len() {
            let items = parts(text, size);
            assert!(items.len() >= 2, "size {size}");
            let mut joined = Vec::new();
            for (i, item) in items.iter().enumerate() {
                let (kind, bytes) = match item {
                    Item::FirstText(b) => ("first", b),
                    Item::Continue(b) => ("continue", b),
                    Item::Last(b) => ("last", b),
                    Item::FirstBinary(_) => panic!("text is never sent as binary"),
                };
                let want = match i {
                    0 => "first",
                    i if i == items.len() - 1 => "last",
                    _ => "continue",
                };
                assert_eq!(kind, want, "size {size}, fragment {i}");
                assert!(!bytes.is_empty() && bytes.len() <= size, "size {size}");
                joined.extend_from_slice(bytes);
            }
            assert_eq!(joined, text.as_bytes(), "size {size}");
        }
    }

    #[test]
    fn a_message_of_two_fragments_has_no_middle() {
        let items = parts("abcdef", 3);
        assert_eq!(
            items,
            vec![
                Item::FirstText(Bytes::from_static(b"abc")),
                Item::Last(Bytes::from_static(b"def"))
            ]
        );
    }
}
