//! The mail worker: expands alert jobs, claims due rows, sends them (several at once,
//! over the pooled transport), and records each outcome. It is woken after a request
//! that queued mail has written its response (see [`MailHandle::wake`]), and otherwise
//! sleeps until the next row is due (at most a few seconds). On shutdown it finishes
//! the sends in progress, then stops.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use chrono::Utc;
use futures_util::StreamExt;
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

use super::MailContext;
use super::outbox::{self, Outcome};
use super::transport::{self, Transport};
use crate::db::Db;

const CLAIM_BATCH: i64 = 64;
const EXPAND_BATCH: i64 = 500;
const IN_FLIGHT: usize = 16;
const IDLE_POLL: Duration = Duration::from_secs(5);
/// How often an idle worker deletes old finished alert jobs.
const FORGET_EVERY: Duration = Duration::from_secs(600);
/// How often the worker looks for daily agendas that are due.
const AGENDA_EVERY: Duration = Duration::from_secs(60);

/// The handle the rest of the server uses.
#[derive(Clone)]
pub struct MailHandle {
    wake: Arc<Notify>,
    /// Unix seconds of the worker's last loop, for readiness checks.
    pub heartbeat: Arc<AtomicI64>,
    /// Messages handed to the transport, and those it did not deliver.
    pub attempts: prometheus::IntCounter,
    pub failures: prometheus::IntCounter,
}

impl MailHandle {
    /// Call after committing a transaction that queued mail.
    ///
    /// The worker is woken from a task of its own, which runs once the caller's task
    /// yields: by then a handler's response has been written. Woken at once, the
    /// worker's threads took the core from the request that woke them (on SQLite a
    /// change to online took 3.9 ms at the median in the benchmark, against 1.2 ms
    /// for a change to offline). Outside a Tokio runtime it wakes the worker at once.
    /// A wake is never lost: one that finds the worker busy is kept for its next wait.
    pub fn wake(&self) {
        let wake = self.wake.clone();
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => drop(runtime.spawn(async move { wake.notify_one() })),
            Err(_) => wake.notify_one(),
        }
    }

    pub fn register(&self, registry: &prometheus::Registry) -> prometheus::Result<()> {
        registry.register(Box::new(self.attempts.clone()))?;
        registry.register(Box::new(self.failures.clone()))
    }
}

pub struct MailWorker {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl MailWorker {
    pub fn start(db: Db, transport: Transport, ctx: MailContext) -> (MailHandle, MailWorker) {
        let handle = MailHandle {
            wake: Arc::new(Notify::new()),
            heartbeat: Arc::new(AtomicI64::new(Utc::now().timestamp())),
            attempts: crate::metrics::counter(
                "mail_send_attempts_total",
                "Emails handed to the mail server (or written as files).",
            ),
            failures: crate::metrics::counter(
                "mail_send_failures_total",
                "Sends that failed, whether to be retried or not.",
            ),
        };
        let (stop, stopped) = watch::channel(false);
        tracing::info!(transport = %transport.describe(), "mail worker started");
        let task = tokio::spawn(run(db, Arc::new(transport), ctx, handle.clone(), stopped));
        (handle, MailWorker { stop, task })
    }

