//! The JSON body extractor of every endpoint: actix's `Json` (content type, 64 KiB
//! limit, syntax errors as 400), plus two rules: a body is a JSON object (serde would
//! otherwise read a struct from an array, `["a", "b"]`), and no text in it holds the
//! NUL character (`\u0000`), which PostgreSQL cannot store in text and no field of
//! ours means.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use serde::de::DeserializeOwned;

use crate::error::{ApiError, extractors::describe_json_error};

pub struct Json<T>(pub T);

impl<T> Json<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Json<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, actix_web::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let value = web::Json::<serde_json::Value>::from_request(req, payload);
        Box::pin(async move {
            let value = value.await?.into_inner();
            if !value.is_object() {
                return Err(ApiError::Unprocessable(
                    "The request body must be a JSON object.".into(),
                )
                .into());
            }
            if let Some(at) = nul_at(&value) {
                return Err(ApiError::field(
                    &at,
                    "Text must not contain the NUL character (\\u0000).",
                )
                .into());
            }
            serde_json::from_value(value)
                .map(Json)
                .map_err(|e| describe_json_error(&e).into())
        })
    }
}

/// The path (`reason`, `weekly[0].start`) of the first string or key holding a NUL
/// character, if any.
fn nul_at(value: &serde_json::Value) -> Option<String> {
    use serde_json::Value;
    match value {
        Value::String(s) if s.contains('\0') => Some(String::new()),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| nul_at(item).map(|rest| format!("[{i}]{}", dotted(&rest)))),
        Value::Object(map) => map.iter().find_map(|(key, item)| {
            if key.contains('\0') {
                return Some(key.replace('\0', "\\u0000"));
            }
            nul_at(item).map(|rest| format!("{key}{}", dotted(&rest)))
        }),
        _ => None,
    }
}

/// A nested path as it continues its parent's: `.name`, `[0]`, or nothing.
fn dotted(rest: &str) -> String {
    if rest.is_empty() || rest.starts_with('[') {
        rest.to_owned()
    } else {
        format!(".{rest}")
    }
}

#[cfg(test)]
mod tests {
    use super::nul_at;
    use serde_json::json;

    #[test]
    fn finds_the_nul_character_wherever_it_is() {
        assert_eq!(nul_at(&json!({"reason": "fine", "n": 1})), None);
        assert_eq!(
            nul_at(&json!({"reason": "pain\0x"})).as_deref(),
            Some("reason")
        );
        assert_eq!(
            nul_at(&json!({"weekly": [{"start": "09:00"}, {"start": "1\0"}]})).as_deref(),
            Some("weekly[1].start")
        );
        assert_eq!(
            nul_at(&json!({"a": {"b": ["\0"]}})).as_deref(),
            Some("a.b[0]")
        );
        assert_eq!(nul_at(&json!({"k\0": 1})).as_deref(), Some("k\\u0000"));
    }
}
