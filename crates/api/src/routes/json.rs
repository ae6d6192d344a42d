//! The JSON body extractor of every endpoint: actix's `Json` (content type, 64 KiB
//! limit, syntax errors as 400), plus the rule that a body is a JSON object. serde
//! would otherwise read a struct from an array (`["a", "b"]`).

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
            serde_json::from_value(value)
                .map(Json)
                .map_err(|e| describe_json_error(&e).into())
        })
    }
}
