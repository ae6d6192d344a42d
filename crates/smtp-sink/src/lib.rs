//! A real SMTP server on loopback, for the API's tests and the benchmark. It speaks
//! enough of RFC 5321 for lettre, keeps what it receives (and counts messages and
//! distinct recipients as they arrive), can refuse chosen recipients permanently
//! (550), and can be stopped and started again on the same port (an outage).

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// One message as it was handed over: its recipients and its data, dot-stuffing
/// undone.
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
        let mut out = String::new();
        for part in leaves(&self.parsed()) {
            out.push_str(&part.get_body().unwrap_or_default());
            out.push('\n');
        }
        out
    }

    /// The content types of the leaf parts.
    pub fn part_types(&self) -> Vec<String> {
        leaves(&self.parsed())
            .into_iter()
            .map(|part| part.ctype.mimetype.clone())
            .collect()
    }

    pub fn calendar(&self) -> Option<String> {
        leaves(&self.parsed())
            .into_iter()
            .find(|part| part.ctype.mimetype == "text/calendar")
            .and_then(|part| part.get_body().ok())
    }
}

/// The parts of a message that have no parts of their own, in order.
fn leaves<'a>(part: &'a mailparse::ParsedMail<'a>) -> Vec<&'a mailparse::ParsedMail<'a>> {
    if part.subparts.is_empty() {
        return vec![part];
    }
    part.subparts.iter().flat_map(leaves).collect()
}

/// What arrived so far, without copying the messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    pub messages: usize,
    pub recipients: usize,
    /// When the last message was accepted.
    pub last: Option<Instant>,
}

#[derive(Default)]
struct Shared {
    received: Vec<Received>,
    recipients: HashSet<String>,
    last: Option<Instant>,
    reject: HashSet<String>,
    /// Subjects accepted but not kept (mail a test is not about).
    ignored: HashSet<String>,
    /// Bumped by `stop`: sessions of an earlier generation hang up.
    generation: u64,
}

