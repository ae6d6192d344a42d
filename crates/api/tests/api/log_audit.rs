//! The log audit: `cargo xtask test` runs the whole integration suite with debug
//! logging captured to a file, then runs this test over that file. Logs must hold no
//! email address, no token, no password and no visit reason.

use std::collections::BTreeSet;

/// Every password the tests use.
const PASSWORDS: &[&str] = &[
    "correct horse battery",
    "a brand new password",
    "admin password 1",
    "admin password 2",
    "demo-password",
    "whatever123",
    "hunter2secret",
    "new password 1",
];

/// Every visit reason the tests use.
const REASONS: &[&str] = &[
    "Checkup",
    "Embarrassing rash",
    "Private matter",
    "Persistent cough",
    "Retry me",
    "Follow-up",
];

fn email_addresses(line: &str) -> Vec<String> {
    let chars: Vec<char> = line.chars().collect();
    let part = |c: char| c.is_alphanumeric() || "._%+-".contains(c);
    let mut found = Vec::new();
    for (i, c) in chars.iter().enumerate() {
        if *c != '@' || i == 0 {
            continue;
        }
        let mut start = i;
        while start > 0 && part(chars[start - 1]) {
            start -= 1;
        }
        let mut end = i + 1;
        while end < chars.len() && part(chars[end]) {
            end += 1;
        }
        let domain: String = chars[i + 1..end].iter().collect();
        // A real domain ends in a letters-only label (user@127.0.0.1 in a database URL
        // is not an email address).
        let tld = domain.rsplit('.').next().unwrap_or_default();
        if start < i
            && domain.contains('.')
            && tld.len() >= 2
            && tld.chars().all(|c| c.is_ascii_alphabetic())
        {
            found.push(chars[start..end].iter().collect());
        }
    }
    found
}

/// JWTs, and runs of 43 base64url characters (refresh tokens).
fn tokens(line: &str) -> Vec<String> {
    let mut found = Vec::new();
    for word in
        line.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.'))
    {
        if word.starts_with("eyJ") && word.matches('.').count() == 2 {
            found.push(word.to_owned());
        }
        for run in word.split('.') {
            if run.len() == 43
                && run
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                found.push(run.to_owned());
            }
        }
    }
    found
}

#[test]
#[ignore = "run by `cargo xtask test` after the suite, over its captured logs"]
fn the_logs_hold_no_secrets_and_no_phi() {
    let path = std::env::var("MEDICONNECT_TEST_LOG_SCAN")
        .expect("MEDICONNECT_TEST_LOG_SCAN names the captured log");
    let logs = std::fs::read_to_string(&path).expect("the captured log");
    let lines = logs.lines().count();
    assert!(
        lines > 1000,
        "too few log lines ({lines}) to mean anything: was the suite captured?"
    );
    let mut problems = BTreeSet::new();
    for line in logs.lines() {
        for e in email_addresses(line) {
            problems.insert(format!("an email address: {e}"));
        }
        for t in tokens(line) {
            problems.insert(format!("a token: {}…", &t[..12.min(t.len())]));
        }
        for p in PASSWORDS {
            if line.contains(p) {
                problems.insert(format!("a password: {p}"));
            }
        }
        for r in REASONS {
            if line.contains(r) {
                problems.insert(format!("a visit reason: {r}"));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "the logs leak:\n{}",
        problems.into_iter().collect::<Vec<_>>().join("\n")
    );
}

#[test]
fn the_detectors_detect() {
    assert_eq!(
        email_addresses(r#"{"msg":"x","to":"ann.lee+1@example.com"}"#),
        ["ann.lee+1@example.com"]
    );
    assert!(
        email_addresses("tag@v1 and a @ b and postgres://postgres@127.0.0.1:5432/db").is_empty()
    );
    let jwt = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc_DEF-123";
    assert_eq!(tokens(&format!("token={jwt} end")), [jwt]);
    assert_eq!(
        tokens("refresh U1cEV6zPLIA0t1kfGxbtAQu2vzP-T7jCiXIXNN0s-Yg done").len(),
        1
    );
    assert!(tokens("id 569fac55-7d1a-4b06-a598-d3a9c66e3fc1 path /api/doctors").is_empty());
}
