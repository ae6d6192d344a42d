//! Renders each kind of email from its templates: one recipient per message, and the
//! minimum necessary (never a visit reason, never another patient's address).

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use mediconnect_shared::{DoctorOnlineAlerts, Role, zone_label};
use uuid::Uuid;

use super::MailContext;
use super::email::{Email, Kind};
use super::ics::{self, Method};
use super::templates as t;
use super::unsubscribe;

pub struct Recipient<'a> {
    pub user_id: Uuid,
    pub name: &'a str,
    pub email: &'a str,
}

/// An account's own address.
impl<'a> From<&'a crate::db::models::users::UserRow> for Recipient<'a> {
    fn from(user: &'a crate::db::models::users::UserRow) -> Self {
        Recipient {
            user_id: user.uuid(),
            name: &user.name,
            email: &user.email,
        }
    }
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
    preference: DoctorOnlineAlerts,
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
        DoctorOnlineAlerts::Followed => "doctors I follow",
        DoctorOnlineAlerts::All | DoctorOnlineAlerts::Off => "all doctors",
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

/// A time for the body of an email, in the recipient's zone, named: "Monday 4 January
/// 2027, 09:30 (Berlin time, Europe/Berlin)".
fn long_time(t: DateTime<Utc>, tz: Tz) -> String {
    let label = zone_label(tz.name());
    let zone = if label == tz.name() {
        label
    } else {
        format!("{label}, {}", tz.name())
    };
    format!(
        "{} ({zone})",
        t.with_timezone(&tz).format("%A %-d %B %Y, %H:%M")
    )
}

/// An account email: from a template pair, with the account footer.
fn account_email(
    kind: Kind,
    to: Recipient<'_>,
    subject: String,
    (text, html): (&str, &str),
    values: &[(&str, &str)],
) -> Email {
    Email {
        kind,
        user_id: Some(to.user_id),
        doctor_id: None,
        to: to.email.to_owned(),
        text: t::text(text, values),
        html: t::page(
            &subject,
            t::html(html, values),
            t::html(t::ACCOUNT_FOOTER_HTML, values),
        ),
        subject,
        ics: None,
        unsubscribe_url: None,
    }
}

/// The link to choose a new password. The token goes in the fragment, which browsers
/// never send to a server.
pub fn password_reset(ctx: &MailContext, to: Recipient<'_>, token: &str, minutes: i64) -> Email {
    let link = format!("{}/reset-password#token={token}", ctx.public_url);
    let minutes = minutes.to_string();
    let values = [
        ("name", to.name),
        ("link", link.as_str()),
        ("minutes", minutes.as_str()),
    ];
    account_email(
        Kind::PasswordReset,
        to,
        "Reset your MediConnect password".to_owned(),
        (t::PASSWORD_RESET_TXT, t::PASSWORD_RESET_HTML),
        &values,
    )
}

/// The notice that the password was changed at `at`, in the owner's zone, named.
pub fn password_changed(ctx: &MailContext, to: Recipient<'_>, tz: Tz, at: DateTime<Utc>) -> Email {
    let link = format!("{}/forgot-password", ctx.public_url);
    let when = long_time(at, tz);
    let values = [
        ("name", to.name),
        ("when", when.as_str()),
        ("link", link.as_str()),
    ];
    account_email(
        Kind::PasswordChanged,
        to,
        "Your MediConnect password was changed".to_owned(),
        (t::PASSWORD_CHANGED_TXT, t::PASSWORD_CHANGED_HTML),
        &values,
    )
}

/// The link that confirms the address `to.email`, for a patient or a doctor (`role`
/// says what waits for it). The token goes in the fragment.
pub fn email_verification(
    ctx: &MailContext,
    to: Recipient<'_>,
    role: Role,
    token: &str,
    hours: i64,
) -> Email {
    let link = format!("{}/verify-email#token={token}", ctx.public_url);
    let hours = hours.to_string();
    let until = match role {
        Role::Doctor => "you cannot go online for patients",
        Role::Patient => "you cannot book appointments or get alerts",
        Role::Admin => "some emails cannot reach you",
    };
    let values = [
        ("name", to.name),
        ("link", link.as_str()),
        ("hours", hours.as_str()),
        ("until", until),
    ];
    account_email(
        Kind::EmailVerification,
        to,
        "Confirm your MediConnect email address".to_owned(),
        (t::EMAIL_VERIFICATION_TXT, t::EMAIL_VERIFICATION_HTML),
        &values,
    )
}

