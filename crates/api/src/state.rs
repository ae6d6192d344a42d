//! What every handler can reach, built once at start.

use std::sync::Arc;

use crate::auth::JwtKeys;
use crate::config::Config;
use crate::db::Db;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    pub jwt: JwtKeys,
}
