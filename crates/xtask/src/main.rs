//! `cargo xtask run | test`: the two commands of the README (and `fuzz`, `bench`).
//!
//! Plain Rust and `std::process::Command` (and two compression crates, and `ctrlc`), so
//! it builds in seconds on a fresh machine.
//! Each installs what it needs that is missing, saying what and why.

mod bench;
mod fuzz;
mod postgres;
mod split;
mod steps;
mod tools;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  run [--postgres URL]   install what is missing, build the web app, and serve
                         MediConnect at http://127.0.0.1:8080 with demo data
                         (SQLite at ./data/mediconnect.db unless --postgres or
                         DATABASE_URL names another database)
  test                   everything CI checks: format, clippy (native and wasm32),
                         tests on SQLite and PostgreSQL, a log audit, a bounded
                         fuzzing pass, the release web app build, the browser
                         tests, and a quick benchmark pass
  fuzz [--seconds N]     fuzz the API from its OpenAPI document with schemathesis,
                         N seconds (default 600) as each of patient, doctor, admin
  bench [--quick]        measure the release server on SQLite and PostgreSQL and
                         write docs/BENCHMARKS.md and target/bench/summary.json
                         (--quick: a short run, written to target/bench only)
  precompress            write .br and .gz twins of the built web app's wasm, JS
                         and CSS (the web app build does this; for Dockerfiles)
  split-web              split the web app into a module per page (Trunk's
                         post-build hook; not for use on its own)";

fn main() -> ExitCode {
    catch_interrupts();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("run") => steps::run(&args[1..]),
        Some("test") => steps::test(&args[1..]),
        Some("fuzz") => steps::fuzz(&args[1..]),
        Some("bench") => bench::bench(&args[1..]),
        Some("split-web") if args.len() == 1 => split::split_web(),
        Some("precompress") if args.len() == 1 => {
            tools::precompress(&root().join("frontend").join("dist"))
        }
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            Ok(())
        }
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("\nxtask: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root (the parent of crates/xtask).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("crates/xtask sits two levels below the root")
        .to_owned()
}

/// Where builds and tools are cached between runs, outside the checkout, so that a
/// fresh clone (as CI makes) still builds incrementally.
pub fn cache_dir() -> PathBuf {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("mediconnect")
}

/// The cargo target directory used by every step.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| cache_dir().join("target"))
}

pub type Result<T = ()> = std::result::Result<T, String>;

/// Set by the first Ctrl-C.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Makes Ctrl-C stop the run cleanly instead of killing this process at once.
///
/// The terminal sends Ctrl-C to the whole foreground process group, so the command
/// running at the time (cargo, the load generator, a server) gets it too and ends;
/// this process starts nothing after it and returns its error, and what it set up is
/// undone on the way out: the throwaway PostgreSQL cluster is stopped and removed (its
/// server runs in a session of its own and would not get the Ctrl-C), and autogroup
/// scheduling is turned back on. A second Ctrl-C quits at once. Other signals (SIGTERM)
/// keep their default: they reach only this process, not the command it runs.
fn catch_interrupts() {
    let installed = ctrlc::set_handler(|| {
        if INTERRUPTED.swap(true, Ordering::SeqCst) {
            eprintln!(
                "\nxtask: quitting at once; a throwaway PostgreSQL cluster may be left \
                 running, and after a benchmark: sysctl kernel.sched_autogroup_enabled=1"
            );
            std::process::exit(130);
        }
        eprintln!("\nxtask: interrupted; cleaning up (Ctrl-C again quits at once)");
    });
    if let Err(e) = installed {
        eprintln!("note: Ctrl-C will not clean up after this run: {e}");
    }
}

/// Fails once the run was interrupted: call before starting anything new.
pub fn not_interrupted() -> Result {
    if INTERRUPTED.load(Ordering::SeqCst) {
        Err("interrupted".into())
    } else {
        Ok(())
    }
}

/// Prints a step heading.
pub fn say(msg: &str) {
    println!("\n==> {msg}");
}
