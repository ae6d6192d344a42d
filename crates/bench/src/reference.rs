//! Reference servers: the floors that the socket figures are read against. Each runs
//! on one core like the pinned server, upgrades a `GET` to a WebSocket and sends one
//! text message first (the real server's snapshot, byte for byte). `POST /fanout`
//! sends one more (the real server's status event, byte for byte) to every open
//! socket.
//!
//! - [`WS_SUBCOMMAND`]: bare actix-ws on one worker, with a task per socket that reads
//!   and waits on a broadcast channel: the framework as it comes.
//! - [`RAW_SUBCOMMAND`]: no framework. The handshake is written by hand, and
//!   `POST /fanout` writes the ready-made frame to every socket from one loop, one
//!   `send` each, with no task woken: what the kernel alone costs.

use std::io::Write;
use std::sync::{Arc, Mutex};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use bytestring::ByteString;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::broadcast;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;

pub const WS_SUBCOMMAND: &str = "reference-ws-server";
pub const RAW_SUBCOMMAND: &str = "reference-raw-server";

/// `mediconnect-bench SUBCOMMAND PORT FIRST_MESSAGE_FILE EVENT_FILE`
pub fn main(subcommand: &str, args: &[String]) -> crate::Result {
    let [port, first, event] = args else {
        return Err(format!(
            "usage: {subcommand} PORT FIRST_MESSAGE_FILE EVENT_FILE"
        ));
    };
    let port: u16 = port.parse().map_err(|_| format!("bad port {port}"))?;
    let read = |path: &String| std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"));
    let (first, event) = (read(first)?, read(event)?);
    if subcommand == RAW_SUBCOMMAND {
        raw(port, first, event)
    } else {
        ws(port, first, event)
    }
}

struct Messages {
    first: ByteString,
    event: ByteString,
    events: broadcast::Sender<ByteString>,
}

fn ws(port: u16, first: String, event: String) -> crate::Result {
    actix_web::rt::System::new().block_on(async move {
        let messages = web::Data::new(Messages {
            first: first.into(),
            event: event.into(),
            events: broadcast::channel(16).0,
        });
        HttpServer::new(move || {
            App::new()
                .app_data(messages.clone())
                .route("/fanout", web::post().to(fanout))
                .default_service(web::get().to(upgrade))
        })
        .workers(1)
        .bind(("127.0.0.1", port))
        .map_err(|e| e.to_string())?
        .run()
        .await
        .map_err(|e| e.to_string())
    })
}

async fn fanout(messages: web::Data<Messages>) -> HttpResponse {
    let sockets = messages.events.send(messages.event.clone()).unwrap_or(0);
    HttpResponse::Ok().body(sockets.to_string())
}

async fn upgrade(
    req: HttpRequest,
    body: web::Payload,
    messages: web::Data<Messages>,
) -> actix_web::Result<HttpResponse> {
    let (response, mut session, mut stream) = actix_ws::handle(&req, body)?;
    let first = messages.first.clone();
    let mut events = messages.events.subscribe();
    actix_web::rt::spawn(async move {
        if session.text(first).await.is_err() {
            return;
        }
        loop {
            tokio::select! {
                inbound = stream.recv() => if !matches!(inbound, Some(Ok(_))) {
                    break;
                },
                event = events.recv() => match event {
                    Ok(frame) => if session.text(frame).await.is_err() {
                        break;
                    },
                    Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(broadcast::error::RecvError::Closed) => break,
                },
            }
        }
    });
    Ok(response)
}

/// A server-to-client WebSocket text frame (unmasked, unfragmented).
fn text_frame(text: &str) -> Vec<u8> {
    let len = text.len();
    let mut frame = vec![0x81];
    if len < 126 {
        frame.push(len as u8);
    } else if let Ok(len) = u16::try_from(len) {
        frame.push(126);
        frame.extend_from_slice(&len.to_be_bytes());
    } else {
        frame.push(127);
        frame.extend_from_slice(&(len as u64).to_be_bytes());
    }
    frame.extend_from_slice(text.as_bytes());
    frame
}

/// The open sockets, left in non-blocking mode, as the raw server writes them.
type Sockets = Arc<Mutex<Vec<std::net::TcpStream>>>;

fn raw(port: u16, first: String, event: String) -> crate::Result {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .map_err(|e| e.to_string())?;
        let first: Arc<[u8]> = text_frame(&first).into();
        let event: Arc<[u8]> = text_frame(&event).into();
        let sockets = Sockets::default();
        loop {
            let (stream, _) = listener.accept().await.map_err(|e| e.to_string())?;
            let (first, event, sockets) = (first.clone(), event.clone(), sockets.clone());
            tokio::spawn(async move {
                if let Err(e) = raw_connection(stream, &first, &event, &sockets).await {
                    eprintln!("reference-raw-server: {e}");
                }
            });
        }
    })
}

/// Serves `POST /fanout` requests until the client closes, or upgrades a `GET`.
async fn raw_connection(
    mut stream: tokio::net::TcpStream,
    first: &[u8],
    event: &[u8],
    sockets: &Sockets,
) -> std::io::Result<()> {
    let mut buf = Vec::with_capacity(1024);
    loop {
        let end = loop {
            if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break end;
            }
            if buf.len() > 8192 || stream.read_buf(&mut buf).await? == 0 {
                return Ok(());
            }
        };
        let head = String::from_utf8_lossy(&buf[..end]).into_owned();
        buf.drain(..end + 4);
        if head.starts_with("POST /fanout ") {
            let sent = write_all_sockets(sockets, event);
            let body = sent.to_string();
            let response = format!(
                "HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n{body}",
                body.len()
            );
            stream.write_all(response.as_bytes()).await?;
            continue;
        }
        let key = head.split("\r\n").find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.trim()
                .eq_ignore_ascii_case("sec-websocket-key")
                .then(|| value.trim().to_owned())
        });
        let Some(key) = key else {
            stream
                .write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n")
                .await?;
            return Ok(());
        };
        let mut response = Vec::new();
        write!(
            response,
            "HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\n\
             sec-websocket-accept: {}\r\n\r\n",
            derive_accept_key(key.as_bytes())
        )?;
        response.extend_from_slice(first);
        stream.write_all(&response).await?;
        let socket = stream.into_std()?;
        sockets
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(socket);
        return Ok(());
    }
}

/// Writes `frame` to every socket, one `send` each; returns how many took it whole.
/// A socket whose buffer cannot take a short frame at once is counted as missed by the
/// load generator, which never sees the frame.
fn write_all_sockets(sockets: &Sockets, frame: &[u8]) -> usize {
    let sockets = sockets.lock().unwrap_or_else(|e| e.into_inner());
    sockets
        .iter()
        .filter(|socket| {
            let mut socket: &std::net::TcpStream = socket;
            socket.write(frame).is_ok_and(|n| n == frame.len())
        })
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_frames_carry_their_length_in_the_shortest_form() {
        assert_eq!(text_frame("hi"), b"\x81\x02hi");
        let medium = "x".repeat(300);
        let frame = text_frame(&medium);
        assert_eq!(&frame[..4], &[0x81, 126, 1, 44]);
        assert_eq!(frame.len(), 4 + 300);
        let long = "x".repeat(70_000);
        let frame = text_frame(&long);
        assert_eq!(&frame[..2], &[0x81, 127]);
        assert_eq!(u64::from_be_bytes(frame[2..10].try_into().unwrap()), 70_000);
        assert_eq!(frame.len(), 10 + 70_000);
    }
}
