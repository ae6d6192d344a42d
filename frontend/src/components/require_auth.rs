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
            let next = location.path_untracked();
            let target = format!("/login?next={}", js_sys::encode_uri_component(&next));
            location.redirect(target);
            ().into_any()
        }
    }
}
