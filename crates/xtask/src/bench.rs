//! `cargo xtask bench [--quick]`: builds the release server and the load generator
//! (crates/bench), starts PostgreSQL, pins the server side to core 0 and the load
//! generator to core 1 (on a machine with two cores or more), and writes
//! docs/BENCHMARKS.md and target/bench/summary.json.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::postgres::Cluster;
use crate::tools::{self, output, run};
use crate::{Result, root, say, target_dir};

/// Every figure the report must hold, per backend (the SPA's is separate).
pub const FIGURES: [&str; 13] = [
    "online_vs_health",
    "search_p99_ms",
    "fanout_p99_ms",
    "fanout_missed",
    "socket_memory_kib",
    "socket_memory_floor_kib",
    "fanout_floor_actix_p99_ms",
    "fanout_floor_raw_p99_ms",
    "outbox_emails_per_s",
    "status_p99_ratio",
    "booking_req_per_s",
    "cold_start_ms",
    "signal_relay_p99_ms",
];

pub fn bench(args: &[String]) -> Result {
    let quick = match args {
        [] => false,
        [flag] if flag == "--quick" => true,
        _ => return Err("usage: cargo xtask bench [--quick]".into()),
    };
    let path_env = tools::ensure_spa_tools()?;
    tools::ensure_libpq()?;
    tools::build_spa(&path_env)?;
    say("Building the release server and the load generator");
    run(crate::steps::cargo().args([
        "build",
        "--release",
        "-p",
        "mediconnect-api",
        "-p",
        "mediconnect-bench",
    ]))?;
    let bin = target_dir().join("release");
    let (json, md) = if quick {
        (
            out_dir().join("summary-quick.json"),
            out_dir().join("BENCHMARKS-quick.md"),
        )
    } else {
        (
            out_dir().join("summary.json"),
            root().join("docs").join("BENCHMARKS.md"),
        )
    };
    measure(&bin, quick, &json, &md)
}

/// Linux's autogroup scheduling, off while this lives and restored on drop (ADR 0014).
/// Every PostgreSQL backend starts a session of its own, so with autogroup each one is
/// a scheduling group of its own: on the core it shares with the server, a backend
/// that was ready to run waited up to half a second for the CPU.
struct AutogroupOff {
    /// The switch to turn back on when the run ends, if this turned it off.
    restore: Option<PathBuf>,
}

const AUTOGROUP: &str = "/proc/sys/kernel/sched_autogroup_enabled";

impl AutogroupOff {
    fn new() -> AutogroupOff {
        AutogroupOff::at(Path::new(AUTOGROUP))
    }

    /// Turns off the switch at `path` if it is on; [`Drop`] turns it back on.
    fn at(path: &Path) -> AutogroupOff {
        let on = std::fs::read_to_string(path).is_ok_and(|v| v.trim() == "1");
        if !on {
            return AutogroupOff { restore: None };
        }
        if std::fs::write(path, "0").is_ok() {
            say(
                "Autogroup scheduling off for the run, restored after (ADR 0014); \
                 if the run is killed: sysctl kernel.sched_autogroup_enabled=1",
            );
            AutogroupOff {
                restore: Some(path.to_owned()),
            }
        } else {
            println!(
                "note: could not write {} (it needs root, and a writable \
                 /proc/sys); expect long tails in the PostgreSQL figures (ADR 0014)",
                path.display()
            );
            AutogroupOff { restore: None }
        }
    }
}

impl Drop for AutogroupOff {
    fn drop(&mut self) {
        if let Some(path) = &self.restore {
            let _ = std::fs::write(path, "1");
        }
    }
}

/// Where the summaries go: target/bench of the checkout.
pub fn out_dir() -> PathBuf {
    root().join("target").join("bench")
}

