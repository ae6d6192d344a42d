//! Typed settings, read once from the environment (plus an optional `.env`).
//! Secrets are wrapped so that `Debug` never prints them.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};

use crate::db::DbTarget;

/// A value that must never reach a log line.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    pub fn new(value: T) -> Self {
        Self(value)
    }

    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> std::fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppEnv {
    Development,
    Production,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub database: DbTarget,
    pub bind_addr: SocketAddr,
    /// Base URL for links in emails, without a trailing slash.
    pub public_url: Option<String>,
    pub jwt_secret: Secret<Vec<u8>>,
    pub smtp_url: Option<Secret<String>>,
    pub mail_from: String,
    pub bcrypt_cost: u32,
    pub static_dir: PathBuf,
    pub app_env: AppEnv,
    pub log_format: LogFormat,
    /// Origins allowed to call the API cross-origin, e.g. `https://clinic.example`.
    pub cors_origins: Vec<String>,
    /// Attempts per minute per client IP, and per account, on login, register and
    /// refresh. 0 disables.
    pub auth_rate_limit_per_minute: u32,
    /// Requests per minute per client IP on the rest of the API. 0 disables.
    pub api_rate_limit_per_minute: u32,
    /// Open sockets per client IP. 0 disables.
    pub ws_max_connections_per_ip: usize,
    /// Take the client address from `Forwarded` / `X-Forwarded-For` (behind a proxy).
    pub trust_proxy: bool,
    /// Lets a scraper that is not on loopback read `/metrics` (`Authorization: Bearer`).
    pub metrics_token: Option<Secret<String>>,
    /// Where development state (the generated JWT secret, .eml files) lives.
    pub data_dir: PathBuf,
    /// How long a doctor's last socket may be gone before they go offline.
    pub presence_grace: Duration,
    /// How often sockets are pinged (and socket presence refreshed).
    pub ws_heartbeat: Duration,
    /// A socket silent for this long is dropped.
    pub ws_client_timeout: Duration,
    /// At most one "doctor is online" email per patient and doctor in this time.
    pub notify_cooldown: Duration,
    /// A "doctor is online" email not handed to SMTP within this time of being queued
    /// is never sent (it expires).
    pub alert_max_delay: Duration,
    /// The time zone whose days analytics count ("today", daily buckets).
    pub analytics_tz: chrono_tz::Tz,
    /// The most booked appointments ahead one patient may hold across all doctors
    /// (`PATIENT_MAX_OPEN_BOOKINGS`, default 10; 0 for no limit).
    pub patient_max_open_bookings: u32,
    /// How long before each appointment its patient is reminded, in minutes, latest
    /// first (`REMINDER_OFFSETS`, default `24h,1h`; `off` for none).
    pub reminder_offsets: Vec<u32>,
    /// How long a time offered to a waiting patient is held for them, in minutes
    /// (`WAITLIST_HOLD_MINUTES`, default 15).
    pub waitlist_hold_minutes: u32,
    /// The most patients waiting in one doctor's consult queue (`CONSULT_QUEUE_MAX`,
    /// default 10).
    pub consult_queue_max: u32,
    /// STUN and TURN servers for consult calls (`ICE_SERVERS`, a JSON array of
    /// `{"urls": [...], "username"?, "credential"?}`; default none).
    pub ice_servers: Vec<mediconnect_shared::IceServer>,
}

/// `ICE_SERVERS`: a JSON array of servers, each with one or more `stun:`, `turn:` or
/// `turns:` URLs.
fn ice_servers(value: Option<&str>) -> anyhow::Result<Vec<mediconnect_shared::IceServer>> {
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(Vec::new());
    };
    let servers: Vec<mediconnect_shared::IceServer> = serde_json::from_str(value).map_err(|e| {
        anyhow::anyhow!(
            "ICE_SERVERS must be a JSON array of {{\"urls\": [...], \"username\", \
             \"credential\"}} ({e})"
        )
    })?;
    for server in &servers {
        if server.urls.is_empty() {
            bail!("ICE_SERVERS: each server needs at least one URL");
        }
        for url in &server.urls {
            if !["stun:", "turn:", "turns:"]
                .iter()
                .any(|s| url.starts_with(s))
            {
                bail!("ICE_SERVERS: `{url}` is not a stun:, turn: or turns: URL");
            }
        }
    }
    Ok(servers)
}

