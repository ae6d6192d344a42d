//! `mediconnect-bench`: the load generator of `cargo xtask bench`. It starts the
//! release server on loopback for each backend, measures every figure of
//! docs/BENCHMARKS.md against it, and writes that file and a JSON summary.
//!
//! The xtask builds it, starts PostgreSQL, and pins this process and the server to
//! different cores; run `cargo xtask bench --help` rather than this directly.

mod http;
mod load;
mod reference;
mod report;
mod scenarios;
mod server;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use report::{Figure, Run, Target};

pub type Result<T = ()> = std::result::Result<T, String>;

/// What one run measures with. `--quick` shrinks everything, to check that the suite
/// still runs, not to meet targets.
pub struct Sizes {
    pub conns: usize,
    pub search_conns: usize,
    pub warmup: Duration,
    pub load_time: Duration,
    pub doctors: usize,
    pub patients: usize,
    pub sockets: usize,
    pub fanout_rounds: usize,
    pub status_changes: usize,
    pub status_pace: Duration,
    pub slots: usize,
    pub booking_conns: usize,
    pub cold_starts: usize,
    /// Consults under way at once while their call signals are relayed.
    pub consults: usize,
}

impl Sizes {
    fn full() -> Sizes {
        Sizes {
            conns: 64,
            search_conns: 4,
            warmup: Duration::from_secs(1),
            load_time: Duration::from_secs(5),
            doctors: 1000,
            patients: 10_000,
            sockets: 10_000,
            fanout_rounds: 5,
            status_changes: 1200,
            status_pace: Duration::from_millis(50),
            slots: 1000,
            booking_conns: 32,
            cold_starts: 3,
            consults: 500,
        }
    }

    fn quick() -> Sizes {
        Sizes {
            conns: 64,
            search_conns: 4,
            warmup: Duration::from_millis(200),
            load_time: Duration::from_millis(800),
            doctors: 60,
            patients: 100,
            sockets: 200,
            fanout_rounds: 2,
            status_changes: 20,
            status_pace: Duration::from_millis(20),
            slots: 40,
            booking_conns: 8,
            cold_starts: 1,
            consults: 20,
        }
    }
}

pub fn progress(msg: &str) {
    println!("  · {msg}");
    let _ = std::io::stdout().flush();
}

struct Args {
    server: PathBuf,
    dist: PathBuf,
    work: PathBuf,
    pg_url: Option<String>,
    quick: bool,
    server_cpu: Option<usize>,
    commit: String,
    out_json: PathBuf,
    out_md: PathBuf,
}

