//! What a write transaction causes outside the database, applied in one place once it
//! has committed (ADR 0021): live events, queued for the other replicas inside the
//! transaction and applied to this one after commit, and a wake-up of the mail worker
//! for the mail the transaction queued. A use case writes through
//! [`crate::state::AppState::write`]; a background task without the state applies its
//! effects with [`Effects::apply`]. Nothing else applies an event or wakes the mailer.

use std::sync::Arc;

use crate::db::AnyConnection;
use crate::error::ApiError;
use crate::live::bridge::{self, LiveEvent};
use crate::live::hub::Hub;
use crate::mail::worker::MailHandle;

/// The effects collected by one write transaction.
pub struct Effects {
    hub: Arc<Hub>,
    events: Vec<LiveEvent>,
    wake_mail: bool,
}

impl Effects {
    pub fn new(hub: Arc<Hub>) -> Self {
        Effects {
            hub,
            events: Vec::new(),
            wake_mail: false,
        }
    }

    /// Announces `event`: to the other replicas with the transaction (PostgreSQL's
    /// NOTIFY is delivered on commit, never after a rollback), here after commit.
    pub fn announce(&mut self, conn: &mut AnyConnection, event: LiveEvent) -> Result<(), ApiError> {
        bridge::notify_in_tx(conn, &self.hub, &event)?;
        self.events.push(event);
        Ok(())
    }

    /// The transaction queued mail: the worker is woken once it has committed.
    pub fn wake_mail(&mut self) {
        self.wake_mail = true;
    }

    /// Whether the transaction announced anything.
    pub fn announced(&self) -> bool {
        !self.events.is_empty()
    }

    /// Applies the effects, after commit; `mail` is the worker to wake, if any.
    pub fn apply(self, mail: Option<&MailHandle>) {
        for event in self.events {
            bridge::apply(&self.hub, event);
        }
        if self.wake_mail
            && let Some(mail) = mail
        {
            mail.wake();
        }
    }
}
