//! What every handler can reach, built once at start.

use std::sync::Arc;

use crate::auth::JwtKeys;
use crate::config::Config;
use crate::db::Db;
use crate::limits::Limits;
use crate::live::effects::Effects;
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
    /// Runs `f` in a write transaction and applies the effects it collected once the
    /// transaction has committed (none after a rollback): the one after-commit path.
    pub async fn write<F, T>(&self, f: F) -> Result<T, crate::error::ApiError>
    where
        F: FnOnce(&mut crate::db::AnyConnection, &mut Effects) -> Result<T, crate::error::ApiError>
            + Send
            + 'static,
        T: Send + 'static,
    {
        let hub = self.hub.clone();
        let (value, effects) = self
            .db
            .write(move |conn| {
                let mut effects = Effects::new(hub);
                let value = f(conn, &mut effects)?;
                Ok((value, effects))
            })
            .await?;
        effects.apply(Some(&self.mail));
        Ok(value)
    }

    pub fn presence_timing(&self) -> Timing {
        Timing {
            grace: self.config.presence_grace,
            refresh: self.config.ws_heartbeat,
        }
    }
}
