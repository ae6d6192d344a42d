//! Properties of the domain parsers over arbitrary input (proptest): none panics, and
//! what one accepts it accepts again unchanged, so a stored value always parses.

use proptest::prelude::*;

use super::*;

/// Text as people (and attackers) type it: letters of several scripts, spaces,
/// punctuation, control characters, and the odd very long run.
fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,120}",
        "[ a-zA-Zéöß李\\-'.\\t\\n\\u{0}\\u{202e}]{0,140}",
        "[0-9+()\\- ]{0,30}",
        "[a-zA-Z0-9._%+\\-]{1,40}@[a-zA-Z0-9.\\-]{1,40}",
    ]
}

proptest! {
    #[test]
    fn names_parse_to_a_fixed_point(input in any_text()) {
        if let Ok(name) = PersonName::parse(&input) {
            prop_assert!(!name.as_str().is_empty() && name.as_str().chars().count() <= 100);
            prop_assert!(!name.as_str().chars().any(char::is_control));
            let again = PersonName::parse(name.as_str()).unwrap();
            prop_assert_eq!(again.as_str(), name.as_str());
        }
    }

    #[test]
    fn specializations_parse_to_a_fixed_point(input in any_text()) {
        if let Ok(s) = Specialization::parse(&input) {
            prop_assert!(!s.as_str().contains("  "));
            let again = Specialization::parse(s.as_str()).unwrap();
            prop_assert_eq!(again.as_str(), s.as_str());
        }
    }

    #[test]
    fn emails_parse_to_a_fixed_point(input in any_text()) {
        if let Ok(email) = EmailAddress::parse(&input) {
            prop_assert_eq!(email.as_str(), email.as_str().to_lowercase());
            prop_assert!(email.as_str().contains('@'));
            let again = EmailAddress::parse(email.as_str()).unwrap();
            prop_assert_eq!(again.as_str(), email.as_str());
        }
    }

    #[test]
    fn phones_parse_to_a_fixed_point(input in any_text()) {
        if let Ok(phone) = PhoneNumber::parse(&input) {
            let digits = phone.as_str().chars().filter(char::is_ascii_digit).count();
            prop_assert!((7..=15).contains(&digits));
            let again = PhoneNumber::parse(phone.as_str()).unwrap();
            prop_assert_eq!(again.as_str(), phone.as_str());
        }
    }

    #[test]
    fn passwords_are_bounded(input in ".{0,200}") {
        let chars = input.chars().count();
        prop_assert_eq!(Password::parse(&input).is_ok(), (8..=128).contains(&chars));
    }

    #[test]
    fn zones_never_panic_and_name_themselves(input in any_text(), pick in 0usize..600) {
        let _ = Zone::parse(&input);
        let all = Zone::all();
        let name = all[pick % all.len()];
        prop_assert_eq!(Zone::parse(name).unwrap().name(), name);
    }

    #[test]
    fn search_patterns_escape_every_wildcard(input in any_text()) {
        if let Ok(Some(pattern)) = contains_pattern(Some(&input), "q") {
            let inner = &pattern[1..pattern.len() - 1];
            // Every % or _ inside is escaped: the pattern matches the text literally.
            let mut escaped = false;
            for c in inner.chars() {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else {
                    prop_assert!(c != '%' && c != '_', "{pattern}");
                }
            }
            prop_assert!(!escaped);
        }
    }
}
