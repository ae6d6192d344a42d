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
    /// What it is, in words (never the visit reason).
    pub description: &'a str,
    pub location: &'a str,
    /// Where to see or change it.
    pub url: &'a str,
    pub organizer: &'a str,
    /// Each party's name and address.
    pub attendees: &'a [(&'a str, &'a str)],
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

/// A parameter value (RFC 5545 §3.2): quoted, since a name may hold `,` `;` or `:`;
/// a double quote cannot appear in one, and becomes a single quote.
fn quote_param(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "'").replace(['\r', '\n'], " "))
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
    let mut lines = vec![
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
        format!("DESCRIPTION:{}", escape(e.description)),
        format!("LOCATION:{}", escape(e.location)),
        format!("URL:{}", e.url),
        format!("STATUS:{status}"),
        format!("ORGANIZER;CN=MediConnect:mailto:{}", e.organizer),
    ];
    for (name, address) in e.attendees {
        lines.push(format!(
            "ATTENDEE;CN={};ROLE=REQ-PARTICIPANT:mailto:{address}",
            quote_param(name)
        ));
    }
    lines.push("END:VEVENT".to_owned());
    lines.push("END:VCALENDAR".to_owned());
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
            description: "30 minutes with Dr. A, Cardiology, and Pat",
            location: "MediConnect, https://clinic.example",
            url: "https://clinic.example/appointments",
            organizer: "no-reply@example.com",
            attendees: &[("Dr. A, \"B\"", "a@example.com"), ("Pat", "p@example.com")],
            now: start,
        });
        assert!(ics.contains("DESCRIPTION:30 minutes with Dr. A\\, Cardiology\\, and Pat\r\n"));
        assert!(ics.contains("LOCATION:MediConnect\\, https://clinic.example\r\n"));
        assert!(
            ics.contains("ATTENDEE;CN=\"Dr. A, 'B'\";ROLE=REQ-PARTICIPANT:mailto:a@example.com")
        );
        assert!(ics.contains("ATTENDEE;CN=\"Pat\";ROLE=REQ-PARTICIPANT:mailto:p@example.com"));
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
