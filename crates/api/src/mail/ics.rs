//! iCalendar (RFC 5545) files for appointments: `METHOD:REQUEST` for a booking or a
//! move (with a higher SEQUENCE), `METHOD:CANCEL` with the same UID for a cancellation;
//! and a subscribed feed of many (no METHOD: a published calendar). Times are UTC, which
//! every client shows in its own zone, across any change of daylight saving time.

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
    pub cancelled: bool,
    /// Who sends invitations (a feed has none).
    pub organizer: Option<&'a str>,
    /// Each party's name and address (a feed names no one's address).
    pub attendees: &'a [(&'a str, &'a str)],
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

impl Event<'_> {
    fn lines(&self, now: DateTime<Utc>) -> Vec<String> {
        let status = if self.cancelled {
            "CANCELLED"
        } else {
            "CONFIRMED"
        };
        let mut lines = vec![
            "BEGIN:VEVENT".to_owned(),
            format!("UID:{}", self.uid),
            format!("SEQUENCE:{}", self.sequence),
            format!("DTSTAMP:{}", stamp(now)),
            format!("DTSTART:{}", stamp(self.start)),
            format!("DTEND:{}", stamp(self.end)),
            format!("SUMMARY:{}", escape(self.summary)),
            format!("DESCRIPTION:{}", escape(self.description)),
            format!("LOCATION:{}", escape(self.location)),
            format!("URL:{}", self.url),
            format!("STATUS:{status}"),
        ];
        if let Some(organizer) = self.organizer {
            lines.push(format!("ORGANIZER;CN=MediConnect:mailto:{organizer}"));
        }
        for (name, address) in self.attendees {
            lines.push(format!(
                "ATTENDEE;CN={};ROLE=REQ-PARTICIPANT:mailto:{address}",
                quote_param(name)
            ));
        }
        lines.push("END:VEVENT".to_owned());
        lines
    }
}

fn calendar(head: &[String], events: &[&Event<'_>], now: DateTime<Utc>) -> String {
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_owned(),
        "VERSION:2.0".to_owned(),
        "PRODID:-//MediConnect//Appointments//EN".to_owned(),
        "CALSCALE:GREGORIAN".to_owned(),
    ];
    lines.extend_from_slice(head);
    for e in events {
        lines.extend(e.lines(now));
    }
    lines.push("END:VCALENDAR".to_owned());
    let mut out = String::new();
    for line in lines {
        out.push_str(&fold(&line));
        out.push_str("\r\n");
    }
    out
}

/// An invitation or a cancellation: one event, for an email.
pub fn render(method: Method, e: &Event<'_>, now: DateTime<Utc>) -> String {
    calendar(&[format!("METHOD:{}", method.as_str())], &[e], now)
}

/// A subscribed calendar named `name`, which clients refresh about hourly.
pub fn feed(name: &str, events: &[Event<'_>], now: DateTime<Utc>) -> String {
    let head = [
        format!("NAME:{}", escape(name)),
        format!("X-WR-CALNAME:{}", escape(name)),
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H".to_owned(),
        "X-PUBLISHED-TTL:PT1H".to_owned(),
    ];
    calendar(&head, &events.iter().collect::<Vec<_>>(), now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_a_valid_calendar() {
        let start: DateTime<Utc> = "2027-01-04T09:00:00Z".parse().unwrap();
        let ics = render(
            Method::Cancel,
            &Event {
                uid: "abc@mediconnect".into(),
                sequence: 2,
                start,
                end: start + chrono::Duration::minutes(30),
                summary: "Appointment with Dr. A, B; C",
                description: "30 minutes with Dr. A, Cardiology, and Pat",
                location: "MediConnect, https://clinic.example",
                url: "https://clinic.example/appointments",
                cancelled: true,
                organizer: Some("no-reply@example.com"),
                attendees: &[("Dr. A, \"B\"", "a@example.com"), ("Pat", "p@example.com")],
            },
            start,
        );
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
        assert!(ics.contains("STATUS:CANCELLED\r\n"));
        assert!(ics.lines().all(|l| l.len() <= 75));
    }

    #[test]
    fn a_feed_has_no_method_and_names_no_address() {
        let start: DateTime<Utc> = "2027-01-04T09:00:00Z".parse().unwrap();
        let event = |n: u32| Event {
            uid: format!("{n}@mediconnect"),
            sequence: 0,
            start,
            end: start + chrono::Duration::minutes(30),
            summary: "Appointment",
            description: "30 minutes",
            location: "MediConnect",
            url: "https://clinic.example/appointments",
            cancelled: false,
            organizer: None,
            attendees: &[],
        };
        let ics = feed("MediConnect, Pat", &[event(1), event(2)], start);
        assert!(!ics.contains("METHOD:"));
        assert!(!ics.contains("mailto:"));
        assert!(ics.contains("X-WR-CALNAME:MediConnect\\, Pat\r\n"));
        assert_eq!(ics.matches("BEGIN:VEVENT\r\n").count(), 2);
        assert!(ics.ends_with("END:VEVENT\r\nEND:VCALENDAR\r\n"));
    }

    #[test]
    fn long_lines_fold() {
        let folded = fold(&"x".repeat(200));
        assert!(folded.split("\r\n").all(|l| l.len() <= 75));
        assert_eq!(folded.replace("\r\n ", ""), "x".repeat(200));
    }
}
