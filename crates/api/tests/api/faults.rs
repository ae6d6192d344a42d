//! Faults survived: the database restarting under a running server.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use diesel::prelude::*;
use mediconnect_api::db::schema::doctors;
use serde_json::json;

use crate::helpers::*;
use crate::ws::connect;

/// A PostgreSQL cluster of this test's own, so it can be stopped and started.
struct PrivateCluster {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
    as_postgres: bool,
}

impl PrivateCluster {
    fn bin_dir() -> PathBuf {
        if let Ok(dir) = std::env::var("MEDICONNECT_PG_BIN") {
            return PathBuf::from(dir);
        }
        let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .expect("PostgreSQL server binaries (cargo xtask test installs them)")
            .flatten()
            .map(|e| e.path().join("bin"))
            .filter(|p| p.join("pg_ctl").exists())
            .collect();
        found.sort();
        found.pop().expect("pg_ctl")
    }

    fn command(&self, program: &str) -> Command {
        let program = self.bin.join(program);
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        } else {
            Command::new(program)
        }
    }

    fn pg(&self, program: &str, args: &[&str]) {
        let out = self.command(program).args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn start() -> PrivateCluster {
        let dir = tempfile::tempdir().unwrap();
        let as_postgres = Command::new("id")
            .arg("-u")
            .output()
            .map(|o| o.stdout == b"0\n")
            .unwrap_or(false);
        if as_postgres {
            Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path())
                .status()
                .unwrap();
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let cluster = PrivateCluster {
            bin: Self::bin_dir(),
            dir,
            port,
            as_postgres,
        };
        let data = cluster.data();
        cluster.pg(
            "initdb",
            &["-D", &data, "-U", "postgres", "--auth=trust", "--no-sync"],
        );
        cluster.up();
        cluster
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    fn up(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("pg.log").display().to_string();
        self.pg(
            "pg_ctl",
            &[
                "-D",
                &self.data(),
                "-l",
                &log,
                "-o",
                &options,
                "-w",
                "start",
            ],
        );
    }

    fn down(&self) {
        self.pg("pg_ctl", &["-D", &self.data(), "-m", "fast", "-w", "stop"]);
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .args(["-D", &self.data(), "-m", "immediate", "stop"])
            .output();
    }
}

/// Readiness, the answer a load balancer acts on.
async fn health(app: &TestApp) -> u16 {
    match app
        .client
        .get(app.url("/api/health/ready"))
        .timeout(Duration::from_secs(4))
        .send()
        .await
    {
        Ok(r) => r.status().as_u16(),
        Err(_) => 0,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_restart_is_survived() {
    let cluster = std::sync::Arc::new(
        tokio::task::spawn_blocking(PrivateCluster::start)
            .await
            .unwrap(),
    );
    let url = cluster.url();
    // A folder of the test's own for the app's files (its mail, as .eml files); the
    // database is the private cluster. One handle, kept by the app: a folder that
    // goes before the app would be created again by it, and left behind.
    let folder = TestDb::new(Backend::Sqlite);
    let mut config = test_config(&folder);
    config.database = mediconnect_api::db::DbTarget::parse(&url).unwrap();
    let app = spawn_on(Backend::Postgres, folder, config).await;
    assert_eq!(health(&app).await, 200);

    let doctor = app.doctor("Dr. Restart", "X").await;
    let hidden = app.doctor("Dr. Resync", "X").await;
    let patient = app.user(mediconnect_shared::Role::Patient).await;
    let doctor_id =
        json_ok(app.get("/api/doctors?q=restart", None).await).await["doctors"][0]["id"].clone();
    let start = chrono::Utc::now() + chrono::Duration::days(2);
    let booking = json!({"doctorId": doctor_id, "scheduledFor": start.to_rfc3339()});
    let booked = json_ok(
        app.post("/api/appointments", Some(&patient.token), &booking)
            .await,
    )
    .await;
    let mut socket = connect(&app).await;
    // A change the event feed never hears of: only a resync from the database finds it.
    let hidden_user = hidden.id;
    app.with_conn(move |c| {
        diesel::update(
            doctors::table.filter(doctors::user_id.eq(mediconnect_api::db::DbId(hidden_user))),
        )
        .set(doctors::is_online.eq(true))
        .execute(c)
        .unwrap()
    })
    .await;

    let c = cluster.clone();
    tokio::task::spawn_blocking(move || c.down()).await.unwrap();
    let app_ref = &app;
    eventually(10, Duration::from_millis(200), || async move {
        match health(app_ref).await {
            200 => Err("health stayed green with the database down".to_owned()),
            _ => Ok(()),
        }
    })
    .await;

    let c = cluster.clone();
    tokio::task::spawn_blocking(move || c.up()).await.unwrap();
    let back = Instant::now();
    while health(&app).await != 200 {
        assert!(
            back.elapsed() < Duration::from_secs(5),
            "health not green within 5 s of the database returning"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // The event feed reconnects and the presence view is resynced (and pushed).
    eventually(10, Duration::from_millis(200), || async move {
        let online = json_ok(app_ref.get("/api/doctors/online", None).await).await;
        let doctors = online["doctors"].as_array().unwrap();
        if doctors.iter().any(|d| d["name"] == "Dr. Resync") {
            Ok(())
        } else {
            Err("the presence view was not resynced".to_owned())
        }
    })
    .await;
    let mut resynced = false;
    while let Some(msg) = socket.next_json_within(Duration::from_secs(3)).await {
        if msg["type"] == "snapshot"
            && msg["doctors"]
                .as_array()
                .unwrap()
                .iter()
                .any(|d| d["name"] == "Dr. Resync")
        {
            resynced = true;
            break;
        }
    }
    assert!(resynced, "connected sockets got no fresh snapshot");
    assert!(
        app.hub
            .feed_connected
            .load(std::sync::atomic::Ordering::Relaxed)
    );

    // Nothing accepted was lost, and the server works on.
    let id = booked["id"].as_str().unwrap();
    assert_eq!(
        json_ok(
            app.get(&format!("/api/appointments/{id}"), Some(&patient.token))
                .await
        )
        .await["status"],
        "SCHEDULED"
    );
    assert_eq!(app.set_online(&doctor, true).await["isOnline"], true);
}
