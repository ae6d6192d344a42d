//! One connection type for both backends, and its r2d2 manager.

use std::path::PathBuf;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection, R2D2Connection};

/// A connection to either backend. Queries written with the diesel DSL run on both.
#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    Postgresql(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

/// Which database a `DATABASE_URL` selects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DbTarget {
    /// A file path (parent directories are created on first connect).
    Sqlite(PathBuf),
    /// A libpq connection URL.
    Postgres(String),
}

impl DbTarget {
    /// `sqlite://PATH` or a bare path selects SQLite; `postgres://` or `postgresql://`
    /// selects PostgreSQL.
    pub fn parse(url: &str) -> Result<Self, String> {
        let url = url.trim();
        if url.is_empty() {
            return Err("DATABASE_URL is empty".into());
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(DbTarget::Postgres(url.to_owned()));
        }
        let path = match url.strip_prefix("sqlite://") {
            Some(p) => p,
            None if url.starts_with("sqlite:") => &url["sqlite:".len()..],
            None if url.contains("://") => {
                return Err(format!(
                    "DATABASE_URL has an unsupported scheme: {}; \
                     use sqlite://PATH or postgres://...",
                    redact_url(url)
                ));
            }
            None => url,
        };
        if path.is_empty() {
            return Err("DATABASE_URL names no SQLite file".into());
        }
        Ok(DbTarget::Sqlite(PathBuf::from(path)))
    }

    pub fn backend_name(&self) -> &'static str {
        match self {
            DbTarget::Sqlite(_) => "sqlite",
            DbTarget::Postgres(_) => "postgres",
        }
    }

    /// The target for messages and logs, without any password.
    pub fn display(&self) -> String {
        match self {
            DbTarget::Sqlite(p) => format!("sqlite://{}", p.display()),
            DbTarget::Postgres(url) => redact_url(url),
        }
    }

    fn establish(&self) -> Result<AnyConnection, r2d2::Error> {
        match self {
            DbTarget::Sqlite(path) => {
                if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                    std::fs::create_dir_all(parent).map_err(|e| {
                        r2d2::Error::ConnectionError(ConnectionError::BadConnection(format!(
                            "cannot create {}: {e}",
                            parent.display()
                        )))
                    })?;
                }
                let path = path.to_str().ok_or_else(|| {
                    r2d2::Error::ConnectionError(ConnectionError::InvalidConnectionUrl(
                        "the SQLite path is not valid UTF-8".into(),
                    ))
                })?;
                // One connection at a time sets up: on a new file, two connections
                // switching it to WAL together make SQLite refuse one at once ("database
                // is locked", without waiting), and the pool opens its connections on
                // several threads. Once the file is in WAL, this is a few microseconds.
                static SETTING_UP: std::sync::Mutex<()> = std::sync::Mutex::new(());
                let _one_at_a_time = SETTING_UP
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                let mut conn = diesel::SqliteConnection::establish(path)?;
                // Per-connection settings: enforce foreign keys, let readers run beside the
                // writer (WAL), and wait for a busy writer instead of failing at once. The
                // server copies the log into the database from its background thread
                // (`Db::start_checkpoints`); a commit does so itself only if the log has
                // grown past about 40 MB, so a request is not the one that pays for it.
                conn.batch_execute(
                    "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; \
                     PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                     PRAGMA wal_autocheckpoint = 10000;",
                )?;
                Ok(AnyConnection::Sqlite(conn))
            }
            DbTarget::Postgres(url) => {
                let url = with_connect_timeout(url);
                Ok(AnyConnection::Postgresql(diesel::PgConnection::establish(
                    &url,
                )?))
            }
        }
    }
}

/// libpq waits indefinitely for an unreachable host unless told otherwise.
fn with_connect_timeout(url: &str) -> String {
    if url.contains("connect_timeout=") {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&connect_timeout=5")
    } else {
        format!("{url}?connect_timeout=5")
    }
}

/// Replaces the password of a URL's user-info with `***`.
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_owned();
    };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    match authority.rfind('@') {
        Some(at) => {
            let userinfo = &authority[..at];
            match userinfo.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme_end + 3],
                    &userinfo[..colon],
                    &rest[at..]
                ),
                None => url.to_owned(),
            }
        }
        None => url.to_owned(),
    }
}

