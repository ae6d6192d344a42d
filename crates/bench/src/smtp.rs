//! A loopback SMTP sink: it accepts every message as fast as it can, and counts
//! messages and distinct recipients, so the outbox drain can be timed end to end.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use crate::Result;

#[derive(Default)]
struct Seen {
    messages: u64,
    recipients: HashSet<String>,
    last: Option<Instant>,
}

#[derive(Clone)]
pub struct Sink {
    pub port: u16,
    seen: Arc<Mutex<Seen>>,
}

impl Sink {
    pub async fn start() -> Result<Sink> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| e.to_string())?;
        let port = listener.local_addr().map_err(|e| e.to_string())?.port();
        let seen = Arc::new(Mutex::new(Seen::default()));
        let shared = seen.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(session(stream, shared.clone()));
            }
        });
        Ok(Sink { port, seen })
    }

    /// (messages, distinct recipients, when the last message ended).
    pub fn counts(&self) -> (u64, usize, Option<Instant>) {
        let seen = self.seen.lock().expect("not poisoned");
        (seen.messages, seen.recipients.len(), seen.last)
    }
}

async fn session(stream: tokio::net::TcpStream, seen: Arc<Mutex<Seen>>) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 sink ESMTP\r\n").await?;
    let mut line = String::new();
    let mut to = Vec::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let verb = line.get(..4).unwrap_or_default().to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" => b"250-sink\r\n250 8BITMIME\r\n",
            "HELO" | "MAIL" | "RSET" | "NOOP" => b"250 OK\r\n",
            "RCPT" => {
                to.push(line.trim_end().to_owned());
                b"250 OK\r\n"
            }
            "DATA" => {
                write.write_all(b"354 go ahead\r\n").await?;
                loop {
                    line.clear();
                    if lines.read_line(&mut line).await? == 0 {
                        return Ok(());
                    }
                    if line == ".\r\n" || line == ".\n" {
                        break;
                    }
                }
                let mut seen = seen.lock().expect("not poisoned");
                seen.messages += 1;
                seen.recipients.extend(to.drain(..));
                seen.last = Some(Instant::now());
                b"250 OK queued\r\n"
            }
            "QUIT" => {
                write.write_all(b"221 bye\r\n").await?;
                return Ok(());
            }
            _ => b"502 not implemented\r\n",
        };
        write.write_all(reply).await?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    #[tokio::test]
    async fn counts_messages_and_recipients() {
        let sink = Sink::start().await.unwrap();
        let mut s = tokio::net::TcpStream::connect(("127.0.0.1", sink.port))
            .await
            .unwrap();
        let script = "EHLO me\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@x>\r\nDATA\r\nhello\r\n.\r\n\
                      MAIL FROM:<a@x>\r\nRCPT TO:<b@x>\r\nRCPT TO:<c@x>\r\nDATA\r\nagain\r\n.\r\nQUIT\r\n";
        s.write_all(script.as_bytes()).await.unwrap();
        let mut replies = String::new();
        s.read_to_string(&mut replies).await.unwrap();
        assert!(replies.starts_with("220 "));
        assert_eq!(replies.matches("250 OK queued").count(), 2, "{replies}");
        assert!(replies.ends_with("221 bye\r\n"));
        let (messages, recipients, last) = sink.counts();
        assert_eq!((messages, recipients), (2, 2));
        assert!(last.is_some());
    }
}
