use std::time::Duration;

use leptos::prelude::*;

use super::Loading;
use crate::router::use_location;
use crate::state::session::use_session;

/// Shows `children` to a signed-in user; sends anyone else to the login page, with a
/// way back here.
#[component]
pub fn RequireAuth(children: ChildrenFn) -> impl IntoView {
    let session = use_session();
    let location = use_location();
    let children = StoredValue::new(children);
    // Whether the session is restored, and whose it is; not the user's name, which a
    // profile save changes and the next password change or refresh brings back.
    let now = move || {
        (
            session.ready.get_untracked(),
            session.user.with_untracked(|u| u.as_ref().map(|u| u.id)),
        )
    };
    // What the page is built for. It follows the session a task after each change, not
    // in the task that made it: that may be one of the page's own calls (a password
    // change stores its new session, a refused refresh signs out) whose action takes
    // its answer right after. Rebuilt or removed then, the page's signals would be
    // disposed while the effects that answer wakes are queued, and those effects
    // would panic reading them.
    let shown = RwSignal::new(now());
    Effect::new(move |_| {
        session.ready.track();
        session.user.track();
        if let Ok(timer) = set_timeout_with_handle(
            move || {
                if shown.get_untracked() != now() {
                    shown.set(now());
                }
            },
            Duration::ZERO,
        ) {
            // Not needed once the session changes again, or the page is gone.
            on_cleanup(move || timer.clear());
        }
    });
    move || match shown.get() {
        (false, _) => view! { <Loading message="Restoring your session…"/> }.into_any(),
        (true, Some(_)) => children.read_value()().into_any(),
        (true, None) => {
            location.redirect(login_then(&location.path_untracked()));
            ().into_any()
        }
    }
}

/// The sign-in page's address, with `next` encoded so that it reads back as `path`
/// (a `+` would come back as a space from a hand-made query string).
fn login_then(path: &str) -> String {
    let query = web_sys::UrlSearchParams::new().expect("a browser has URLSearchParams");
    query.set("next", path);
    format!("/login?{}", String::from(query.to_string()))
}
