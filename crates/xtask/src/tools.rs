//! Finding, checking and installing the tools the build needs.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::{Result, cache_dir, not_interrupted, root, say};

/// trunk 0.22 needs a newer rustc than this toolchain; 0.21.14 is known to work.
pub const TRUNK_VERSION: &str = "0.21.14";
/// npm's binaryen, whose wasm-opt Trunk.toml names (`version_132`).
pub const BINARYEN_VERSION: &str = "132";
/// Coverage (`cargo xtask coverage`), with rustup's llvm-tools.
pub const LLVM_COV_VERSION: &str = "0.9.1";
/// The licence and source check of the dependencies (deny.toml).
pub const CARGO_DENY_VERSION: &str = "0.20.2";

/// Runs a command, streaming its output; fails with the command line on error.
/// Starts nothing once the run was interrupted (Ctrl-C).
pub fn run(cmd: &mut Command) -> Result {
    not_interrupted()?;
    run_even_if_interrupted(cmd)
}

/// [`run`] for cleaning up, which must happen after a Ctrl-C too.
pub fn run_even_if_interrupted(cmd: &mut Command) -> Result {
    let status = cmd
        .status()
        .map_err(|e| format!("cannot start {}: {e}", describe(cmd)))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{} failed ({status})", describe(cmd)))
    }
}

/// Runs a command and returns its stdout, or None if it cannot run or fails.
pub fn output(cmd: &mut Command) -> Option<String> {
    let out = cmd.stderr(Stdio::null()).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

pub fn describe(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

fn cargo_home() -> PathBuf {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_default()
}

fn cargo_bin(name: &str) -> PathBuf {
    cargo_home().join("bin").join(name)
}

/// The version of a tool as `NAME VERSION` on its first line.
pub fn tool_version(program: &Path) -> Option<String> {
    version_of(Command::new(program).arg("--version"))
}

/// The version a command prints as `NAME VERSION` on its first line.
fn version_of(cmd: &mut Command) -> Option<String> {
    let out = output(cmd)?;
    out.split_whitespace().nth(1).map(str::to_owned)
}

/// The version of an installed cargo subcommand: run as cargo runs it (`cargo-NAME NAME
/// --version`), since some refuse `--version` without their subcommand's name.
fn subcommand_version(program: &Path, name: &str) -> Option<String> {
    version_of(Command::new(program).args([name, "--version"]))
}

/// The wasm-bindgen version Cargo.lock pins; the CLI must match it exactly.
pub fn locked_wasm_bindgen() -> Result<String> {
    let lock = std::fs::read_to_string(root().join("Cargo.lock"))
        .map_err(|e| format!("cannot read Cargo.lock: {e}"))?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"wasm-bindgen\""
            && let Some(v) = lines.next().and_then(|l| l.strip_prefix("version = \""))
        {
            return Ok(v.trim_end_matches('"').to_owned());
        }
    }
    Err("Cargo.lock has no wasm-bindgen package".into())
}

pub fn ensure_wasm_target() -> Result {
    let installed =
        output(Command::new("rustup").args(["target", "list", "--installed"])).unwrap_or_default();
    if installed
        .lines()
        .any(|l| l.trim() == "wasm32-unknown-unknown")
    {
        return Ok(());
    }
    say("Adding the wasm32-unknown-unknown target (the web app compiles to WebAssembly)");
    run(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))
}

/// Installs `krate` at `version` with cargo unless `bin` already reports that version.
fn ensure_cargo_tool(
    bin: &str,
    krate: &str,
    version: &str,
    locked: bool,
    minutes: u32,
) -> Result<PathBuf> {
    let path = cargo_bin(bin);
    if tool_version(&path).as_deref() == Some(version) {
        return Ok(path);
    }
    install_crate(krate, version, locked, minutes)?;
    match tool_version(&path) {
        Some(v) if v == version => Ok(path),
        other => Err(format!(
            "{bin} was installed but reports version {other:?}, not {version}"
        )),
    }
}

/// `cargo install KRATE --version VERSION`, saying why it takes a while.
fn install_crate(krate: &str, version: &str, locked: bool, minutes: u32) -> Result {
    say(&format!(
        "Installing {krate} {version} from the Rust crate registry. This happens once, and takes \
         about {minutes} minutes on two cores because it compiles from source."
    ));
    let mut cmd = Command::new("cargo");
    cmd.args(["install", krate, "--version", version, "--force"]);
    if locked {
        cmd.arg("--locked");
    }
    // Its own target dir: keep the project's build cache out of it.
    cmd.env("CARGO_TARGET_DIR", cache_dir().join("tool-build"));
    run(&mut cmd)
}

pub fn ensure_trunk() -> Result<PathBuf> {
    ensure_cargo_tool("trunk", "trunk", TRUNK_VERSION, true, 7)
}

