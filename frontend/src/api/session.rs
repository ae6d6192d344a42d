//! The session of this browser: the access token in memory, the refresh token in
//! localStorage so that a reload keeps the user signed in.

use std::cell::RefCell;
use std::rc::Rc;

use gloo_net::http::Method;
use mediconnect_shared::{LoginResponse, RefreshRequest, UserSummary};

use super::client::{self, ApiError};

const REFRESH_KEY: &str = "mediconnect.refreshToken";
/// Whose refresh token that is: tabs share it, and must not share an account by
/// accident (another tab may sign in as someone else).
const USER_KEY: &str = "mediconnect.userId";
/// Refresh this long before the access token expires, to absorb clock skew and latency.
const EARLY_MS: f64 = 30_000.0;

struct Access {
    token: String,
    expires_at_ms: f64,
}

type Listener = Box<dyn Fn(Option<UserSummary>)>;

thread_local! {
    static ACCESS: RefCell<Option<Access>> = const { RefCell::new(None) };
    /// The account this tab shows.
    static USER: RefCell<Option<uuid::Uuid>> = const { RefCell::new(None) };
    static LISTENER: RefCell<Option<Listener>> = const { RefCell::new(None) };
    static REFRESHING: Rc<futures::lock::Mutex<()>> = Rc::new(futures::lock::Mutex::new(()));
}

/// Called with the user whenever the session starts, is refreshed, or ends.
pub fn on_session_change(listener: impl Fn(Option<UserSummary>) + 'static) {
    LISTENER.with(|l| *l.borrow_mut() = Some(Box::new(listener)));
}

fn notify(user: Option<UserSummary>) {
    crate::dates::set_zone(user.as_ref().map(|u| u.time_zone.clone()));
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

/// Keeps the refresh token where every tab finds it.
fn share(session: &LoginResponse) {
    if let Some(storage) = storage() {
        let _ = storage.set_item(REFRESH_KEY, &session.refresh_token);
        let _ = storage.set_item(USER_KEY, &session.user.id.to_string());
    }
}

/// Keeps a new session and tells the app who is signed in.
pub fn store(session: LoginResponse) -> UserSummary {
    share(&session);
    USER.with(|u| *u.borrow_mut() = Some(session.user.id));
    ACCESS.with(|a| {
        *a.borrow_mut() = Some(Access {
            token: session.token,
            expires_at_ms: now_ms() + session.expires_in as f64 * 1000.0,
        })
    });
    notify(Some(session.user.clone()));
    session.user
}

/// Tells the app that the signed-in user's name or zone changed (a profile save).
pub fn update_user(user: UserSummary) {
    if USER.with(|u| *u.borrow() == Some(user.id)) {
        notify(Some(user));
    }
}

/// Forgets the session, in every tab.
pub fn clear() {
    if let Some(storage) = storage() {
        let _ = storage.remove_item(REFRESH_KEY);
        let _ = storage.remove_item(USER_KEY);
    }
    sign_out_here();
}

/// Signs this tab out, leaving the stored session to the other tabs.
fn sign_out_here() {
    USER.with(|u| *u.borrow_mut() = None);
    ACCESS.with(|a| *a.borrow_mut() = None);
    notify(None);
}

/// The error of a call that this tab started for an account that another tab has
/// since replaced by signing in as someone else: it is not sent for the new one.
fn account_changed() -> ApiError {
    ApiError {
        status: 401,
        problem: Some(Box::new(mediconnect_shared::Problem {
            kind: "about:blank".into(),
            title: "Signed in as someone else".into(),
            status: 401,
            detail: Some(
                "Another tab of this browser signed in as someone else, so nothing was sent. \
                 Sign in again here."
                    .into(),
            ),
            errors: Vec::new(),
            correlation_id: None,
            affected: Vec::new(),
        })),
    }
}

/// Follows sign-ins and sign-outs in the other tabs of this browser: a tab whose
/// account is signed out, or replaced by another, signs out too, rather than show
/// one account's data under another's name.
pub fn follow_other_tabs() {
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;
    let Some(window) = web_sys::window() else {
        return;
    };
    let listener = Closure::<dyn Fn(web_sys::StorageEvent)>::new(|event: web_sys::StorageEvent| {
        let Some(key) = event.key() else {
            // `localStorage.clear()` in another tab.
            sign_out_here();
            return;
        };
        let mine = USER.with(|u| *u.borrow());
        let Some(mine) = mine else { return };
        let gone = key == REFRESH_KEY && event.new_value().is_none();
        let replaced = key == USER_KEY && event.new_value() != Some(mine.to_string());
        if gone || replaced {
            sign_out_here();
        }
    });
    let _ = window.add_event_listener_with_callback("storage", listener.as_ref().unchecked_ref());
    listener.forget();
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
/// refused (in an HTTP call, or the live socket's `auth`): a token other than it,
/// obtained by a concurrent refresh, is used instead. When the refresh is refused too,
/// the session was revoked (a password change on another device, a deactivation, a
/// sign-out), and every tab of the browser is signed out.
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
            let mine = USER.with(|u| *u.borrow());
            if mine.is_some_and(|id| id != session.user.id) {
                // The stored token was another tab's account: keep its new pair for
                // that tab, and stop here.
                share(&session);
                sign_out_here();
                return Err(account_changed());
            }
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