/// Opens connections of the backend the URL names, so that a failure reports the real
/// cause (diesel's own multi-connection `establish` tries each backend and hides it).
#[derive(Debug, Clone)]
pub struct Manager {
    target: DbTarget,
}

impl Manager {
    pub fn new(target: DbTarget) -> Self {
        Self { target }
    }
}

impl ManageConnection for Manager {
    type Connection = AnyConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<AnyConnection, r2d2::Error> {
        self.target.establish()
    }

    fn is_valid(&self, conn: &mut AnyConnection) -> Result<(), r2d2::Error> {
        conn.ping().map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut AnyConnection) -> bool {
        std::thread::panicking() || conn.is_broken()
    }
}

pub type Pool = r2d2::Pool<Manager>;
pub type PooledConnection = r2d2::PooledConnection<Manager>;

pub fn build_pool(target: &DbTarget) -> Pool {
    let max_size = match target {
        DbTarget::Sqlite(_) => 8,
        DbTarget::Postgres(_) => 16,
    };
    r2d2::Pool::builder()
        .max_size(max_size)
        .min_idle(Some(1))
        .connection_timeout(Duration::from_secs(5))
        // A connection that died (the database restarted) is replaced on checkout
        // instead of failing a request.
        .test_on_check_out(true)
        .build_unchecked(Manager::new(target.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_backend() {
        assert_eq!(
            DbTarget::parse("sqlite://data/x.db").unwrap(),
            DbTarget::Sqlite("data/x.db".into())
        );
        assert_eq!(
            DbTarget::parse("sqlite:///tmp/x.db").unwrap(),
            DbTarget::Sqlite("/tmp/x.db".into())
        );
        assert_eq!(
            DbTarget::parse("data/x.db").unwrap(),
            DbTarget::Sqlite("data/x.db".into())
        );
        assert!(matches!(
            DbTarget::parse("postgres://u:p@h/db").unwrap(),
            DbTarget::Postgres(_)
        ));
        assert!(matches!(
            DbTarget::parse("postgresql://h/db").unwrap(),
            DbTarget::Postgres(_)
        ));
        assert!(DbTarget::parse("mysql://h/db").is_err());
        assert!(DbTarget::parse("").is_err());
        assert!(DbTarget::parse("sqlite://").is_err());
    }

    /// Connections opened at once on a new file all switch it to WAL. Unguarded, SQLite
    /// refuses one of them at once ("database is locked", no busy wait): the pool opens
    /// its second connection while the first one still sets up, so a first start logged
    /// an error.
    #[test]
    fn connections_opened_at_once_on_a_new_file_all_succeed() {
        let dir = std::env::temp_dir().join(format!("mediconnect-wal-{}", std::process::id()));
        for round in 0..20 {
            let target = DbTarget::Sqlite(dir.join(format!("{round}.db")));
            let start = std::sync::Barrier::new(4);
            let results: Vec<_> = std::thread::scope(|s| {
                let opening: Vec<_> = (0..4)
                    .map(|_| {
                        s.spawn(|| {
                            start.wait();
                            target.establish().map(drop).map_err(|e| e.to_string())
                        })
                    })
                    .collect();
                opening
                    .into_iter()
                    .map(|t| t.join().expect("no panic"))
                    .collect()
            });
            for result in results {
                assert_eq!(result, Ok(()), "round {round}");
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn redacts_passwords_only() {
        assert_eq!(
            redact_url("postgres://me:secret@db:5432/app?sslmode=require"),
            "postgres://me:***@db:5432/app?sslmode=require"
        );
        assert_eq!(redact_url("postgres://me@db/app"), "postgres://me@db/app");
        assert_eq!(redact_url("postgres://db/app"), "postgres://db/app");
        assert!(
            !DbTarget::parse("mysql://u:pw@h/db")
                .unwrap_err()
                .contains("pw")
        );
    }

    #[test]
    fn adds_a_connect_timeout() {
        assert_eq!(
            with_connect_timeout("postgres://h/db"),
            "postgres://h/db?connect_timeout=5"
        );
        assert_eq!(
            with_connect_timeout("postgres://h/db?sslmode=require"),
            "postgres://h/db?sslmode=require&connect_timeout=5"
        );
        assert_eq!(
            with_connect_timeout("postgres://h/db?connect_timeout=1"),
            "postgres://h/db?connect_timeout=1"
        );
    }
}
