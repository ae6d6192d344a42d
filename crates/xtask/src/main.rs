//! `cargo xtask run | test`: the two commands of the README (and `fuzz`, `bench`).
//!
//! Plain Rust and `std::process::Command` (and two compression crates, and `ctrlc`), so
//! it builds in seconds on a fresh machine.
//! Each installs what it needs that is missing, saying what and why.

mod bench;
mod coverage;
mod fuzz;
mod postgres;
mod python;
mod split;
mod steps;
mod tools;
mod width;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

/// Every command: its name, its usage line, and what it does with each flag.
const COMMANDS: &[(&str, &str, &str)] = &[
    (
        "run",
        "cargo xtask run [--postgres URL]",
        "Installs what is missing, builds the web app and the server, and serves
MediConnect at http://127.0.0.1:8080 with demo data.

  --postgres URL   serve on this PostgreSQL database instead of SQLite at
                   ./data/mediconnect.db (DATABASE_URL may name one too)",
    ),
    (
        "test",
        "cargo xtask test",
        "Everything CI checks: format, clippy (native and wasm32), a licence, ban and
source check of the dependencies (cargo-deny, deny.toml), the tests on SQLite
and PostgreSQL (a throwaway cluster is started) instrumented for coverage, a
log audit, line coverage against its floors (as `cargo xtask coverage`), a
bounded fuzzing pass, the release web app build, the browser tests, and a quick
benchmark pass. Ends with one line: N passed, N failed. Takes no flags.",
    ),
    (
        "fuzz",
        "cargo xtask fuzz [--seconds N]",
        "Fuzzes the API from its OpenAPI document with schemathesis, as each of a
patient, a doctor and an admin.

  --seconds N   how long each role is fuzzed (default 600)",
    ),
    (
        "bench",
        "cargo xtask bench [--quick]",
        "Measures the release server on SQLite and PostgreSQL, and writes
docs/BENCHMARKS.md and target/bench/summary.json.

  --quick   a short run, written to target/bench only",
    ),
    (
        "coverage",
        "cargo xtask coverage",
        "Runs the unit and integration tests on SQLite and PostgreSQL instrumented
(cargo-llvm-cov, installed if missing), prints line coverage per module of the
server, writes target/coverage/summary.json and an HTML report
(target/coverage/html/index.html), and fails below the floors: 90 % of lines for
crates/api/src/routes, 95 % for crates/api/src/domain and
crates/api/src/schedule.rs, 85 % for the server as a whole. Takes no flags.",
    ),
    (
        "precompress",
        "cargo xtask precompress",
        "Writes .br and .gz twins of the built web app's wasm, JS and CSS (the web app
build does this; for Dockerfiles). Takes no flags.",
    ),
    (
        "split-web",
        "cargo xtask split-web",
        "Splits the web app into a module per page: Trunk's post-build hook, not for
use on its own. Takes no flags.",
    ),
];

fn usage() -> String {
    let mut text = String::from("usage: cargo xtask <command> [flags]\n\ncommands:\n");
    for (_, line, help) in COMMANDS {
        let first = help.lines().next().unwrap_or_default();
        text.push_str(&format!("  {line}\n      {first}\n"));
    }
    text.push_str("\n`cargo xtask <command> --help` says more about one command and its flags.");
    text
}

/// The help of one command, if `name` is one.
fn command_help(name: &str) -> Option<String> {
    COMMANDS
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, line, help)| format!("usage: {line}\n\n{help}"))
}

fn main() -> ExitCode {
    catch_interrupts();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let wants_help = |a: &String| a == "--help" || a == "-h";
    // `cargo xtask <command> --help`, and `cargo xtask help <command>`.
    let asked = match args.as_slice() {
        [help, name] if help == "help" => Some(name.as_str()),
        [name, rest @ ..] if rest.iter().any(wants_help) => Some(name.as_str()),
        _ => None,
    };
    if let Some(name) = asked {
        return match command_help(name) {
            Some(help) => {
                println!("{help}");
                ExitCode::SUCCESS
            }
            None => {
                eprintln!("no command `{name}`\n\n{}", usage());
                ExitCode::from(2)
            }
        };
    }
    let result = match args.first().map(String::as_str) {
        Some("run") => steps::run(&args[1..]),
        Some("test") => steps::test(&args[1..]),
        Some("fuzz") => steps::fuzz(&args[1..]),
        Some("bench") => bench::bench(&args[1..]),
        Some("coverage") => coverage::coverage(&args[1..]),
        Some("split-web") if args.len() == 1 => split::split_web(),
        Some("precompress") if args.len() == 1 => {
            tools::precompress(&root().join("frontend").join("dist"))
        }
        Some("-h" | "--help" | "help") => {
            println!("{}", usage());
            Ok(())
        }
        _ => {
            eprintln!("{}", usage());
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_has_help_that_names_its_flags() {
        for (name, line, _) in COMMANDS {
            let help = command_help(name).unwrap();
            assert!(
                help.starts_with(&format!("usage: cargo xtask {name}")),
                "{help}"
            );
            for flag in line
                .split_whitespace()
                .filter(|w| w.trim_start_matches('[').starts_with("--"))
            {
                let flag = flag.trim_matches(['[', ']']);
                assert!(
                    help.matches(flag).count() >= 2,
                    "{name}: {flag} is not explained"
                );
            }
            assert!(usage().contains(line), "{name} is not in the usage");
        }
        assert!(command_help("nope").is_none());
    }
}
