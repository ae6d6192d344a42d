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

/// Spends the same time as a real verification, for unknown emails, so that response
/// time does not tell whether an account exists.
pub fn verify_dummy(password: &str, cost: u32) {
    static DUMMY: OnceLock<(u32, String)> = OnceLock::new();
    let (dummy_cost, dummy_hash) = DUMMY.get_or_init(|| {
        (cost, hash("not-a-real-password", cost).expect("bcrypt works"))
    });
    let hash = if *dummy_cost == cost {
        dummy_hash.clone()
    } else {
        hash("not-a-real-password", cost).expect("bcrypt works")
    };
    let _ = verify(password, &hash);
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
    fn characters_past_72_bytes_count() {
        let base = "x".repeat(100);
        let h = hash(&format!("{base}a"), 4).unwrap();
        assert!(!verify(&format!("{base}b"), &h));
        assert!(verify(&format!("{base}a"), &h));
    }
}
