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
    move || {
        if !session.ready.get() {
            view! { <Loading message="Restoring your session…"/> }.into_any()
        } else if session.signed_in() {
            children.read_value()().into_any()
        } else {
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
