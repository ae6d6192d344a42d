//! The `run` and `test` commands.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::coverage;
use crate::postgres::Cluster;
use crate::tools::{self, run as exec};
use crate::{Result, root, say, target_dir};

pub fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(root())
        .env("CARGO_TARGET_DIR", target_dir());
    cmd
}

// ---------------------------------------------------------------------------- run

fn parse_run_args(args: &[String]) -> Result<Option<String>> {
    let mut postgres = None;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--postgres" => postgres = Some(it.next().ok_or("--postgres needs a URL")?.clone()),
            other => return Err(format!("unknown option {other}; see `cargo xtask --help`")),
        }
    }
    Ok(postgres)
}

pub fn run(args: &[String]) -> Result {
    let postgres = parse_run_args(args)?;
    let database_url = postgres
        .or_else(|| {
            std::env::var("DATABASE_URL")
                .ok()
                .filter(|v| !v.trim().is_empty())
        })
        .unwrap_or_else(|| "sqlite://data/mediconnect.db".into());

    let path_env = tools::ensure_spa_tools()?;
    tools::ensure_libpq()?;
    tools::build_spa(&path_env)?;
    say("Building the server (release)");
    exec(cargo().args([
        "build",
        "--release",
        "-p",
        "mediconnect-api",
        "--bin",
        "mediconnect",
    ]))?;
    let bin = target_dir().join("release").join("mediconnect");

    let server = |sub: &str| {
        let mut cmd = Command::new(&bin);
        cmd.arg(sub)
            .current_dir(root())
            .env("DATABASE_URL", &database_url)
            .env("STATIC_DIR", root().join("frontend").join("dist"));
        cmd
    };
    say("Applying database migrations");
    exec(&mut server("migrate"))?;
    say("Adding demo data to an empty database");
    exec(&mut server("seed-demo"))?;
    let bind = std::env::var("BIND_ADDR").unwrap_or_else(|_| "127.0.0.1:8080".into());
    say(&format!(
        "Serving MediConnect at http://{bind}  (Ctrl-C stops it)"
    ));
    exec(&mut server("serve"))
}

// ---------------------------------------------------------------------------- fuzz

/// Seconds per role in `cargo xtask test` (a bounded pass) and in `cargo xtask fuzz`.
const FUZZ_TEST_SECONDS: u32 = 50;
const FUZZ_LONG_SECONDS: u32 = 600;
/// Requests a pass must generate, over all roles, to count.
const FUZZ_MIN_REQUESTS: u64 = 5000;

/// Fuzzes a fresh server; passes are counted per role, failures per role with problems.
fn fuzz_stage(seconds: u32) -> Result<(u64, u64)> {
    let bin = debug_binaries()?;
    let (server, port) = start_e2e_server(&bin, "fuzz")?;
    let reports = target_dir().join("fuzz");
    std::fs::create_dir_all(&reports).map_err(|e| e.to_string())?;
    let result = crate::fuzz::fuzz(
        port,
        (E2E_ADMIN_EMAIL, E2E_ADMIN_PASSWORD),
        seconds,
        &reports,
    );
    if let Ok((_, failed)) = &result
        && *failed > 0
    {
        let log = std::fs::read_to_string(server.dir.join("server.log")).unwrap_or_default();
        let errors: Vec<&str> = log
            .lines()
            .filter(|l| l.contains("ERROR"))
            .take(20)
            .collect();
        for line in errors {
            eprintln!("{line}");
        }
    }
    drop(server);
    let (generated, failed) = result?;
    println!("schemathesis generated {generated} requests");
    if generated < FUZZ_MIN_REQUESTS {
        return Err(format!(
            "only {generated} requests were generated; at least {FUZZ_MIN_REQUESTS} are wanted"
        ));
    }
    Ok((3 - failed, failed))
}

pub fn fuzz(args: &[String]) -> Result {
    let seconds = match args {
        [] => FUZZ_LONG_SECONDS,
        [flag, n] if flag == "--seconds" => n.parse().map_err(|_| "--seconds takes a number")?,
        _ => return Err("usage: cargo xtask fuzz [--seconds N]".into()),
    };
    tools::ensure_libpq()?;
    exec(cargo().args(["build", "-p", "mediconnect-api", "--bin", "mediconnect"]))?;
    let (passed, failed) = fuzz_stage(seconds)?;
    println!("{passed} passed, {failed} failed");
    if failed > 0 {
        Err("schemathesis found problems".into())
    } else {
        Ok(())
    }
}

