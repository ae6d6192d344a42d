use std::path::PathBuf;
use std::sync::OnceLock;

use chrono::Utc;
use diesel::prelude::*;
use mediconnect_api::config::{AppEnv, Config, LogFormat, Secret};
use mediconnect_api::db::{AnyConnection, Db, DbTarget};
use mediconnect_api::startup::Application;
use mediconnect_shared::{LoginResponse, Problem, RegisterResponse, Role};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

/// The secret the test servers sign tokens with, so tests can forge edge cases.
pub const JWT_SECRET: &str = "test-secret-test-secret-test-secret!";
pub const PASSWORD: &str = "correct horse battery";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Logs: to the terminal with TEST_LOG; to a file, at debug level, with
/// MEDICONNECT_TEST_LOG_FILE (the log audit then reads that file for secrets and PHI).
fn init_logs() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        if let Some(path) = std::env::var_os("MEDICONNECT_TEST_LOG_FILE") {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .expect("the log file");
            let filter = tracing_subscriber::EnvFilter::new(
                "mediconnect_api=trace,actix=debug,actix_web=debug,actix_http=debug,\
                 actix_server=debug,actix_ws=debug,diesel=debug,lettre=debug,r2d2=debug",
            );
            let _ = tracing_subscriber::fmt()
                .with_env_filter(filter)
                .json()
                .with_writer(std::sync::Mutex::new(file))
                .try_init();
        } else if std::env::var_os("TEST_LOG").is_some() {
            mediconnect_api::telemetry::init(LogFormat::Pretty);
        }
    });
}

/// A fresh, empty database of the backend.
pub struct TestDb {
    pub url: String,
    dir: std::sync::Arc<TestDir>,
}

/// A test's own folder (its SQLite database, its `data/`), removed when its last
/// handle goes.
///
/// A [`TestApp`] waits for its server to stop before its handle goes, but a write
/// may still land while the folder is being removed (an app that outlived the wait,
/// or a test's own server): the removal then fails, and `TempDir` would leave the
/// rest behind. So the removal is retried until it succeeds.
struct TestDir(PathBuf);

