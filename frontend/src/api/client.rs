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
    /// Boxed, so that a `Result<T, ApiError>` stays small.
    pub problem: Option<Box<Problem>>,
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

    /// Whether the server refused the call by the rule `rule` (its problem `type` ends
    /// with `:rule`), as `email-taken`.
    pub fn is(&self, rule: &str) -> bool {
        self.problem.as_ref().is_some_and(|p| {
            p.kind
                .strip_suffix(rule)
                .is_some_and(|rest| rest.ends_with(':'))
        })
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

    /// For a form that highlights no field: each field's message from the server, as
    /// sentences ("The time must be in the future."), or else [`Self::message`].
    pub fn reasons(&self) -> String {
        match &self.problem {
            Some(p) if !p.errors.is_empty() => p
                .errors
                .iter()
                .map(|e| sentence(&e.message))
                .collect::<Vec<_>>()
                .join(" "),
            _ => self.message(),
        }
    }

    /// Every message of the fields whose name is `name` or starts with `name.` (a
    /// list entry's parts, such as `weekly[2].weekday`).
    pub fn fields(&self, name: &str) -> Vec<String> {
        self.problem
            .as_ref()
            .map(|p| {
                p.errors
                    .iter()
                    .filter(|e| {
                        e.field == name
                            || e.field
                                .strip_prefix(name)
                                .is_some_and(|r| r.starts_with('.'))
                    })
                    .map(|e| sentence(&e.message))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The server's message for one field of the form, if any.
    pub fn field(&self, name: &str) -> Option<String> {
        self.problem
            .as_ref()
            .and_then(|p| p.field_message(name))
            .map(str::to_owned)
    }
}

/// `text` ending with a full stop, unless it already ends a sentence.
fn sentence(text: &str) -> String {
    let text = text.trim_end();
    if text.ends_with(['.', '!', '?']) {
        text.to_owned()
    } else {
        format!("{text}.")
    }
}

// The generic calls below only serialize their body and parse their answer; the
// request, the token refresh and the error handling are one non-generic function
// each. Leptos pages call these with some twenty body and answer types, and each
// generic async fn is compiled once per pair: kept small, that keeps the wasm small
// (ADR 0010).

/// A request body as JSON text.
fn json_body<B: Serialize + ?Sized>(body: Option<&B>) -> serde_json::Result<Option<String>> {
    body.map(serde_json::to_string).transpose()
}

/// A successful answer: its status and its body.
struct Answer {
    status: u16,
    text: String,
}

impl Answer {
    /// Its JSON, parsed, if it parses.
    fn json<T: DeserializeOwned>(&self) -> Option<T> {
        super::json::from_str(&self.text)
    }

    /// The error for a body that does not parse.
    fn unreadable(&self) -> ApiError {
        ApiError {
            status: self.status,
            problem: None,
        }
    }
}

async fn raw(
    method: Method,
    path: &str,
    body: Option<&str>,
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
        Some(body) => builder
            .header("Content-Type", "application/json")
            .body(body),
        None => builder.build(),
    }
    .map_err(|_| ApiError::network())?;
    request.send().await.map_err(|_| ApiError::network())
}

async fn error_of(res: Response) -> ApiError {
    ApiError {
        status: res.status(),
        problem: res
            .text()
            .await
            .ok()
            .and_then(|text| super::json::from_str::<Problem>(&text))
            .map(Box::new),
    }
}

/// The answer to a request that succeeded, or its error.
async fn answer(res: Response) -> Result<Answer, ApiError> {
    if !res.ok() {
        return Err(error_of(res).await);
    }
    let status = res.status();
    match res.text().await {
        Ok(text) => Ok(Answer { status, text }),
        Err(_) => Err(ApiError {
            status,
            problem: None,
        }),
    }
}

async fn send_text(
    method: Method,
    path: &str,
    body: Option<&str>,
    token: Option<&str>,
) -> Result<Answer, ApiError> {
    answer(raw(method, path, body, token, &[]).await?).await
}

pub async fn send_json<T: DeserializeOwned, B: Serialize + ?Sized>(
    method: Method,
    path: &str,
    body: Option<&B>,
    token: Option<&str>,
) -> Result<T, ApiError> {
    let body = json_body(body).map_err(|_| ApiError::network())?;
    let answer = send_text(method, path, body.as_deref(), token).await?;
    answer.json().ok_or_else(|| answer.unreadable())
}

pub async fn send_empty<B: Serialize + ?Sized>(
    method: Method,
    path: &str,
    body: Option<&B>,
    token: Option<&str>,
) -> Result<(), ApiError> {
    let body = json_body(body).map_err(|_| ApiError::network())?;
    send_text(method, path, body.as_deref(), token)
        .await
        .map(drop)
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
    let body = json_body(body).map_err(|_| ApiError::network())?;
    let answer = authed_text(method, path, body.as_deref(), headers).await?;
    answer.json().ok_or_else(|| answer.unreadable())
}

/// [`authed`] for answers without a body (204).
pub async fn authed_empty(method: Method, path: &str) -> Result<(), ApiError> {
    authed_text(method, path, None, &[]).await.map(drop)
}

async fn authed_text(
    method: Method,
    path: &str,
    body: Option<&str>,
    headers: &[(&str, &str)],
) -> Result<Answer, ApiError> {
    let token = session::access_token().await?;
    let res = raw(method.clone(), path, body, Some(&token), headers).await?;
    if res.status() != 401 {
        return answer(res).await;
    }
    let token = session::refresh(Some(&token)).await?;
    let res = raw(method, path, body, Some(&token), headers).await?;
    if res.status() == 401 {
        session::clear();
    }
    answer(res).await
}
