//! The binary's commands, run as a separate process like an operator would.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::helpers::*;
use crate::process::mediconnect;
use mediconnect_test_macros::both_backends;

fn run_with_stdin(mut cmd: Command, stdin: &str) -> std::process::Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[both_backends]
async fn create_admin_reads_the_password_from_stdin(backend: Backend) {
    let app = spawn_app(backend).await;
    let db = clone_db(&app);
    let mut cmd = mediconnect(&db);
    cmd.args([
        "create-admin",
        "--email",
        "Boss@Example.com",
        "--name",
        "The Boss",
    ]);
    let out = tokio::task::spawn_blocking(move || run_with_stdin(cmd, "admin password 1\n"))
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains("admin password 1"));
    let session = json_ok(app.login("boss@example.com", "admin password 1").await).await;
    assert_eq!(session["user"]["role"], "ADMIN");
    assert_eq!(
        session["user"]["emailVerified"], true,
        "an operator's account"
    );
    // A second admin with the same email is refused with a clear message.
    let mut cmd = mediconnect(&db);
    cmd.args([
        "create-admin",
        "--email",
        "boss@example.com",
        "--name",
        "Again",
    ]);
    let out = tokio::task::spawn_blocking(move || run_with_stdin(cmd, "admin password 2\n"))
        .await
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));
    // A short password is refused.
    let mut cmd = mediconnect(&db);
    cmd.args([
        "create-admin",
        "--email",
        "other@example.com",
        "--name",
        "Other",
    ]);
    let out = tokio::task::spawn_blocking(move || run_with_stdin(cmd, "short\n"))
        .await
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 8"));
}

#[both_backends]
async fn seed_demo_fills_an_empty_database_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let db = clone_db(&app);
    let mut cmd = mediconnect(&db);
    cmd.arg("seed-demo");
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("demo-password"), "{stdout}");
    assert!(stdout.contains("admin@demo.mediconnect.test"));
    for email in [
        "admin@demo.mediconnect.test",
        "amara.okafor@demo.mediconnect.test",
        "alex.johnson@demo.mediconnect.test",
    ] {
        let session = json_ok(app.login(email, "demo-password").await).await;
        assert_eq!(session["user"]["emailVerified"], true, "{email}");
    }
    // Demo doctors are approved: listed for patients.
    let listed = json_ok(app.get("/api/doctors?q=Okafor", None).await).await;
    assert_eq!(listed["doctors"][0]["name"], "Dr. Amara Okafor");
    let mut again = mediconnect(&db);
    again.arg("seed-demo");
    let out = tokio::task::spawn_blocking(move || again.output().unwrap())
        .await
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("no demo data added"));
}

#[both_backends]
async fn migrate_is_idempotent(backend: Backend) {
    let db = tokio::task::spawn_blocking(move || TestDb::new(backend))
        .await
        .unwrap();
    for expect_applied in [true, false] {
        let mut cmd = mediconnect(&db);
        cmd.arg("migrate");
        let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
            .await
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        assert_eq!(stdout.contains("applied"), expect_applied, "{stdout}");
    }
}

/// A second handle on the app's database (same URL and directory).
fn clone_db(app: &TestApp) -> TestDb {
    TestDb::attach(&app.test_db)
}

#[test]
fn production_refuses_weak_settings() {
    let db = TestDb::new(Backend::Sqlite);
    let mut cmd = mediconnect(&db);
    cmd.env("APP_ENV", "production")
        .env("JWT_SECRET", "too-short")
        .env("SMTP_URL", "smtp://localhost:25");
    let out = cmd.arg("migrate").output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 32 bytes"));

    let mut cmd = mediconnect(&db);
    cmd.env("APP_ENV", "production")
        .env("JWT_SECRET", "x".repeat(40))
        .env("SMTP_URL", "smtp://localhost:25");
    let out = cmd.arg("migrate").output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("BCRYPT_COST must be at least 10"));

    let mut cmd = mediconnect(&db);
    cmd.env("APP_ENV", "production")
        .env("JWT_SECRET", "x".repeat(40))
        .env("BCRYPT_COST", "10");
    let out = cmd.arg("migrate").output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("SMTP_URL"));
}

#[test]
fn an_unreachable_database_is_named_without_its_password() {
    let db = TestDb::new(Backend::Sqlite);
    let mut cmd = mediconnect(&db);
    cmd.env(
        "DATABASE_URL",
        "postgres://someone:hunter2secret@127.0.0.1:1/nothing",
    );
    let out = cmd.arg("migrate").output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("postgres://someone:***@127.0.0.1:1/nothing"),
        "{stderr}"
    );
    assert!(!stderr.contains("hunter2secret"), "{stderr}");
}

#[test]
fn development_keeps_a_generated_jwt_secret() {
    let db = TestDb::new(Backend::Sqlite);
    let mut cmd = mediconnect(&db);
    cmd.env_remove("JWT_SECRET").arg("migrate");
    assert!(cmd.output().unwrap().status.success());
    // `migrate` does not need the secret; `serve` creates it. Start-up is covered by
    // Application::build in every other test; here, the file's permissions.
    let mut config = test_config(&db);
    config.jwt_secret = mediconnect_api::config::Secret::new(Vec::new());
    config.ensure_dev_secret().unwrap();
    let path = db.path().join("data").join("jwt_secret");
    let meta = std::fs::metadata(&path).unwrap();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
}