// ---------------------------------------------------------------------------- test

/// What each stage of `test` found.
#[derive(Default)]
struct Report {
    /// Each stage's name, and why it failed (none when it passed).
    stages: Vec<(String, Option<String>)>,
    passed: u64,
    failed: u64,
}

impl Report {
    fn stage(&mut self, name: &str, result: Result) -> bool {
        let reason = result.err();
        if let Some(e) = &reason {
            eprintln!("\nxtask: {name} failed: {e}");
            self.failed += 1;
        }
        let ok = reason.is_none();
        self.stages.push((name.to_owned(), reason));
        ok
    }

    fn all_ok(&self) -> bool {
        self.stages.iter().all(|(_, reason)| reason.is_none())
    }
}

/// The venv of the iCalendar parser the calendar feed's tests read it with, and its
/// pinned package (the tests find it at this name in the cache when run by hand).
const ICALENDAR: &str = "icalendar-venv";
const ICALENDAR_PACKAGE: &str = "icalendar==7.3.2";

pub fn test(args: &[String]) -> Result {
    if let Some(extra) = args.first() {
        return Err(format!(
            "unknown option {extra}; `cargo xtask test` takes none"
        ));
    }
    let started = Instant::now();
    let mut report = Report::default();

    say("Checking tools");
    let path_env = tools::ensure_spa_tools()?;
    tools::ensure_libpq()?;
    tools::ensure_chromium()?;
    tools::ensure_e2e_packages()?;
    tools::ensure_llvm_cov()?;
    tools::ensure_cargo_deny()?;
    let icalendar = crate::python::ensure(ICALENDAR, ICALENDAR_PACKAGE, "to read calendar feeds")?;

    say("cargo fmt --check");
    report.stage(
        "format",
        exec(cargo().args(["fmt", "--all", "--", "--check"])),
    );
    say("Line width: no line of code over 100 columns");
    report.stage("line width", crate::width::check(&crate::root()));

    crate::not_interrupted()?;
    say("clippy (native)");
    report.stage(
        "clippy native",
        exec(cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ])),
    );
    crate::not_interrupted()?;
    say("clippy (wasm32)");
    report.stage(
        "clippy wasm32",
        exec(cargo().args([
            "clippy",
            "-p",
            "mediconnect-frontend",
            "-p",
            "mediconnect-shared",
            "--target",
            "wasm32-unknown-unknown",
            "--",
            "-D",
            "warnings",
        ])),
    );

    crate::not_interrupted()?;
    say("Dependencies: licences, bans and sources (cargo deny, deny.toml)");
    report.stage(
        "dependency licences",
        exec(cargo().args(["deny", "check", "licenses", "bans", "sources"])),
    );

    crate::not_interrupted()?;
    {
        let cluster = Cluster::start();
        let log =
            std::env::temp_dir().join(format!("mediconnect-test-log-{}.jsonl", std::process::id()));
        let _ = std::fs::remove_file(&log);
        let result = cluster.and_then(|cluster| {
            say(
                "Unit and integration tests, on SQLite and PostgreSQL, instrumented for coverage \
                 (server logs captured at debug)",
            );
            coverage::clean()?;
            let mut cmd = coverage::test_command(&[]);
            cmd.env("MEDICONNECT_TEST_PG_URL", &cluster.url)
                .env("MEDICONNECT_PG_BIN", cluster.bin_dir())
                .env("MEDICONNECT_TEST_LOG_FILE", &log)
                .env(
                    "MEDICONNECT_TEST_ICALENDAR_PYTHON",
                    icalendar.join("bin").join("python"),
                );
            let counts = run_counting(&mut cmd, parse_cargo_test_line);
            drop(cluster);
            counts
        });
        record_counts(&mut report, "tests", result);
        say("Log audit: no email, token, password or visit reason in the captured logs");
        // Instrumented and --workspace, as above: the same build, so nothing is rebuilt.
        let mut cmd = coverage::test_command(&[
            "--test",
            "api",
            "--",
            "--ignored",
            "--exact",
            "log_audit::the_logs_hold_no_secrets_and_no_phi",
        ]);
        cmd.env("MEDICONNECT_TEST_LOG_SCAN", &log);
        let audit = run_counting(&mut cmd, parse_cargo_test_line);
        let _ = std::fs::remove_file(&log);
        record_counts(&mut report, "log audit", audit);
        report.stage("coverage", coverage::report());
    }

    // The browser tests and the benchmark's quick pass run the plain debug binaries.
    crate::not_interrupted()?;
    say("Building the debug server and load generator");
    let binaries = report.stage(
        "debug build",
        exec(cargo().args(["build", "--workspace", "--bins"])),
    );

    crate::not_interrupted()?;
    let fuzzed = fuzz_stage(FUZZ_TEST_SECONDS);
    record_counts(&mut report, "fuzzing", fuzzed);

    crate::not_interrupted()?;
    let spa = report.stage(
        "web app build",
        tools::build_spa(&path_env).and_then(|()| tools::check_spa_paths()),
    );
    if spa && binaries {
        let result = browser_tests();
        record_counts(&mut report, "browser tests", result);
    } else {
        report.stage(
            "browser tests",
            Err("skipped: the web app or the debug binaries did not build".into()),
        );
    }

    // The debug binaries the tests built: this pass checks that the suite runs and
    // yields every figure, never the figures themselves.
    crate::not_interrupted()?;
    say("Benchmarks, a quick pass (every figure must be produced; none is judged)");
    let out = crate::bench::out_dir();
    let quick = if spa && binaries {
        crate::bench::measure(
            &target_dir().join("debug"),
            true,
            &out.join("summary-quick.json"),
            &out.join("BENCHMARKS-quick.md"),
        )
    } else {
        Err("skipped: the web app or the debug binaries did not build".into())
    };
    report.stage("benchmarks (quick)", quick);

    println!("\n==> Summary ({} s)", started.elapsed().as_secs());
    // A failed stage says why here too: a CI log is often read from its end only.
    for (name, reason) in &report.stages {
        match reason {
            None => println!("    ok   {name}"),
            Some(why) => println!("    FAIL {name}: {}", first_line(why, 300)),
        }
    }
    for line in FAILING_TESTS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .iter()
    {
        println!("    failed: {line}");
    }
    println!("{} passed, {} failed", report.passed, report.failed);
    if report.all_ok() {
        Ok(())
    } else {
        Err("some checks failed".into())
    }
}