/// `REMINDER_OFFSETS`: `off`, or up to five times before the start, each minutes
/// (`90m`) or hours (`24h`), from 5 minutes to 30 days; latest first.
pub fn parse_reminder_offsets(value: &str) -> Result<Vec<u32>, String> {
    let value = value.trim();
    if value.eq_ignore_ascii_case("off") {
        return Ok(Vec::new());
    }
    let mut offsets = Vec::new();
    for item in value.split(',').map(str::trim) {
        let (number, unit) = match item.char_indices().last() {
            Some((at, 'm')) => (&item[..at], 1),
            Some((at, 'h')) => (&item[..at], 60),
            _ => (item, 0),
        };
        let minutes = number
            .parse::<u32>()
            .ok()
            .filter(|_| unit > 0)
            .and_then(|n| n.checked_mul(unit))
            .filter(|m| (5..=30 * 24 * 60).contains(m))
            .ok_or_else(|| {
                format!(
                    "REMINDER_OFFSETS: `{item}` is not a time from 5m to 720h (write minutes \
                     as 90m, hours as 24h, comma-separated, or off)"
                )
            })?;
        if !offsets.contains(&minutes) {
            offsets.push(minutes);
        }
    }
    if offsets.len() > 5 {
        return Err("REMINDER_OFFSETS: at most 5 reminders".into());
    }
    offsets.sort_unstable_by(|a, b| b.cmp(a));
    Ok(offsets)
}

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/mediconnect.db";
const DEFAULT_BIND_ADDR: &str = "127.0.0.1:8080";
const DEFAULT_MAIL_FROM: &str = "MediConnect <no-reply@mediconnect.localhost>";
pub const DEFAULT_AUTH_RATE_LIMIT: u32 = 10;
pub const DEFAULT_API_RATE_LIMIT: u64 = 600;
/// The largest per-minute limit (and socket cap) a setting may ask for.
const MAX_PER_MINUTE: u64 = 1_000_000;
const DAY_SECS: u64 = 24 * 3600;

