//! The session of this browser: the access token in memory, the refresh token in
//! localStorage so that a reload keeps the user signed in.

use std::cell::RefCell;
use std::rc::Rc;

use gloo_net::http::Method;
use mediconnect_shared::{LoginResponse, RefreshRequest, UserSummary};

use super::client::{self, ApiError};

const REFRESH_KEY: &str = "mediconnect.refreshToken";
/// Refresh this long before the access token expires, to absorb clock skew and latency.
const EARLY_MS: f64 = 30_000.0;

struct Access {
    token: String,
    expires_at_ms: f64,
}

type Listener = Box<dyn Fn(Option<UserSummary>)>;

thread_local! {
    static ACCESS: RefCell<Option<Access>> = const { RefCell::new(None) };
    static LISTENER: RefCell<Option<Listener>> = const { RefCell::new(None) };
    static REFRESHING: Rc<futures::lock::Mutex<()>> = Rc::new(futures::lock::Mutex::new(()));
}

/// Called with the user whenever the session starts, is refreshed, or ends.
pub fn on_session_change(listener: impl Fn(Option<UserSummary>) + 'static) {
    LISTENER.with(|l| *l.borrow_mut() = Some(Box::new(listener)));
}

fn notify(user: Option<UserSummary>) {
    LISTENER.with(|l| {
        if let Some(listener) = l.borrow().as_ref() {
            listener(user);
        }
    });
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

pub fn stored_refresh_token() -> Option<String> {
    storage()?.get_item(REFRESH_KEY).ok().flatten()
}

fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// Keeps a new session and tells the app who is signed in.
pub fn store(session: LoginResponse) -> UserSummary {
    if let Some(storage) = storage() {
        let _ = storage.set_item(REFRESH_KEY, &session.refresh_token);
    }
    ACCESS.with(|a| {
        *a.borrow_mut() = Some(Access {
            token: session.token,
            expires_at_ms: now_ms() + session.expires_in as f64 * 1000.0,
        })
    });
    notify(Some(session.user.clone()));
    session.user
}

/// Forgets the session.
pub fn clear() {
    if let Some(storage) = storage() {
        let _ = storage.remove_item(REFRESH_KEY);
    }
    ACCESS.with(|a| *a.borrow_mut() = None);
    notify(None);
}

fn valid_token() -> Option<String> {
    ACCESS.with(|a| {
        a.borrow()
            .as_ref()
            .filter(|access| access.expires_at_ms - EARLY_MS > now_ms())
            .map(|access| access.token.clone())
    })
}

/// A usable access token, refreshed if needed.
pub async fn access_token() -> Result<String, ApiError> {
    match valid_token() {
        Some(token) => Ok(token),
        None => refresh(None).await,
    }
}

/// Spends the refresh token for a new pair. `failed` is an access token the server just
/// refused: a token other than it, obtained by a concurrent refresh, is used instead.
/// Refreshes never run concurrently: a refresh token is single-use.
pub async fn refresh(failed: Option<&str>) -> Result<String, ApiError> {
    let lock = REFRESHING.with(Rc::clone);
    let _guard = lock.lock().await;
    if let Some(token) = valid_token()
        && Some(token.as_str()) != failed
    {
        return Ok(token);
    }
    // Read the stored token now, not earlier: another tab may have rotated it.
    let Some(refresh_token) = stored_refresh_token() else {
        clear();
        return Err(ApiError::signed_out());
    };
    let body = RefreshRequest { refresh_token };
    match client::send_json::<LoginResponse, _>(
        Method::POST,
        "/api/auth/refresh",
        Some(&body),
        None,
    )
    .await
    {
        Ok(session) => {
            let token = session.token.clone();
            store(session);
            Ok(token)
        }
        Err(e) if e.status == 401 => {
            clear();
            Err(ApiError::signed_out())
        }
        // Offline or a server error: keep the refresh token for the next try.
        Err(e) => Err(e),
    }
}

/// Resumes the session of a previous visit, if there is one; the listener hears of it.
pub async fn restore() {
    if stored_refresh_token().is_some() {
        let _ = refresh(None).await;
    }
}
