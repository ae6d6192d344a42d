//! Python tools from the package index, each pinned, in a venv of its own in the cache.

use std::path::PathBuf;
use std::process::Command;

use crate::tools::{self, run};
use crate::{Result, cache_dir, say};

/// The venv `name`, holding `requirement` (`package==version`); made or updated if it
/// does not hold it yet. `why` says what it is for, in the progress line.
pub fn ensure(name: &str, requirement: &str, why: &str) -> Result<PathBuf> {
    let venv = cache_dir().join(name);
    let marker = venv.join("mediconnect-installed");
    let python = venv.join("bin").join("python");
    if python.exists() && std::fs::read_to_string(&marker).is_ok_and(|m| m.trim() == requirement) {
        return Ok(venv);
    }
    say(&format!(
        "Installing {requirement} ({why}) from the Python package index into a private venv"
    ));
    let make_venv = || run(Command::new("python3").args(["-m", "venv"]).arg(&venv));
    if !venv.join("bin").join("pip").exists() && make_venv().is_err() {
        tools::apt_install(&["python3-venv"], "Python's venv module")?;
        make_venv()?;
    }
    run(Command::new(venv.join("bin").join("pip")).args(["install", "--quiet", requirement]))?;
    std::fs::write(&marker, requirement).map_err(|e| format!("{}: {e}", marker.display()))?;
    Ok(venv)
}
