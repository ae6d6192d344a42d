//! A real SMTP server on loopback, for the tests: it speaks enough of RFC 5321 for
//! lettre, keeps what it receives, can refuse chosen recipients permanently (550),
//! and can be stopped and started again on the same port (an outage).

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

#[derive(Debug, Clone)]
pub struct Received {
    pub to: Vec<String>,
    pub data: String,
}

impl Received {
    pub fn parsed(&self) -> mailparse::ParsedMail<'_> {
        mailparse::parse_mail(self.data.as_bytes()).expect("a MIME message")
    }

    pub fn header(&self, name: &str) -> Option<String> {
        use mailparse::MailHeaderMap;
        self.parsed().headers.get_first_value(name)
    }

    /// Every decoded text part (plain, HTML, calendar), concatenated.
    pub fn text(&self) -> String {
        fn walk(part: &mailparse::ParsedMail<'_>, out: &mut String) {
            if part.subparts.is_empty() {
                out.push_str(&part.get_body().unwrap_or_default());
                out.push('\n');
            }
            for p in &part.subparts {
                walk(p, out);
            }
        }
        let mut out = String::new();
        walk(&self.parsed(), &mut out);
        out
    }

    /// The content types of the leaf parts.
    pub fn part_types(&self) -> Vec<String> {
        fn walk(part: &mailparse::ParsedMail<'_>, out: &mut Vec<String>) {
            if part.subparts.is_empty() {
                out.push(part.ctype.mimetype.clone());
            }
            for p in &part.subparts {
                walk(p, out);
            }
        }
        let mut out = Vec::new();
        walk(&self.parsed(), &mut out);
        out
    }

    pub fn calendar(&self) -> Option<String> {
        fn walk(part: &mailparse::ParsedMail<'_>) -> Option<String> {
            if part.ctype.mimetype == "text/calendar" {
                return part.get_body().ok();
            }
            part.subparts.iter().find_map(walk)
        }
        walk(&self.parsed())
    }
}

#[derive(Default)]
struct Shared {
    received: Vec<Received>,
    reject: HashSet<String>,
    /// Bumped by `stop`: sessions of an earlier generation hang up.
    generation: u64,
}

pub struct SmtpServer {
    pub port: u16,
    shared: Arc<Mutex<Shared>>,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl SmtpServer {
    pub async fn start() -> SmtpServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = SmtpServer {
            port,
            shared: Arc::default(),
            task: Mutex::new(None),
        };
        server.serve(listener);
        server
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    fn serve(&self, listener: TcpListener) {
        let shared = self.shared.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let shared = shared.clone();
                tokio::spawn(async move {
                    let _ = session(stream, shared).await;
                });
            }
        });
        *self.task.lock().unwrap() = Some(task);
    }

    /// Stops: new connections are refused and open ones hang up.
    pub fn stop(&self) {
        self.shared.lock().unwrap().generation += 1;
        if let Some(task) = self.task.lock().unwrap().take() {
            task.abort();
        }
    }

    /// Listens again on the same port.
    pub async fn restart(&self) {
        let listener = loop {
            match TcpListener::bind(("127.0.0.1", self.port)).await {
                Ok(l) => break l,
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        };
        self.serve(listener);
    }

    pub fn reject(&self, address: &str) {
        self.shared
            .lock()
            .unwrap()
            .reject
            .insert(address.to_lowercase());
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared.lock().unwrap().received.clone()
    }

    /// Waits until at least `n` messages arrived (up to `secs`), and returns them all.
    pub async fn wait_for(&self, n: usize, secs: u64) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        loop {
            let got = self.received();
            if got.len() >= n || tokio::time::Instant::now() > deadline {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn session(stream: tokio::net::TcpStream, shared: Arc<Mutex<Shared>>) -> std::io::Result<()> {
    let generation = shared.lock().unwrap().generation;
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 test-smtp ESMTP\r\n").await?;
    let mut to = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        if shared.lock().unwrap().generation != generation {
            return Ok(()); // the server "went down"
        }
        let command = line.trim_end().to_string();
        let upper = command.to_uppercase();
        let reply: String = if upper.starts_with("EHLO") {
            "250-test-smtp\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n".into()
        } else if upper.starts_with("HELO") || upper.starts_with("NOOP") {
            "250 OK\r\n".into()
        } else if upper.starts_with("MAIL FROM") {
            to.clear();
            "250 OK\r\n".into()
        } else if upper.starts_with("RCPT TO") {
            let address = command
                .split_once(':')
                .map(|(_, a)| {
                    a.trim()
                        .trim_start_matches('<')
                        .split('>')
                        .next()
                        .unwrap_or("")
                        .to_lowercase()
                })
                .unwrap_or_default();
            if shared.lock().unwrap().reject.contains(&address) {
                format!("550 5.1.1 <{address}>: Recipient address rejected\r\n")
            } else {
                to.push(address);
                "250 OK\r\n".into()
            }
        } else if upper == "DATA" {
            write
                .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                .await?;
            let mut data = String::new();
            loop {
                line.clear();
                if lines.read_line(&mut line).await? == 0 {
                    return Ok(());
                }
                if line == ".\r\n" || line == ".\n" {
                    break;
                }
                // Undo dot-stuffing.
                data.push_str(line.strip_prefix('.').unwrap_or(&line));
            }
            shared.lock().unwrap().received.push(Received {
                to: std::mem::take(&mut to),
                data,
            });
            "250 OK queued\r\n".into()
        } else if upper.starts_with("RSET") {
            to.clear();
            "250 OK\r\n".into()
        } else if upper.starts_with("QUIT") {
            write.write_all(b"221 Bye\r\n").await?;
            return Ok(());
        } else {
            "502 Command not implemented\r\n".into()
        };
        write.write_all(reply.as_bytes()).await?;
    }
}
