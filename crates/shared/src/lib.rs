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

/// A query parameter's value: typed when the format has types (JSON), text when it has
/// none (a query string read through `#[serde(flatten)]`, which hands every value on
/// as text).
#[derive(serde::Deserialize)]
#[serde(untagged)]
enum QueryValue<T> {
    Typed(T),
    Text(String),
}

fn from_query_text<'de, D, T>(deserializer: D, expected: &str) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de> + std::str::FromStr,
{
    match <Option<QueryValue<T>> as serde::Deserialize>::deserialize(deserializer)? {
        None => Ok(None),
        Some(QueryValue::Typed(v)) => Ok(Some(v)),
        Some(QueryValue::Text(text)) => text.parse().map(Some).map_err(|_| {
            serde::de::Error::custom(format!("invalid value {text:?}, expected {expected}"))
        }),
    }
}

/// For `deserialize_with` on an `Option<u32>` query parameter of a query type with a
/// flattened part: a whole number, given as a number or as text.
pub(crate) fn query_number<'de, D>(deserializer: D) -> Result<Option<u32>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    from_query_text(deserializer, "a whole number from 0 to 4294967295")
}

/// For `deserialize_with` on an `Option<bool>` query parameter of a query type with a
/// flattened part: `true` or `false`, given as a boolean or as text.
pub(crate) fn query_bool<'de, D>(deserializer: D) -> Result<Option<bool>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    from_query_text(deserializer, "true or false")
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
