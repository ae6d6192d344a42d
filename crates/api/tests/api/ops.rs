//! What an operator relies on: metrics, request ids, readiness, backup and restore.

use std::time::{Duration, Instant};

use diesel::prelude::*;
use mediconnect_shared::Role;
use serde_json::json;

use crate::helpers::*;
use crate::process::{Served, mediconnect};
use crate::ws::connect;
use mediconnect_test_macros::both_backends;

/// The value of one sample line (`name{labels} value`) in the text format.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(series) && l[series.len()..].starts_with(' '))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

async fn scrape(app: &TestApp) -> String {
    let res = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    res.text().await.unwrap()
}

/// Waits until `series` reaches `at_least`, scraping.
async fn until(app: &TestApp, series: &str, at_least: f64) -> String {
    eventually(15, Duration::from_millis(100), || async {
        let text = scrape(app).await;
        if sample(&text, series).is_some_and(|v| v >= at_least) {
            Ok(text)
        } else {
            Err(format!("{series} never reached {at_least}:\n{text}"))
        }
    })
    .await
}

#[both_backends]
async fn the_metrics_move_with_traffic(backend: Backend) {
    let app = spawn_app_with(backend, |c| {
        c.metrics_token = Some(mediconnect_api::config::Secret::new(
            "a-long-scrape-token".into(),
        ))
    })
    .await;
    let before = scrape(&app).await;
    assert!(sample(&before, "mediconnect_process_start_time_seconds").unwrap() > 1.7e9);
    assert_eq!(sample(&before, "mediconnect_ws_open_sockets"), Some(0.0));

    // Two requests on one route pattern, with different ids in the path.
    for _ in 0..2 {
        let id = uuid::Uuid::new_v4();
        assert_eq!(
            app.get(&format!("/api/doctors/{id}"), None).await.status(),
            404
        );
    }
    let patient = app.user(Role::Patient).await; // registers and signs in: bcrypt
    let doctor = app.doctor("Dr. Metric", "Cardiology").await;
    let mut socket = connect(&app).await;
    app.set_online(&doctor, true).await;
    assert!(socket.next_json().await.is_some());

    let text = until(&app, "mediconnect_mail_send_attempts_total", 1.0).await;
    assert_eq!(
        sample(
            &text,
            concat!(
                r#"mediconnect_http_requests_total{method="GET","#,
                r#"route="/api/doctors/{id}",status="404"}"#
            )
        ),
        Some(2.0),
        "{text}"
    );
    assert!(
        !text.contains(&patient.id.to_string()),
        "a raw path leaked into a label"
    );
    let durations = concat!(
        r#"mediconnect_http_request_duration_seconds_count{method="GET","#,
        r#"route="/api/doctors/{id}"}"#
    );
    assert!(sample(&text, durations).unwrap() >= 2.0);
    assert!(sample(&text, "mediconnect_bcrypt_verify_seconds_count").unwrap() >= 2.0);
    assert!(
        sample(
            &text,
            r#"mediconnect_db_call_duration_seconds_count{priority="normal"}"#
        )
        .unwrap()
            >= 5.0
    );
    // The alert's expansion ran on the background thread, timed apart.
    assert!(
        sample(
            &text,
            r#"mediconnect_db_call_duration_seconds_count{priority="low"}"#
        )
        .unwrap()
            >= 1.0
    );
    assert_eq!(sample(&text, "mediconnect_ws_open_sockets"), Some(1.0));
    assert!(sample(&text, "mediconnect_ws_messages_sent_total").unwrap() >= 2.0);
    assert!(
        sample(
            &text,
            r#"mediconnect_presence_events_total{origin="local"}"#
        )
        .unwrap()
            >= 1.0
    );
    assert!(sample(&text, r#"mediconnect_db_pool_connections{state="idle"}"#).is_some());
    assert!(sample(&text, r#"mediconnect_db_pool_connections{state="in_use"}"#).is_some());
    assert!(sample(&text, "mediconnect_mail_send_failures_total").is_some());
    let text = until(&app, r#"mediconnect_outbox_rows{status="sent"}"#, 1.0).await;
    assert_eq!(
        sample(&text, r#"mediconnect_outbox_rows{status="failed"}"#),
        Some(0.0)
    );
    assert!(sample(&text, r#"mediconnect_outbox_rows{status="queued"}"#).is_some());

    drop(socket);
    until_zero_sockets(&app).await;

    // Never public: a proxied request needs the token.
    let proxied = |token: Option<&str>| {
        let mut req = app
            .client
            .get(app.url("/metrics"))
            .header("X-Forwarded-For", "203.0.113.9");
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send()
    };
    problem(proxied(None).await.unwrap(), 403).await;
    problem(proxied(Some("a-wrong-scrape-token")).await.unwrap(), 403).await;
    assert_eq!(
        proxied(Some("a-long-scrape-token")).await.unwrap().status(),
        200
    );
}

#[both_backends]
async fn request_ids_are_returned_and_carried_by_500s(backend: Backend) {
    let app = spawn_app(backend).await;
    let res = app
        .client
        .get(app.url("/api/doctors"))
        .header("X-Request-Id", "caller-id.42_x")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-request-id"], "caller-id.42_x");
    // A malformed one is replaced.
    for bad in ["has space", &"x".repeat(65), ""] {
        let res = app
            .client
            .get(app.url("/api/doctors"))
            .header("X-Request-Id", bad)
            .send()
            .await
            .unwrap();
        let id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
        assert_ne!(id, bad);
        assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id}");
    }
    // Errors carry one too, and a 500's correlation id is the request id.
    let res = app.get("/api/nowhere", None).await;
    assert!(res.headers().contains_key("x-request-id"));
    app.with_conn(|c| {
        diesel::sql_query("ALTER TABLE doctors RENAME TO doctors_gone")
            .execute(c)
            .map(|_| ())
    })
    .await
    .unwrap();
    let res = app
        .client
        .get(app.url("/api/doctors"))
        .header("X-Request-Id", "find-me-500")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-request-id"], "find-me-500");
    let body = problem(res, 500).await;
    assert_eq!(body.correlation_id.as_deref(), Some("find-me-500"));
    app.with_conn(|c| {
        diesel::sql_query("ALTER TABLE doctors_gone RENAME TO doctors")
            .execute(c)
            .map(|_| ())
    })
    .await
    .unwrap();
}

#[both_backends]
async fn readiness_reports_each_check(backend: Backend) {
    let app = spawn_app(backend).await;
    let res = app.get("/api/health/ready", None).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let body: serde_json::Value = res.json().await.unwrap();
    let listener = if backend == Backend::Postgres {
        "ok"
    } else {
        "skipped"
    };
    assert_eq!(
        body,
        json!({
            "status": "ok",
            "checks": {"database": "ok", "mailWorker": "ok", "listener": listener}
        })
    );
}

async fn until_zero_sockets(app: &TestApp) {
    eventually(10, Duration::from_millis(100), || async {
        match sample(&scrape(app).await, "mediconnect_ws_open_sockets") {
            Some(0.0) => Ok(()),
            _ => Err("the closed socket is still counted".to_owned()),
        }
    })
    .await;
}

async fn wait_ready(app: &TestApp, want: u16, secs: u64) -> serde_json::Value {
    eventually(secs, Duration::from_millis(200), || async {
        let res = app.get("/api/health/ready", None).await;
        let status = res.status().as_u16();
        let body: serde_json::Value = res.json().await.unwrap();
        if status == want {
            Ok(body)
        } else {
            Err(format!("readiness stayed {status}: {body}"))
        }
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_fails_while_the_sqlite_file_is_gone_and_recovers() {
    let app = spawn_app(Backend::Sqlite).await;
    let db = app.test_db.path().join("test.db");
    let moved = app.test_db.path().join("moved-away.db");
    wait_ready(&app, 200, 5).await;
    std::fs::rename(&db, &moved).unwrap();
    let body = wait_ready(&app, 503, 5).await;
    assert_eq!(body["status"], "error");
    assert_eq!(body["checks"]["database"], "error");
    // Liveness still answers, and says what is wrong.
    let live = json_ok(app.get("/api/health", None).await).await;
    assert_eq!(live["database"], "error");
    std::fs::rename(&moved, &db).unwrap();
    let body = wait_ready(&app, 200, 5).await;
    assert_eq!(body["checks"]["database"], "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_fails_while_postgres_refuses_and_recovers() {
    let app = spawn_app(Backend::Postgres).await;
    wait_ready(&app, 200, 10).await;
    let name = app.test_db.url.rsplit('/').next().unwrap().to_owned();
    let admin = std::env::var("MEDICONNECT_TEST_PG_URL").unwrap();
    let run = |sql: String| {
        let admin = admin.clone();
        move || {
            let mut conn = diesel::PgConnection::establish(&admin).unwrap();
            diesel::sql_query(sql).execute(&mut conn).unwrap();
        }
    };
    tokio::task::spawn_blocking(run(format!(
        "ALTER DATABASE {name} ALLOW_CONNECTIONS false"
    )))
    .await
    .unwrap();
    tokio::task::spawn_blocking(run(format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
    )))
    .await
    .unwrap();
    let body = wait_ready(&app, 503, 15).await;
    assert_eq!(body["status"], "error");
    assert_eq!(body["checks"]["database"], "error", "{body}");
    // The LISTEN connection was cut too, and cannot come back yet: readiness says so.
    eventually(10, Duration::from_millis(200), || async {
        let res = app.get("/api/health/ready", None).await;
        assert_eq!(res.status(), 503);
        let body: serde_json::Value = res.json().await.unwrap();
        if body["checks"]["listener"] == "error" {
            Ok(())
        } else {
            Err(format!("the listener still reported ok: {body}"))
        }
    })
    .await;
    tokio::task::spawn_blocking(run(format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true")))
        .await
        .unwrap();
    let body = wait_ready(&app, 200, 40).await;
    assert_eq!(body["checks"]["listener"], "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_log_line_of_a_request_carries_its_id() {
    let db = TestDb::new(Backend::Sqlite);
    let served = Served::start(&db, &[("RUST_LOG", "info,mediconnect_api=debug")]).await;
    let client = reqwest::Client::new();
    let email = format!("logged-{}@example.com", uuid::Uuid::new_v4().simple());
    let res = client
        .post(format!("{}/api/auth/register", served.base))
        .header("X-Request-Id", "register-req-1")
        .json(
            &json!({"name": "Log Reader", "email": email, "password": PASSWORD, "role": "PATIENT"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    assert_eq!(res.headers()["x-request-id"], "register-req-1");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let logs = served.logs.lock().unwrap().clone();
    let mine: Vec<serde_json::Value> = logs
        .iter()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|l| l["span"]["request_id"] == "register-req-1")
        .collect();
    let messages: Vec<&str> = mine.iter().filter_map(|l| l["message"].as_str()).collect();
    // From the handler, from inside the blocking pool, and the request line.
    assert!(
        messages.contains(&"account registered"),
        "{messages:?}\n{logs:#?}"
    );
    assert!(messages.contains(&"database call"), "{messages:?}");
    assert!(messages.contains(&"request"), "{messages:?}");
    // One JSON object per line, all of them.
    for line in &logs {
        assert!(
            serde_json::from_str::<serde_json::Value>(line).is_ok(),
            "not JSON: {line}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_during_writes_restores_every_committed_row() {
    let db = TestDb::new(Backend::Sqlite);
    let served = Served::start(&db, &[("AUTH_RATE_LIMIT_PER_MINUTE", "0")]).await;
    let base = served.base.clone();

    // A writer registers patients for as long as the test wants.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let committed = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let writer = {
        let (stop, committed, base) = (stop.clone(), committed.clone(), base.clone());
        tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut i = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let email = format!("row-{i}@example.com");
                let res = client
                    .post(format!("{base}/api/auth/register"))
                    .json(&json!({
                        "name": format!("Patient {i}"),
                        "email": email,
                        "password": PASSWORD,
                        "role": "PATIENT"
                    }))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
                committed.lock().unwrap().push(email);
                i += 1;
            }
        })
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while committed.lock().unwrap().len() < 20 {
        assert!(
            Instant::now() < deadline && !writer.is_finished(),
            "the writer stalled"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Everything answered before the backup starts must be in it.
    let before: Vec<String> = committed.lock().unwrap().clone();
    let out = db.path().join("backup.db");
    let mut cmd = mediconnect(&db);
    cmd.args(["backup", "--out"]).arg(&out);
    let backup = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    assert!(
        backup.status.success(),
        "{}",
        String::from_utf8_lossy(&backup.stderr)
    );
    assert!(String::from_utf8_lossy(&backup.stdout).contains("backed up"));
    // The writes went on meanwhile.
    let during = committed.lock().unwrap().len();
    while committed.lock().unwrap().len() < during + 5 {
        assert!(
            Instant::now() < deadline && !writer.is_finished(),
            "the writer stalled"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    writer.await.unwrap();

    // A second backup to the same file is refused: nothing is overwritten.
    let mut cmd = mediconnect(&db);
    cmd.args(["backup", "--out"]).arg(&out);
    let again = cmd.output().unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));

    // Restoring over the database in use is refused, and changes nothing.
    let mut cmd = mediconnect(&db);
    cmd.args(["restore", "--from"]).arg(&out);
    let refused = cmd.output().unwrap();
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("in use"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    let total = committed.lock().unwrap().len();
    drop(served);

    // Into a fresh place, then a fresh server on it.
    let fresh = TestDb::new(Backend::Sqlite);
    let mut cmd = mediconnect(&fresh);
    cmd.args(["restore", "--from"]).arg(&out);
    let restored = cmd.output().unwrap();
    assert!(
        restored.status.success(),
        "{}",
        String::from_utf8_lossy(&restored.stderr)
    );
    let app = spawn_on(Backend::Sqlite, TestDb::attach(&fresh), test_config(&fresh)).await;
    let emails: Vec<String> = app
        .with_conn(|c| {
            mediconnect_api::db::schema::users::table
                .select(mediconnect_api::db::schema::users::email)
                .load(c)
                .unwrap()
        })
        .await;
    for email in &before {
        assert!(
            emails.contains(email),
            "{email} was committed before the backup but is missing"
        );
    }
    assert!(emails.len() >= before.len() && emails.len() <= total);
    assert_eq!(app.login(&before[0], PASSWORD).await.status(), 200);

    // Restoring over a database that is not in use keeps the old one aside.
    drop(app);
    let mut cmd = mediconnect(&fresh);
    cmd.args(["restore", "--from"]).arg(&out);
    let over = cmd.output().unwrap();
    assert!(
        over.status.success(),
        "{}",
        String::from_utf8_lossy(&over.stderr)
    );
    let kept = std::fs::read_dir(fresh.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .any(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("test.db.before-restore-")
        });
    assert!(kept, "the replaced database was not kept");

    // Not a backup: refused.
    let junk = fresh.path().join("junk.db");
    std::fs::write(&junk, b"not a database").unwrap();
    let mut cmd = mediconnect(&fresh);
    cmd.args(["restore", "--from"]).arg(&junk);
    let out = cmd.output().unwrap();
    assert!(!out.status.success());
}

#[test]
fn on_postgres_backup_and_restore_name_the_tools() {
    let db = TestDb::new(Backend::Postgres);
    for (args, tool) in [
        (["backup", "--out"], "pg_dump"),
        (["restore", "--from"], "pg_restore"),
    ] {
        let out = mediconnect(&db)
            .args(args)
            .arg("mediconnect.dump")
            .output()
            .unwrap();
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(tool), "{err}");
        assert!(err.contains("mediconnect.dump"), "{err}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presence_events_from_another_replica_are_counted_apart() {
    let a = spawn_app(Backend::Postgres).await;
    let b = spawn_on(
        Backend::Postgres,
        TestDb::attach(&a.test_db),
        a.config.clone(),
    )
    .await;
    let doctor = a.doctor("Dr. Elsewhere", "Neurology").await;
    a.set_online(&doctor, true).await;
    let text = until(
        &b,
        r#"mediconnect_presence_events_total{origin="replica"}"#,
        1.0,
    )
    .await;
    assert!(
        sample(
            &text,
            r#"mediconnect_presence_events_total{origin="local"}"#
        )
        .unwrap_or(0.0)
            == 0.0,
        "{text}"
    );
    let text = scrape(&a).await;
    assert!(
        sample(
            &text,
            r#"mediconnect_presence_events_total{origin="local"}"#
        )
        .unwrap()
            >= 1.0
    );
}

// On SQLite the server copies the write-ahead log into the database file on its own,
// every second, instead of leaving it to the commit that crosses SQLite's threshold:
// a copy of the database file alone (without its log) soon holds a new account.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sqlite_log_is_copied_into_the_database_in_the_background() {
    use mediconnect_api::db::schema::users;
    let app = spawn_app(Backend::Sqlite).await;
    let user = app.user(Role::Patient).await;
    let file = app.test_db.path().join("test.db");
    let copy = app.test_db.path().join("copy.db");
    let email = user.email.clone();
    eventually(10, Duration::from_millis(200), || {
        // A copy taken mid-checkpoint may be torn; the next one will do.
        let found = std::fs::copy(&file, &copy)
            .map_err(|e| e.to_string())
            .and_then(|_| {
                let _ = std::fs::remove_file(copy.with_extension("db-wal"));
                let mut conn = diesel::SqliteConnection::establish(copy.to_str().unwrap())
                    .map_err(|e| e.to_string())?;
                users::table
                    .filter(users::email.eq(&email))
                    .count()
                    .get_result::<i64>(&mut conn)
                    .map_err(|e| e.to_string())
            });
        let result = match found {
            Ok(1) => Ok(()),
            Ok(n) => Err(format!(
                "the database file holds {n} rows of the new account"
            )),
            Err(e) => Err(format!("the copy could not be read: {e}")),
        };
        async move { result }
    })
    .await;
}