/// cargo-llvm-cov and the llvm-tools it drives.
pub fn ensure_llvm_cov() -> Result {
    let installed = output(Command::new("rustup").args(["component", "list", "--installed"]))
        .unwrap_or_default();
    if !installed.lines().any(|l| l.starts_with("llvm-tools")) {
        say("Adding rustup's llvm-tools (line coverage reads the profiles with them)");
        run(Command::new("rustup").args(["component", "add", "llvm-tools"]))?;
    }
    ensure_cargo_subcommand("llvm-cov", LLVM_COV_VERSION, 2)
}

/// cargo-deny, for the licence, ban and source checks of the dependencies.
pub fn ensure_cargo_deny() -> Result {
    ensure_cargo_subcommand("deny", CARGO_DENY_VERSION, 6)
}

/// Installs the cargo subcommand `cargo-NAME` at `version` (with --locked) unless it
/// already reports that version.
fn ensure_cargo_subcommand(name: &str, version: &str, minutes: u32) -> Result {
    let krate = format!("cargo-{name}");
    let path = cargo_bin(&krate);
    if subcommand_version(&path, name).as_deref() == Some(version) {
        return Ok(());
    }
    install_crate(&krate, version, true, minutes)?;
    match subcommand_version(&path, name) {
        Some(v) if v == version => Ok(()),
        other => Err(format!(
            "{krate} was installed but reports version {other:?}, not {version}"
        )),
    }
}

pub fn ensure_wasm_bindgen() -> Result<PathBuf> {
    let version = locked_wasm_bindgen()?;
    check_trunk_toml(&version)?;
    // Not --locked: its lockfile wants a webpki-roots release the registry lacks.
    ensure_cargo_tool("wasm-bindgen", "wasm-bindgen-cli", &version, false, 5)
}

/// Trunk.toml must name the same wasm-bindgen as Cargo.lock, or trunk would look for
/// (and try to download) another one.
fn check_trunk_toml(version: &str) -> Result {
    let toml = std::fs::read_to_string(root().join("Trunk.toml"))
        .map_err(|e| format!("cannot read Trunk.toml: {e}"))?;
    let expected = format!("wasm_bindgen = \"{version}\"");
    if toml.lines().any(|l| l.trim() == expected) {
        Ok(())
    } else {
        Err(format!(
            "Trunk.toml's [tools] must say {expected}, matching Cargo.lock's wasm-bindgen"
        ))
    }
}

/// Whether `program` is the wasm-opt of binaryen [`BINARYEN_VERSION`].
pub fn is_pinned_wasm_opt(program: &Path) -> bool {
    output(Command::new(program).arg("--version"))
        .is_some_and(|v| v.contains(&format!("version_{BINARYEN_VERSION}")))
}

/// The directory holding npm's wasm-opt, installed if missing.
pub fn ensure_wasm_opt() -> Result<PathBuf> {
    let dir = cache_dir().join(format!("binaryen-{BINARYEN_VERSION}"));
    let bin = dir.join("node_modules").join(".bin");
    if is_pinned_wasm_opt(&bin.join("wasm-opt")) {
        return Ok(bin);
    }
    ensure_node()?;
    say(&format!(
        "Installing wasm-opt (npm package binaryen@{BINARYEN_VERSION}) to shrink the web app"
    ));
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    run(Command::new("npm")
        .args(["install", "--no-audit", "--no-fund", "--no-save"])
        .arg(format!("binaryen@{BINARYEN_VERSION}"))
        .current_dir(&dir))?;
    Ok(bin)
}

fn ensure_node() -> Result {
    if output(Command::new("npm").arg("--version")).is_some() {
        return Ok(());
    }
    apt_install(
        &["nodejs", "npm"],
        "Node.js and npm (for wasm-opt and the browser tests)",
    )
}

fn is_root() -> bool {
    output(Command::new("id").arg("-u")).as_deref() == Some("0")
}

/// Installs Debian packages, refreshing the package lists once if needed.
pub fn apt_install(packages: &[&str], why: &str) -> Result {
    say(&format!(
        "Installing {why}: apt-get install {}",
        packages.join(" ")
    ));
    let apt = |args: &[&str]| -> Command {
        let mut cmd = if is_root() {
            Command::new("apt-get")
        } else {
            let mut c = Command::new("sudo");
            c.arg("apt-get");
            c
        };
        cmd.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        cmd
    };
    let mut install_args = vec!["install", "-y", "--no-install-recommends"];
    install_args.extend_from_slice(packages);
    if run(&mut apt(&install_args)).is_ok() {
        return Ok(());
    }
    run(&mut apt(&["update"]))?;
    run(&mut apt(&install_args))
        .map_err(|e| format!("{e}; install {} yourself and run again", packages.join(" ")))
}

