//! Renders each kind of email from its templates: one recipient per message, and the
//! minimum necessary (never a visit reason, never another patient's address).

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use uuid::Uuid;

use super::MailContext;
use super::ics::{self, Method};
use super::outbox::{Email, Kind};
use super::templates as t;
use super::unsubscribe;

pub struct Recipient<'a> {
    pub user_id: Uuid,
    pub name: &'a str,
    pub email: &'a str,
}

pub struct DoctorInfo<'a> {
    pub id: Uuid,
    pub name: &'a str,
    pub specialization: &'a str,
}

pub fn doctor_online(
    ctx: &MailContext,
    to: Recipient<'_>,
    doctor: DoctorInfo<'_>,
    preference: &str,
    now: DateTime<Utc>,
) -> Email {
    let subject = format!("{} is online now on MediConnect", doctor.name);
    let link = format!("{}/doctors?q={}", ctx.public_url, url_encode(doctor.name));
    let unsubscribe = format!(
        "{}/api/notifications/unsubscribe?token={}",
        ctx.public_url,
        unsubscribe::sign(&ctx.unsubscribe_key, to.user_id, now)
    );
    let preference = match preference {
        "followed" => "doctors I follow",
        _ => "all doctors",
    };
    let values = [
        ("patient", to.name),
        ("doctor", doctor.name),
        ("specialization", doctor.specialization),
        ("link", link.as_str()),
        ("preference", preference),
        ("unsubscribe", unsubscribe.as_str()),
    ];
    Email {
        kind: Kind::DoctorOnline,
        user_id: Some(to.user_id),
        doctor_id: Some(doctor.id),
        to: to.email.to_owned(),
        text: t::text(t::DOCTOR_ONLINE_TXT, &values),
        html: t::page(
            &subject,
            t::html(t::DOCTOR_ONLINE_HTML, &values),
            t::html(t::DOCTOR_ONLINE_FOOTER_HTML, &values),
        ),
        subject,
        ics: None,
        unsubscribe_url: Some(unsubscribe),
    }
}

fn url_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// An appointment as mail describes it.
pub struct AppointmentInfo<'a> {
    pub id: Uuid,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub minutes: u32,
    pub doctor: &'a str,
    pub specialization: &'a str,
    pub patient: &'a str,
    /// The doctor's time zone: times are written in it, with its name.
    pub tz: Tz,
    /// How many times it was moved, for the calendar's SEQUENCE.
    pub sequence: u32,
}

impl AppointmentInfo<'_> {
    /// The start for a subject line: "4 Jan, 09:30", in the clinic's time zone.
    fn short_start(&self) -> String {
        self.start
            .with_timezone(&self.tz)
            .format("%-d %b, %H:%M")
            .to_string()
    }

    fn when(&self, t: DateTime<Utc>) -> String {
        format!(
            "{} ({})",
            t.with_timezone(&self.tz).format("%A %-d %B %Y, %H:%M"),
            self.tz.name()
        )
    }

    fn calendar(&self, ctx: &MailContext, method: Method, now: DateTime<Utc>) -> String {
        let summary = format!("Appointment with {}", self.doctor);
        ics::render(&ics::Event {
            method,
            uid: format!("{}@{}", self.id, ctx.domain()),
            sequence: self.sequence,
            start: self.start,
            end: self.end,
            summary: &summary,
            organizer: &bare_address(&ctx.from),
            now,
        })
    }
}

/// `Name <a@b>` → `a@b`.
fn bare_address(from: &str) -> String {
    match (from.find('<'), from.rfind('>')) {
        (Some(l), Some(r)) if r > l => from[l + 1..r].trim().to_owned(),
        _ => from.trim().to_owned(),
    }
}

fn appointment_email(
    kind: Kind,
    to: &Recipient<'_>,
    subject: String,
    (text_t, html_t): (&str, &str),
    values: &[(&str, &str)],
    ics: String,
) -> Email {
    Email {
        kind,
        user_id: Some(to.user_id),
        doctor_id: None,
        to: to.email.to_owned(),
        text: t::text(text_t, values),
        html: t::page(
            &subject,
            t::html(html_t, values),
            t::APPOINTMENT_FOOTER_HTML.to_owned(),
        ),
        subject,
        ics: Some(ics),
        unsubscribe_url: None,
    }
}

/// The patient's confirmation and the doctor's notice of a new booking.
pub fn booked(
    ctx: &MailContext,
    a: &AppointmentInfo<'_>,
    patient: Recipient<'_>,
    doctor: Recipient<'_>,
    now: DateTime<Utc>,
) -> [Email; 2] {
    let when = a.when(a.start);
    let minutes = a.minutes.to_string();
    let link = format!("{}/appointments", ctx.public_url);
    let values = [
        ("patient", a.patient),
        ("doctor", a.doctor),
        ("specialization", a.specialization),
        ("when", when.as_str()),
        ("minutes", minutes.as_str()),
        ("link", link.as_str()),
    ];
    let ics = a.calendar(ctx, Method::Request, now);
    [
        appointment_email(
            Kind::AppointmentBooked,
            &patient,
            format!("Booked: {} on {}", a.doctor, a.short_start()),
            (t::BOOKED_PATIENT_TXT, t::BOOKED_PATIENT_HTML),
            &values,
            ics.clone(),
        ),
        appointment_email(
            Kind::AppointmentBooked,
            &doctor,
            format!("New appointment: {} on {}", a.patient, a.short_start()),
            (t::BOOKED_DOCTOR_TXT, t::BOOKED_DOCTOR_HTML),
            &values,
            ics,
        ),
    ]
}

