//! iCalendar (RFC 5545) files for appointments: `METHOD:REQUEST` for a booking or a
//! move (with a higher SEQUENCE), `METHOD:CANCEL` with the same UID for a cancellation.

use chrono::{DateTime, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Request,
    Cancel,
}

impl Method {
    pub const fn as_str(self) -> &'static str {
        match self {
            Method::Request => "REQUEST",
            Method::Cancel => "CANCEL",
        }
    }
}

pub struct Event<'a> {
    pub method: Method,
    /// Stable across every message about the same appointment.
    pub uid: String,
    /// Grows with every change of time (and on cancellation).
    pub sequence: u32,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub summary: &'a str,
    pub organizer: &'a str,
    pub now: DateTime<Utc>,
}

fn stamp(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// Escapes a TEXT value (RFC 5545 §3.3.11).
fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace(';', "\\;")
        .replace(',', "\\,")
        .replace('\n', "\\n")
}

/// Folds a content line at 75 octets (RFC 5545 §3.1).
fn fold(line: &str) -> String {
    let mut out = String::new();
    let mut width = 0;
    for c in line.chars() {
        let len = c.len_utf8();
        if width + len > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += len;
    }
    out
}

pub fn render(e: &Event<'_>) -> String {
    let status = match e.method {
        Method::Request => "CONFIRMED",
        Method::Cancel => "CANCELLED",
    };
    let lines = [
        "BEGIN:VCALENDAR".to_owned(),
        "VERSION:2.0".to_owned(),
        "PRODID:-//MediConnect//Appointments//EN".to_owned(),
        "CALSCALE:GREGORIAN".to_owned(),
        format!("METHOD:{}", e.method.as_str()),
        "BEGIN:VEVENT".to_owned(),
        format!("UID:{}", e.uid),
        format!("SEQUENCE:{}", e.sequence),
        format!("DTSTAMP:{}", stamp(e.now)),
        format!("DTSTART:{}", stamp(e.start)),
        format!("DTEND:{}", stamp(e.end)),
        format!("SUMMARY:{}", escape(e.summary)),
        format!("STATUS:{status}"),
        format!("ORGANIZER;CN=MediConnect:mailto:{}", e.organizer),
        "END:VEVENT".to_owned(),
        "END:VCALENDAR".to_owned(),
    ];
    let mut out = String::new();
    for line in lines {
        out.push_str(&fold(&line));
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_a_valid_calendar() {
        let start: DateTime<Utc> = "2027-01-04T09:00:00Z".parse().unwrap();
        let ics = render(&Event {
            method: Method::Cancel,
            uid: "abc@mediconnect".into(),
            sequence: 2,
            start,
            end: start + chrono::Duration::minutes(30),
            summary: "Appointment with Dr. A, B; C",
            organizer: "no-reply@example.com",
            now: start,
        });
        assert!(ics.starts_with("BEGIN:VCALENDAR\r\n"));
        assert!(ics.contains("METHOD:CANCEL\r\n"));
        assert!(ics.contains("DTSTART:20270104T090000Z\r\n"));
        assert!(ics.contains("DTEND:20270104T093000Z\r\n"));
        assert!(ics.contains("SEQUENCE:2\r\n"));
        assert!(ics.contains("SUMMARY:Appointment with Dr. A\\, B\\; C\r\n"));
        assert!(ics.lines().all(|l| l.len() <= 75));
    }

    #[test]
    fn long_lines_fold() {
        let folded = fold(&"x".repeat(200));
        assert!(folded.split("\r\n").all(|l| l.len() <= 75));
        assert_eq!(folded.replace("\r\n ", ""), "x".repeat(200));
    }
}