/// libpq is linked by the PostgreSQL backend of the server.
pub fn ensure_libpq() -> Result {
    let found = [
        "/usr/lib/x86_64-linux-gnu/libpq.so",
        "/usr/lib/aarch64-linux-gnu/libpq.so",
        "/usr/lib/libpq.so",
    ]
    .iter()
    .any(|p| Path::new(p).exists())
        || output(Command::new("pg_config").arg("--libdir"))
            .map(|d| Path::new(&d).join("libpq.so").exists())
            .unwrap_or(false);
    if found {
        return Ok(());
    }
    apt_install(&["libpq-dev"], "libpq (the server links it for PostgreSQL)")
}

pub const CHROMIUM: &str = "/usr/bin/chromium";

pub fn ensure_chromium() -> Result {
    if Path::new(CHROMIUM).exists() {
        return Ok(());
    }
    apt_install(&["chromium"], "Debian's Chromium, for the browser tests")
}

/// The browser test dependencies (Playwright's test runner; it downloads no browser).
pub fn ensure_e2e_packages() -> Result {
    ensure_node()?;
    let e2e = root().join("e2e");
    let marker = e2e.join("node_modules").join(".package-lock.json");
    let lock = e2e.join("package-lock.json");
    let fresh = match (
        marker.metadata().and_then(|m| m.modified()),
        lock.metadata().and_then(|m| m.modified()),
    ) {
        (Ok(installed), Ok(locked)) => installed >= locked,
        _ => false,
    };
    if fresh {
        return Ok(());
    }
    say("Installing the browser test packages (npm ci in e2e/)");
    run(Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
        .current_dir(&e2e))
}

/// Everything the web app build needs, and the PATH for trunk to find it.
pub fn ensure_spa_tools() -> Result<String> {
    ensure_wasm_target()?;
    let trunk = ensure_trunk()?;
    let wasm_bindgen = ensure_wasm_bindgen()?;
    let wasm_opt = ensure_wasm_opt()?;
    let mut paths = vec![
        wasm_opt,
        wasm_bindgen
            .parent()
            .map(Path::to_owned)
            .unwrap_or_default(),
        trunk.parent().map(Path::to_owned).unwrap_or_default(),
    ];
    paths.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    let joined = std::env::join_paths(paths).map_err(|e| e.to_string())?;
    Ok(joined.to_string_lossy().into_owned())
}

/// Builds the web app in release mode into frontend/dist.
pub fn build_spa(path_env: &str) -> Result {
    // Trunk builds offline; every dependency must be on disk first, and unpacked for
    // the path remapping below.
    say("Fetching the web app's dependencies (a download only on the first run)");
    run(crate::steps::cargo().args(["fetch", "--locked"]))?;
    say("Building the web app (release)");
    run(Command::new(cargo_bin("trunk"))
        .args(["build", "--release"])
        .env("PATH", path_env)
        .env("TRUNK_SKIP_VERSION_CHECK", "true")
        .env("CARGO_TARGET_DIR", crate::target_dir())
        .env(
            "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS",
            remapped_sources(&cargo_home()),
        )
        .current_dir(root()))?;
    precompress(&root().join("frontend").join("dist"))
}

/// Rust flags that rename each unpacked registry source directory to `deps`.
///
/// A panic location in a dependency otherwise names this machine's path to Cargo's
/// sources, and the registry, in every copy of the wasm served; renamed, it reads
/// `deps/<crate>-<version>/src/…`. Cargo adds these to .cargo/config.toml's wasm32
/// flags. A path with whitespace cannot be passed this way and is left as it is;
/// [`check_spa_paths`] then reports it.
fn remapped_sources(cargo_home: &Path) -> String {
    let mut flags =
        std::env::var("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS").unwrap_or_default();
    let sources = std::fs::read_dir(cargo_home.join("registry").join("src"));
    for dir in sources.into_iter().flatten().flatten() {
        let dir = dir.path().display().to_string();
        if !dir.contains(char::is_whitespace) {
            flags.push_str(&format!(" --remap-path-prefix={dir}=deps"));
        }
    }
    flags
}

/// Fails if a file of the built web app names Cargo's home or the checkout: the web app
/// is served to everyone and must not carry the build machine's paths.
pub fn check_spa_paths() -> Result {
    check_dist_paths(
        &root().join("frontend").join("dist"),
        &[cargo_home(), root()],
    )
}

