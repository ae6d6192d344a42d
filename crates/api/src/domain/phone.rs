/// A phone number: 7 to 15 digits (E.164's limit), optionally led by `+`, with spaces,
/// dashes, dots and parentheses allowed as separators. Stored as entered, trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    pub fn parse(input: &str) -> Result<Self, String> {
        let trimmed = input.trim();
        let body = trimmed.strip_prefix('+').unwrap_or(trimmed);
        if !body
            .chars()
            .all(|c| c.is_ascii_digit() || " -.()".contains(c))
        {
            return Err(
                "Phone number may contain only digits, a leading +, spaces, dashes, dots and \
                 parentheses"
                    .into(),
            );
        }
        let digits = body.chars().filter(char::is_ascii_digit).count();
        if !(7..=15).contains(&digits) {
            return Err("Phone number must have 7 to 15 digits".into());
        }
        if trimmed.len() > 32 {
            return Err("Phone number must be at most 32 characters".into());
        }
        Ok(Self(trimmed.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::PhoneNumber;

    #[test]
    fn accepts_common_forms() {
        for ok in [
            "+1 (555) 010-0100",
            "0301234567",
            "+44 20 7946 0958",
            " 555.010.0100 ",
        ] {
            assert!(PhoneNumber::parse(ok).is_ok(), "{ok}");
        }
        assert_eq!(
            PhoneNumber::parse(" 5550100100 ").unwrap().as_str(),
            "5550100100"
        );
    }

    #[test]
    fn rejects_bad_ones() {
        for bad in [
            "",
            "123456",
            "1234567890123456",
            "call me",
            "++15550100",
            "555-0100 ext 2",
            "+1 555 0100 x",
        ] {
            assert!(PhoneNumber::parse(bad).is_err(), "{bad}");
        }
        assert!(PhoneNumber::parse(&format!("1234567{}", " ".repeat(30))).is_ok());
        assert!(PhoneNumber::parse(&format!("1 2 3 4 5 6 7{}8", "-".repeat(30))).is_err());
    }
}
