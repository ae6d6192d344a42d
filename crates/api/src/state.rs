//! What every handler can reach, built once at start.

use std::sync::Arc;

use crate::auth::JwtKeys;
use crate::config::Config;
use crate::db::Db;
use crate::limits::Limits;
use crate::live::hub::Hub;
use crate::live::presence::{PresenceTracker, Timing};
use crate::mail::MailContext;
use crate::mail::worker::MailHandle;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    pub jwt: JwtKeys,
    pub hub: Arc<Hub>,
    pub presence: Arc<PresenceTracker>,
    pub mail: MailHandle,
    pub mail_ctx: MailContext,
    pub limits: Arc<Limits>,
    pub metrics: Arc<crate::metrics::Metrics>,
}

impl AppState {
    pub fn presence_timing(&self) -> Timing {
        Timing {
            grace: self.config.presence_grace,
            refresh: self.config.ws_heartbeat,
        }
    }
}
