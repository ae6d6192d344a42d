//! The `mediconnect` binary as a separate process, as an operator runs it.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::helpers::{JWT_SECRET, TestDb};

/// The binary, with the settings of a test database.
pub fn mediconnect(db: &TestDb) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mediconnect"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", &db.url)
        .env("BCRYPT_COST", "4")
        .env("JWT_SECRET", JWT_SECRET)
        .env("DATA_DIR", db.path().join("data"))
        .env("STATIC_DIR", db.path().join("none"))
        .current_dir(db.path());
    // Under `cargo xtask coverage` the binary is instrumented: where its profile goes.
    if let Some(profile) = std::env::var_os("LLVM_PROFILE_FILE") {
        cmd.env("LLVM_PROFILE_FILE", profile);
    }
    cmd
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `mediconnect serve` as a process, with JSON logs collected; stopped on drop.
pub struct Served {
    pub child: std::process::Child,
    pub port: u16,
    pub base: String,
    pub logs: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Served {
    pub async fn start(db: &TestDb, env: &[(&str, &str)]) -> Served {
        let port = free_port();
        let mut cmd = mediconnect(db);
        cmd.arg("serve")
            .env("BIND_ADDR", format!("127.0.0.1:{port}"))
            .env("LOG_FORMAT", "json");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let logs = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let stderr = child.stderr.take().unwrap();
        let sink = logs.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while reqwest::get(format!("{base}/api/health"))
            .await
            .map(|r| r.status() != 200)
            .unwrap_or(true)
        {
            assert!(
                Instant::now() < deadline,
                "the server did not start: {:?}",
                logs.lock().unwrap()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Served {
            child,
            port,
            base,
            logs,
        }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