/// A whole number setting: `default` when unset, else a number in `range`. The error
/// names the variable, its range and its unit (`note`), and the value refused.
fn ranged(
    value: Option<&str>,
    key: &str,
    default: u64,
    range: std::ops::RangeInclusive<u64>,
    note: &str,
) -> anyhow::Result<u64> {
    let Some(value) = value else {
        return Ok(default);
    };
    match value.parse::<u64>() {
        Ok(n) if range.contains(&n) => Ok(n),
        _ => bail!(
            "{key} must be a whole number from {} to {}{note}, not `{value}`",
            range.start(),
            range.end()
        ),
    }
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> anyhow::Result<Self> {
        Self::from_lookup(|key| std::env::var(key).ok())
    }

    /// Reads settings through `lookup`, so tests can pass a map.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let get = |key: &str| {
            lookup(key)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };

        let app_env = match get("APP_ENV").as_deref() {
            None | Some("development") | Some("dev") => AppEnv::Development,
            Some("production") | Some("prod") => AppEnv::Production,
            Some(other) => bail!("APP_ENV must be `development` or `production`, not `{other}`"),
        };
        let log_format = match get("LOG_FORMAT").as_deref() {
            None | Some("pretty") => LogFormat::Pretty,
            Some("json") => LogFormat::Json,
            Some(other) => bail!("LOG_FORMAT must be `pretty` or `json`, not `{other}`"),
        };
        let database_url = get("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
        let database = DbTarget::parse(&database_url).map_err(anyhow::Error::msg)?;
        let bind_addr: SocketAddr = get("BIND_ADDR")
            .unwrap_or_else(|| DEFAULT_BIND_ADDR.to_owned())
            .parse()
            .context("BIND_ADDR must be an address like 127.0.0.1:8080")?;
        let public_url = match get("PUBLIC_URL") {
            Some(url) => Some(parse_base_url(&url).context("PUBLIC_URL")?),
            None => None,
        };
        // Every number is range-checked: a value that does not fit is refused with the
        // variable's name and range, never wrapped or clamped.
        let number = |key: &str, default: u64, range: std::ops::RangeInclusive<u64>, note: &str| {
            ranged(get(key).as_deref(), key, default, range, note)
        };
        let bcrypt_cost = number("BCRYPT_COST", 12, 4..=31, "")? as u32;
        let rate = 0..=MAX_PER_MINUTE;
        let disables = " (0 disables the limit)";
        let auth_rate_limit_per_minute = number(
            "AUTH_RATE_LIMIT_PER_MINUTE",
            u64::from(DEFAULT_AUTH_RATE_LIMIT),
            rate.clone(),
            disables,
        )? as u32;
        let api_rate_limit_per_minute = number(
            "API_RATE_LIMIT_PER_MINUTE",
            DEFAULT_API_RATE_LIMIT,
            rate,
            disables,
        )? as u32;
        let patient_max_open_bookings = number(
            "PATIENT_MAX_OPEN_BOOKINGS",
            10,
            0..=10_000,
            " (0 for no limit)",
        )? as u32;
        let waitlist_hold_minutes = number("WAITLIST_HOLD_MINUTES", 15, 1..=1440, "")? as u32;
        let consult_queue_max = number("CONSULT_QUEUE_MAX", 10, 1..=1000, "")? as u32;
        let ice_servers = ice_servers(get("ICE_SERVERS").as_deref())?;
        let ws_max_connections_per_ip = number(
            "WS_MAX_CONNECTIONS_PER_IP",
            100,
            0..=MAX_PER_MINUTE,
            disables,
        )? as usize;
        let trust_proxy = match get("TRUST_PROXY").as_deref() {
            None | Some("false") | Some("0") => false,
            Some("true") | Some("1") => true,
            Some(other) => bail!("TRUST_PROXY must be true or false, not `{other}`"),
        };
        let cors_origins = match get("CORS_ORIGINS") {
            Some(list) => list
                .split(',')
                .map(str::trim)
                .filter(|o| !o.is_empty())
                .map(|o| parse_origin(o).with_context(|| format!("CORS_ORIGINS entry `{o}`")))
                .collect::<anyhow::Result<Vec<_>>>()?,
            None => Vec::new(),
        };
        let seconds = |key: &str, default: u64, range: std::ops::RangeInclusive<u64>| {
            number(key, default, range, " seconds").map(Duration::from_secs)
        };
        let minutes = |key: &str, default: u64, range: std::ops::RangeInclusive<u64>| {
            number(key, default, range, " minutes").map(|m| Duration::from_secs(60 * m))
        };
        let presence_grace = seconds("PRESENCE_GRACE_SECONDS", 60, 1..=DAY_SECS)?;
        let ws_heartbeat = seconds("WS_HEARTBEAT_SECONDS", 15, 1..=3600)?;
        let ws_client_timeout = seconds("WS_CLIENT_TIMEOUT_SECONDS", 45, 1..=DAY_SECS)?;
        if ws_client_timeout <= ws_heartbeat {
            bail!("WS_CLIENT_TIMEOUT_SECONDS must be longer than WS_HEARTBEAT_SECONDS");
        }
        let notify_cooldown = minutes("NOTIFY_COOLDOWN_MINUTES", 60, 0..=7 * 24 * 60)?;
        let alert_max_delay = minutes("ALERT_MAX_DELAY_MINUTES", 15, 1..=24 * 60)?;
        let analytics_tz = match get("ANALYTICS_TZ") {
            Some(name) => crate::domain::Zone::parse(&name)
                .map_err(|m| anyhow::anyhow!("ANALYTICS_TZ: {m}"))?
                .tz(),
            None => chrono_tz::UTC,
        };
        let reminder_offsets = match get("REMINDER_OFFSETS") {
            Some(v) => parse_reminder_offsets(&v).map_err(|m| anyhow::anyhow!(m))?,
            None => vec![24 * 60, 60],
        };
        let smtp_url = get("SMTP_URL").map(Secret::new);
        let metrics_token = get("METRICS_TOKEN");
        if metrics_token.as_ref().is_some_and(|t| t.len() < 16) {
            bail!("METRICS_TOKEN must be at least 16 characters");
        }
        let metrics_token = metrics_token.map(Secret::new);
        let data_dir = PathBuf::from(get("DATA_DIR").unwrap_or_else(|| "data".to_owned()));

        let jwt_secret = match (get("JWT_SECRET"), app_env) {
            (Some(secret), AppEnv::Production) if secret.len() < 32 => {
                bail!(
                    "JWT_SECRET must be at least 32 bytes in production (it has {})",
                    secret.len()
                )
            }
            (Some(secret), _) => secret.into_bytes(),
            (None, AppEnv::Production) => {
                bail!("JWT_SECRET must be set (at least 32 bytes) when APP_ENV=production")
            }
            // Generated on start: see `ensure_dev_secret`.
            (None, AppEnv::Development) => Vec::new(),
        };
        if app_env == AppEnv::Production && bcrypt_cost < 10 {
            bail!(
                "BCRYPT_COST must be at least 10 in production (it is {bcrypt_cost}); \
                 4 is for tests"
            );
        }
        if app_env == AppEnv::Production && smtp_url.is_none() {
            bail!("SMTP_URL must be set when APP_ENV=production, or no email can be sent");
        }

        Ok(Config {
            database,
            bind_addr,
            public_url,
            jwt_secret: Secret::new(jwt_secret),
            smtp_url,
            mail_from: get("MAIL_FROM").unwrap_or_else(|| DEFAULT_MAIL_FROM.to_owned()),
            bcrypt_cost,
            static_dir: PathBuf::from(
                get("STATIC_DIR").unwrap_or_else(|| "frontend/dist".to_owned()),
            ),
            app_env,
            log_format,
            cors_origins,
            auth_rate_limit_per_minute,
            api_rate_limit_per_minute,
            ws_max_connections_per_ip,
            trust_proxy,
            metrics_token,
            data_dir,
            presence_grace,
            ws_heartbeat,
            ws_client_timeout,
            notify_cooldown,
            alert_max_delay,
            analytics_tz,
            patient_max_open_bookings,
            reminder_offsets,
            waitlist_hold_minutes,
            consult_queue_max,
            ice_servers,
        })
    }

    /// In development without `JWT_SECRET`, generates a secret once and keeps it in the
    /// data directory, so that tokens survive a restart.
    pub fn ensure_dev_secret(&mut self) -> anyhow::Result<()> {
        if !self.jwt_secret.expose().is_empty() {
            return Ok(());
        }
        let path = self.data_dir.join("jwt_secret");
        let secret = load_or_create_secret(&path).with_context(|| {
            format!(
                "cannot keep the development JWT secret in {}",
                path.display()
            )
        })?;
        self.jwt_secret = Secret::new(secret);
        Ok(())
    }
}