/// The first line of `text`, cut at `max` characters.
fn first_line(text: &str, max: usize) -> String {
    let line = text.lines().next().unwrap_or_default();
    match line.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &line[..at]),
        None => line.to_owned(),
    }
}

fn record_counts(report: &mut Report, stage: &str, result: Result<(u64, u64)>) {
    match result {
        Ok((passed, failed)) => {
            report.passed += passed;
            report.failed += failed;
            let reason = (failed > 0).then(|| format!("{failed} failed (listed below)"));
            report.stages.push((stage.to_owned(), reason));
        }
        Err(e) => {
            report.stage(stage, Err(e));
        }
    }
}

/// Runs a command, echoing its stdout while counting passed and failed tests with
/// `parse`. Fails if the command fails and no test failure explains it.
fn run_counting(cmd: &mut Command, parse: fn(&str) -> Option<(u64, u64)>) -> Result<(u64, u64)> {
    crate::not_interrupted()?;
    let mut child = cmd
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", tools::describe(cmd)))?;
    let (mut passed, mut failed) = (0, 0);
    let stdout = child.stdout.take().expect("piped");
    let mut out = std::io::stdout();
    for line in BufReader::new(stdout)
        .lines()
        .map_while(std::result::Result::ok)
    {
        let _ = writeln!(out, "{line}");
        if is_failing_test_line(&line) {
            FAILING_TESTS
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(line.trim().to_owned());
        }
        if let Some((p, f)) = parse(&line) {
            passed += p;
            failed += f;
        }
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    if !status.success() && failed == 0 {
        return Err(format!("{} failed ({status})", tools::describe(cmd)));
    }
    Ok((passed, failed))
}

/// The failing tests' lines that `run_counting` saw, repeated under the summary so
/// that the end of a long log still names them.
static FAILING_TESTS: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// `test a::b ... FAILED` (cargo) or `✘  18 [chromium] › ...` (Playwright).
fn is_failing_test_line(line: &str) -> bool {
    let line = line.trim();
    (line.starts_with("test ") && line.ends_with("... FAILED")) || line.starts_with('✘')
}

/// `test result: ok. 45 passed; 0 failed; ...`
fn parse_cargo_test_line(line: &str) -> Option<(u64, u64)> {
    let rest = line.strip_prefix("test result: ")?;
    let count = |label: &str| -> u64 {
        rest.split(';')
            .find_map(|part| {
                part.trim()
                    .trim_start_matches("ok.")
                    .trim_start_matches("FAILED.")
                    .trim()
                    .strip_suffix(label)
            })
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or(0)
    };
    Some((count("passed"), count("failed")))
}

/// Playwright's closing lines: `  12 passed (30.1s)`, `  1 failed`, `  2 flaky`.
fn parse_playwright_line(line: &str) -> Option<(u64, u64)> {
    let mut words = line.split_whitespace();
    let n: u64 = words.next()?.parse().ok()?;
    match words.next()? {
        "passed" => Some((n, 0)),
        "failed" | "flaky" => Some((0, n)),
        _ => None,
    }
}

/// A loopback port nobody listens on now.
pub fn free_port() -> Result<u16> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(l.local_addr().map_err(|e| e.to_string())?.port())
}