fn parse_args() -> Result<Args> {
    let mut it = std::env::args().skip(1);
    let (mut server, mut dist, mut work, mut pg_url, mut quick, mut server_cpu) =
        (None, None, None, None, false, None);
    let (mut commit, mut out_json, mut out_md) = (String::from("unknown"), None, None);
    while let Some(arg) = it.next() {
        let mut value = || it.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--server" => server = Some(PathBuf::from(value()?)),
            "--dist" => dist = Some(PathBuf::from(value()?)),
            "--work" => work = Some(PathBuf::from(value()?)),
            "--pg-url" => pg_url = Some(value()?),
            "--server-cpu" => {
                server_cpu = Some(
                    value()?
                        .parse()
                        .map_err(|_| "--server-cpu takes a number")?,
                )
            }
            "--commit" => commit = value()?,
            "--out-json" => out_json = Some(PathBuf::from(value()?)),
            "--out-md" => out_md = Some(PathBuf::from(value()?)),
            "--quick" => quick = true,
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(Args {
        server: server.ok_or("--server is required")?,
        dist: dist.ok_or("--dist is required")?,
        work: work.ok_or("--work is required")?,
        pg_url,
        quick,
        server_cpu,
        commit,
        out_json: out_json.ok_or("--out-json is required")?,
        out_md: out_md.ok_or("--out-md is required")?,
    })
}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let first = argv.first().map(String::as_str).unwrap_or_default();
    let result = if [reference::WS_SUBCOMMAND, reference::RAW_SUBCOMMAND].contains(&first) {
        reference::main(first, &argv[1..])
    } else {
        parse_args().and_then(|args| {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?
                .block_on(run(args))
        })
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result {
    let sizes = if args.quick {
        Sizes::quick()
    } else {
        Sizes::full()
    };
    let spa = spa_size(&args.dist)?;
    let mut backends = vec![(
        "SQLite".to_owned(),
        format!(
            "sqlite://{}",
            args.work.join("sqlite").join("bench.db").display()
        ),
    )];
    if let Some(url) = &args.pg_url {
        backends.push(("PostgreSQL".to_owned(), url.clone()));
    }
    let mut measured = Vec::new();
    for (name, url) in backends {
        let dir = args.work.join(name.to_lowercase());
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let spec = server::Spec {
            bin: args.server.clone(),
            database_url: url,
            smtp_port: 0,
            cpu: args.server_cpu,
            dir,
        };
        println!("\n{name}");
        let figures = scenarios::measure(&spec, &sizes, &name).await?;
        measured.push((name, figures));
    }
    let run = Run {
        date: chrono::Utc::now().format("%Y-%m-%d").to_string(),
        commit: args.commit,
        machine: machine(),
        quick: args.quick,
        pinned: args.server_cpu.is_some(),
        backends: measured,
        spa,
    };
    if let Some(parent) = args.out_json.parent() {
        std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
    }
    let json = serde_json::to_string_pretty(&run.json()).map_err(|e| e.to_string())?;
    std::fs::write(&args.out_json, json + "\n")
        .map_err(|e| format!("cannot write {}: {e}", args.out_json.display()))?;
    // The hand-written notes below the marker survive every run.
    let notes = std::fs::read_to_string(&args.out_md)
        .ok()
        .and_then(|old| old.find(NOTES_MARKER).map(|i| old[i..].to_owned()))
        .unwrap_or_else(|| format!("{NOTES_MARKER}\n"));
    let md = run.markdown(&notes);
    std::fs::write(&args.out_md, &md)
        .map_err(|e| format!("cannot write {}: {e}", args.out_md.display()))?;
    println!("\n{}", md.split(NOTES_MARKER).next().unwrap_or_default());
    Ok(())
}

const NOTES_MARKER: &str = "<!-- Notes below are kept by `cargo xtask bench`. -->";

/// The SPA's first load: the wasm, JS and CSS that index.html names, gzipped (level 9).
/// The page modules, fetched when their page is first shown (ADR 0018), are reported
/// beside it.
fn spa_size(dist: &Path) -> Result<Figure> {
    let index = std::fs::read_to_string(dist.join("index.html")).map_err(|e| {
        format!(
            "cannot read {}/index.html (build the web app first): {e}",
            dist.display()
        )
    })?;
    let mut parts = Vec::new();
    let (mut gzip, mut brotli, mut raw) = (0usize, 0usize, 0usize);
    let (mut modules, mut modules_gzip) = (0usize, 0usize);
    for entry in std::fs::read_dir(dist)
        .map_err(|e| e.to_string())?
        .flatten()
    {
        let name = entry.file_name().to_string_lossy().into_owned();
        let first_load = [".wasm", ".js", ".css"]
            .iter()
            .any(|ext| name.ends_with(ext));
        if !first_load {
            continue;
        }
        let bytes = std::fs::read(entry.path()).map_err(|e| e.to_string())?;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        enc.write_all(&bytes).map_err(|e| e.to_string())?;
        let gz = enc.finish().map_err(|e| e.to_string())?.len();
        if !index.contains(&name) {
            if name.ends_with(".wasm") {
                modules += 1;
                modules_gzip += gz;
            }
            continue;
        }
        let br = std::fs::metadata(entry.path().with_file_name(format!("{name}.br")))
            .map(|m| m.len() as usize)
            .unwrap_or(0);
        raw += bytes.len();
        gzip += gz;
        brotli += br;
        parts.push(format!("{name} {:.1} KB gzip", gz as f64 / 1000.0));
    }
    if parts.is_empty() {
        return Err(format!(
            "no wasm, js or css named by {}/index.html",
            dist.display()
        ));
    }
    parts.sort();
    Ok(Figure::value(
        "spa_gzip_kb",
        "SPA first load: wasm + js + css, gzip",
        gzip as f64 / 1000.0,
        "KB",
        Target::AtMost(200.0),
        format!(
            "{}; {:.1} KB uncompressed{}; then {modules} page and shared modules, each \
             fetched when a page needing it is first shown, {:.1} KB gzip in all (KB = \
             1,000 bytes)",
            parts.join(", "),
            raw as f64 / 1000.0,
            if brotli > 0 {
                format!(", {:.1} KB as served with brotli", brotli as f64 / 1000.0)
            } else {
                String::new()
            },
            modules_gzip as f64 / 1000.0,
        ),
    ))
}

fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|l| l.split_once(':'))
        .map_or("unknown CPU".to_owned(), |(_, m)| m.trim().to_owned());
    // Not available_parallelism: this process is pinned to one core.
    let cores = cpuinfo
        .lines()
        .filter(|l| l.starts_with("processor"))
        .count();
    let mem_gib = std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0 / 1024.0);
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    // The xtask turns it off for a pinned run (ADR 0014).
    let autogroup = match std::fs::read_to_string("/proc/sys/kernel/sched_autogroup_enabled")
        .as_deref()
        .map(str::trim)
    {
        Ok("0") => ", autogroup scheduling off",
        Ok("1") => ", autogroup scheduling on",
        _ => "",
    };
    format!(
        "{model}, {cores} cores, {mem_gib:.0} GiB RAM, Linux {}{autogroup}",
        kernel.trim()
    )
}