    /// Asks the worker to stop and waits (up to `wait`) for the sends in progress.
    pub async fn shutdown(self, wait: Duration) {
        let _ = self.stop.send(true);
        if tokio::time::timeout(wait, self.task).await.is_err() {
            tracing::warn!("the mail worker did not finish in time");
        }
    }
}

async fn run(
    db: Db,
    transport: Arc<Transport>,
    ctx: MailContext,
    handle: MailHandle,
    mut stopped: watch::Receiver<bool>,
) {
    let mut forgotten_at: Option<tokio::time::Instant> = None;
    let mut agenda_at: Option<tokio::time::Instant> = None;
    loop {
        if *stopped.borrow() {
            return;
        }
        handle
            .heartbeat
            .store(Utc::now().timestamp(), Ordering::Relaxed);
        let worked = match step(&db, &transport, &ctx, &handle).await {
            Ok(worked) => worked,
            Err(e) => {
                tracing::warn!(error = %e, "mail worker step failed");
                false
            }
        };
        if worked {
            continue;
        }
        if forgotten_at.is_none_or(|at| at.elapsed() >= FORGET_EVERY) {
            let cooldown = ctx.cooldown;
            let forgotten = db
                .run_in_background(move |c| outbox::forget_finished_jobs(c, cooldown, Utc::now()))
                .await;
            match forgotten {
                // A whole batch: there may be more. Go round again (beating, and
                // expanding or sending whatever came meanwhile) before the next one.
                Ok(n) if n == outbox::FORGET_AT_ONCE => continue,
                Ok(_) => forgotten_at = Some(tokio::time::Instant::now()),
                Err(e) => {
                    forgotten_at = Some(tokio::time::Instant::now());
                    tracing::warn!(error = %e, "deleting old alert jobs failed");
                }
            }
        }
        if agenda_at.is_none_or(|at| at.elapsed() >= AGENDA_EVERY) {
            agenda_at = Some(tokio::time::Instant::now());
            let agenda_ctx = ctx.clone();
            // A read first: most minutes nobody's agenda is due, and no write is needed.
            let queued = match db
                .run(|c| crate::mail::agenda::any_due(c, Utc::now()))
                .await
            {
                Ok(true) => {
                    db.write(move |c| crate::mail::agenda::queue_due(c, &agenda_ctx, Utc::now()))
                        .await
                }
                other => other.map(|_| 0),
            };
            match queued {
                Ok(0) => {}
                Ok(n) => {
                    tracing::debug!(queued = n, "daily agendas");
                    continue;
                }
                Err(e) => tracing::warn!(error = %e, "queueing daily agendas failed"),
            }
        }
        let wait = match db.run(outbox::next_due).await {
            Ok(Some(due)) => (due - Utc::now())
                .to_std()
                .unwrap_or_default()
                .min(IDLE_POLL),
            _ => IDLE_POLL,
        };
        tokio::select! {
            _ = handle.wake.notified() => {}
            _ = tokio::time::sleep(wait) => {}
            _ = stopped.changed() => {}
        }
    }
}

/// One round: a batch of alert expansion, then a batch of sends. Returns whether there
/// was anything to do.
async fn step(
    db: &Db,
    transport: &Arc<Transport>,
    ctx: &MailContext,
    handle: &MailHandle,
) -> Result<bool, crate::error::ApiError> {
    let expand_ctx = ctx.clone();
    let expanded = db
        .run_in_background(move |conn| {
            crate::mail::alerts::expand_batch(conn, &expand_ctx, EXPAND_BATCH, Utc::now())
        })
        .await?;
    let max_delay = ctx.alert_max_delay;
    let rows = db
        .run(move |conn| outbox::claim(conn, CLAIM_BATCH, max_delay, Utc::now()))
        .await?;
    if rows.is_empty() {
        return Ok(expanded.is_some());
    }
    let results: Vec<(uuid::Uuid, i32, Outcome)> = futures_util::stream::iter(rows)
        .map(|row| {
            let transport = transport.clone();
            let message = transport::message(ctx, &row);
            let heartbeat = handle.heartbeat.clone();
            async move {
                let outcome = match message {
                    Ok(m) => transport.send(m).await,
                    Err(e) => Outcome::Failed(e),
                };
                // A slow mail server is not a stuck worker.
                heartbeat.store(Utc::now().timestamp(), Ordering::Relaxed);
                (row.id.0, row.attempts, outcome)
            }
        })
        .buffer_unordered(IN_FLIGHT)
        .collect()
        .await;
    let sent = results.iter().filter(|r| r.2 == Outcome::Sent).count();
    let failed = results.len() - sent;
    handle.attempts.inc_by(results.len() as u64);
    handle.failures.inc_by(failed as u64);
    if failed > 0 {
        for (id, attempts, outcome) in &results {
            if let Outcome::Retry(e) | Outcome::Failed(e) = outcome {
                let error = outbox::redact_addresses(e);
                tracing::warn!(
                    notification_id = %id,
                    attempts,
                    error = %error,
                    "mail not delivered"
                );
            }
        }
    }
    tracing::debug!(sent, failed, "mail batch");
    db.run(move |conn| outbox::record(conn, &results, Utc::now()))
        .await?;
    Ok(true)
}