/// The notice to the old address that the account's address changed at `at` (in the
/// owner's zone), naming the new one only in part.
pub fn email_changed(to: Recipient<'_>, new_address: &str, tz: Tz, at: DateTime<Utc>) -> Email {
    let when = long_time(at, tz);
    let masked = mask_address(new_address);
    let values = [
        ("name", to.name),
        ("when", when.as_str()),
        ("masked", masked.as_str()),
    ];
    account_email(
        Kind::EmailChanged,
        to,
        "Your MediConnect email address was changed".to_owned(),
        (t::EMAIL_CHANGED_TXT, t::EMAIL_CHANGED_HTML),
        &values,
    )
}

/// The news that an admin approved the doctor's account.
pub fn doctor_approved(ctx: &MailContext, to: Recipient<'_>) -> Email {
    let link = format!("{}/login", ctx.public_url);
    let values = [("name", to.name), ("link", link.as_str())];
    account_email(
        Kind::DoctorApproved,
        to,
        "Your MediConnect account is approved".to_owned(),
        (t::DOCTOR_APPROVED_TXT, t::DOCTOR_APPROVED_HTML),
        &values,
    )
}

/// The news that an admin turned the doctor's account down, and why.
pub fn doctor_rejected(to: Recipient<'_>, reason: &str, was_approved: bool) -> Email {
    let (subject, decision) = if was_approved {
        (
            "Your MediConnect approval was withdrawn",
            "An administrator has withdrawn the approval of your MediConnect doctor account",
        )
    } else {
        (
            "Your MediConnect account was not approved",
            "An administrator has not approved your MediConnect doctor account",
        )
    };
    let values = [
        ("name", to.name),
        ("decision", decision),
        ("reason", reason),
    ];
    account_email(
        Kind::DoctorRejected,
        to,
        subject.to_owned(),
        (t::DOCTOR_REJECTED_TXT, t::DOCTOR_REJECTED_HTML),
        &values,
    )
}

/// Who an invitation is for, and who sent it.
pub struct Invitee<'a> {
    pub name: &'a str,
    pub email: &'a str,
    pub role: Role,
    pub inviter: &'a str,
}

/// An invitation to make a doctor's or an admin's account, with the link (its token
/// in the fragment) that chooses the password. Not tied to an account yet.
pub fn invitation(ctx: &MailContext, to: Invitee<'_>, token: &str, days: i64) -> Email {
    let link = format!("{}/accept-invitation#token={token}", ctx.public_url);
    let days = days.to_string();
    let what = match to.role {
        Role::Doctor => {
            "a doctor's account, already approved, so that patients can find and book you"
        }
        _ => "an administrator's account for the clinic",
    };
    let values = [
        ("name", to.name),
        ("inviter", to.inviter),
        ("what", what),
        ("link", link.as_str()),
        ("days", days.as_str()),
    ];
    let subject = format!("{} invites you to MediConnect", to.inviter);
    Email {
        kind: Kind::Invitation,
        user_id: None,
        doctor_id: None,
        to: to.email.to_owned(),
        text: t::text(t::INVITATION_TXT, &values),
        html: t::page(
            &subject,
            t::html(t::INVITATION_HTML, &values),
            t::html(t::ACCOUNT_FOOTER_HTML, &values),
        ),
        subject,
        ics: None,
        unsubscribe_url: None,
    }
}

/// An address with all but the first character of its local part hidden: enough for
/// its owner to recognise, not enough to write to.
fn mask_address(address: &str) -> String {
    match address.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".to_owned(),
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
    /// The two parties' addresses, for the calendar entry's attendees.
    pub doctor_email: &'a str,
    pub patient_email: &'a str,
    /// Each party's own time zone: what each one reads is written in theirs, named.
    pub doctor_tz: Tz,
    pub patient_tz: Tz,
    /// How many times it was moved, for the calendar's SEQUENCE.
    pub sequence: u32,
}

impl AppointmentInfo<'_> {
    fn zone(&self, to: Party) -> Tz {
        match to {
            Party::Doctor => self.doctor_tz,
            Party::Patient => self.patient_tz,
        }
    }

    /// The start for the subject line of `to`'s copy, in their zone, named: "4 Jan,
    /// 09:30 Berlin time".
    fn short_start(&self, to: Party) -> String {
        let tz = self.zone(to);
        format!(
            "{} {}",
            self.start.with_timezone(&tz).format("%-d %b, %H:%M"),
            zone_label(tz.name())
        )
    }

    /// A time for the body of `to`'s copy: "Monday 4 January 2027, 09:30 (Berlin
    /// time, Europe/Berlin)".
    fn when(&self, t: DateTime<Utc>, to: Party) -> String {
        long_time(t, self.zone(to))
    }

    /// The calendar entry for one of the two parties (see [`calendar_text`]), with both
    /// as attendees.
    fn calendar(&self, ctx: &MailContext, method: Method, to: Party, now: DateTime<Utc>) -> String {
        let text = calendar_text(
            ctx,
            (self.doctor, self.specialization, self.patient),
            self.minutes,
            to,
        );
        let organizer = bare_address(&ctx.from);
        let event = text.event(
            format!("{}@{}", self.id, ctx.domain()),
            self.sequence,
            (self.start, self.end),
            method == Method::Cancel,
        );
        ics::render(
            method,
            &ics::Event {
                organizer: Some(&organizer),
                attendees: &[
                    (self.doctor, self.doctor_email),
                    (self.patient, self.patient_email),
                ],
                ..event
            },
            now,
        )
    }
}

