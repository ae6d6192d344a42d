//! Password hashing with bcrypt. Call these only from blocking threads.
//!
//! bcrypt reads at most 72 bytes, and a 128-character password can be 512 bytes. The
//! password is therefore first reduced with SHA-256 and base64-encoded (44 bytes), so
//! that every character counts (docs/decisions/0003-password-prehash.md).

use std::sync::OnceLock;

use base64::Engine;
use sha2::{Digest, Sha256};

fn prehash(password: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(Sha256::digest(password.as_bytes()))
}

pub fn hash(password: &str, cost: u32) -> anyhow::Result<String> {
    Ok(bcrypt::hash(prehash(password), cost)?)
}

/// Whether `password` matches `hash`. A malformed hash is a mismatch.
pub fn verify(password: &str, hash: &str) -> bool {
    bcrypt::verify(prehash(password), hash).unwrap_or(false)
}

/// A hash of a password nobody has, at `cost`, for verifying unknown emails against.
pub fn dummy_hash(cost: u32) -> &'static str {
    static DUMMY: OnceLock<std::sync::Mutex<Vec<(u32, &'static str)>>> = OnceLock::new();
    let cache = DUMMY.get_or_init(Default::default);
    let mut cache = cache.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, hash)) = cache.iter().find(|(c, _)| *c == cost) {
        return hash;
    }
    let hash: &'static str = Box::leak(
        hash("not-a-real-password", cost)
            .expect("bcrypt works")
            .into_boxed_str(),
    );
    cache.push((cost, hash));
    hash
}

/// Checks `secret` against the user's hash, or, for an unknown email, against a dummy
/// hash of the same cost: both take the same time, so timing does not reveal whether an
/// account exists.
pub fn authenticate<U>(
    user: Option<(U, &str)>,
    secret: &str,
    cost: u32,
    verify: impl Fn(&str, &str) -> bool,
) -> Option<U> {
    match user {
        Some((user, hash)) => verify(secret, hash).then_some(user),
        None => {
            let _ = verify(secret, dummy_hash(cost));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifies_only_the_right_password() {
        let h = hash("correct horse", 4).unwrap();
        assert!(verify("correct horse", &h));
        assert!(!verify("correct horsf", &h));
        assert!(!verify("", &h));
        assert!(!verify("correct horse", "not a hash"));
    }

    #[test]
    fn unknown_users_pay_for_a_verification_too() {
        use std::cell::RefCell;
        let seen = RefCell::new(Vec::new());
        let verify = |pw: &str, hash: &str| {
            seen.borrow_mut().push((pw.to_owned(), hash.to_owned()));
            false
        };
        assert_eq!(authenticate::<u8>(None, "guess", 4, verify), None);
        let calls = seen.borrow();
        assert_eq!(calls.len(), 1);
        assert_eq!(calls[0].1, dummy_hash(4));
        assert!(calls[0].1.starts_with("$2b$04$"));
    }

    #[test]
    fn known_users_are_checked_against_their_hash() {
        let h = hash("right password", 4).unwrap();
        assert_eq!(
            authenticate(Some((7, h.as_str())), "right password", 4, verify),
            Some(7)
        );
        assert_eq!(
            authenticate(Some((7, h.as_str())), "wrong password", 4, verify),
            None
        );
    }

    #[test]
    fn characters_past_72_bytes_count() {
        let base = "x".repeat(100);
        let h = hash(&format!("{base}a"), 4).unwrap();
        assert!(!verify(&format!("{base}b"), &h));
        assert!(verify(&format!("{base}a"), &h));
    }
}
