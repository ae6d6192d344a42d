/// A new password. Length rules only, as NIST SP 800-63B advises: 8 to 128 characters,
/// any characters, no composition rules.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub const MIN: usize = 8;
    pub const MAX: usize = 128;

    pub fn parse(input: &str) -> Result<Self, String> {
        let len = input.chars().count();
        if len < Self::MIN {
            return Err(format!(
                "Password must be at least {} characters",
                Self::MIN
            ));
        }
        if len > Self::MAX {
            return Err(format!("Password must be at most {} characters", Self::MAX));
        }
        Ok(Self(input.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::Password;

    #[test]
    fn length_bounds_in_characters() {
        assert!(Password::parse("1234567").is_err());
        assert!(Password::parse("12345678").is_ok());
        assert!(Password::parse(&"x".repeat(128)).is_ok());
        assert!(Password::parse(&"x".repeat(129)).is_err());
        // 8 characters of 4 bytes each: counted as 8, not 32.
        assert!(Password::parse("🔑🔑🔑🔑🔑🔑🔑🔑").is_ok());
        assert!(Password::parse(&"é".repeat(128)).is_ok());
    }

    #[test]
    fn no_composition_rules() {
        for ok in ["aaaaaaaa", "        ", "correct horse battery staple"] {
            assert!(Password::parse(ok).is_ok(), "{ok:?}");
        }
    }

    #[test]
    fn debug_hides_the_secret() {
        let p = Password::parse("hunter2hunter2").unwrap();
        assert!(!format!("{p:?}").contains("hunter2"));
    }
}
