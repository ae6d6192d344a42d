/// An email address: trimmed, lower-cased, and shaped like `local@domain.tld`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(input: &str) -> Result<Self, String> {
        let email = input.trim().to_lowercase();
        if email.is_empty() {
            return Err("Email must not be empty".into());
        }
        if email.len() > 254 {
            return Err("Email must be at most 254 characters".into());
        }
        let invalid = || Err("Enter a valid email address, like name@example.com".into());
        let Some((local, domain)) = email.rsplit_once('@') else {
            return invalid();
        };
        if local.is_empty() || local.len() > 64 || local.contains('@') {
            return invalid();
        }
        if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
            return invalid();
        }
        let local_ok = local
            .chars()
            .all(|c| c.is_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
        if !local_ok {
            return invalid();
        }
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.len() < 2 {
            return invalid();
        }
        let domain_ok = labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
        if !domain_ok {
            return invalid();
        }
        Ok(Self(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for EmailAddress {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::EmailAddress;

    #[test]
    fn trims_and_lowercases() {
        assert_eq!(
            EmailAddress::parse("  Dr.Who@Example.COM ")
                .unwrap()
                .as_str(),
            "dr.who@example.com"
        );
    }

    #[test]
    fn accepts_common_forms() {
        for ok in [
            "a@b.co",
            "first.last+tag@sub.example.org",
            "o'neil@example.ie",
            "x@xn--bcher-kva.example",
        ] {
            assert!(EmailAddress::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "",
            " ",
            "plain",
            "@example.com",
            "a@",
            "a@b",
            "a@@b.com",
            "a b@c.com",
            "a@b..com",
            ".a@b.com",
            "a.@b.com",
            "a@-b.com",
            "a@b-.com",
            "a\u{0}@b.com",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn rejects_too_long() {
        let local = "a".repeat(65);
        assert!(EmailAddress::parse(&format!("{local}@example.com")).is_err());
        let domain = format!("{}.com", ["abcdefghij"; 25].join("."));
        assert!(EmailAddress::parse(&format!("a@{domain}")).is_err());
    }

    #[test]
    fn never_panics_on_arbitrary_input() {
        // A cheap property check: every char boundary and odd character is handled.
        let samples = [
            "@",
            "@@",
            "a@.",
            "ä@ö.ü",
            "\u{202e}@x.y",
            "a@b.c@d.e",
            "💊@🏥.com",
        ];
        for s in samples {
            let _ = EmailAddress::parse(s);
        }
    }
}
