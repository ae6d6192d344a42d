//! Fuzzing from the API's own contract: schemathesis (from PyPI, in a venv of its own)
//! against `/api/openapi.json`, signed in as a patient, a doctor and an admin in turn.
//! Any server error, schema violation or undocumented status fails the run.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{Result, say};

/// Pinned: a newer schemathesis may add checks; upgrading is a deliberate change.
const SCHEMATHESIS: &str = "schemathesis==4.32.5";

const CHECKS: &str = "not_a_server_error,response_schema_conformance,status_code_conformance,\
                      negative_data_rejection,ignored_auth";

pub fn ensure_schemathesis() -> Result<PathBuf> {
    let venv = crate::python::ensure("schemathesis-venv", SCHEMATHESIS, "the API fuzzer")?;
    Ok(venv.join("bin").join("schemathesis"))
}

/// A POST with a JSON body over plain HTTP/1.1; returns the response body.
fn post_json(port: u16, path: &str, body: &str) -> Result<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .map_err(|e| e.to_string())?;
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .map_err(|e| e.to_string())?;
    Ok(response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default())
}

fn token_of(body: &str) -> Result<String> {
    let start = body
        .find("\"token\":\"")
        .ok_or_else(|| format!("no token in {body}"))?
        + 9;
    let end = body[start..].find('"').ok_or("unterminated token")? + start;
    Ok(body[start..end].to_owned())
}

fn sign_up(port: u16, role: &str, email: &str) -> Result<String> {
    let password = "fuzzing password";
    let register = format!(
        concat!(
            r#"{{"name":"Fuzz {role}","email":"{email}","password":"{password}","#,
            r#""role":"{role}","specialization":"Fuzzology"}}"#
        ),
        role = role,
        email = email,
        password = password,
    );
    post_json(port, "/api/auth/register", &register)?;
    login(port, email, password)
}

fn login(port: u16, email: &str, password: &str) -> Result<String> {
    token_of(&post_json(
        port,
        "/api/auth/login",
        &format!(r#"{{"email":"{email}","password":"{password}"}}"#),
    )?)
}

/// `generated` from schemathesis's summary line `N generated, ...`.
fn generated(log: &str) -> u64 {
    log.lines()
        .filter_map(|l| l.trim().split_once(" generated"))
        .filter_map(|(n, _)| n.trim().parse().ok())
        .next_back()
        .unwrap_or(0)
}

/// Whether a report's only problems are crashes of schemathesis's own code: errors
/// ("Runtime Error", a Python exception inside the tool) and no failure of a check.
fn only_tool_errors(report: &str) -> bool {
    report.contains("ERRORS") && !report.contains("FAILURES") && report.contains("Runtime Error")
}

/// Runs schemathesis for each role, `seconds` each. Returns (generated, failures).
pub fn fuzz(port: u16, admin: (&str, &str), seconds: u32, report_dir: &Path) -> Result<(u64, u64)> {
    let st = ensure_schemathesis()?;
    let patient = sign_up(port, "PATIENT", "fuzz-patient@example.com")?;
    let doctor = sign_up(port, "DOCTOR", "fuzz-doctor@example.com")?;
    let admin = login(port, admin.0, admin.1)?;
    let base = format!("http://127.0.0.1:{port}");
    let mut total = 0;
    let mut failed_roles = 0;
    for (role, token) in [("patient", patient), ("doctor", doctor), ("admin", admin)] {
        crate::not_interrupted()?;
        say(&format!(
            "Fuzzing the API as a {role} for {seconds} s (schemathesis)"
        ));
        let log = report_dir.join(format!("schemathesis-{role}.log"));
        let mut attempt = 0;
        let (status, text) = loop {
            attempt += 1;
            let file = std::fs::File::create(&log).map_err(|e| e.to_string())?;
            let status = Command::new(&st)
                .args(["run", &format!("{base}/api/openapi.json"), "--url", &base])
                .args([
                    "--checks",
                    CHECKS,
                    "--max-time",
                    &seconds.to_string(),
                    "--workers",
                    "2",
                ])
                .args(["--phases", "examples,coverage,fuzzing,stateful"])
                .args(["--exclude-path", "/api/ws"])
                .args(["-H", &format!("Authorization: Bearer {token}")])
                .arg("--no-color")
                .env("SCHEMATHESIS_HOOKS", "")
                .current_dir(report_dir)
                .stdout(file.try_clone().map_err(|e| e.to_string())?)
                .stderr(file)
                .status()
                .map_err(|e| format!("cannot run schemathesis: {e}"))?;
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            // The tool itself can crash inside its generator (Python's `ast` in
            // Hypothesis, say): that says nothing about the API. Up to twice, it runs
            // again with a new seed; a failure found in the API is never run again.
            if !status.success() && attempt < 3 && only_tool_errors(&text) {
                println!(
                    "    schemathesis crashed in its own code (no failure of the API); running it \
                     again with a new seed"
                );
                continue;
            }
            break (status, text);
        };
        let n = generated(&text);
        total += n;
        let tail: Vec<&str> = text.lines().rev().take(6).collect();
        for line in tail.iter().rev() {
            println!("    {line}");
        }
        if !status.success() && only_tool_errors(&text) {
            // Three runs in a row crashed in the tool's own code and no check failed:
            // said loudly, but not counted as a problem of the API.
            println!(
                "    WARNING: schemathesis crashed in its own code in three runs as a {role}, \
                 with no failed check; the report is {}",
                log.display()
            );
        } else if !status.success() {
            failed_roles += 1;
            eprintln!(
                "schemathesis found problems as a {role}; the full report is {}",
                log.display()
            );
            let failures: Vec<&str> = text
                .lines()
                .skip_while(|l| !l.contains("FAILURES") && !l.contains("ERRORS"))
                .take(80)
                .collect();
            for line in failures {
                // A Python traceback can quote a whole source file on one line.
                match line.char_indices().nth(300) {
                    Some((at, _)) => eprintln!("{} …", &line[..at]),
                    None => eprintln!("{line}"),
                }
            }
        }
    }
    Ok((total, failed_roles))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_the_tools_crashes_from_the_apis_failures() {
        let crash = "==== ERRORS ====\n___ GET /api/x ___\nRuntime Error\n\nSystemError: AST\n";
        assert!(only_tool_errors(crash));
        let failure = "==== FAILURES ====\n___ GET /api/x ___\n1. Server error\n";
        assert!(!only_tool_errors(failure));
        assert!(!only_tool_errors(&format!("{crash}{failure}")));
        assert!(!only_tool_errors("all passed"));
    }

    #[test]
    fn reads_the_summary() {
        let log = "Test cases:\n  7962 generated, 7 found 7 unique failures, 22 skipped\n";
        assert_eq!(generated(log), 7962);
        assert_eq!(token_of(r#"{"token":"abc.def","x":1}"#).unwrap(), "abc.def");
    }
}
