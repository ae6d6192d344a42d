//! The SMTP client: lettre's protocol implementation over connections we open and
//! pool ourselves, so that their sockets have `TCP_NODELAY`. lettre writes a message
//! and its final `.` in two writes; with Nagle's algorithm on, the `.` waits for the
//! server's delayed ACK (40 ms on Linux) and every message costs that long
//! (docs/decisions/0011-smtp-nodelay.md).

use std::sync::Mutex;
use std::time::{Duration, Instant};

use lettre::Message;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::extension::ClientId;

/// A pooled connection idle for longer than this is closed rather than reused: servers
/// may drop idle clients after a few minutes (RFC 5321 asks for at least five).
const MAX_IDLE: Duration = Duration::from_secs(60);
/// Idle connections kept (the worker sends at most this many at once).
const POOL_SIZE: usize = 16;

#[derive(Clone)]
enum Security {
    Plain,
    /// STARTTLS; `required` fails a server that does not offer it.
    StartTls {
        params: TlsParameters,
        required: bool,
    },
    /// TLS from the first byte (`smtps://`).
    Wrapper(TlsParameters),
}

/// Why a message was not handed over; permanent means an SMTP 5xx (never retry).
#[derive(Debug)]
pub struct SendError {
    pub permanent: bool,
    pub message: String,
}

impl From<lettre::transport::smtp::Error> for SendError {
    fn from(e: lettre::transport::smtp::Error) -> Self {
        SendError {
            permanent: e.is_permanent(),
            message: e.to_string(),
        }
    }
}

fn transient(message: impl Into<String>) -> SendError {
    SendError {
        permanent: false,
        message: message.into(),
    }
}

pub struct Smtp {
    host: String,
    port: u16,
    security: Security,
    credentials: Option<Credentials>,
    hello: ClientId,
    timeout: Duration,
    idle: Mutex<Vec<(AsyncSmtpConnection, Instant)>>,
}

impl std::fmt::Debug for Smtp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the credentials.
        f.debug_struct("Smtp")
            .field("host", &self.host)
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

