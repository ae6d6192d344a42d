//! The release server as a child process, pinned to its own core where there are two.

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::Result;
use crate::http::Conn;

#[derive(Clone)]
pub struct Spec {
    pub bin: PathBuf,
    pub database_url: String,
    pub smtp_port: u16,
    /// The core to run on (`taskset`), if any.
    pub cpu: Option<usize>,
    /// Working directory: the server log and DATA_DIR go here.
    pub dir: PathBuf,
}

pub struct Server {
    child: Child,
    pub addr: SocketAddr,
}

fn free_port() -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(listener.local_addr().map_err(|e| e.to_string())?.port())
}

impl Server {
    /// Starts `mediconnect serve` and returns once `/api/health` answers 200, with the
    /// time that took (from spawning the process).
    pub async fn start(spec: &Spec) -> Result<(Server, Duration)> {
        let port = free_port()?;
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(spec.dir.join("server.log"))
            .map_err(|e| e.to_string())?;
        let mut cmd = pinned(spec.cpu, &spec.bin);
        cmd.arg("serve")
            .current_dir(&spec.dir)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DATABASE_URL", &spec.database_url)
            .env("BIND_ADDR", format!("127.0.0.1:{port}"))
            .env("DATA_DIR", spec.dir.join("data"))
            .env("SMTP_URL", format!("smtp://127.0.0.1:{}", spec.smtp_port))
            // Only set-up logs in and registers; no figure times a password hash.
            .env("BCRYPT_COST", "4")
            // Loopback load is not abuse (the hardening issue's switches).
            .env("AUTH_RATE_LIMIT_PER_MINUTE", "0")
            .env("API_RATE_LIMIT_PER_MINUTE", "0")
            .env("WS_MAX_CONNECTIONS_PER_IP", "0")
            // The booking benchmark gives each patient many slots, across doctors.
            .env("PATIENT_MAX_OPEN_BOOKINGS", "0")
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(|e| e.to_string())?)
            .stderr(log);
        let started = Instant::now();
        let child = cmd
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", spec.bin.display()))?;
        let mut server = Server {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
        };
        loop {
            if let Ok(mut conn) = Conn::open(server.addr).await
                && conn
                    .get("/api/health", None)
                    .await
                    .is_ok_and(|r| r.status == 200)
            {
                return Ok((server, started.elapsed()));
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                return Err(format!(
                    "the server exited ({status}); see {}",
                    spec.dir.join("server.log").display()
                ));
            }
            if started.elapsed() > Duration::from_secs(60) {
                let _ = server.child.kill();
                return Err("the server was not healthy within 60 s".into());
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    /// Makes the admin account that approves the benchmark's doctors, the way an
    /// operator does (`mediconnect create-admin`, the password on standard input).
    pub fn create_admin(spec: &Spec, email: &str, password: &str) -> Result {
        use std::io::Write;
        let mut child = Command::new(&spec.bin)
            .args(["create-admin", "--email", email, "--name", "Bench Admin"])
            .current_dir(&spec.dir)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DATABASE_URL", &spec.database_url)
            .env("DATA_DIR", spec.dir.join("data"))
            .env("BCRYPT_COST", "4")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot run create-admin: {e}"))?;
        child
            .stdin
            .take()
            .expect("piped")
            .write_all(format!("{password}\n").as_bytes())
            .map_err(|e| e.to_string())?;
        let status = child.wait().map_err(|e| e.to_string())?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("create-admin failed ({status})"))
        }
    }

    /// Starts one of this program's reference servers ([`crate::reference`]) on the
    /// server's core, sending `first` as every socket's first message and `event` on
    /// `POST /fanout`, and returns once it accepts connections.
    pub async fn start_reference(
        spec: &Spec,
        subcommand: &str,
        first: &str,
        event: &str,
    ) -> Result<Server> {
        let port = free_port()?;
        let write = |name: &str, text: &str| {
            let file = spec.dir.join(name);
            std::fs::write(&file, text).map_err(|e| format!("{}: {e}", file.display()))?;
            Ok::<_, String>(file)
        };
        let first = write("reference-first-message.json", first)?;
        let event = write("reference-event.json", event)?;
        let exe = std::env::current_exe().map_err(|e| e.to_string())?;
        let child = pinned(spec.cpu, &exe)
            .arg(subcommand)
            .arg(port.to_string())
            .arg(&first)
            .arg(&event)
            .stdin(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start the reference server: {e}"))?;
        let mut server = Server {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
        };
        let started = Instant::now();
        while tokio::net::TcpStream::connect(server.addr).await.is_err() {
            if let Ok(Some(status)) = server.child.try_wait() {
                return Err(format!("the reference server exited ({status})"));
            }
            if started.elapsed() > Duration::from_secs(10) {
                return Err("the reference server did not listen within 10 s".into());
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        Ok(server)
    }

    /// Resident memory of the server process, in KiB.
    pub fn rss_kib(&self) -> Result<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .map_err(|e| format!("cannot read the server's memory: {e}"))?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .ok_or_else(|| "no VmRSS in /proc/PID/status".into())
    }

    /// CPU time (user + system) the server has used, in milliseconds.
    pub fn cpu_ms(&self) -> Result<f64> {
        cpu_ms(&format!("/proc/{}/stat", self.child.id()))
    }

    /// SIGTERM, then wait for the exit (a graceful stop takes at most 10 s).
    pub async fn stop(mut self) -> Result {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Ok(Some(_)) = self.child.try_wait() {
                return Ok(());
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                return Err("the server did not stop within 15 s of SIGTERM".into());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// `bin`, run on `cpu` (with `taskset`) if one is given.
fn pinned(cpu: Option<usize>, bin: &std::path::Path) -> Command {
    match cpu {
        Some(cpu) => {
            let mut c = Command::new("taskset");
            c.args(["-c", &cpu.to_string()]).arg(bin);
            c
        }
        None => Command::new(bin),
    }
}

/// CPU time (user + system) of the process whose `stat` file this is, in milliseconds.
pub fn cpu_ms(stat: &str) -> Result<f64> {
    let text = std::fs::read_to_string(stat).map_err(|e| format!("{stat}: {e}"))?;
    // Fields after the parenthesised name: state is field 3, utime 14, stime 15.
    let rest = text.rsplit_once(')').map(|(_, r)| r).unwrap_or_default();
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i - 3).and_then(|v| v.parse::<f64>().ok());
    match (ticks(14), ticks(15)) {
        // Linux reports in USER_HZ, which is 100 on every supported architecture.
        (Some(u), Some(s)) => Ok((u + s) * 10.0),
        _ => Err(format!("cannot read CPU times from {stat}")),
    }
}
