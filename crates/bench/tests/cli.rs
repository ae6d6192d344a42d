//! The load generator refuses what it cannot run, clearly and before starting anything.

use std::process::Command;

fn bench(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_mediconnect-bench"))
        .args(args)
        .output()
        .expect("the binary runs")
}

#[test]
fn names_a_missing_option() {
    let out = bench(&["--quick"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--server is required"));
}

#[test]
fn refuses_an_unknown_option() {
    let out = bench(&["--fast"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown option --fast"));
}

#[test]
fn says_when_the_web_app_is_not_built() {
    let dir = std::env::temp_dir().join(format!("bench-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let d = dir.to_str().unwrap();
    // No server is started for a dist without index.html: that check comes first.
    let out = bench(&[
        "--server",
        "/nonexistent/mediconnect",
        "--dist",
        d,
        "--work",
        d,
        "--out-json",
        &format!("{d}/s.json"),
        "--out-md",
        &format!("{d}/B.md"),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(err.contains("build the web app first"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
