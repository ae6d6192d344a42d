//! An email as the app composes it and the outbox stores it: one recipient, rendered,
//! with its kind.

use uuid::Uuid;

/// What kind of email a row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    DoctorOnline,
    AppointmentBooked,
    AppointmentChanged,
    AppointmentCancelled,
    AppointmentReminder,
    DailyAgenda,
    WaitlistOffer,
    ConsultDropped,
    PasswordReset,
    PasswordChanged,
    EmailVerification,
    EmailChanged,
    DoctorApproved,
    DoctorRejected,
    Invitation,
}

impl Kind {
    pub const fn as_str(self) -> &'static str {
        match self {
            Kind::DoctorOnline => "DOCTOR_ONLINE",
            Kind::AppointmentBooked => "APPOINTMENT_BOOKED",
            Kind::AppointmentChanged => "APPOINTMENT_CHANGED",
            Kind::AppointmentCancelled => "APPOINTMENT_CANCELLED",
            Kind::AppointmentReminder => "APPOINTMENT_REMINDER",
            Kind::DailyAgenda => "DAILY_AGENDA",
            Kind::WaitlistOffer => "WAITLIST_OFFER",
            Kind::ConsultDropped => "CONSULT_DROPPED",
            Kind::PasswordReset => "PASSWORD_RESET",
            Kind::PasswordChanged => "PASSWORD_CHANGED",
            Kind::EmailVerification => "EMAIL_VERIFICATION",
            Kind::EmailChanged => "EMAIL_CHANGED",
            Kind::DoctorApproved => "DOCTOR_APPROVED",
            Kind::DoctorRejected => "DOCTOR_REJECTED",
            Kind::Invitation => "INVITATION",
        }
    }
}

/// One email to queue: one recipient, rendered.
#[derive(Debug, Clone)]
pub struct Email {
    pub kind: Kind,
    pub user_id: Option<Uuid>,
    pub doctor_id: Option<Uuid>,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub ics: Option<String>,
    pub unsubscribe_url: Option<String>,
}
