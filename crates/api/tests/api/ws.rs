//! A WebSocket client for the tests.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::helpers::TestApp;

pub struct Ws {
    pub stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

/// Connects to `/api/ws`, optionally with an Origin header.
pub async fn try_connect(
    app: &TestApp,
    origin: Option<&str>,
) -> Result<Ws, tokio_tungstenite::tungstenite::Error> {
    let url = app.address.replace("http://", "ws://") + "/api/ws";
    let mut request = url.into_client_request().unwrap();
    if let Some(origin) = origin {
        request
            .headers_mut()
            .insert("Origin", origin.parse().unwrap());
    }
    let (stream, _) = tokio_tungstenite::connect_async(request).await?;
    Ok(Ws { stream })
}

/// A socket read by hand, frame by frame, to see how the server cuts its messages.
pub struct RawWs {
    tcp: TcpStream,
}

impl RawWs {
    pub async fn connect(app: &TestApp) -> RawWs {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let host = app.address.trim_start_matches("http://");
        let mut tcp = TcpStream::connect(host).await.unwrap();
        let request = format!(
            "GET /api/ws HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        );
        tcp.write_all(request.as_bytes()).await.unwrap();
        let mut head = Vec::new();
        while !head.ends_with(b"\r\n\r\n") {
            head.push(tcp.read_u8().await.unwrap());
        }
        assert!(
            head.starts_with(b"HTTP/1.1 101"),
            "{}",
            String::from_utf8_lossy(&head)
        );
        RawWs { tcp }
    }

    /// The frames of the next data message, each as its first byte (FIN and opcode)
    /// and payload; pings and pongs are skipped. Fails on a close frame, or after 5 s.
    pub async fn next_message(&mut self) -> Vec<(u8, Vec<u8>)> {
        tokio::time::timeout(Duration::from_secs(5), self.read_message())
            .await
            .expect("a whole message within 5 s")
    }

    /// Sends a Close frame with `code` (masked, as a client must), then reads until the
    /// server's Close frame and until the server ends the connection. Returns the
    /// code the server answered with (`None`: an empty Close), and how long each took.
    pub async fn close_with(&mut self, code: u16) -> (Option<u16>, Duration, Duration) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mask = [0x12, 0x34, 0x56, 0x78];
        let payload = code.to_be_bytes();
        let mut frame = vec![0x88, 0x80 | 2];
        frame.extend_from_slice(&mask);
        frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        let sent = std::time::Instant::now();
        self.tcp.write_all(&frame).await.unwrap();
        let answer = tokio::time::timeout(Duration::from_secs(5), async {
            loop {
                let first = self.tcp.read_u8().await.unwrap();
                let len = usize::from(self.tcp.read_u8().await.unwrap() & 0x7F);
                let mut body = vec![0; len];
                self.tcp.read_exact(&mut body).await.unwrap();
                if first & 0x0F == 0x8 {
                    break body.get(..2).map(|c| u16::from_be_bytes([c[0], c[1]]));
                }
            }
        })
        .await
        .expect("a Close frame within 5 s");
        let answered = sent.elapsed();
        let ended = tokio::time::timeout(Duration::from_secs(5), async {
            let mut rest = [0u8; 64];
            while self
                .tcp
                .read(&mut rest)
                .await
                .map(|n| n > 0)
                .unwrap_or(false)
            {}
        })
        .await;
        assert!(
            ended.is_ok(),
            "the server kept the connection open for 5 s after its Close"
        );
        (answer, answered, sent.elapsed())
    }

    async fn read_message(&mut self) -> Vec<(u8, Vec<u8>)> {
        use tokio::io::AsyncReadExt;
        let mut frames = Vec::new();
        loop {
            let first = self.tcp.read_u8().await.unwrap();
            let len = match self.tcp.read_u8().await.unwrap() {
                126 => usize::from(self.tcp.read_u16().await.unwrap()),
                127 => usize::try_from(self.tcp.read_u64().await.unwrap()).unwrap(),
                n => usize::from(n),
            };
            let mut payload = vec![0; len];
            self.tcp.read_exact(&mut payload).await.unwrap();
            if first & 0x0F == 0x8 {
                let code = payload.get(..2).map(|c| u16::from_be_bytes([c[0], c[1]]));
                let reason = String::from_utf8_lossy(payload.get(2..).unwrap_or_default());
                panic!(
                    "the server closed the socket ({code:?}: {reason}) instead of sending a message"
                );
            }
            if first & 0x08 != 0 {
                continue; // a ping or pong: control frames may come between fragments
            }
            frames.push((first, payload));
            if first & 0x80 != 0 {
                return frames;
            }
        }
    }
}

pub async fn connect(app: &TestApp) -> Ws {
    let mut ws = try_connect(app, None).await.expect("the socket opens");
    let first = ws.next_json().await.expect("a first message");
    assert_eq!(
        first["type"], "snapshot",
        "the snapshot comes first: {first}"
    );
    ws
}

impl Ws {
    /// The next JSON text message within 5 s (control frames are skipped).
    pub async fn next_json(&mut self) -> Option<Value> {
        self.next_json_within(Duration::from_secs(5)).await
    }

    pub async fn next_json_within(&mut self, wait: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let msg = tokio::time::timeout_at(deadline, self.stream.next())
                .await
                .ok()??;
            match msg.ok()? {
                Message::Text(t) => return Some(serde_json::from_str(t.as_str()).expect("JSON")),
                Message::Close(_) => return None,
                _ => continue,
            }
        }
    }

    /// The next message of `kind`, skipping others, within 5 s.
    pub async fn next_of(&mut self, kind: &str) -> Option<Value> {
        self.next_of_within(kind, Duration::from_secs(5)).await
    }

    pub async fn next_of_within(&mut self, kind: &str, wait: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let msg = self.next_json_within(left).await?;
            if msg["type"] == kind {
                return Some(msg);
            }
        }
    }

    pub async fn send_json(&mut self, value: &Value) {
        self.stream
            .send(Message::Text(value.to_string().into()))
            .await
            .expect("send");
    }

    pub async fn auth(&mut self, token: &str) -> Value {
        self.send_json(&serde_json::json!({"type": "auth", "token": token}))
            .await;
        self.next_json().await.expect("an answer to auth")
    }

    /// The server's Close frame, within `wait`: `Err` if the socket stayed open,
    /// `Ok(None)` if it ended without one.
    pub async fn close_frame(
        &mut self,
        wait: Duration,
    ) -> Result<Option<tokio_tungstenite::tungstenite::protocol::CloseFrame>, String> {
        tokio::time::timeout(wait, async {
            loop {
                match self.stream.next().await {
                    Some(Ok(Message::Close(frame))) => break frame,
                    None | Some(Err(_)) => break None,
                    Some(Ok(_)) => continue,
                }
            }
        })
        .await
        .map_err(|_| format!("the socket stayed open for {wait:?}"))
    }

    /// Asserts that no text message arrives within `wait`.
    pub async fn expect_quiet(&mut self, wait: Duration) {
        if let Some(msg) = self.next_json_within(wait).await {
            panic!("expected no message, got {msg}");
        }
    }
}
