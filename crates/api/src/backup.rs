//! `mediconnect backup` and `mediconnect restore`, and the lock that tells a restore
//! the database is in use.
//!
//! On SQLite a backup is `VACUUM INTO`: one read transaction, so it is a consistent
//! copy of the committed data at one moment, taken while the server keeps writing
//! (WAL readers and the writer do not block each other). On PostgreSQL `pg_dump` is the
//! tool, and these commands say how to use it.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use crate::db::DbTarget;

/// `path` with `suffix` appended to its file name (`app.db` → `app.db-wal`).
fn suffixed(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// The file `mediconnect serve` holds an exclusive lock on while it uses `db`.
fn lock_path(db: &Path) -> PathBuf {
    suffixed(db, ".lock")
}

/// Takes the database's in-use lock, for as long as the returned file lives. `None` on
/// PostgreSQL, which several replicas share by design.
pub fn lock_database(target: &DbTarget) -> anyhow::Result<Option<File>> {
    let DbTarget::Sqlite(db) = target else {
        return Ok(None);
    };
    let path = lock_path(db);
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(std::fs::TryLockError::WouldBlock) => bail!(
            "{} is in use by a running `mediconnect serve` (SQLite serves one process); \
             stop it first",
            db.display()
        ),
        Err(std::fs::TryLockError::Error(e)) => {
            Err(e).with_context(|| format!("cannot lock {}", path.display()))
        }
    }
}

fn quote(path: &Path) -> anyhow::Result<String> {
    let s = path
        .to_str()
        .with_context(|| format!("{} is not valid UTF-8", path.display()))?;
    Ok(format!("'{}'", s.replace('\'', "''")))
}

fn open(path: &Path) -> anyhow::Result<SqliteConnection> {
    let url = path
        .to_str()
        .with_context(|| format!("{} is not valid UTF-8", path.display()))?;
    let mut conn = SqliteConnection::establish(url)
        .with_context(|| format!("cannot open {}", path.display()))?;
    diesel::connection::SimpleConnection::batch_execute(&mut conn, "PRAGMA busy_timeout = 10000;")?;
    Ok(conn)
}

