//! Email templates, kept as files in `crates/api/templates/email/` and compiled in.
//! `{{name}}` placeholders are filled with values in one pass over the template; in
//! HTML, values are escaped. A value is never read as a template: a doctor named
//! `{{link}}` is shown as those characters.

macro_rules! template {
    ($name:literal) => {
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/templates/email/",
            $name
        ))
    };
}

pub const LAYOUT_HTML: &str = template!("layout.html");
pub const DOCTOR_ONLINE_TXT: &str = template!("doctor_online.txt");
pub const DOCTOR_ONLINE_HTML: &str = template!("doctor_online.html");
pub const DOCTOR_ONLINE_FOOTER_HTML: &str = template!("doctor_online_footer.html");
pub const BOOKED_PATIENT_TXT: &str = template!("appointment_booked_patient.txt");
pub const BOOKED_PATIENT_HTML: &str = template!("appointment_booked_patient.html");
pub const BOOKED_DOCTOR_TXT: &str = template!("appointment_booked_doctor.txt");
pub const BOOKED_DOCTOR_HTML: &str = template!("appointment_booked_doctor.html");
pub const CHANGED_TXT: &str = template!("appointment_changed.txt");
pub const CHANGED_HTML: &str = template!("appointment_changed.html");
pub const CANCELLED_TXT: &str = template!("appointment_cancelled.txt");
pub const CANCELLED_HTML: &str = template!("appointment_cancelled.html");
pub const REMINDER_TXT: &str = template!("appointment_reminder.txt");
pub const REMINDER_HTML: &str = template!("appointment_reminder.html");
pub const WITHDRAWN_TXT: &str = template!("appointment_withdrawn.txt");
pub const WITHDRAWN_HTML: &str = template!("appointment_withdrawn.html");
pub const DAILY_AGENDA_TXT: &str = template!("daily_agenda.txt");
pub const DAILY_AGENDA_HTML: &str = template!("daily_agenda.html");
pub const DAILY_AGENDA_FOOTER_HTML: &str = template!("daily_agenda_footer.html");
pub const WAITLIST_OFFER_TXT: &str = template!("waitlist_offer.txt");
pub const WAITLIST_OFFER_HTML: &str = template!("waitlist_offer.html");
pub const CONSULT_DROPPED_TXT: &str = template!("consult_dropped.txt");
pub const CONSULT_DROPPED_HTML: &str = template!("consult_dropped.html");
pub const APPOINTMENT_FOOTER_HTML: &str = template!("appointment_footer.html");
pub const PASSWORD_RESET_TXT: &str = template!("password_reset.txt");
pub const PASSWORD_RESET_HTML: &str = template!("password_reset.html");
pub const PASSWORD_CHANGED_TXT: &str = template!("password_changed.txt");
pub const PASSWORD_CHANGED_HTML: &str = template!("password_changed.html");
pub const EMAIL_VERIFICATION_TXT: &str = template!("email_verification.txt");
pub const EMAIL_VERIFICATION_HTML: &str = template!("email_verification.html");
pub const EMAIL_CHANGED_TXT: &str = template!("email_changed.txt");
pub const EMAIL_CHANGED_HTML: &str = template!("email_changed.html");
pub const DOCTOR_APPROVED_TXT: &str = template!("doctor_approved.txt");
pub const DOCTOR_APPROVED_HTML: &str = template!("doctor_approved.html");
pub const DOCTOR_REJECTED_TXT: &str = template!("doctor_rejected.txt");
pub const DOCTOR_REJECTED_HTML: &str = template!("doctor_rejected.html");
pub const INVITATION_TXT: &str = template!("invitation.txt");
pub const INVITATION_HTML: &str = template!("invitation.html");
pub const ACCOUNT_FOOTER_HTML: &str = template!("account_footer.html");
pub const UNSUBSCRIBE_PAGE: &str = template!("unsubscribe_page.html");
pub const UNSUBSCRIBE_CONFIRM_HTML: &str = template!("unsubscribe_confirm.html");
pub const UNSUBSCRIBE_DONE_HTML: &str = template!("unsubscribe_done.html");
pub const UNSUBSCRIBE_INVALID_HTML: &str = template!("unsubscribe_invalid.html");

pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Fills a plain-text template.
pub fn text(template: &str, values: &[(&str, &str)]) -> String {
    fill(template, values, |v| v.to_owned())
}

/// Fills an HTML template, escaping every value.
pub fn html(template: &str, values: &[(&str, &str)]) -> String {
    fill(template, values, escape_html)
}

/// Wraps an HTML body (already filled) in the layout.
pub fn page(subject: &str, body: String, footer: String) -> String {
    wrap(
        LAYOUT_HTML,
        &[
            ("subject", &escape_html(subject)),
            ("footer", &footer),
            ("body", &body),
        ],
    )
}

/// Fills `template` with values that are already HTML (filled templates), as is.
pub fn wrap(template: &str, parts: &[(&str, &str)]) -> String {
    fill(template, parts, str::to_owned)
}

/// Replaces each `{{key}}` of `template` whose key has a value, in one pass: the text
/// of a value is copied to the output and never searched for placeholders. A
/// placeholder without a value stays as it is.
fn fill(template: &str, values: &[(&str, &str)], convert: impl Fn(&str) -> String) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let after = &rest[open + 2..];
        let value = after.find("}}").and_then(|close| {
            let key = &after[..close];
            values
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| (v, close))
        });
        match value {
            Some((value, close)) => {
                out.push_str(&convert(value));
                rest = &after[close + 2..];
            }
            None => {
                out.push_str("{{");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_and_escapes() {
        assert_eq!(text("Hi {{name}}!", &[("name", "<Ann>")]), "Hi <Ann>!");
        assert_eq!(
            html("Hi {{name}}!", &[("name", "<Ann & Bob>")]),
            "Hi &lt;Ann &amp; Bob&gt;!"
        );
    }

    #[test]
    fn a_value_is_never_read_as_a_template() {
        let values = [("doctor", "{{link}}"), ("link", "https://x.example/")];
        assert_eq!(
            text("{{doctor}} is online: {{link}}", &values),
            "{{link}} is online: https://x.example/"
        );
        assert_eq!(html("<b>{{doctor}}</b>", &values), "<b>{{link}}</b>");
        // The layout too: a subject or body holding a placeholder stays as written.
        let page = page("{{footer}}", "{{subject}} {{body}}".into(), "F".into());
        assert!(page.contains("<title>{{footer}}</title>"), "{page}");
        assert!(page.contains("{{subject}} {{body}}"), "{page}");
    }

    #[test]
    fn unknown_and_unclosed_placeholders_stay() {
        assert_eq!(text("a {{x}} b {{y", &[("z", "1")]), "a {{x}} b {{y");
        assert_eq!(text("}}{{a}}{{", &[("a", "1")]), "}}1{{");
    }

    #[test]
    fn every_placeholder_of_the_alert_is_filled() {
        let values = [
            ("patient", "P"),
            ("doctor", "D"),
            ("specialization", "S"),
            ("link", "L"),
            ("preference", "all"),
            ("unsubscribe", "U"),
        ];
        for t in [
            DOCTOR_ONLINE_TXT,
            DOCTOR_ONLINE_HTML,
            DOCTOR_ONLINE_FOOTER_HTML,
        ] {
            assert!(!text(t, &values).contains("{{"), "{t}");
        }
    }
}
