use gloo_net::http::{Method, RequestBuilder, Response};
use mediconnect_shared::Problem;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::session;

/// A failed call: an HTTP problem from the server, or no answer at all.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// The HTTP status; 0 when the server could not be reached.
    pub status: u16,
    pub problem: Option<Problem>,
}

impl ApiError {
    pub fn network() -> Self {
        Self {
            status: 0,
            problem: None,
        }
    }

    pub fn signed_out() -> Self {
        Self {
            status: 401,
            problem: None,
        }
    }

    /// A sentence for the user.
    pub fn message(&self) -> String {
        if let Some(p) = &self.problem {
            if !p.errors.is_empty() {
                return "Please correct the highlighted fields.".into();
            }
            if let Some(detail) = &p.detail {
                return detail.clone();
            }
            return p.title.clone();
        }
        match self.status {
            0 => "Cannot reach MediConnect. Check your connection and try again.".into(),
            401 => "Your session has ended. Please sign in again.".into(),
            s if s >= 500 => "Something went wrong on our side. Please try again.".into(),
            s => format!("The request failed ({s})."),
        }
    }

    /// The server's message for one field of the form, if any.
    pub fn field(&self, name: &str) -> Option<String> {
        self.problem
            .as_ref()
            .and_then(|p| p.field_message(name))
            .map(str::to_owned)
    }
}

async fn raw<B: Serialize + ?Sized>(
    method: Method,
    path: &str,
    body: Option<&B>,
    token: Option<&str>,
) -> Result<Response, ApiError> {
    raw_with(method, path, body, token, &[]).await
}

async fn raw_with<B: Serialize + ?Sized>(
    method: Method,
    path: &str,
    body: Option<&B>,
    token: Option<&str>,
    headers: &[(&str, &str)],
) -> Result<Response, ApiError> {
    let mut builder = RequestBuilder::new(path)
        .method(method)
        .header("Accept", "application/json");
    for (name, value) in headers {
        builder = builder.header(name, value);
    }
    if let Some(token) = token {
        builder = builder.header("Authorization", &format!("Bearer {token}"));
    }
    let request = match body {
        Some(body) => builder.json(body),
        None => builder.build(),
    }
    .map_err(|_| ApiError::network())?;
    request.send().await.map_err(|_| ApiError::network())
}

async fn error_of(res: Response) -> ApiError {
    ApiError {
        status: res.status(),
        problem: res.json::<Problem>().await.ok(),
    }
}

async fn decode<T: DeserializeOwned>(res: Response) -> Result<T, ApiError> {
    if res.ok() {
        res.json::<T>().await.map_err(|_| ApiError {
            status: res.status(),
            problem: None,
        })
    } else {
        Err(error_of(res).await)
    }
}

pub async fn send_json<T: DeserializeOwned, B: Serialize + ?Sized>(
    method: Method,
    path: &str,
    body: Option<&B>,
    token: Option<&str>,
) -> Result<T, ApiError> {
    decode(raw(method, path, body, token).await?).await
}

pub async fn send_empty<B: Serialize + ?Sized>(
    method: Method,
    path: &str,
    body: Option<&B>,
    token: Option<&str>,
) -> Result<(), ApiError> {
    let res = raw(method, path, body, token).await?;
    if res.ok() {
        Ok(())
    } else {
        Err(error_of(res).await)
    }
}

/// A call as the signed-in user. An expired access token is refreshed first; a 401
/// (the token was revoked or the clock is off) gets one refresh and one retry.
pub async fn authed<T: DeserializeOwned, B: Serialize + ?Sized>(
    method: Method,
    path: &str,
    body: Option<&B>,
) -> Result<T, ApiError> {
    authed_with(method, path, body, &[]).await
}

/// [`authed`] with extra request headers.
pub async fn authed_with<T: DeserializeOwned, B: Serialize + ?Sized>(
    method: Method,
    path: &str,
    body: Option<&B>,
    headers: &[(&str, &str)],
) -> Result<T, ApiError> {
    let token = session::access_token().await?;
    let res = raw_with(method.clone(), path, body, Some(&token), headers).await?;
    if res.status() != 401 {
        return decode(res).await;
    }
    let token = session::refresh(Some(&token)).await?;
    let res = raw_with(method, path, body, Some(&token), headers).await?;
    if res.status() == 401 {
        session::clear();
    }
    decode(res).await
}

/// [`authed`] for answers without a body (204).
pub async fn authed_empty(method: Method, path: &str) -> Result<(), ApiError> {
    let token = session::access_token().await?;
    let mut res = raw(method.clone(), path, None::<&()>, Some(&token)).await?;
    if res.status() == 401 {
        let token = session::refresh(Some(&token)).await?;
        res = raw(method, path, None::<&()>, Some(&token)).await?;
    }
    if res.ok() {
        Ok(())
    } else {
        Err(error_of(res).await)
    }
}