/// A server process for the browser tests, killed on drop.
struct Server {
    child: Child,
    /// The loopback SMTP server the app sends its mail to.
    sink: Child,
    dir: PathBuf,
}

impl Server {
    /// Where the SMTP sink writes each email it receives, as a `.eml` file.
    fn mail_dir(&self) -> PathBuf {
        self.dir.join("sent-mail")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = self.sink.kill();
        let _ = self.sink.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn wait_healthy(port: u16, child: &mut Child) -> Result {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("the server exited at start ({status})"));
        }
        if let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) {
            let _ = stream.write_all(b"GET /api/health HTTP/1.0\r\nHost: localhost\r\n\r\n");
            let mut response = String::new();
            let _ = stream.read_to_string(&mut response);
            if response.starts_with("HTTP/1.0 200") || response.starts_with("HTTP/1.1 200") {
                return Ok(());
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err("the server did not become healthy within 30 s".into())
}

/// The admin the browser tests sign in as (admins exist only through `create-admin`).
const E2E_ADMIN_EMAIL: &str = "admin@e2e.mediconnect.test";
const E2E_ADMIN_PASSWORD: &str = "e2e admin password";

/// The debug server binary, with the SMTP sink beside it; built if either is missing.
fn debug_binaries() -> Result<PathBuf> {
    let bin = target_dir().join("debug").join("mediconnect");
    if !bin.exists() || !bin.with_file_name("mediconnect-smtp-sink").exists() {
        exec(cargo().args([
            "build",
            "-p",
            "mediconnect-api",
            "--bin",
            "mediconnect",
            "-p",
            "mediconnect-smtp-sink",
            "--bin",
            "mediconnect-smtp-sink",
        ]))?;
    }
    Ok(bin)
}

/// Starts the loopback SMTP server (built beside `bin`), writing what it receives to
/// `mail_dir`: the process, and its URL.
fn start_smtp_sink(bin: &Path, mail_dir: &Path) -> Result<(Child, String)> {
    let sink_bin = bin.with_file_name("mediconnect-smtp-sink");
    let mut sink = Command::new(&sink_bin)
        .arg("--dir")
        .arg(mail_dir)
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", sink_bin.display()))?;
    let mut url = String::new();
    let stdout = sink.stdout.take().expect("piped");
    BufReader::new(stdout)
        .read_line(&mut url)
        .map_err(|e| format!("the SMTP sink did not start: {e}"))?;
    let url = url.trim().to_owned();
    if !url.starts_with("smtp://") {
        let _ = sink.kill();
        return Err(format!("the SMTP sink did not start (it said {url:?})"));
    }
    Ok((sink, url))
}

fn start_e2e_server(bin: &Path, name: &str) -> Result<(Server, u16)> {
    let port = free_port()?;
    let dir = std::env::temp_dir().join(format!("mediconnect-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let database_url = format!("sqlite://{}", dir.join("e2e.db").display());
    crate::not_interrupted()?;
    let mut create_admin = Command::new(bin)
        .args([
            "create-admin",
            "--email",
            E2E_ADMIN_EMAIL,
            "--name",
            "E2E Admin",
        ])
        .current_dir(&dir)
        .env("DATABASE_URL", &database_url)
        .env("BCRYPT_COST", "4")
        .env("DATA_DIR", dir.join("data"))
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run create-admin: {e}"))?;
    create_admin
        .stdin
        .take()
        .expect("piped")
        .write_all(format!("{E2E_ADMIN_PASSWORD}\n").as_bytes())
        .map_err(|e| e.to_string())?;
    let status = create_admin.wait().map_err(|e| e.to_string())?;
    if !status.success() {
        return Err(format!("create-admin failed ({status})"));
    }
    let (sink, smtp_url) = start_smtp_sink(bin, &dir.join("sent-mail"))?;
    let log = std::fs::File::create(dir.join("server.log")).map_err(|e| e.to_string())?;
    let child = Command::new(bin)
        .arg("serve")
        .current_dir(&dir)
        .env(
            "DATABASE_URL",
            format!("sqlite://{}", dir.join("e2e.db").display()),
        )
        .env("BIND_ADDR", format!("127.0.0.1:{port}"))
        .env("PUBLIC_URL", format!("http://127.0.0.1:{port}"))
        .env("SMTP_URL", smtp_url)
        .env("STATIC_DIR", root().join("frontend").join("dist"))
        .env("DATA_DIR", dir.join("data"))
        .env("BCRYPT_COST", "4")
        .env("AUTH_RATE_LIMIT_PER_MINUTE", "0")
        .env("API_RATE_LIMIT_PER_MINUTE", "0")
        .env("WS_MAX_CONNECTIONS_PER_IP", "0")
        // Short, so the browser tests can watch a closed page's doctor expire.
        .env("PRESENCE_GRACE_SECONDS", "2")
        .env("RUST_LOG", "info")
        .stdout(log.try_clone().map_err(|e| e.to_string())?)
        .stderr(log)
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
    let mut server = Server { child, sink, dir };
    wait_healthy(port, &mut server.child)?;
    Ok((server, port))
}

fn browser_tests() -> Result<(u64, u64)> {
    say("Browser tests (Playwright in Debian's Chromium)");
    // The debug binary that the integration tests were built with.
    let bin = debug_binaries()?;
    let (server, port) = start_e2e_server(&bin, "e2e")?;
    let mut cmd = Command::new("npx");
    cmd.args(["playwright", "test"])
        .current_dir(root().join("e2e"))
        .env("BASE_URL", format!("http://127.0.0.1:{port}"))
        .env("CHROMIUM_PATH", tools::CHROMIUM)
        .env("ADMIN_EMAIL", E2E_ADMIN_EMAIL)
        .env("ADMIN_PASSWORD", E2E_ADMIN_PASSWORD)
        // For the tests that serve a build of their own (deploy.spec.ts).
        .env("DIST_DIR", root().join("frontend").join("dist"))
        .env("MEDICONNECT_BIN", &bin)
        // The emails the app sent, one `.eml` file each (tests/helpers.ts `readMail`).
        .env("MAIL_DIR", server.mail_dir())
        .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
        .env("CI", "1");
    let result = run_counting(&mut cmd, parse_playwright_line);
    if !matches!(result, Ok((_, 0))) {
        let log = std::fs::read_to_string(server.dir.join("server.log")).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(40).collect();
        eprintln!("--- last lines of the server log ---");
        for line in tail.iter().rev() {
            eprintln!("{line}");
        }
    }
    drop(server);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reason_is_its_first_line_cut_short() {
        assert_eq!(first_line("below the floor\nmore", 300), "below the floor");
        assert_eq!(first_line("abcdef", 3), "abc…");
        assert_eq!(first_line("", 3), "");
    }

    #[test]
    fn recognises_failing_test_lines() {
        assert!(is_failing_test_line("test mail::outbox ... FAILED"));
        assert!(is_failing_test_line(
            "  ✘  18 [chromium] › tests/a.spec.ts:8:1 › a test (30.2s)"
        ));
        assert!(!is_failing_test_line("test mail::outbox ... ok"));
        assert!(!is_failing_test_line(
            "  ✓  17 [chromium] › tests/a.spec.ts:1:1 › b"
        ));
    }

    #[test]
    fn parses_cargo_summaries() {
        assert_eq!(
            parse_cargo_test_line(
                "test result: ok. 45 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; \
                 finished in 0.02s"
            ),
            Some((45, 0))
        );
        assert_eq!(
            parse_cargo_test_line(
                "test result: FAILED. 3 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out"
            ),
            Some((3, 2))
        );
        assert_eq!(parse_cargo_test_line("running 3 tests"), None);
    }

    #[test]
    fn parses_playwright_summaries() {
        assert_eq!(parse_playwright_line("  12 passed (30.1s)"), Some((12, 0)));
        assert_eq!(parse_playwright_line("  1 failed"), Some((0, 1)));
        assert_eq!(parse_playwright_line("  2 flaky"), Some((0, 2)));
        assert_eq!(parse_playwright_line("  3 skipped"), None);
        assert_eq!(
            parse_playwright_line("Running 12 tests using 1 worker"),
            None
        );
    }
}