/// What a calendar entry says of an appointment: named after the other party (a
/// doctor's calendar says who comes, a patient's whom they see), where it is, and what
/// it is; never the visit reason.
pub struct CalendarText {
    summary: String,
    description: String,
    location: String,
    link: String,
}

/// The words of `to`'s calendar entry for an appointment of `minutes` between the
/// (doctor, specialization, patient).
pub fn calendar_text(
    ctx: &MailContext,
    (doctor, specialization, patient): (&str, &str, &str),
    minutes: u32,
    to: Party,
) -> CalendarText {
    let summary = match to {
        Party::Doctor => format!("Appointment with {patient}"),
        Party::Patient => format!("Appointment with {doctor} ({specialization})"),
    };
    let link = format!("{}/appointments", ctx.public_url);
    CalendarText {
        description: format!(
            "{minutes} minutes with {doctor}, {specialization}, and {patient}, booked on \
             MediConnect. See or change it: {link}"
        ),
        location: format!("MediConnect, {}", ctx.public_url),
        summary,
        link,
    }
}

impl CalendarText {
    /// The entry, with no organizer and no attendees.
    pub fn event(
        &self,
        uid: String,
        sequence: u32,
        (start, end): (DateTime<Utc>, DateTime<Utc>),
        cancelled: bool,
    ) -> ics::Event<'_> {
        ics::Event {
            uid,
            sequence,
            start,
            end,
            summary: &self.summary,
            description: &self.description,
            location: &self.location,
            url: &self.link,
            cancelled,
            organizer: None,
            attendees: &[],
        }
    }
}

/// Which of an appointment's two parties an email goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    Doctor,
    Patient,
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
    let minutes = a.minutes.to_string();
    let link = format!("{}/appointments", ctx.public_url);
    let copy = |party: Party, to: &Recipient<'_>, subject: String, templates| {
        let when = a.when(a.start, party);
        let values = [
            ("patient", a.patient),
            ("doctor", a.doctor),
            ("specialization", a.specialization),
            ("when", when.as_str()),
            ("minutes", minutes.as_str()),
            ("link", link.as_str()),
        ];
        appointment_email(
            Kind::AppointmentBooked,
            to,
            subject,
            templates,
            &values,
            a.calendar(ctx, Method::Request, party, now),
        )
    };
    [
        copy(
            Party::Patient,
            &patient,
            format!("Booked: {} on {}", a.doctor, a.short_start(Party::Patient)),
            (t::BOOKED_PATIENT_TXT, t::BOOKED_PATIENT_HTML),
        ),
        copy(
            Party::Doctor,
            &doctor,
            format!(
                "New appointment: {} on {}",
                a.patient,
                a.short_start(Party::Doctor)
            ),
            (t::BOOKED_DOCTOR_TXT, t::BOOKED_DOCTOR_HTML),
        ),
    ]
}

/// Who changed an appointment, as its email to one party says: the other party (by
/// name), or the recipient themselves (with the other party's name).
#[derive(Debug, Clone, Copy)]
pub enum By<'a> {
    Other(&'a str),
    You(&'a str),
}

impl By<'_> {
    /// The other party's name.
    fn name(&self) -> &str {
        match self {
            By::Other(n) | By::You(n) => n,
        }
    }

    /// "Dr. Lee moved your appointment", "You moved your appointment with Dr. Lee".
    fn headline(&self, verb: &str) -> String {
        match self {
            By::Other(n) => format!("{n} {verb} your appointment"),
            By::You(n) => format!("You {verb} your appointment with {n}"),
        }
    }
}