pub struct SmtpServer {
    pub port: u16,
    shared: Arc<Mutex<Shared>>,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl SmtpServer {
    /// Listens on a free loopback port.
    pub async fn start() -> std::io::Result<SmtpServer> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let server = SmtpServer {
            port: listener.local_addr()?.port(),
            shared: Arc::default(),
            task: Mutex::new(None),
        };
        server.serve(listener);
        Ok(server)
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    fn serve(&self, listener: TcpListener) {
        let shared = self.shared.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let shared = shared.clone();
                tokio::spawn(async move {
                    let _ = session(stream, shared).await;
                });
            }
        });
        *self.task.lock().expect("not poisoned") = Some(task);
    }

    /// Stops: new connections are refused and open ones hang up.
    pub fn stop(&self) {
        self.shared().generation += 1;
        if let Some(task) = self.task.lock().expect("not poisoned").take() {
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

    /// Refuses mail to `address` from now on, permanently (550).
    pub fn reject(&self, address: &str) {
        self.shared().reject.insert(address.to_lowercase());
    }

    /// Accepts messages with exactly this subject from now on without keeping them:
    /// for tests about other mail (they are in neither `received` nor `tally`).
    pub fn ignore_subject(&self, subject: &str) {
        self.shared().ignored.insert(subject.to_owned());
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared().received.clone()
    }

    pub fn tally(&self) -> Tally {
        let shared = self.shared();
        Tally {
            messages: shared.received.len(),
            recipients: shared.recipients.len(),
            last: shared.last,
        }
    }

    /// Waits until at least `n` messages arrived (up to `secs`), and returns them all.
    pub async fn wait_for(&self, n: usize, secs: u64) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        while self.tally().messages < n && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.received()
    }

    fn shared(&self) -> std::sync::MutexGuard<'_, Shared> {
        self.shared.lock().expect("not poisoned")
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The address of a `MAIL FROM:<...>` or `RCPT TO:<...>` line, lowercased.
fn address(command: &str) -> String {
    command
        .split_once(':')
        .map(|(_, a)| {
            a.trim()
                .trim_start_matches('<')
                .split('>')
                .next()
                .unwrap_or("")
                .to_lowercase()
        })
        .unwrap_or_default()
}

async fn session(stream: tokio::net::TcpStream, shared: Arc<Mutex<Shared>>) -> std::io::Result<()> {
    let lock = || shared.lock().expect("not poisoned");
    let generation = lock().generation;
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 smtp-sink ESMTP\r\n").await?;
    let mut to = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        if lock().generation != generation {
            return Ok(()); // the server "went down"
        }
        let command = line.trim_end().to_owned();
        let upper = command.to_uppercase();
        let reply: String = if upper.starts_with("EHLO") {
            "250-smtp-sink\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n".into()
        } else if upper.starts_with("HELO") || upper.starts_with("NOOP") {
            "250 OK\r\n".into()
        } else if upper.starts_with("MAIL FROM") || upper.starts_with("RSET") {
            to.clear();
            "250 OK\r\n".into()
        } else if upper.starts_with("RCPT TO") {
            let address = address(&command);
            if lock().reject.contains(&address) {
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
            let message = Received {
                to: std::mem::take(&mut to),
                data,
            };
            let mut shared = lock();
            let subject = message.header("Subject").unwrap_or_default();
            if !shared.ignored.contains(&subject) {
                shared.recipients.extend(message.to.iter().cloned());
                shared.last = Some(Instant::now());
                shared.received.push(message);
            }
            "250 OK queued\r\n".into()
        } else if upper.starts_with("QUIT") {
            write.write_all(b"221 Bye\r\n").await?;
            return Ok(());
        } else {
            "502 Command not implemented\r\n".into()
        };
        write.write_all(reply.as_bytes()).await?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    async fn converse(server: &SmtpServer, script: &str) -> String {
        let mut s = tokio::net::TcpStream::connect(("127.0.0.1", server.port))
            .await
            .unwrap();
        s.write_all(script.as_bytes()).await.unwrap();
        let mut replies = String::new();
        s.read_to_string(&mut replies).await.unwrap();
        replies
    }

    #[tokio::test]
    async fn keeps_and_counts_messages_and_recipients() {
        let server = SmtpServer::start().await.unwrap();
        let replies = converse(
            &server,
            "EHLO me\r\nMAIL FROM:<a@x>\r\nRCPT TO:<B@x>\r\nDATA\r\nhello\r\n..dot\r\n.\r\n\
             MAIL FROM:<a@x>\r\nRCPT TO:<b@x>\r\nRCPT TO:<c@x>\r\nDATA\r\nagain\r\n.\r\nQUIT\r\n",
        )
        .await;
        assert!(replies.starts_with("220 "), "{replies}");
        assert_eq!(replies.matches("250 OK queued").count(), 2, "{replies}");
        assert!(replies.ends_with("221 Bye\r\n"), "{replies}");
        let tally = server.tally();
        assert_eq!((tally.messages, tally.recipients), (2, 2));
        assert!(tally.last.is_some());
        let received = server.received();
        assert_eq!(received[0].to, ["b@x"]);
        assert_eq!(received[0].data, "hello\r\n.dot\r\n");
        assert_eq!(received[1].to, ["b@x", "c@x"]);
    }

    #[tokio::test]
    async fn refuses_a_rejected_recipient_permanently() {
        let server = SmtpServer::start().await.unwrap();
        server.reject("No@X");
        let replies = converse(
            &server,
            "HELO me\r\nMAIL FROM:<a@x>\r\nRCPT TO:<no@x>\r\nQUIT\r\n",
        )
        .await;
        assert!(replies.contains("550 5.1.1 <no@x>"), "{replies}");
        assert_eq!(server.tally().messages, 0);
    }

    #[tokio::test]
    async fn an_outage_refuses_connections_until_restarted() {
        let server = SmtpServer::start().await.unwrap();
        server.stop();
        // The listener closes once the runtime has dropped the aborted task.
        let mut refused = false;
        for _ in 0..100 {
            tokio::task::yield_now().await;
            if tokio::net::TcpStream::connect(("127.0.0.1", server.port))
                .await
                .is_err()
            {
                refused = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(refused, "the stopped server still accepts connections");
        server.restart().await;
        let replies = converse(&server, "NOOP\r\nQUIT\r\n").await;
        assert!(replies.contains("250 OK"), "{replies}");
    }
}
