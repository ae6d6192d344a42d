//! The database: one pool for either backend, embedded migrations, and the helpers
//! that keep every blocking call off the async workers.

pub mod background;
pub mod connection;
pub mod models;
pub mod schema;
pub mod types;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

pub use connection::{AnyConnection, DbTarget, Pool};
pub use types::{
    DbAction, DbAlerts, DbApproval, DbId, DbJobStatus, DbOutboxStatus, DbPurpose, DbRole, DbStatus,
    DbTime, JobStatus, TokenPurpose,
};

use crate::error::ApiError;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");

/// An arbitrary key for the advisory lock that serializes migrations between replicas.
const MIGRATION_LOCK_KEY: i64 = 0x4d45_4449_434f;

/// A database call (waiting for a connection included) this slow is logged as a warning.
const SLOW_CALL_MS: f64 = 500.0;

/// How often the server copies SQLite's write-ahead log into the database.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// The periodic WAL checkpoints of a server on SQLite; see [`Db::start_checkpoints`].
/// They stop when this is dropped.
pub struct Checkpoints(tokio::task::JoinHandle<()>);

impl Drop for Checkpoints {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A pooled connection, or 503 when the database cannot be reached.
fn checkout(pool: &Pool) -> Result<connection::PooledConnection, ApiError> {
    pool.get().map_err(|e| {
        tracing::warn!(error = %e, "no database connection");
        ApiError::Unavailable("The database is unavailable. Try again shortly.".into())
    })
}

/// A cloneable handle on the pool.
#[derive(Clone)]
pub struct Db {
    pool: Pool,
    target: DbTarget,
    background: background::Background,
    /// Time of each call through [`Db::run`] (`priority="normal"`) and
    /// [`Db::run_in_background`] (`priority="low"`), waiting for a connection included.
    pub call_seconds: prometheus::HistogramVec,
}

impl Db {
    /// Creates the pool. No connection is opened until [`Db::check`] or the first query.
    pub fn new(target: DbTarget) -> Self {
        let pool = connection::build_pool(&target);
        Self {
            pool,
            target,
            background: background::Background::start(),
            call_seconds: prometheus::HistogramVec::new(
                prometheus::HistogramOpts::new(
                    "db_call_duration_seconds",
                    "Database calls from requests and workers, waiting for a connection included; \
                     priority=low for bulk work on the background thread.",
                )
                .namespace("mediconnect")
                .buckets(vec![
                    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
                ]),
                &["priority"],
            )
            .expect("a valid metric"),
        }
    }

    pub fn target(&self) -> &DbTarget {
        &self.target
    }

    pub fn backend_name(&self) -> &'static str {
        self.target.backend_name()
    }

