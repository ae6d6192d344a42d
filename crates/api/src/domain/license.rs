/// A doctor's licence or registration number, as they give it for their approval: 3 to
/// 40 characters on one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LicenseNumber(String);

impl LicenseNumber {
    const MIN_CHARS: usize = 3;
    const MAX_CHARS: usize = 40;

    pub fn parse(input: &str) -> Result<Self, String> {
        let line = super::single_line(input, "Licence number", Self::MAX_CHARS)?;
        if line.chars().count() < Self::MIN_CHARS {
            return Err(format!(
                "Licence number must be at least {} characters",
                Self::MIN_CHARS
            ));
        }
        Ok(Self(line))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::LicenseNumber;

    #[test]
    fn bounds() {
        assert_eq!(LicenseNumber::parse(" MD-123 ").unwrap().as_str(), "MD-123");
        assert!(LicenseNumber::parse("ab").is_err());
        assert!(LicenseNumber::parse("abc").is_ok());
        assert!(LicenseNumber::parse(&"9".repeat(40)).is_ok());
        assert!(LicenseNumber::parse(&"9".repeat(41)).is_err());
        assert!(LicenseNumber::parse("12\n34").is_err());
    }
}