impl Smtp {
    /// Reads an SMTP_URL: `smtp://host[:port]` (plain, port 25),
    /// `smtp://host?tls=required|opportunistic` (STARTTLS, port 587), or
    /// `smtps://host[:port]` (TLS, port 465); `user:password@` for credentials and a
    /// path for the EHLO name, as lettre reads them.
    pub fn from_url(url: &str, timeout: Duration) -> anyhow::Result<Smtp> {
        let url = url::Url::parse(url).map_err(|e| anyhow::anyhow!("not a URL: {e}"))?;
        let host = url
            .host_str()
            .ok_or_else(|| anyhow::anyhow!("it names no host"))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let tls = url
            .query_pairs()
            .find(|(k, _)| k == "tls")
            .map(|(_, v)| v.into_owned());
        let params =
            || TlsParameters::new(host.clone()).map_err(|e| anyhow::anyhow!("TLS set-up: {e}"));
        let (security, default_port) = match (url.scheme(), tls.as_deref()) {
            ("smtp", None) => (Security::Plain, 25),
            ("smtp", Some(mode @ ("required" | "opportunistic"))) => (
                Security::StartTls {
                    params: params()?,
                    required: mode == "required",
                },
                587,
            ),
            ("smtps", None) => (Security::Wrapper(params()?), 465),
            (scheme, tls) => anyhow::bail!(
                "use smtp:// (optionally ?tls=required or ?tls=opportunistic) or smtps://, \
                 not {scheme}://{}",
                tls.map(|t| format!(" with tls={t}")).unwrap_or_default()
            ),
        };
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .map(|c| c.into_owned())
                .map_err(|_| anyhow::anyhow!("the credentials are not UTF-8"))
        };
        let credentials = match url.password() {
            Some(password) => Some(Credentials::new(decode(url.username())?, decode(password)?)),
            None => None,
        };
        let path = url.path().trim_matches('/');
        let hello = if path.is_empty() {
            ClientId::default()
        } else {
            ClientId::Domain(path.to_owned())
        };
        Ok(Smtp {
            port: url.port().unwrap_or(default_port),
            host,
            security,
            credentials,
            hello,
            timeout,
            idle: Mutex::new(Vec::new()),
        })
    }

    async fn connect(&self) -> Result<AsyncSmtpConnection, SendError> {
        let mut conn = match &self.security {
            Security::Wrapper(params) => {
                // lettre opens this socket itself; Nagle stays on (see the ADR).
                AsyncSmtpConnection::connect_tokio1(
                    (self.host.as_str(), self.port),
                    Some(self.timeout),
                    &self.hello,
                    Some(params.clone()),
                    None,
                )
                .await?
            }
            Security::Plain | Security::StartTls { .. } => {
                let tcp = tokio::net::TcpStream::connect((self.host.as_str(), self.port))
                    .await
                    .map_err(|e| transient(format!("cannot connect to the mail server: {e}")))?;
                tcp.set_nodelay(true)
                    .map_err(|e| transient(e.to_string()))?;
                let mut conn =
                    AsyncSmtpConnection::connect_with_transport(Box::new(tcp), &self.hello).await?;
                if let Security::StartTls { params, required } = &self.security {
                    if conn.can_starttls() {
                        conn.starttls(params.clone(), &self.hello).await?;
                    } else if *required {
                        return Err(transient("the mail server does not offer STARTTLS"));
                    }
                }
                conn
            }
        };
        if let Some(credentials) = &self.credentials {
            conn.auth(&[Mechanism::Plain, Mechanism::Login], credentials)
                .await?;
        }
        Ok(conn)
    }

    fn take_idle(&self) -> Option<AsyncSmtpConnection> {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        while let Some((conn, since)) = idle.pop() {
            if since.elapsed() < MAX_IDLE && !conn.has_broken() {
                return Some(conn);
            }
        }
        None
    }

    fn put_idle(&self, conn: AsyncSmtpConnection) {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < POOL_SIZE && !conn.has_broken() {
            idle.push((conn, Instant::now()));
        }
    }

    async fn send_on(
        &self,
        conn: &mut AsyncSmtpConnection,
        message: &Message,
        bytes: &[u8],
    ) -> Result<(), SendError> {
        match tokio::time::timeout(self.timeout, conn.send(message.envelope(), bytes)).await {
            Ok(result) => result.map(|_| ()).map_err(SendError::from),
            Err(_) => Err(transient("the mail server did not answer in time")),
        }
    }

    /// Hands one message to the server. A pooled connection that fails for a reason
    /// other than the server refusing the message is replaced once at once (it may
    /// have been closed while idle).
    pub async fn send(&self, message: &Message) -> Result<(), SendError> {
        let bytes = message.formatted();
        if let Some(mut conn) = self.take_idle() {
            match self.send_on(&mut conn, message, &bytes).await {
                Ok(()) => {
                    self.put_idle(conn);
                    return Ok(());
                }
                Err(e) if e.permanent => return Err(e),
                Err(_) => {}
            }
        }
        let mut conn = tokio::time::timeout(self.timeout, self.connect())
            .await
            .map_err(|_| transient("the mail server did not answer in time"))??;
        self.send_on(&mut conn, message, &bytes).await?;
        self.put_idle(conn);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(url: &str) -> Smtp {
        Smtp::from_url(url, Duration::from_secs(5)).unwrap()
    }

    #[test]
    fn reads_the_url_as_lettre_does() {
        let s = parse("smtp://mail.example.com");
        assert_eq!((s.host.as_str(), s.port), ("mail.example.com", 25));
        assert!(matches!(s.security, Security::Plain) && s.credentials.is_none());

        let s = parse("smtp://u%40x:p%2Fw@mail.example.com?tls=required");
        assert_eq!(s.port, 587);
        assert!(matches!(
            s.security,
            Security::StartTls { required: true, .. }
        ));
        assert!(s.credentials.is_some());

        let s = parse("smtp://mail.example.com:2525?tls=opportunistic");
        assert_eq!(s.port, 2525);
        assert!(matches!(
            s.security,
            Security::StartTls {
                required: false,
                ..
            }
        ));

        let s = parse("smtps://mail.example.com/clinic.example");
        assert_eq!(s.port, 465);
        assert!(matches!(s.security, Security::Wrapper(_)));
        assert_eq!(s.hello, ClientId::Domain("clinic.example".into()));
    }

    #[test]
    fn refuses_what_it_cannot_use() {
        for url in [
            "http://mail.example.com",
            "smtp://mail.example.com?tls=maybe",
            "smtp://",
            "nonsense",
        ] {
            assert!(
                Smtp::from_url(url, Duration::from_secs(5)).is_err(),
                "{url}"
            );
        }
    }

    #[test]
    fn debug_output_has_no_credentials() {
        let s = parse("smtp://user:secret@mail.example.com");
        assert!(!format!("{s:?}").contains("secret"));
    }
}
