//! The query-string extractor of every endpoint: actix's `Query` (errors as 400, by
//! `error::extractors::query_error`), plus the rule that no parameter holds
//! the NUL character (`%00`), which PostgreSQL cannot store or compare in text and no
//! parameter of ours means.

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use serde::de::DeserializeOwned;

use crate::error::{ApiError, extractors::query_error};

pub struct Query<T>(pub T);

impl<T> Query<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Query<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned> FromRequest for Query<T> {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Self, actix_web::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(parse(req))
    }
}

fn parse<T: DeserializeOwned>(req: &HttpRequest) -> Result<Query<T>, actix_web::Error> {
    if holds_nul(req.query_string()) {
        return Err(ApiError::BadRequest(
            "Query parameters must not contain the NUL character (%00).".into(),
        )
        .into());
    }
    web::Query::<T>::from_query(req.query_string())
        .map(|q| Query(q.into_inner()))
        .map_err(|e| query_error(e, req))
}

/// Whether a raw query string decodes to text with a NUL character.
fn holds_nul(query: &str) -> bool {
    query
        .as_bytes()
        .windows(3)
        .any(|w| w[0] == b'%' && w[1] == b'0' && w[2] == b'0')
}

#[cfg(test)]
mod tests {
    use super::holds_nul;

    #[test]
    fn finds_an_encoded_nul_character() {
        assert!(holds_nul("q=a%00b"));
        assert!(holds_nul("page=1&specialization=%00"));
        assert!(!holds_nul("q=a%2500b"));
        assert!(!holds_nul("q=100%25&page=100"));
        assert!(!holds_nul(""));
    }
}
