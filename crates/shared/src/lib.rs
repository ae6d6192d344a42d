//! Types that cross the wire between the MediConnect API and its clients.
//!
//! Every request and response body of the REST API and every WebSocket message is
//! defined here once, and used by both the server (`crates/api`) and the SPA
//! (`frontend`). JSON field names are camelCase, as the public contract requires.
//!
//! This crate has no server dependencies and builds for `wasm32-unknown-unknown`.

pub mod admin;
pub mod appointments;
pub mod auth;
pub mod doctors;
pub mod health;
pub mod live;
pub mod problem;
pub mod profile;
pub mod time;

pub use admin::*;
pub use appointments::*;
pub use auth::*;
pub use doctors::*;
pub use health::*;
pub use live::*;
pub use problem::*;
pub use profile::*;

/// The zone of accounts that have not chosen one, and of sessions stored before
/// accounts had a zone.
pub(crate) fn utc_name() -> String {
    "UTC".to_owned()
}

/// For `deserialize_with` on an `Option<Option<T>>` field that `null` clears: tells
/// an explicit `null` (`Some(None)`) from an absent field (`None`).
pub(crate) fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(deserializer).map(Some)
}