/// Tells a party (`party`, `to`) that the appointment moved (a new SEQUENCE, same
/// UID): the other party, or the one who moved it, whose calendar must follow too.
pub fn moved(
    ctx: &MailContext,
    a: &AppointmentInfo<'_>,
    previous: DateTime<Utc>,
    by: By<'_>,
    (party, to): (Party, Recipient<'_>),
    now: DateTime<Utc>,
) -> Email {
    let when = a.when(a.start, party);
    let previous = a.when(previous, party);
    let link = format!("{}/appointments", ctx.public_url);
    let headline = by.headline("moved");
    // The one who did not choose the new time may turn it down.
    let decline = match by {
        By::Other(_) => "If the new time does not suit you, cancel the appointment. ",
        By::You(_) => "",
    };
    let values = [
        ("recipient", to.name),
        ("headline", headline.as_str()),
        ("decline", decline),
        ("when", when.as_str()),
        ("previous", previous.as_str()),
        ("link", link.as_str()),
    ];
    let subject = format!(
        "Moved: your appointment with {} is now {}",
        by.name(),
        a.short_start(party)
    );
    appointment_email(
        Kind::AppointmentChanged,
        &to,
        subject,
        (t::CHANGED_TXT, t::CHANGED_HTML),
        &values,
        a.calendar(ctx, Method::Request, party, now),
    )
}

/// Tells a party (`party`, `to`) that the appointment was cancelled (`METHOD:CANCEL`):
/// the other party, or the one who cancelled it.
pub fn cancelled(
    ctx: &MailContext,
    a: &AppointmentInfo<'_>,
    by: By<'_>,
    (party, to): (Party, Recipient<'_>),
    now: DateTime<Utc>,
) -> Email {
    let when = a.when(a.start, party);
    let link = format!("{}/appointments", ctx.public_url);
    let headline = by.headline("cancelled");
    let values = [
        ("recipient", to.name),
        ("headline", headline.as_str()),
        ("when", when.as_str()),
        ("link", link.as_str()),
    ];
    let subject = format!(
        "Cancelled: your appointment with {} on {}",
        by.name(),
        a.short_start(party)
    );
    let templates = (t::CANCELLED_TXT, t::CANCELLED_HTML);
    cancellation(ctx, a, (party, &to), subject, templates, &values, now)
}

/// Tells the patient (`to`) that the appointment was cancelled for `reason`, by the
/// clinic (a departing doctor) or by the doctor's new hours, with a way to book again.
pub fn withdrawn(
    ctx: &MailContext,
    a: &AppointmentInfo<'_>,
    reason: &str,
    to: Recipient<'_>,
    now: DateTime<Utc>,
) -> Email {
    let when = a.when(a.start, Party::Patient);
    let link = format!("{}/doctors", ctx.public_url);
    let values = [
        ("recipient", to.name),
        ("doctor", a.doctor),
        ("when", when.as_str()),
        ("reason", reason),
        ("link", link.as_str()),
    ];
    let subject = format!(
        "Cancelled: your appointment with {} on {}",
        a.doctor,
        a.short_start(Party::Patient)
    );
    let templates = (t::WITHDRAWN_TXT, t::WITHDRAWN_HTML);
    cancellation(
        ctx,
        a,
        (Party::Patient, &to),
        subject,
        templates,
        &values,
        now,
    )
}

/// One appointment of a doctor's day: its start and end, and the patient's name.
pub struct AgendaItem<'a> {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub patient: &'a str,
}

/// The doctor's (`to`) appointments of local day `day` in `tz`, soonest first: times
/// and patients' names, never the visit reasons (the app shows them).
pub fn daily_agenda(
    ctx: &MailContext,
    to: Recipient<'_>,
    tz: Tz,
    day: chrono::NaiveDate,
    items: &[AgendaItem<'_>],
) -> Email {
    let hm = |t: DateTime<Utc>| t.with_timezone(&tz).format("%H:%M").to_string();
    let rows: Vec<(String, &str)> = items
        .iter()
        .map(|i| (format!("{}–{}", hm(i.start), hm(i.end)), i.patient))
        .collect();
    let text_items = rows
        .iter()
        .map(|(times, patient)| format!("  {times}  {patient}"))
        .collect::<Vec<_>>()
        .join("\n");
    let html_items: String = rows
        .iter()
        .map(|(times, patient)| {
            format!(
                "<tr><td style=\"padding:4px 16px 4px 0;font-variant-numeric:tabular-nums;\
                 white-space:nowrap;\">{}</td><td style=\"padding:4px 0;\">{}</td></tr>",
                t::escape_html(times),
                t::escape_html(patient)
            )
        })
        .collect();
    let day_words = day.format("%A %-d %B %Y").to_string();
    let zone = zone_label(tz.name());
    let link = format!("{}/appointments", ctx.public_url);
    let profile = format!("{}/profile", ctx.public_url);
    let count = match items.len() {
        1 => "1 appointment".to_owned(),
        n => format!("{n} appointments"),
    };
    let first = rows.first().map(|r| r.0.clone()).unwrap_or_default();
    let subject = format!(
        "Today: {count}, from {}",
        first.split('–').next().unwrap_or_default()
    );
    let values = [
        ("recipient", to.name),
        ("day", day_words.as_str()),
        ("zone", zone.as_str()),
        ("link", link.as_str()),
        ("profile", profile.as_str()),
    ];
    let mut text_values = values.to_vec();
    text_values.push(("items", &text_items));
    // One pass over the HTML template: the list is HTML already, the rest is escaped.
    let escaped: Vec<(&str, String)> = values
        .iter()
        .map(|(k, v)| (*k, t::escape_html(v)))
        .collect();
    let mut html_values: Vec<(&str, &str)> =
        escaped.iter().map(|(k, v)| (*k, v.as_str())).collect();
    html_values.push(("items", &html_items));
    Email {
        kind: Kind::DailyAgenda,
        user_id: Some(to.user_id),
        doctor_id: None,
        to: to.email.to_owned(),
        text: t::text(t::DAILY_AGENDA_TXT, &text_values),
        html: t::page(
            &subject,
            t::wrap(t::DAILY_AGENDA_HTML, &html_values),
            t::DAILY_AGENDA_FOOTER_HTML.to_owned(),
        ),
        subject,
        ics: None,
        unsubscribe_url: None,
    }
}

/// A time offered to a waiting patient (`to`, in zone `tz`): with `doctor` and their
/// specialization, from `start`, held until `until`.
pub fn waitlist_offer(
    ctx: &MailContext,
    to: Recipient<'_>,
    tz: Tz,
    (doctor, specialization): (&str, &str),
    start: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Email {
    let when = long_time(start, tz);
    let until_words = until.with_timezone(&tz).format("%H:%M").to_string();
    let minutes = crate::domain::span_in_words(ctx.waitlist_hold_minutes, 2880);
    let link = format!("{}/appointments", ctx.public_url);
    let values = [
        ("recipient", to.name),
        ("doctor", doctor),
        ("specialization", specialization),
        ("when", when.as_str()),
        ("until", until_words.as_str()),
        ("minutes", minutes.as_str()),
        ("link", link.as_str()),
    ];
    let subject = format!(
        "A time with {doctor} is free: {} {}, held for you until {until_words}",
        start.with_timezone(&tz).format("%-d %b, %H:%M"),
        zone_label(tz.name())
    );
    Email {
        kind: Kind::WaitlistOffer,
        user_id: Some(to.user_id),
        doctor_id: None,
        to: to.email.to_owned(),
        text: t::text(t::WAITLIST_OFFER_TXT, &values),
        html: t::page(
            &subject,
            t::html(t::WAITLIST_OFFER_HTML, &values),
            t::APPOINTMENT_FOOTER_HTML.to_owned(),
        ),
        subject,
        ics: None,
        unsubscribe_url: None,
    }
}

/// Tells a waiting patient (`to`) that the doctor went offline and their consult
/// request ended, with a link to book the doctor instead.
pub fn consult_dropped(
    ctx: &MailContext,
    to: Recipient<'_>,
    (doctor, doctor_id): (&str, Uuid),
) -> Email {
    let link = format!("{}/doctors/{doctor_id}", ctx.public_url);
    let values = [
        ("recipient", to.name),
        ("doctor", doctor),
        ("link", link.as_str()),
    ];
    let subject = format!("{doctor} went offline: your consult request ended");
    Email {
        kind: Kind::ConsultDropped,
        user_id: Some(to.user_id),
        doctor_id: None,
        to: to.email.to_owned(),
        text: t::text(t::CONSULT_DROPPED_TXT, &values),
        html: t::page(
            &subject,
            t::html(t::CONSULT_DROPPED_HTML, &values),
            t::APPOINTMENT_FOOTER_HTML.to_owned(),
        ),
        subject,
        ics: None,
        unsubscribe_url: None,
    }
}

/// "24 hours", "1 hour", "90 minutes", "2 days": a day is said as hours.
fn lead_in_words(minutes: u32) -> String {
    crate::domain::span_in_words(minutes, 2880)
}

/// Reminds the patient (`to`) of the appointment, `minutes` before it, with its
/// calendar entry as it stands.
pub fn reminder(
    ctx: &MailContext,
    a: &AppointmentInfo<'_>,
    minutes: u32,
    to: Recipient<'_>,
    now: DateTime<Utc>,
) -> Email {
    let when = a.when(a.start, Party::Patient);
    let lead = lead_in_words(minutes);
    let link = format!("{}/appointments", ctx.public_url);
    let profile = format!("{}/profile", ctx.public_url);
    let values = [
        ("recipient", to.name),
        ("doctor", a.doctor),
        ("specialization", a.specialization),
        ("when", when.as_str()),
        ("lead", lead.as_str()),
        ("link", link.as_str()),
        ("profile", profile.as_str()),
    ];
    let subject = format!(
        "Reminder: {} on {}",
        a.doctor,
        a.short_start(Party::Patient)
    );
    appointment_email(
        Kind::AppointmentReminder,
        &to,
        subject,
        (t::REMINDER_TXT, t::REMINDER_HTML),
        &values,
        a.calendar(ctx, Method::Request, Party::Patient, now),
    )
}

/// A cancellation email with the calendar entry that removes the appointment (the
/// same UID, the next SEQUENCE).
fn cancellation(
    ctx: &MailContext,
    a: &AppointmentInfo<'_>,
    (party, to): (Party, &Recipient<'_>),
    subject: String,
    templates: (&str, &str),
    values: &[(&str, &str)],
    now: DateTime<Utc>,
) -> Email {
    let cancel = AppointmentInfo {
        sequence: a.sequence + 1,
        ..*a
    };
    appointment_email(
        Kind::AppointmentCancelled,
        to,
        subject,
        templates,
        values,
        cancel.calendar(ctx, Method::Cancel, party, now),
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
            reminder_offsets: vec![1440, 60],
            waitlist_hold_minutes: 15,
            patient_max_open_bookings: 10,
        }
    }

    fn ann() -> Recipient<'static> {
        Recipient {
            user_id: Uuid::nil(),
            name: "Ann <Lee>",
            email: "ann@example.com",
        }
    }

    #[test]
    fn a_reset_link_carries_its_token_in_the_fragment() {
        let mail = password_reset(&ctx(), ann(), "tok-EN_123", 30);
        if std::env::var_os("SHOW_MAIL").is_some() {
            println!("{}\n\n{}\n\n{}", mail.subject, mail.text, mail.html);
        }
        assert_eq!(mail.kind, Kind::PasswordReset);
        assert_eq!(mail.subject, "Reset your MediConnect password");
        let link = "https://clinic.example/reset-password#token=tok-EN_123";
        assert!(mail.text.contains(link), "{}", mail.text);
        assert!(mail.html.contains(link));
        assert!(mail.text.contains("for 30 minutes"));
        assert!(mail.html.contains("Ann &lt;Lee&gt;"));
        assert_eq!(
            (mail.unsubscribe_url, mail.ics, mail.doctor_id),
            (None, None, None)
        );
    }

    #[test]
    fn a_password_change_is_told_in_the_owners_zone() {
        let at = "2027-01-04T08:30:00Z".parse().unwrap();
        let mail = password_changed(&ctx(), ann(), chrono_tz::Europe::Berlin, at);
        if std::env::var_os("SHOW_MAIL").is_some() {
            println!("{}\n\n{}\n\n{}", mail.subject, mail.text, mail.html);
        }
        assert_eq!(mail.kind, Kind::PasswordChanged);
        assert!(
            mail.text
                .contains("Monday 4 January 2027, 09:30 (Berlin time, Europe/Berlin)"),
            "{}",
            mail.text
        );
        assert!(mail.text.contains("https://clinic.example/forgot-password"));
    }

    #[test]
    fn a_confirmation_link_carries_its_token_in_the_fragment_and_says_what_waits() {
        let patient = email_verification(&ctx(), ann(), Role::Patient, "tok-EN_9", 48);
        assert_eq!(patient.kind, Kind::EmailVerification);
        assert_eq!(patient.subject, "Confirm your MediConnect email address");
        let link = "https://clinic.example/verify-email#token=tok-EN_9";
        assert!(patient.text.contains(link), "{}", patient.text);
        assert!(patient.html.contains(link));
        assert!(patient.text.contains("for 48 hours"));
        assert!(
            patient
                .text
                .contains("cannot book appointments or get alerts")
        );
        let doctor = email_verification(&ctx(), ann(), Role::Doctor, "t", 48);
        assert!(doctor.text.contains("cannot go online"), "{}", doctor.text);
    }

    #[test]
    fn an_invitation_names_who_sent_it_and_carries_its_token_in_the_fragment() {
        let to = Invitee {
            name: "Dr. Lee",
            email: "lee@example.com",
            role: Role::Doctor,
            inviter: "Ada Admin",
        };
        let mail = invitation(&ctx(), to, "tok-EN_7", 7);
        assert_eq!(mail.kind, Kind::Invitation);
        assert_eq!(mail.subject, "Ada Admin invites you to MediConnect");
        assert_eq!((mail.to.as_str(), mail.user_id), ("lee@example.com", None));
        let link = "https://clinic.example/accept-invitation#token=tok-EN_7";
        assert!(mail.text.contains(link) && mail.html.contains(link));
        assert!(mail.text.contains("already approved"), "{}", mail.text);
        assert!(mail.text.contains("for 7 days"));
    }

    #[test]
    fn the_old_address_is_told_of_the_new_one_only_in_part() {
        let at = "2027-01-04T08:30:00Z".parse().unwrap();
        let mail = email_changed(ann(), "zed.new@mail.example", chrono_tz::UTC, at);
        assert_eq!(mail.kind, Kind::EmailChanged);
        assert_eq!(mail.to, ann().email);
        assert!(mail.text.contains("to z***@mail.example"), "{}", mail.text);
        assert!(!mail.text.contains("zed.new") && !mail.html.contains("zed.new"));
        assert_eq!(mask_address("x"), "***");
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
            DoctorOnlineAlerts::All,
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

    fn info(start: DateTime<Utc>) -> AppointmentInfo<'static> {
        AppointmentInfo {
            id: Uuid::new_v4(),
            start,
            end: start + chrono::Duration::minutes(30),
            minutes: 30,
            doctor: "Dr. Alex Johnson",
            specialization: "Cardiology",
            patient: "Pat Lee",
            doctor_email: "alex@example.com",
            patient_email: "pat@example.com",
            doctor_tz: chrono_tz::Europe::Berlin,
            patient_tz: chrono_tz::America::New_York,
            sequence: 1,
        }
    }

    fn recipient(name: &'static str, email: &'static str) -> Recipient<'static> {
        Recipient {
            user_id: Uuid::new_v4(),
            name,
            email,
        }
    }

    #[test]
    fn cancellation_raises_the_sequence() {
        let start: DateTime<Utc> = "2027-01-04T09:00:00Z".parse().unwrap();
        let a = info(start);
        let mail = cancelled(
            &ctx(),
            &a,
            By::Other("Pat Lee"),
            (
                Party::Doctor,
                recipient("Dr. Alex Johnson", "alex@example.com"),
            ),
            start,
        );
        let ics = mail.ics.unwrap();
        assert!(ics.contains("METHOD:CANCEL"));
        assert!(ics.contains("SEQUENCE:2"));
        assert!(
            mail.text
                .contains("Monday 4 January 2027, 10:00 (Berlin time, Europe/Berlin)")
        );
        assert_eq!(bare_address("MediConnect <x@y.z>"), "x@y.z");
    }

    #[test]
    fn each_party_reads_of_the_other() {
        let start: DateTime<Utc> = "2027-01-04T09:00:00Z".parse().unwrap();
        let a = info(start);
        let [to_patient, to_doctor] = booked(
            &ctx(),
            &a,
            recipient("Pat Lee", "pat@example.com"),
            recipient("Dr. Alex Johnson", "alex@example.com"),
            start,
        );
        // The calendar entry is named after the other party: a doctor's never says
        // "Appointment with" the doctor themself.
        // Each reads the time in their own zone, named, subject included.
        assert_eq!(
            to_patient.subject,
            "Booked: Dr. Alex Johnson on 4 Jan, 04:00 New York time"
        );
        assert!(
            to_patient
                .text
                .contains("04:00 (New York time, America/New_York)")
        );
        assert!(!to_patient.text.contains("Berlin"), "{}", to_patient.text);
        assert_eq!(
            to_doctor.subject,
            "New appointment: Pat Lee on 4 Jan, 10:00 Berlin time"
        );
        assert!(
            to_doctor
                .text
                .contains("10:00 (Berlin time, Europe/Berlin)")
        );
        assert!(!to_doctor.text.contains("New York"), "{}", to_doctor.text);
        let patient_ics = to_patient.ics.unwrap();
        let doctor_ics = to_doctor.ics.unwrap();
        assert!(patient_ics.contains("SUMMARY:Appointment with Dr. Alex Johnson (Cardiology)"));
        assert!(doctor_ics.contains("SUMMARY:Appointment with Pat Lee\r\n"));
        for ics in [&patient_ics, &doctor_ics] {
            assert!(ics.contains("ATTENDEE;CN=\"Dr. Alex Johnson\""), "{ics}");
            assert!(ics.contains("ATTENDEE;CN=\"Pat Lee\""), "{ics}");
            assert!(
                ics.contains("\r\nLOCATION:MediConnect\\, https://clinic.example\r\n"),
                "{ics}"
            );
            assert!(
                ics.contains("\r\nDESCRIPTION:30 minutes with Dr. Alex Johnson"),
                "{ics}"
            );
        }
        // The doctor cancels: the patient hears it from the doctor, named once.
        let mail = cancelled(
            &ctx(),
            &a,
            By::Other("Dr. Alex Johnson"),
            (Party::Patient, recipient("Pat Lee", "pat@example.com")),
            start,
        );
        assert_eq!(
            mail.subject,
            "Cancelled: your appointment with Dr. Alex Johnson on 4 Jan, 04:00 New York time"
        );
        assert_eq!(
            mail.text.matches("Dr. Alex Johnson").count(),
            1,
            "{}",
            mail.text
        );
        assert!(mail.text.contains(
            "Dr. Alex Johnson cancelled your appointment on Monday 4 January 2027, \
                           04:00 (New York time, America/New_York)"
        ));
        let moved = moved(
            &ctx(),
            &a,
            start - chrono::Duration::hours(1),
            By::Other("Pat Lee"),
            (
                Party::Doctor,
                recipient("Dr. Alex Johnson", "alex@example.com"),
            ),
            start,
        );
        assert_eq!(
            moved.subject,
            "Moved: your appointment with Pat Lee is now 4 Jan, 10:00 Berlin time"
        );
        assert!(
            moved
                .ics
                .unwrap()
                .contains("SUMMARY:Appointment with Pat Lee\r\n")
        );
    }

    #[test]
    fn the_one_who_changed_it_gets_the_calendar_update_too() {
        let start: DateTime<Utc> = "2027-01-04T09:00:00Z".parse().unwrap();
        let a = info(start);
        let to_doctor = (
            Party::Doctor,
            recipient("Dr. Alex Johnson", "alex@example.com"),
        );
        let mail = cancelled(&ctx(), &a, By::You("Pat Lee"), to_doctor, start);
        assert!(
            mail.text
                .contains("You cancelled your appointment with Pat Lee on Monday 4 January"),
            "{}",
            mail.text
        );
        assert!(mail.ics.unwrap().contains("METHOD:CANCEL"));
        let earlier = start - chrono::Duration::hours(1);
        let to_doctor = (
            Party::Doctor,
            recipient("Dr. Alex Johnson", "alex@example.com"),
        );
        let mail = moved(&ctx(), &a, earlier, By::You("Pat Lee"), to_doctor, start);
        assert!(
            mail.text
                .contains("You moved your appointment with Pat Lee:"),
            "{}",
            mail.text
        );
        assert!(mail.ics.unwrap().contains("METHOD:REQUEST"));
    }

    #[test]
    fn the_agenda_lists_the_day_in_the_doctors_zone_and_escapes_names() {
        let start: DateTime<Utc> = "2027-01-04T08:00:00Z".parse().unwrap();
        let items = [
            AgendaItem {
                start,
                end: start + chrono::Duration::minutes(30),
                patient: "Pat <b>Lee</b>",
            },
            AgendaItem {
                start: start + chrono::Duration::hours(5),
                end: start + chrono::Duration::hours(6),
                patient: "{{items}}",
            },
        ];
        let day = chrono::NaiveDate::from_ymd_opt(2027, 1, 4).unwrap();
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        let mail = daily_agenda(
            &ctx(),
            recipient("Dr. Alex Johnson", "a@example.com"),
            tz,
            day,
            &items,
        );
        assert_eq!(mail.subject, "Today: 2 appointments, from 09:00");
        assert!(
            mail.text.contains("Monday 4 January 2027 (Berlin time)"),
            "{}",
            mail.text
        );
        assert!(
            mail.text
                .contains("  09:00–09:30  Pat <b>Lee</b>\n  14:00–15:00  {{items}}")
        );
        assert!(
            mail.html.contains("Pat &lt;b&gt;Lee&lt;/b&gt;"),
            "{}",
            mail.html
        );
        assert!(mail.html.contains(">{{items}}</td>"), "{}", mail.html);
        assert!(mail.ics.is_none());
        assert_eq!(mail.kind, Kind::DailyAgenda);
    }

    #[test]
    fn a_reminder_says_when_and_how_soon() {
        let start: DateTime<Utc> = "2027-01-04T09:00:00Z".parse().unwrap();
        let a = info(start);
        let mail = reminder(
            &ctx(),
            &a,
            1440,
            recipient("Pat Lee", "pat@example.com"),
            start,
        );
        assert!(
            mail.subject
                .starts_with("Reminder: Dr. Alex Johnson on 4 Jan"),
            "{}",
            mail.subject
        );
        assert!(mail.text.contains("in 24 hours"), "{}", mail.text);
        assert!(mail.text.contains("https://clinic.example/profile"));
        assert!(mail.ics.unwrap().contains("METHOD:REQUEST"));
        assert_eq!(lead_in_words(60), "1 hour");
        assert_eq!(lead_in_words(90), "90 minutes");
        assert_eq!(lead_in_words(2880), "2 days");
    }
}