impl TestDir {
    fn path(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TestDir {
    fn drop(&mut self) {
        for _ in 0..100 {
            match std::fs::remove_dir_all(&self.0) {
                Ok(()) => return,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
                Err(_) => std::thread::sleep(std::time::Duration::from_millis(20)),
            }
        }
        eprintln!("could not remove the test folder {}", self.0.display());
    }
}

impl TestDb {
    pub fn new(backend: Backend) -> TestDb {
        let dir = TestDir(tempfile::tempdir().expect("temp dir").keep());
        let url = match backend {
            Backend::Sqlite => format!("sqlite://{}", dir.path().join("test.db").display()),
            Backend::Postgres => create_pg_database(),
        };
        TestDb {
            url,
            dir: std::sync::Arc::new(dir),
        }
    }

    /// Another handle on the same database.
    pub fn attach(other: &TestDb) -> TestDb {
        TestDb {
            url: other.url.clone(),
            dir: other.dir.clone(),
        }
    }

    pub fn path(&self) -> PathBuf {
        self.dir.path().to_owned()
    }
}

fn create_pg_database() -> String {
    let admin = std::env::var("MEDICONNECT_TEST_PG_URL").expect(
        "PostgreSQL tests need MEDICONNECT_TEST_PG_URL (a superuser URL of a throwaway cluster); \
         `cargo xtask test` starts one and sets it",
    );
    let name = format!("test_{}", Uuid::new_v4().simple());
    let mut conn = diesel::PgConnection::establish(&admin).expect("connect to the test cluster");
    diesel::sql_query(format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .expect("create the test database");
    let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
    format!("{base}/{name}")
}

pub fn test_config(db: &TestDb) -> Config {
    Config {
        database: DbTarget::parse(&db.url).unwrap(),
        bind_addr: "127.0.0.1:0".parse().unwrap(),
        public_url: Some("http://localhost:8080".into()),
        jwt_secret: Secret::new(JWT_SECRET.as_bytes().to_vec()),
        smtp_url: None,
        mail_from: "MediConnect <test@mediconnect.test>".into(),
        bcrypt_cost: 4,
        static_dir: db.path().join("no-spa"),
        app_env: AppEnv::Development,
        log_format: LogFormat::Pretty,
        cors_origins: vec![],
        metrics_token: None,
        auth_rate_limit_per_minute: 0,
        api_rate_limit_per_minute: 0,
        ws_max_connections_per_ip: 0,
        trust_proxy: false,
        data_dir: db.path().join("data"),
        presence_grace: std::time::Duration::from_secs(60),
        ws_heartbeat: std::time::Duration::from_secs(15),
        ws_client_timeout: std::time::Duration::from_secs(45),
        notify_cooldown: std::time::Duration::from_secs(3600),
        alert_max_delay: std::time::Duration::from_secs(15 * 60),
        analytics_tz: chrono_tz::UTC,
        patient_max_open_bookings: 10,
        reminder_offsets: vec![24 * 60, 60],
        waitlist_hold_minutes: 15,
        consult_queue_max: 10,
        ice_servers: Vec::new(),
    }
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub db: Db,
    pub hub: std::sync::Arc<mediconnect_api::live::hub::Hub>,
    pub config: Config,
    pub test_db: TestDb,
    server: actix_web::dev::ServerHandle,
    running: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl TestApp {
    /// Stops the server and waits for it, and its mail worker, to end.
    pub async fn stop(&mut self) {
        if let Some(ended) = self.halt().await {
            ended
                .expect("the server task")
                .expect("the server stopped cleanly");
        }
    }

    /// Stops the server and waits for its task; how that ended, the first time.
    async fn halt(&mut self) -> Option<Result<std::io::Result<()>, tokio::task::JoinError>> {
        self.server.stop(false).await;
        match self.running.take() {
            Some(running) => Some(running.await),
            None => None,
        }
    }
}

impl Drop for TestApp {
    /// Stops the server and, on the tests' multi-threaded runtime, waits (up to five
    /// seconds) for it and its mail worker to end: nothing of the app then writes to
    /// the test's folder (an email, or a new SQLite connection, which would create
    /// the folder again) once the folder is removed.
    fn drop(&mut self) {
        let runtime = tokio::runtime::Handle::try_current()
            .ok()
            .filter(|r| r.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
        let Some(runtime) = runtime else {
            drop(self.server.stop(false));
            return;
        };
        tokio::task::block_in_place(|| {
            runtime.block_on(async {
                let _ = tokio::time::timeout(std::time::Duration::from_secs(5), self.halt()).await;
            })
        });
    }
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |_| {}).await
}

pub async fn spawn_app_with(backend: Backend, customize: impl FnOnce(&mut Config)) -> TestApp {
    init_logs();
    let test_db = tokio::task::spawn_blocking(move || TestDb::new(backend))
        .await
        .unwrap();
    let mut config = test_config(&test_db);
    customize(&mut config);
    spawn_on(backend, test_db, config).await
}

/// Starts a server on an existing database.
pub async fn spawn_on(_backend: Backend, test_db: TestDb, config: Config) -> TestApp {
    let app = Application::build(config.clone())
        .await
        .expect("the app starts");
    let address = format!("http://127.0.0.1:{}", app.port());
    let db = app.state().db.clone();
    let hub = app.state().hub.clone();
    let server = app.server_handle();
    let running = tokio::spawn(app.run_until_stopped());
    // On PostgreSQL the event feed's first act is a resync of the hub from the
    // database: wait for it, so that it cannot replace what a test puts in the hub.
    eventually(10, std::time::Duration::from_millis(5), || {
        let connected = hub
            .feed_connected
            .load(std::sync::atomic::Ordering::Acquire);
        async move {
            if connected {
                Ok(())
            } else {
                Err("the PostgreSQL event feed did not connect within 10 s".to_owned())
            }
        }
    })
    .await;
    TestApp {
        hub,
        server,
        address,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        db,
        config,
        test_db,
        running: Some(running),
    }
}

/// A signed-in user of a test.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub id: Uuid,
    pub email: String,
    pub token: String,
    pub refresh_token: String,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        let mut req = self.client.get(self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.expect("request")
    }

    pub async fn send_json(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: &Value,
    ) -> Response {
        let mut req = self.client.request(method, self.url(path)).json(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.expect("request")
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Response {
        self.send_json(reqwest::Method::POST, path, token, body)
            .await
    }

    pub async fn put(&self, path: &str, token: Option<&str>, body: &Value) -> Response {
        self.send_json(reqwest::Method::PUT, path, token, body)
            .await
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> Response {
        let mut req = self.client.delete(self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.expect("request")
    }

    pub async fn register(
        &self,
        name: &str,
        email: &str,
        password: &str,
        role: &str,
        specialization: Option<&str>,
    ) -> Response {
        let mut body = json!({"name": name, "email": email, "password": password, "role": role});
        if let Some(s) = specialization {
            body["specialization"] = json!(s);
        }
        self.post("/api/auth/register", None, &body).await
    }

    pub async fn login(&self, email: &str, password: &str) -> Response {
        self.post(
            "/api/auth/login",
            None,
            &json!({"email": email, "password": password}),
        )
        .await
    }

    /// Registers a user of `role` with a unique email and signs them in.
    /// A signed-in patient called `name`.
    pub async fn patient(&self, name: &str) -> TestUser {
        let email = format!(
            "{}-{}@example.com",
            name.to_lowercase().replace(' ', "."),
            Uuid::new_v4().simple()
        );
        let res = self.register(name, &email, PASSWORD, "PATIENT", None).await;
        let id = res.json::<RegisterResponse>().await.unwrap().user.id;
        self.confirm_email(id).await;
        let session: LoginResponse = self.login(&email, PASSWORD).await.json().await.unwrap();
        TestUser {
            id: session.user.id,
            email,
            token: session.token,
            refresh_token: session.refresh_token,
        }
    }

    pub async fn user(&self, role: Role) -> TestUser {
        let email = format!(
            "{}-{}@example.com",
            role.as_str().to_lowercase(),
            Uuid::new_v4().simple()
        );
        let specialization = (role == Role::Doctor).then_some("Cardiology");
        let id = match role {
            Role::Admin => self.create_admin(&email).await,
            _ => {
                let res = self
                    .register("Test User", &email, PASSWORD, role.as_str(), specialization)
                    .await;
                assert_eq!(
                    res.status(),
                    StatusCode::CREATED,
                    "{}",
                    res.text().await.unwrap()
                );
                let id = res.json::<RegisterResponse>().await.unwrap().user.id;
                self.confirm_email(id).await;
                if role == Role::Doctor {
                    self.approve_doctor(id).await;
                }
                id
            }
        };
        let res = self.login(&email, PASSWORD).await;
        assert_eq!(res.status(), StatusCode::OK);
        let session: LoginResponse = res.json().await.unwrap();
        TestUser {
            id,
            email,
            token: session.token,
            refresh_token: session.refresh_token,
        }
    }

    /// The token of the newest address-confirmation link queued for `user`, read from
    /// the outbox (where the email waits or was kept after sending).
    pub async fn confirmation_token(&self, user: Uuid) -> String {
        self.link_token(user, CONFIRMATION_KIND, "/verify-email")
            .await
    }

    /// The token of the link to `path` in the newest email of `kind` queued for `user`,
    /// read from the outbox once it is there (up to 10 s: some are queued after the
    /// answer).
    pub async fn link_token(&self, user: Uuid, kind: &'static str, path: &str) -> String {
        use mediconnect_api::db::DbId;
        use mediconnect_api::db::schema::notifications;
        let text: String = eventually(10, std::time::Duration::from_millis(50), || async {
            self.with_conn(move |c| {
                notifications::table
                    .filter(notifications::user_id.eq(Some(DbId(user))))
                    .filter(notifications::kind.eq(kind))
                    .order(notifications::created_at.desc())
                    .select(notifications::content)
                    .first::<String>(c)
                    .optional()
                    .unwrap()
            })
            .await
            .ok_or_else(|| format!("no {kind} email in the outbox"))
        })
        .await;
        token_after(&text, &format!("{path}#token="))
    }

    /// Confirms `user`'s address as its owner would: with the link's token.
    pub async fn confirm_email(&self, user: Uuid) {
        let token = self.confirmation_token(user).await;
        let res = self
            .post("/api/auth/verify-email", None, &json!({"token": token}))
            .await;
        assert_eq!(
            res.status(),
            StatusCode::NO_CONTENT,
            "confirming the address"
        );
    }

    /// Approves the doctor account of `user` (an admin's decision, made here directly:
    /// tests about other things need listed doctors, not the review's emails and audit
    /// rows; tests/api/approval.rs goes through the admin API).
    pub async fn approve_doctor(&self, user: Uuid) {
        use mediconnect_api::db::schema::doctors;
        use mediconnect_api::db::{DbApproval, DbId};
        self.with_conn(move |c| {
            diesel::update(doctors::table.filter(doctors::user_id.eq(DbId(user))))
                .set(
                    doctors::approval_status
                        .eq(DbApproval(mediconnect_shared::ApprovalStatus::Approved)),
                )
                .execute(c)
                .unwrap()
        })
        .await;
    }

    /// Creates an admin the way operators do (there is no API for it).
    async fn create_admin(&self, email: &str) -> Uuid {
        let email = email.to_owned();
        let cost = self.config.bcrypt_cost;
        self.with_conn(move |conn| {
            use mediconnect_api::accounts::{NewAccount, insert_account};
            use mediconnect_api::domain::{EmailAddress, Password, PersonName};
            let account = NewAccount {
                name: PersonName::parse("Test Admin").unwrap(),
                email: EmailAddress::parse(&email).unwrap(),
                password: Password::parse(PASSWORD).unwrap(),
                role: Role::Admin,
                specialization: None,
                zone: mediconnect_api::domain::Zone::parse("UTC").unwrap(),
                verified: true,
                license_number: None,
                approved: true,
            };
            let hash = mediconnect_api::auth::password::hash(PASSWORD, cost).unwrap();
            insert_account(conn, &account, &hash).unwrap().id.0
        })
        .await
    }

    /// Runs `f` on a connection to the app's database (to arrange or inspect state).
    pub async fn with_conn<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut AnyConnection) -> T + Send + 'static,
    ) -> T {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = db.get_blocking().expect("a connection");
            f(&mut conn)
        })
        .await
        .unwrap()
    }

    /// Sets a doctor's status through the API and returns the doctor JSON.
    pub async fn set_online(&self, doctor: &TestUser, online: bool) -> Value {
        json_ok(
            self.put(
                "/api/doctors/status",
                Some(&doctor.token),
                &json!({"isOnline": online}),
            )
            .await,
        )
        .await
    }

    /// Registers a doctor with this name and specialization, signed in.
    pub async fn doctor(&self, name: &str, specialization: &str) -> TestUser {
        let email = format!("doc-{}@example.com", Uuid::new_v4().simple());
        let res = self
            .register(name, &email, PASSWORD, "DOCTOR", Some(specialization))
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let id = res.json::<RegisterResponse>().await.unwrap().user.id;
        self.confirm_email(id).await;
        self.approve_doctor(id).await;
        let session: LoginResponse = self.login(&email, PASSWORD).await.json().await.unwrap();
        TestUser {
            id,
            email,
            token: session.token,
            refresh_token: session.refresh_token,
        }
    }

    /// Sets the doctor's booking rules, from the defaults with `changes` applied.
    pub async fn booking_rules(&self, doctor: &TestUser, changes: Value) -> Value {
        let mut rules = json!({"minNoticeMinutes": 120, "cancelCutoffMinutes": 0,
            "horizonDays": 180, "maxOpenPerPatient": 3});
        for (k, v) in changes.as_object().expect("an object") {
            rules[k] = v.clone();
        }
        json_ok(
            self.put("/api/doctors/me/booking-rules", Some(&doctor.token), &rules)
                .await,
        )
        .await
    }

    /// Forges an access token signed with the server's secret.
    pub fn forge_token(&self, sub: Uuid, role: Role, iat: i64, exp: i64) -> String {
        let keys = mediconnect_api::auth::JwtKeys::new(JWT_SECRET.as_bytes());
        keys.encode(&mediconnect_api::auth::jwt::Claims {
            sub,
            role,
            iat,
            exp,
        })
        .unwrap()
    }

    pub fn now() -> i64 {
        Utc::now().timestamp()
    }
}

/// Reads a problem+json body, checking the content type and status.
pub async fn problem(res: Response, status: u16) -> Problem {
    assert_eq!(res.status().as_u16(), status, "unexpected status");
    let ct = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    assert_eq!(ct, "application/problem+json", "not a problem body");
    let problem: Problem = res.json().await.expect("a problem body");
    assert_eq!(problem.status, status);
    problem
}

pub async fn json_ok(res: Response) -> Value {
    let status = res.status();
    let text = res.text().await.unwrap();
    assert!(status.is_success(), "{status}: {text}");
    serde_json::from_str(&text).unwrap()
}

/// Runs `probe` every `every` until it returns `Ok`, and returns that value; fails
/// the test with the probe's last `Err` message once `secs` have passed.
pub async fn eventually<T, F, Fut>(secs: u64, every: std::time::Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, String>>,
{
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    loop {
        match probe().await {
            Ok(value) => return value,
            Err(why) => assert!(std::time::Instant::now() < deadline, "{why}"),
        }
        tokio::time::sleep(every).await;
    }
}

/// The token that follows `marker` (a link's path and `#token=`) in `text`.
/// A whole hour, `days` ahead (UTC).
pub fn at(days: i64, hour: u32) -> chrono::DateTime<chrono::Utc> {
    (chrono::Utc::now() + chrono::Duration::days(days))
        .date_naive()
        .and_hms_opt(hour, 0, 0)
        .unwrap()
        .and_utc()
}

pub fn token_after(text: &str, marker: &str) -> String {
    let at = text.find(marker).expect("a link") + marker.len();
    text[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

/// The outbox kind of the address-confirmation email.
pub const CONFIRMATION_KIND: &str = "EMAIL_VERIFICATION";

/// The subject of the address-confirmation email.
pub const CONFIRMATION_SUBJECT: &str = "Confirm your MediConnect email address";

/// A loopback SMTP server for tests about other mail: it drops the confirmation
/// emails that every registration sends.
pub async fn smtp_sink() -> mediconnect_smtp_sink::SmtpServer {
    let smtp = mediconnect_smtp_sink::SmtpServer::start()
        .await
        .expect("a loopback SMTP server");
    smtp.ignore_subject(CONFIRMATION_SUBJECT);
    smtp
}

/// The id of the first doctor whose name holds `name`.
pub async fn doctor_id(app: &TestApp, name: &str) -> Uuid {
    let found = json_ok(app.get(&format!("/api/doctors?q={name}"), None).await).await;
    found["doctors"][0]["id"].as_str().unwrap().parse().unwrap()
}

/// Books `doctor` at `start` for `patient`; the appointment's id.
pub async fn book(
    app: &TestApp,
    patient: &TestUser,
    doctor: Uuid,
    start: chrono::DateTime<chrono::Utc>,
) -> Uuid {
    let body = json!({"doctorId": doctor, "scheduledFor": start.to_rfc3339()});
    let booked = json_ok(
        app.post("/api/appointments", Some(&patient.token), &body)
            .await,
    )
    .await;
    booked["id"].as_str().unwrap().parse().unwrap()
}

/// Cancels the appointment `id` as `who`, one of its parties.
pub async fn cancel(app: &TestApp, who: &TestUser, id: Uuid) {
    let path = format!("/api/appointments/{id}");
    let body = json!({"status": "CANCELLED"});
    json_ok(app.put(&path, Some(&who.token), &body).await).await;
}