/// Tells the other party that the appointment moved (a new SEQUENCE, same UID).
pub fn moved(
    ctx: &MailContext,
    a: &AppointmentInfo<'_>,
    previous: DateTime<Utc>,
    actor: &str,
    to: Recipient<'_>,
    with: &str,
    now: DateTime<Utc>,
) -> Email {
    let when = a.when(a.start);
    let previous = a.when(previous);
    let link = format!("{}/appointments", ctx.public_url);
    let values = [
        ("recipient", to.name),
        ("actor", actor),
        ("with", with),
        ("when", when.as_str()),
        ("previous", previous.as_str()),
        ("link", link.as_str()),
    ];
    let subject = format!("Moved: your appointment is now {}", a.short_start());
    appointment_email(
        Kind::AppointmentChanged,
        &to,
        subject,
        (t::CHANGED_TXT, t::CHANGED_HTML),
        &values,
        a.calendar(ctx, Method::Request, now),
    )
}

/// Tells the other party that the appointment was cancelled (`METHOD:CANCEL`).
pub fn cancelled(
    ctx: &MailContext,
    a: &AppointmentInfo<'_>,
    actor: &str,
    to: Recipient<'_>,
    with: &str,
    now: DateTime<Utc>,
) -> Email {
    let when = a.when(a.start);
    let link = format!("{}/appointments", ctx.public_url);
    let values = [
        ("recipient", to.name),
        ("actor", actor),
        ("with", with),
        ("when", when.as_str()),
        ("link", link.as_str()),
    ];
    let subject = format!("Cancelled: appointment of {}", a.short_start());
    let cancel = AppointmentInfo {
        sequence: a.sequence + 1,
        ..*a
    };
    appointment_email(
        Kind::AppointmentCancelled,
        &to,
        subject,
        (t::CANCELLED_TXT, t::CANCELLED_HTML),
        &values,
        cancel.calendar(ctx, Method::Cancel, now),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> MailContext {
        MailContext {
            public_url: "https://clinic.example".into(),
            from: "MediConnect <no-reply@clinic.example>".into(),
            cooldown: std::time::Duration::from_secs(3600),
            alert_max_delay: std::time::Duration::from_secs(900),
            unsubscribe_key: b"k".repeat(32),
        }
    }

    #[test]
    fn the_alert_names_the_doctor_and_links_to_booking() {
        let user = Uuid::new_v4();
        let mail = doctor_online(
            &ctx(),
            Recipient {
                user_id: user,
                name: "Ann",
                email: "ann@example.com",
            },
            DoctorInfo {
                id: Uuid::new_v4(),
                name: "Dr. Ö <Who>",
                specialization: "Cardiology",
            },
            "all",
            Utc::now(),
        );
        assert_eq!(mail.subject, "Dr. Ö <Who> is online now on MediConnect");
        assert!(mail.text.contains("Cardiology"));
        assert!(
            mail.text
                .contains("https://clinic.example/doctors?q=Dr.%20%C3%96%20%3CWho%3E")
        );
        assert!(mail.html.contains("Dr. Ö &lt;Who&gt;"));
        assert!(!mail.html.contains("<Who>"));
        assert!(
            mail.unsubscribe_url
                .unwrap()
                .starts_with("https://clinic.example/api/notifications/unsubscribe?token=")
        );
    }

    #[test]
    fn cancellation_raises_the_sequence() {
        let start: DateTime<Utc> = "2027-01-04T09:00:00Z".parse().unwrap();
        let a = AppointmentInfo {
            id: Uuid::new_v4(),
            start,
            end: start + chrono::Duration::minutes(30),
            minutes: 30,
            doctor: "Dr. A",
            specialization: "X",
            patient: "P",
            tz: chrono_tz::Europe::Berlin,
            sequence: 1,
        };
        let mail = cancelled(
            &ctx(),
            &a,
            "P",
            Recipient {
                user_id: Uuid::new_v4(),
                name: "Dr. A",
                email: "a@example.com",
            },
            "P",
            start,
        );
        let ics = mail.ics.unwrap();
        assert!(ics.contains("METHOD:CANCEL"));
        assert!(ics.contains("SEQUENCE:2"));
        assert!(
            mail.text
                .contains("Monday 4 January 2027, 10:00 (Europe/Berlin)")
        );
        assert_eq!(bare_address("MediConnect <x@y.z>"), "x@y.z");
    }
}