    /// Pool connections (in use, idle).
    pub fn pool_state(&self) -> (i64, i64) {
        let state = self.pool.state();
        let idle = i64::from(state.idle_connections);
        (i64::from(state.connections) - idle, idle)
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self.target, DbTarget::Postgres(_))
    }

    /// On SQLite, copies the write-ahead log into the database every second, on the
    /// background thread at the lowest priority (a passive checkpoint: it waits for
    /// no reader or writer). Left to SQLite, the commit that crossed its threshold of
    /// 1,000 pages did it, and that request took 5-7 ms longer: about one status change
    /// in a hundred in the benchmark (docs/decisions/0012-background-priority.md).
    /// `None` on PostgreSQL.
    pub fn start_checkpoints(&self) -> Option<Checkpoints> {
        if self.is_postgres() {
            return None;
        }
        let db = self.clone();
        Some(Checkpoints(tokio::spawn(async move {
            let mut every = tokio::time::interval(CHECKPOINT_EVERY);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                every.tick().await;
                let checkpoint = |conn: &mut AnyConnection| {
                    conn.batch_execute("PRAGMA wal_checkpoint(PASSIVE);")
                        .map_err(ApiError::from)
                };
                if let Err(e) = db.run_in_background(checkpoint).await {
                    tracing::warn!(error = %e, "WAL checkpoint failed");
                }
            }
        })))
    }

    /// Runs `f` with a pooled connection on the blocking thread pool.
    pub async fn run<F, T>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut AnyConnection) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        actix_web::web::block(self.timed_call("normal", f))
            .await
            .map_err(ApiError::internal)?
    }

    /// `f` with a pooled connection, in the caller's tracing span, timed into
    /// [`Db::call_seconds`] and logged when slow: what [`Db::run`] and
    /// [`Db::run_in_background`] run on their threads. A call that gets no connection
    /// fails at once (and is logged as that), without a time.
    fn timed_call<F, T>(
        &self,
        priority: &str,
        f: F,
    ) -> impl FnOnce() -> Result<T, ApiError> + Send + 'static
    where
        F: FnOnce(&mut AnyConnection) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        let timer = self.call_seconds.with_label_values(&[priority]);
        let span = tracing::Span::current();
        move || {
            let _entered = span.enter();
            let started = std::time::Instant::now();
            let mut conn = checkout(&pool)?;
            let result = f(&mut conn);
            let took = started.elapsed().as_secs_f64();
            timer.observe(took);
            let ms = took * 1000.0;
            if ms >= SLOW_CALL_MS {
                tracing::warn!(ms, "slow database call");
            } else {
                tracing::debug!(ms, "database call");
            }
            result
        }
    }

    /// Like [`Db::run`], on the low-priority background thread: for bulk work that
    /// must not compete with requests for the CPU.
    pub async fn run_in_background<F, T>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut AnyConnection) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        self.background
            .run(self.timed_call("low", f))
            .await
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("the background thread is gone")))?
    }

    /// Like [`Db::run`], inside a write transaction (see [`write_transaction`]).
    pub async fn write<F, T>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut AnyConnection) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        self.run(move |conn| write_transaction(conn, f)).await
    }

    /// A blocking connection, for the command-line tools and start-up.
    pub fn get_blocking(&self) -> Result<connection::PooledConnection, anyhow::Error> {
        self.pool.get().map_err(|pool_err| {
            // r2d2 keeps only a generic timeout; open one connection directly for the cause.
            use diesel::r2d2::ManageConnection;
            let cause = match connection::Manager::new(self.target.clone()).connect() {
                Err(e) => e.to_string(),
                Ok(_) => pool_err.to_string(),
            };
            anyhow::anyhow!(
                "cannot connect to the database at {}: {}",
                self.target.display(),
                cause.trim()
            )
        })
    }

    /// Opens one connection, applies pending migrations, and reports which ran.
    pub fn migrate_blocking(&self) -> anyhow::Result<Vec<String>> {
        let mut conn = self.get_blocking()?;
        run_migrations(&mut conn)
    }

    /// `SELECT 1`, for the health check.
    pub async fn check(&self) -> Result<(), ApiError> {
        // An open SQLite connection keeps working on a file that was deleted or moved
        // away; what it writes then is lost. That is a failure too.
        if let DbTarget::Sqlite(path) = &self.target
            && !path.exists()
        {
            return Err(ApiError::Unavailable(
                "The database file is missing.".into(),
            ));
        }
        self.run(|conn| {
            conn.batch_execute("SELECT 1")?;
            Ok(())
        })
        .await
    }
}

pub fn run_migrations(conn: &mut AnyConnection) -> anyhow::Result<Vec<String>> {
    let applied = match conn {
        AnyConnection::Sqlite(c) => c
            .run_pending_migrations(SQLITE_MIGRATIONS)
            .map_err(|e| anyhow::anyhow!("migration failed: {e}"))?
            .iter()
            .map(|v| v.to_string())
            .collect(),
        AnyConnection::Postgresql(c) => {
            // Replicas starting together must not race on the migrations table.
            diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"))
                .execute(c)?;
            let result = c
                .run_pending_migrations(POSTGRES_MIGRATIONS)
                .map(|v| v.iter().map(|v| v.to_string()).collect::<Vec<_>>())
                .map_err(|e| anyhow::anyhow!("migration failed: {e}"));
            diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})"))
                .execute(c)?;
            result?
        }
    };
    Ok(applied)
}

/// Runs `f` in a transaction that takes the write lock up front.
///
/// On SQLite a deferred transaction that reads and then writes can fail with SQLITE_BUSY
/// when another connection wrote in between, however long `busy_timeout` is. `BEGIN
/// IMMEDIATE` takes the single writer lock first (waiting `busy_timeout` for it), so
/// writes queue instead of failing. PostgreSQL gets an ordinary transaction.
pub fn write_transaction<T, F>(conn: &mut AnyConnection, f: F) -> Result<T, ApiError>
where
    F: FnOnce(&mut AnyConnection) -> Result<T, ApiError>,
{
    let sqlite = match conn {
        AnyConnection::Sqlite(inner) => {
            AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE")?;
            true
        }
        AnyConnection::Postgresql(_) => false,
    };
    if !sqlite {
        return conn.transaction(f);
    }
    let result = f(conn);
    let AnyConnection::Sqlite(inner) = conn else {
        unreachable!("the variant does not change")
    };
    match result {
        Ok(value) => {
            AnsiTransactionManager::commit_transaction(inner)?;
            Ok(value)
        }
        Err(e) => {
            if let Err(rollback) = AnsiTransactionManager::rollback_transaction(inner) {
                tracing::error!(error = %rollback, "rollback failed");
            }
            Err(e)
        }
    }
}

// Whether a diesel error is a unique-constraint violation (kept beside the error type,
// which needs it too).
pub use crate::error::is_unique_violation;
