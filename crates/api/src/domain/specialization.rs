/// A doctor's specialization, e.g. "Cardiology": 1 to 100 characters, one line, inner
/// runs of whitespace collapsed so that filters match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Specialization(String);

impl Specialization {
    /// The longest, in characters, trimmed.
    const MAX_CHARS: usize = 100;

    pub fn parse(input: &str) -> Result<Self, String> {
        let line = super::single_line(input, "Specialization", Self::MAX_CHARS)?;
        Ok(Self(line.split_whitespace().collect::<Vec<_>>().join(" ")))
    }

    /// For a specialization that is sent but ignored (another role's registration):
    /// only the documented bound applies.
    pub fn check_bound(input: &str) -> Result<(), String> {
        super::at_most(input, "Specialization", Self::MAX_CHARS).map(|_| ())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::Specialization;

    #[test]
    fn normalizes_whitespace() {
        assert_eq!(
            Specialization::parse("  Internal   Medicine ")
                .unwrap()
                .as_str(),
            "Internal Medicine"
        );
    }

    #[test]
    fn bounds() {
        assert!(Specialization::parse("").is_err());
        assert!(Specialization::parse(&"c".repeat(101)).is_err());
        assert!(Specialization::parse("Cardio\tlogy").is_err());
    }
}