fn check_dist_paths(dist: &Path, machine_paths: &[PathBuf]) -> Result {
    let entries = std::fs::read_dir(dist).map_err(|e| format!("{}: {e}", dist.display()))?;
    for path in entries.flatten().map(|e| e.path()) {
        if !path.is_file() {
            continue;
        }
        let bytes = std::fs::read(&path).map_err(|e| e.to_string())?;
        for machine_path in machine_paths {
            let needle = machine_path.display().to_string();
            if !needle.is_empty() && bytes.windows(needle.len()).any(|w| w == needle.as_bytes()) {
                return Err(format!(
                    "{} names a path of the build machine ({needle}); see remapped_sources in \
                     crates/xtask/src/tools.rs",
                    path.display()
                ));
            }
        }
    }
    Ok(())
}

/// Writes `name.br` (brotli, best) and `name.gz` (gzip, best) beside every wasm, JS and
/// CSS file of the build, for the server to send as they are.
pub fn precompress(dist: &Path) -> Result {
    use std::io::Write;
    say("Precompressing the web app's wasm, JS and CSS (brotli and gzip)");
    // index.html names what the first load fetches; the page modules come later.
    let index = std::fs::read_to_string(dist.join("index.html")).unwrap_or_default();
    let (mut modules, mut modules_br) = (0, 0);
    let entries = std::fs::read_dir(dist).map_err(|e| format!("{}: {e}", dist.display()))?;
    for entry in entries.flatten() {
        let path = entry.path();
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or_default();
        if !["wasm", "js", "css"].contains(&ext) {
            continue;
        }
        let bytes = std::fs::read(&path).map_err(|e| e.to_string())?;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(&bytes).map_err(|e| e.to_string())?;
        let gz = gz.finish().map_err(|e| e.to_string())?;
        let mut br = Vec::new();
        {
            let mut w = brotli::CompressorWriter::new(&mut br, 64 * 1024, 11, 22);
            w.write_all(&bytes).map_err(|e| e.to_string())?;
        }
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        for (suffix, data) in [("gz", &gz), ("br", &br)] {
            let out = path.with_file_name(format!("{name}.{suffix}"));
            std::fs::write(&out, data).map_err(|e| format!("{}: {e}", out.display()))?;
        }
        if index.contains(&*name) {
            println!(
                "    {name}: {} KB, {} KB gzip, {} KB brotli",
                bytes.len() / 1000,
                gz.len() / 1000,
                br.len() / 1000
            );
        } else {
            modules += 1;
            modules_br += br.len();
        }
    }
    if modules > 0 {
        println!(
            "    and {modules} files fetched later by the pages: {} KB brotli",
            modules_br / 1000
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::Ordering;

    #[test]
    fn each_registry_source_directory_is_renamed() {
        let home = std::env::temp_dir().join(format!("xtask-home-{}", std::process::id()));
        let src = home.join("registry").join("src");
        for dir in ["one-registry", "another registry"] {
            std::fs::create_dir_all(src.join(dir)).expect("creates a source directory");
        }
        let flags = remapped_sources(&home);
        let _ = std::fs::remove_dir_all(&home);
        let one = format!(
            "--remap-path-prefix={}=deps",
            src.join("one-registry").display()
        );
        assert!(flags.split_whitespace().any(|f| f == one), "{flags}");
        assert!(
            !flags.contains("another"),
            "a path with a space was passed: {flags}"
        );
    }

    #[test]
    fn a_wasm_naming_a_machine_path_is_refused() {
        let dist = std::env::temp_dir().join(format!("xtask-dist-{}", std::process::id()));
        std::fs::create_dir_all(&dist).expect("creates the directory");
        let home = PathBuf::from("/home/builder/.cargo");
        std::fs::write(dist.join("app.js"), "deps/gloo-net-0.6/src/lib.rs").expect("writes");
        std::fs::write(dist.join("app.wasm"), b"\0asm deps/serde-1.0/src/de.rs").expect("writes");
        let clean = check_dist_paths(&dist, std::slice::from_ref(&home));
        std::fs::write(
            dist.join("app.wasm"),
            b"\0asm /home/builder/.cargo/registry/x.rs",
        )
        .expect("writes");
        let named = check_dist_paths(&dist, &[home]);
        let _ = std::fs::remove_dir_all(&dist);
        assert_eq!(clean, Ok(()));
        assert!(named.is_err_and(|e| e.contains("/home/builder/.cargo")));
    }

    #[test]
    fn nothing_starts_after_an_interrupt() {
        let marker = std::env::temp_dir().join(format!("xtask-interrupt-{}", std::process::id()));
        let _ = std::fs::remove_file(&marker);
        crate::INTERRUPTED.store(true, Ordering::SeqCst);
        let result = run(Command::new("touch").arg(&marker));
        crate::INTERRUPTED.store(false, Ordering::SeqCst);
        assert_eq!(result, Err("interrupted".to_owned()));
        assert!(!marker.exists(), "the command ran after the interrupt");
        run(Command::new("touch").arg(&marker)).expect("runs when not interrupted");
        assert!(marker.exists());
        let _ = std::fs::remove_file(&marker);
    }
}
