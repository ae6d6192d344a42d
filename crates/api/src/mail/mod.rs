//! Email: a transactional outbox (rows written in the same transaction as the change
//! that causes them), a worker that delivers them over SMTP (or into .eml files in
//! development) with retries, "doctor is online" alerts expanded from one job per
//! event, appointment mail with calendar files, and one-click unsubscribe.

pub mod agenda;
pub mod alerts;
pub mod compose;
pub mod email;
pub mod ics;
pub mod outbox;
pub mod smtp;
pub mod templates;
pub mod transport;
pub mod unsubscribe;
pub mod worker;

use std::time::Duration;

use crate::config::Config;

/// What mail needs from the configuration.
#[derive(Clone)]
pub struct MailContext {
    /// The site's base URL, for links.
    pub public_url: String,
    /// The `From` address.
    pub from: String,
    /// At most one "doctor is online" email per patient and doctor in this time.
    pub cooldown: Duration,
    /// A "doctor is online" email not handed to SMTP this long after it was queued
    /// expires, as does one whose doctor went offline: it would arrive too late.
    pub alert_max_delay: Duration,
    /// Signs unsubscribe links.
    pub unsubscribe_key: Vec<u8>,
    /// Minutes before an appointment its reminders are due, latest first.
    pub reminder_offsets: Vec<u32>,
    /// How long a time offered to a waiting patient is held for them, in minutes.
    pub waitlist_hold_minutes: u32,
    /// `PATIENT_MAX_OPEN_BOOKINGS`: no time is offered to a patient who could not book it.
    pub patient_max_open_bookings: u32,
}

impl MailContext {
    pub fn from_config(config: &Config) -> MailContext {
        MailContext {
            public_url: config
                .public_url
                .clone()
                .unwrap_or_else(|| format!("http://{}", config.bind_addr)),
            from: config.mail_from.clone(),
            cooldown: config.notify_cooldown,
            alert_max_delay: config.alert_max_delay,
            unsubscribe_key: config.jwt_secret.expose().clone(),
            reminder_offsets: config.reminder_offsets.clone(),
            waitlist_hold_minutes: config.waitlist_hold_minutes,
            patient_max_open_bookings: config.patient_max_open_bookings,
        }
    }

    /// The domain of the sender, for Message-IDs.
    pub fn domain(&self) -> String {
        self.from
            .rsplit_once('@')
            .map(|(_, d)| d.trim_end_matches('>').trim().to_owned())
            .filter(|d| !d.is_empty())
            .unwrap_or_else(|| "mediconnect.localhost".to_owned())
    }
}
