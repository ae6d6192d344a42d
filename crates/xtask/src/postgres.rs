//! A throwaway PostgreSQL cluster for the tests, from the machine's PostgreSQL server
//! binaries (Debian's package is installed if they are absent). Removed on drop.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::steps::free_port;
use crate::tools::{apt_install, output, run, run_even_if_interrupted};
use crate::{Result, say};

pub struct Cluster {
    dir: PathBuf,
    bin: PathBuf,
    as_postgres: bool,
    port: u16,
    pub url: String,
}

fn find_bin_dir() -> Option<PathBuf> {
    let mut candidates: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|p| p.join("initdb").exists() && p.join("pg_ctl").exists())
        .collect();
    candidates.sort();
    if let Some(newest) = candidates.pop() {
        return Some(newest);
    }
    let pg_config = output(Command::new("pg_config").arg("--bindir"))?;
    let dir = PathBuf::from(pg_config);
    dir.join("initdb").exists().then_some(dir)
}

impl Cluster {
    pub fn start() -> Result<Cluster> {
        let bin = match find_bin_dir() {
            Some(bin) => bin,
            None => {
                apt_install(
                    &["postgresql"],
                    "PostgreSQL's server binaries, for the tests",
                )?;
                find_bin_dir().ok_or("PostgreSQL was installed but initdb is not found")?
            }
        };
        // The server refuses to run as root; use the `postgres` user then.
        let as_postgres = output(Command::new("id").arg("-u")).as_deref() == Some("0");
        crate::not_interrupted()?;
        let dir = std::env::temp_dir().join(format!("mediconnect-pg-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        if as_postgres {
            run(Command::new("chown").args(["postgres:postgres"]).arg(&dir))?;
        }
        let port = free_port()?;
        say(&format!(
            "Starting a throwaway PostgreSQL cluster on port {port}"
        ));
        let cluster = Cluster {
            url: format!("postgres://postgres@127.0.0.1:{port}/postgres"),
            port,
            dir,
            bin,
            as_postgres,
        };
        cluster.pg(
            &cluster.bin.join("initdb"),
            |c| {
                c.arg("-D").arg(cluster.data()).args([
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "--no-sync",
                    "-E",
                    "UTF8",
                ]);
            },
            true,
        )?;
        let options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c max_connections=500 \
             -c fsync=off -c synchronous_commit=off -c full_page_writes=off",
            cluster.dir.display()
        );
        cluster.pg(
            &cluster.bin.join("pg_ctl"),
            |c| {
                c.arg("-D")
                    .arg(cluster.data())
                    .arg("-l")
                    .arg(cluster.dir.join("pg.log"))
                    .args(["-o", &options, "-w", "start"]);
            },
            true,
        )?;
        Ok(cluster)
    }

    /// Where the server binaries are (tests start clusters of their own from it).
    pub fn bin_dir(&self) -> &Path {
        &self.bin
    }

    /// Creates an empty database and returns its URL.
    pub fn create_database(&self, name: &str) -> Result<String> {
        run(Command::new(self.bin.join("psql"))
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
            ])
            .args([
                "-d",
                "postgres",
                "-q",
                "-c",
                &format!("CREATE DATABASE {name}"),
            ])
            .stdout(std::process::Stdio::null()))?;
        Ok(format!(
            "postgres://postgres@127.0.0.1:{}/{name}",
            self.port
        ))
    }

    /// Moves the server and every process it forks later onto one core.
    pub fn pin_to_cpu(&self, cpu: usize) -> Result {
        let pidfile = std::fs::read_to_string(self.data().join("postmaster.pid"))
            .map_err(|e| format!("cannot read postmaster.pid: {e}"))?;
        let pid = pidfile.lines().next().unwrap_or_default().trim().to_owned();
        run(Command::new("taskset")
            .args(["-a", "-cp", &cpu.to_string(), &pid])
            .stdout(std::process::Stdio::null()))
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    fn pg(&self, program: &Path, args: impl FnOnce(&mut Command), quiet: bool) -> Result {
        run(&mut self.pg_command(program, args, quiet))
    }

    /// `program` with `args`, as the user that owns the cluster.
    fn pg_command(&self, program: &Path, args: impl FnOnce(&mut Command), quiet: bool) -> Command {
        let mut cmd = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        } else {
            Command::new(program)
        };
        args(&mut cmd);
        if quiet {
            cmd.stdout(std::process::Stdio::null());
        }
        cmd
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // Its server runs in a session of its own, so a Ctrl-C did not stop it. The
        // stop runs in a process group of its own, so that a second Ctrl-C, which
        // ends this process at once, does not end the stop too.
        let mut stop = self.pg_command(
            &self.bin.join("pg_ctl"),
            |c| {
                c.arg("-D")
                    .arg(self.data())
                    .args(["-m", "immediate", "stop"]);
            },
            true,
        );
        std::os::unix::process::CommandExt::process_group(&mut stop, 0);
        let _ = run_even_if_interrupted(&mut stop);
        let _ = std::fs::remove_dir_all(&self.dir);
        println!("==> Removed the throwaway PostgreSQL cluster");
    }
}
