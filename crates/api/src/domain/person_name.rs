/// A person's display name: 1 to 100 characters after trimming, one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonName(String);

impl PersonName {
    pub fn parse(input: &str) -> Result<Self, String> {
        super::single_line(input, "Name", 100).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::PersonName;

    #[test]
    fn trims() {
        assert_eq!(
            PersonName::parse("  Ada Lovelace ").unwrap().as_str(),
            "Ada Lovelace"
        );
    }

    #[test]
    fn bounds() {
        assert!(PersonName::parse("").is_err());
        assert!(PersonName::parse("   ").is_err());
        assert!(PersonName::parse("A").is_ok());
        assert!(PersonName::parse(&"n".repeat(100)).is_ok());
        assert!(PersonName::parse(&"n".repeat(101)).is_err());
        // Counted in characters after trimming.
        assert!(PersonName::parse(&format!("  {}  ", "ß".repeat(100))).is_ok());
    }

    #[test]
    fn one_line() {
        assert!(PersonName::parse("Ada\nLovelace").is_err());
        assert!(PersonName::parse("Ada\u{7}").is_err());
    }
}
