use chrono::{NaiveDate, Utc};

/// A date of birth: not in the future, and not before 1900.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateOfBirth(NaiveDate);

impl DateOfBirth {
    pub fn parse(date: NaiveDate) -> Result<Self, String> {
        Self::parse_on(date, Utc::now().date_naive())
    }

    fn parse_on(date: NaiveDate, today: NaiveDate) -> Result<Self, String> {
        if date > today {
            return Err("Date of birth cannot be in the future".into());
        }
        let earliest = NaiveDate::from_ymd_opt(1900, 1, 1).expect("valid date");
        if date < earliest {
            return Err("Date of birth must be 1900-01-01 or later".into());
        }
        Ok(Self(date))
    }

    pub fn date(self) -> NaiveDate {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn bounds() {
        let today = d(2026, 11, 25);
        assert!(DateOfBirth::parse_on(d(2026, 11, 25), today).is_ok());
        assert!(DateOfBirth::parse_on(d(2026, 11, 26), today).is_err());
        assert!(DateOfBirth::parse_on(d(1900, 1, 1), today).is_ok());
        assert!(DateOfBirth::parse_on(d(1899, 12, 31), today).is_err());
    }
}