/// Runs the load generator from `bin` (a profile's directory) against both backends.
pub fn measure(bin: &Path, quick: bool, json: &Path, md: &Path) -> Result {
    crate::not_interrupted()?;
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let pin = cores >= 2 && output(Command::new("taskset").arg("--version")).is_some();
    let _autogroup = pin.then(AutogroupOff::new);
    let cluster = Cluster::start()?;
    if pin {
        cluster.pin_to_cpu(0)?;
    }
    let database = cluster.create_database("mediconnect_bench")?;
    let work = std::env::temp_dir().join(format!("mediconnect-bench-{}", std::process::id()));
    std::fs::create_dir_all(&work).map_err(|e| e.to_string())?;
    say(&format!(
        "Benchmarks{}: server on SQLite, then on PostgreSQL{}",
        if quick { " (--quick)" } else { "" },
        if pin {
            "; server side on core 0, load generator on core 1"
        } else {
            ""
        }
    ));
    let mut cmd = if pin {
        let mut c = Command::new("taskset");
        c.args(["-c", "1"]).arg(bin.join("mediconnect-bench"));
        c
    } else {
        Command::new(bin.join("mediconnect-bench"))
    };
    cmd.arg("--server")
        .arg(bin.join("mediconnect"))
        .arg("--dist")
        .arg(root().join("frontend").join("dist"))
        .arg("--work")
        .arg(&work)
        .args(["--pg-url", &database])
        .args(["--commit", &commit()])
        .arg("--out-json")
        .arg(json)
        .arg("--out-md")
        .arg(md);
    if pin {
        cmd.args(["--server-cpu", "0"]);
    }
    if quick {
        cmd.arg("--quick");
    }
    let result = run(&mut cmd);
    drop(cluster);
    if result.is_ok() {
        let _ = std::fs::remove_dir_all(&work);
    } else {
        println!("The servers' logs are kept in {}", work.display());
    }
    result?;
    check_complete(json)?;
    println!("Wrote {} and {}", md.display(), json.display());
    Ok(())
}

/// The summary holds every figure on both backends, and the SPA's, each a number.
pub fn check_complete(json: &Path) -> Result {
    let text = std::fs::read_to_string(json)
        .map_err(|e| format!("no benchmark summary at {}: {e}", json.display()))?;
    let compact: String = text.split_whitespace().collect();
    for key in FIGURES.iter().chain(["spa_gzip_kb"].iter()) {
        let needle = format!("\"key\":\"{key}\"");
        let want = if *key == "spa_gzip_kb" { 1 } else { 2 };
        let found = compact.matches(&needle).count();
        if found != want {
            return Err(format!(
                "the benchmark summary has figure {key} {found} times, not {want}"
            ));
        }
    }
    if compact.contains("\"value\":null") {
        return Err("a benchmark figure is not a number".into());
    }
    Ok(())
}

/// The commit measured; `-dirty` when the tree had uncommitted changes.
fn commit() -> String {
    output(
        Command::new("git")
            .args(["describe", "--always", "--dirty"])
            .current_dir(root()),
    )
    .unwrap_or_else(|| "unknown".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stand-in for the sysctl file, holding `value`; removed when dropped.
    struct Switch(PathBuf);

    impl Switch {
        fn new(name: &str, value: &str) -> Switch {
            let path = std::env::temp_dir().join(format!(
                "mediconnect-autogroup-{}-{name}",
                std::process::id()
            ));
            std::fs::write(&path, value).unwrap();
            Switch(path)
        }

        fn read(&self) -> String {
            std::fs::read_to_string(&self.0).unwrap()
        }
    }

    impl Drop for Switch {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    #[test]
    fn autogroup_is_off_for_the_run_and_on_again_after() {
        let switch = Switch::new("on", "1\n");
        let guard = AutogroupOff::at(&switch.0);
        assert_eq!(switch.read(), "0");
        drop(guard);
        assert_eq!(switch.read(), "1");
    }

    #[test]
    fn autogroup_that_was_off_stays_off() {
        let switch = Switch::new("off", "0\n");
        drop(AutogroupOff::at(&switch.0));
        assert_eq!(switch.read(), "0\n");
    }

    #[test]
    fn a_switch_that_cannot_be_read_is_left_alone() {
        let path = std::env::temp_dir()
            .join("mediconnect-no-such-dir")
            .join("switch");
        drop(AutogroupOff::at(&path));
        assert!(!path.exists());
    }
}