fn load_or_create_secret(path: &Path) -> anyhow::Result<Vec<u8>> {
    if let Ok(existing) = std::fs::read_to_string(path) {
        let existing = existing.trim();
        if existing.len() >= 32 {
            return Ok(existing.as_bytes().to_vec());
        }
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    let secret = hex::encode(bytes);
    write_private(path, secret.as_bytes())?;
    Ok(secret.into_bytes())
}

#[cfg(unix)]
fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents)
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, contents)
}

/// `http(s)://host[:port][/path]`, returned without a trailing slash.
fn parse_base_url(url: &str) -> anyhow::Result<String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .context("must start with http:// or https://")?;
    if rest.is_empty() || rest.starts_with('/') || rest.contains(char::is_whitespace) {
        bail!("must name a host, like https://clinic.example");
    }
    Ok(url.trim_end_matches('/').to_owned())
}

/// An origin is `scheme://host[:port]`, with no path.
fn parse_origin(origin: &str) -> anyhow::Result<String> {
    let base = parse_base_url(origin)?;
    let after_scheme = base.split_once("://").map(|(_, r)| r).unwrap_or_default();
    if after_scheme.contains('/') {
        bail!("an origin has no path: use scheme://host[:port]");
    }
    Ok(base.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(pairs: &[(&str, &str)]) -> anyhow::Result<Config> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults() {
        let c = config(&[]).unwrap();
        assert_eq!(c.database, DbTarget::Sqlite("data/mediconnect.db".into()));
        assert_eq!(c.bind_addr.to_string(), "127.0.0.1:8080");
        assert_eq!(c.bcrypt_cost, 12);
        assert_eq!(c.app_env, AppEnv::Development);
        assert_eq!(c.static_dir, PathBuf::from("frontend/dist"));
        assert!(c.cors_origins.is_empty());
        assert_eq!(c.auth_rate_limit_per_minute, DEFAULT_AUTH_RATE_LIMIT);
        assert_eq!(c.presence_grace, Duration::from_secs(60));
        assert_eq!(c.ws_heartbeat, Duration::from_secs(15));
        assert_eq!(c.ws_client_timeout, Duration::from_secs(45));
        assert!(c.ice_servers.is_empty());
    }

    #[test]
    fn ice_servers_are_json_with_stun_or_turn_urls() {
        let json = r#"[{"urls":["stun:stun.example.org:3478"]},
            {"urls":["turns:turn.example.org"],"username":"u","credential":"c"}]"#;
        let c = config(&[("ICE_SERVERS", json)]).unwrap();
        assert_eq!(c.ice_servers.len(), 2);
        assert_eq!(c.ice_servers[1].username.as_deref(), Some("u"));
        for bad in [
            "stun:x",
            r#"[{"urls":[]}]"#,
            r#"[{"urls":["https://x"]}]"#,
            r#"{"urls":["stun:x"]}"#,
        ] {
            let e = config(&[("ICE_SERVERS", bad)]).unwrap_err().to_string();
            assert!(e.contains("ICE_SERVERS"), "{bad}: {e}");
        }
    }

    #[test]
    fn socket_timing_is_checked() {
        assert!(config(&[("PRESENCE_GRACE_SECONDS", "0")]).is_err());
        assert!(config(&[("PRESENCE_GRACE_SECONDS", "soon")]).is_err());
        assert!(
            config(&[
                ("WS_HEARTBEAT_SECONDS", "30"),
                ("WS_CLIENT_TIMEOUT_SECONDS", "30")
            ])
            .is_err()
        );
        assert_eq!(
            config(&[("PRESENCE_GRACE_SECONDS", "5")])
                .unwrap()
                .presence_grace,
            Duration::from_secs(5)
        );
    }

    #[test]
    fn production_needs_a_strong_secret_and_smtp() {
        let weak = config(&[
            ("APP_ENV", "production"),
            ("JWT_SECRET", "short"),
            ("SMTP_URL", "smtp://m:25"),
        ]);
        assert!(weak.unwrap_err().to_string().contains("at least 32 bytes"));
        let missing = config(&[("APP_ENV", "production"), ("SMTP_URL", "smtp://m:25")]);
        assert!(missing.unwrap_err().to_string().contains("JWT_SECRET"));
        let no_smtp = config(&[("APP_ENV", "production"), ("JWT_SECRET", &"s".repeat(32))]);
        assert!(no_smtp.unwrap_err().to_string().contains("SMTP_URL"));
        assert!(
            config(&[
                ("APP_ENV", "production"),
                ("JWT_SECRET", &"s".repeat(32)),
                ("SMTP_URL", "smtp://m:25")
            ])
            .is_ok()
        );
        let weak_hash = config(&[
            ("APP_ENV", "production"),
            ("JWT_SECRET", &"s".repeat(32)),
            ("SMTP_URL", "smtp://m:25"),
            ("BCRYPT_COST", "4"),
        ]);
        assert!(weak_hash.unwrap_err().to_string().contains("BCRYPT_COST"));
    }

    #[test]
    fn numbers_that_do_not_fit_are_refused_with_their_range() {
        for (key, bad) in [
            ("API_RATE_LIMIT_PER_MINUTE", "4294967296"),
            ("API_RATE_LIMIT_PER_MINUTE", "1000001"),
            ("AUTH_RATE_LIMIT_PER_MINUTE", "4294967306"),
            ("WS_MAX_CONNECTIONS_PER_IP", "18446744073709551616"),
            ("WS_MAX_CONNECTIONS_PER_IP", "-1"),
            ("BCRYPT_COST", "4294967300"),
            ("PRESENCE_GRACE_SECONDS", "86401"),
            ("WS_HEARTBEAT_SECONDS", "3601"),
            ("WS_CLIENT_TIMEOUT_SECONDS", "0"),
            ("NOTIFY_COOLDOWN_MINUTES", "10081"),
            ("NOTIFY_COOLDOWN_MINUTES", "1.5"),
            ("ALERT_MAX_DELAY_MINUTES", "0"),
            ("ALERT_MAX_DELAY_MINUTES", "1441"),
            ("WAITLIST_HOLD_MINUTES", "0"),
            ("CONSULT_QUEUE_MAX", "0"),
        ] {
            let error = config(&[(key, bad)]).unwrap_err().to_string();
            assert!(
                error.starts_with(&format!("{key} must be a whole number from ")),
                "{error}"
            );
            assert!(error.contains(&format!("not `{bad}`")), "{error}");
        }
        let error = config(&[("API_RATE_LIMIT_PER_MINUTE", "4294967296")]).unwrap_err();
        assert_eq!(
            error.to_string(),
            "API_RATE_LIMIT_PER_MINUTE must be a whole number from 0 to 1000000 \
             (0 disables the limit), not `4294967296`"
        );
        let edges = config(&[
            ("API_RATE_LIMIT_PER_MINUTE", "1000000"),
            ("AUTH_RATE_LIMIT_PER_MINUTE", "0"),
            ("NOTIFY_COOLDOWN_MINUTES", "0"),
            ("ALERT_MAX_DELAY_MINUTES", "1440"),
        ])
        .unwrap();
        assert_eq!(edges.api_rate_limit_per_minute, 1_000_000);
        assert_eq!(edges.auth_rate_limit_per_minute, 0);
        assert_eq!(edges.notify_cooldown, Duration::ZERO);
        assert_eq!(edges.alert_max_delay, Duration::from_secs(24 * 3600));
        assert_eq!(
            config(&[]).unwrap().alert_max_delay,
            Duration::from_secs(15 * 60)
        );
    }

    #[test]
    fn env_example_documents_every_variable() {
        let asked = std::cell::RefCell::new(std::collections::BTreeSet::new());
        Config::from_lookup(|key| {
            asked.borrow_mut().insert(key.to_owned());
            None
        })
        .unwrap();
        let example = include_str!("../../../.env.example");
        for key in asked.into_inner() {
            let documented = example.lines().any(|l| {
                l.trim_start_matches(['#', ' '])
                    .starts_with(&format!("{key}="))
            });
            assert!(documented, "{key} is read but not in .env.example");
        }
    }

    #[test]
    fn bcrypt_cost_range() {
        assert!(config(&[("BCRYPT_COST", "3")]).is_err());
        assert_eq!(config(&[("BCRYPT_COST", "4")]).unwrap().bcrypt_cost, 4);
        assert_eq!(config(&[("BCRYPT_COST", "31")]).unwrap().bcrypt_cost, 31);
        assert!(config(&[("BCRYPT_COST", "32")]).is_err());
        assert!(config(&[("BCRYPT_COST", "twelve")]).is_err());
    }

    #[test]
    fn cors_origins_are_validated() {
        let c = config(&[("CORS_ORIGINS", "https://a.example, http://localhost:3000")]).unwrap();
        assert_eq!(
            c.cors_origins,
            vec!["https://a.example", "http://localhost:3000"]
        );
        assert!(config(&[("CORS_ORIGINS", "a.example")]).is_err());
        assert!(config(&[("CORS_ORIGINS", "https://a.example/path")]).is_err());
    }

    #[test]
    fn secrets_never_debug_print() {
        let c = config(&[
            ("JWT_SECRET", "super-secret-value-of-some-length"),
            ("SMTP_URL", "smtp://u:pw@m:25"),
        ])
        .unwrap();
        let dbg = format!("{c:?}");
        assert!(!dbg.contains("super-secret"));
        assert!(!dbg.contains("pw@"));
    }

    #[test]
    fn dev_secret_survives_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let dir_str = dir.path().to_str().unwrap();
        let mut a = config(&[("DATA_DIR", dir_str)]).unwrap();
        a.ensure_dev_secret().unwrap();
        let mut b = config(&[("DATA_DIR", dir_str)]).unwrap();
        b.ensure_dev_secret().unwrap();
        assert_eq!(a.jwt_secret.expose(), b.jwt_secret.expose());
        assert!(a.jwt_secret.expose().len() >= 32);
    }

    #[test]
    fn bad_values_are_named() {
        assert!(
            config(&[("APP_ENV", "staging")])
                .unwrap_err()
                .to_string()
                .contains("APP_ENV")
        );
        assert!(
            config(&[("BIND_ADDR", "nowhere")])
                .unwrap_err()
                .to_string()
                .contains("BIND_ADDR")
        );
        assert!(config(&[("DATABASE_URL", "mysql://x")]).is_err());
        assert!(config(&[("PUBLIC_URL", "clinic.example")]).is_err());
        assert_eq!(
            config(&[("PUBLIC_URL", "https://clinic.example/")])
                .unwrap()
                .public_url
                .as_deref(),
            Some("https://clinic.example")
        );
    }

    #[test]
    fn reminder_offsets_are_minutes_or_hours_latest_first() {
        assert_eq!(parse_reminder_offsets("24h,1h"), Ok(vec![1440, 60]));
        assert_eq!(
            parse_reminder_offsets(" 90m , 48h, 90m "),
            Ok(vec![2880, 90])
        );
        assert_eq!(parse_reminder_offsets("off"), Ok(vec![]));
        for bad in [
            "",
            "24",
            "1d",
            "4m",
            "721h",
            "h",
            "-1h",
            "1h,2h,3h,4h,5h,6h",
        ] {
            assert!(parse_reminder_offsets(bad).is_err(), "{bad}");
        }
        let error = config(&[("REMINDER_OFFSETS", "soon")])
            .unwrap_err()
            .to_string();
        assert!(error.contains("REMINDER_OFFSETS"), "{error}");
    }
}