#[derive(QueryableByName)]
struct Line {
    #[diesel(sql_type = Text)]
    line: String,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Fails unless `path` is an intact SQLite database with MediConnect's schema.
fn check_copy(path: &Path) -> anyhow::Result<()> {
    let mut conn = open(path)?;
    let report: Vec<Line> =
        diesel::sql_query("SELECT integrity_check AS line FROM pragma_integrity_check")
            .load(&mut conn)
            .with_context(|| format!("{} is not a SQLite database", path.display()))?;
    if report.len() != 1 || report[0].line != "ok" {
        bail!(
            "{} is damaged: {}",
            path.display(),
            report
                .iter()
                .map(|l| l.line.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        );
    }
    let tables: Count = diesel::sql_query(
        "SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' \
         AND name IN ('__diesel_schema_migrations', 'users', 'doctors', 'appointments')",
    )
    .get_result(&mut conn)?;
    if tables.n != 4 {
        bail!("{} is not a MediConnect database", path.display());
    }
    Ok(())
}

fn pg_tool(url: &str, tool: &str, file: &Path) -> anyhow::Error {
    // The command is for copying: no password in it (nor on screen).
    let url = match url::Url::parse(url) {
        Ok(mut u) => {
            let _ = u.set_password(None);
            u.to_string()
        }
        Err(_) => "$DATABASE_URL".to_owned(),
    };
    let command = match tool {
        "pg_dump" => format!("pg_dump --format=custom --file {} '{url}'", file.display()),
        _ => format!(
            "pg_restore --clean --if-exists --no-owner --dbname '{url}' {}",
            file.display()
        ),
    };
    anyhow::anyhow!(
        "the database is PostgreSQL, and {tool} is the tool for that:\n\n    {command}\n\n\
         (give the password with PGPASSWORD or a password file; see docs/DEPLOYMENT.md)"
    )
}

/// `mediconnect backup --out FILE`.
pub fn backup(target: &DbTarget, out: &Path) -> anyhow::Result<()> {
    let db = match target {
        DbTarget::Postgres(url) => return Err(pg_tool(url, "pg_dump", out)),
        DbTarget::Sqlite(db) => db,
    };
    if !db.exists() {
        bail!("there is no database at {}", db.display());
    }
    if out.exists() {
        bail!("{} already exists; choose a new file name", out.display());
    }
    let partial = out.with_extension("partial");
    let _ = std::fs::remove_file(&partial);
    let copy = (|| {
        let mut conn = open(db)?;
        diesel::sql_query(format!("VACUUM INTO {}", quote(&partial)?))
            .execute(&mut conn)
            .context("VACUUM INTO failed")?;
        check_copy(&partial)?;
        std::fs::rename(&partial, out)
            .with_context(|| format!("cannot move the copy to {}", out.display()))
    })();
    if copy.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    copy?;
    let size = std::fs::metadata(out).map(|m| m.len()).unwrap_or(0);
    println!(
        "backed up {} to {} ({size} bytes)",
        db.display(),
        out.display()
    );
    Ok(())
}

/// `mediconnect restore --from FILE`. The database being replaced is kept beside it.
pub fn restore(
    target: &DbTarget,
    from: &Path,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<()> {
    let db = match target {
        DbTarget::Postgres(url) => return Err(pg_tool(url, "pg_restore", from)),
        DbTarget::Sqlite(db) => db,
    };
    if !from.is_file() {
        bail!("there is no backup at {}", from.display());
    }
    let _lock = lock_database(target)?;
    check_copy(from)?;
    let incoming = db.with_extension("restoring");
    std::fs::copy(from, &incoming)
        .with_context(|| format!("cannot copy {} next to the database", from.display()))?;
    File::open(&incoming)?.sync_all()?;
    if db.exists() {
        let aside = suffixed(
            db,
            &format!(".before-restore-{}", now.format("%Y%m%dT%H%M%SZ")),
        );
        // The database and its write-ahead log move together: the log may hold
        // committed transactions not yet in the main file.
        for suffix in ["", "-wal", "-shm"] {
            let current = suffixed(db, suffix);
            if current.exists() {
                std::fs::rename(&current, suffixed(&aside, suffix))
                    .with_context(|| format!("cannot move {} aside", current.display()))?;
            }
        }
        println!("the previous database is kept as {}", aside.display());
    }
    std::fs::rename(&incoming, db)
        .with_context(|| format!("cannot put the copy at {}", db.display()))?;
    println!(
        "restored {} from {}; the next `mediconnect serve` applies any newer migrations",
        db.display(),
        from.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_doubles_single_quotes() {
        assert_eq!(quote(Path::new("/tmp/it's.db")).unwrap(), "'/tmp/it''s.db'");
    }

    #[test]
    fn postgres_gets_the_command_without_the_password() {
        let target = DbTarget::Postgres("postgres://app:s3cret@db:5432/mediconnect".into());
        let err = backup(&target, Path::new("backup.dump"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("pg_dump --format=custom --file backup.dump"),
            "{err}"
        );
        assert!(!err.contains("s3cret"), "{err}");
        let err = restore(&target, Path::new("backup.dump"), chrono::Utc::now())
            .unwrap_err()
            .to_string();
        assert!(err.contains("pg_restore"), "{err}");
    }

    #[test]
    fn a_second_lock_on_one_database_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let target = DbTarget::Sqlite(dir.path().join("app.db"));
        let held = lock_database(&target).unwrap();
        assert!(held.is_some());
        let err = lock_database(&target).unwrap_err().to_string();
        assert!(err.contains("in use"), "{err}");
        drop(held);
        assert!(lock_database(&target).unwrap().is_some());
    }
}
