use crate::router::{A, use_location};
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::ConnectionBadge;
use crate::api;
use crate::state::session::use_session;

/// The site header: brand, and the links of the signed-in user or of a visitor.
#[component]
pub fn Header() -> impl IntoView {
    let session = use_session();
    let location = use_location();
    let logging_out = RwSignal::new(false);
    // On a phone the links fold into a menu, so the header stays one line; it closes
    // when a link is followed.
    let menu_open = RwSignal::new(false);
    Effect::new(move |_| {
        location.path();
        menu_open.set(false);
    });
    let log_out = move |_| {
        // Leave protected pages first, so they do not ask to sign in again on the way out.
        location.navigate("/login");
        logging_out.set(true);
        spawn_local(async move {
            api::logout().await;
            logging_out.set(false);
        });
    };
    let has_role = move |role: mediconnect_shared::Role| {
        session
            .user
            .with(|u| u.as_ref().is_some_and(|u| u.role == role))
    };
    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <header class="site-header">
            <div class="inner">
                <A href="/" class="brand">"MediConnect"</A>
                // On every page that shows live data: whether it is being kept current.
                <Show when=move || shows_live_data(&location.path())>
                    <ConnectionBadge/>
                </Show>
                <button type="button" class="menu-button" aria-controls="site-nav"
                    aria-expanded=move || if menu_open.get() { "true" } else { "false" }
                    on:click=move |_| menu_open.update(|o| *o = !*o)>
                    <span aria-hidden="true">"☰ "</span>"Menu"
                </button>
                <nav
                    id="site-nav"
                    class="site-nav"
                    class:open=move || menu_open.get()
                    aria-label="Main"
                    on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                        if ev.key() == "Escape" && menu_open.get_untracked() {
                            menu_open.set(false);
                            if let Some(button) =
                                document().query_selector(".menu-button").ok().flatten()
                            {
                                use wasm_bindgen::JsCast;
                                if let Ok(button) = button.dyn_into::<web_sys::HtmlElement>() {
                                    let _ = button.focus();
                                }
                            }
                        }
                    }>
                    <A href="/doctors">"Doctors"</A>
                    <Show
                        when=move || session.signed_in()
                        fallback=move || view! {
                            <A href="/login">"Sign in"</A>
                            <A href="/register">"Create account"</A>
                        }
                    >
                        <A href="/appointments">"Appointments"</A>
                        <Show when=move || has_role(mediconnect_shared::Role::Doctor)>
                            <A href="/schedule">"Hours"</A>
                        </Show>
                        <Show when=move || has_role(mediconnect_shared::Role::Admin)>
                            <A href="/admin">"Admin"</A>
                        </Show>
                        <A href="/profile">"Profile"</A>
                        <span class="who">
                            {move || session.user.get().map(|u| u.name).unwrap_or_default()}
                        </span>
                        <button
                            class="link-button"
                            on:click=log_out
                            disabled=move || logging_out.get()
                        >
                            {move || if logging_out.get() { "Signing out…" } else { "Sign out" }}
                        </button>
                    </Show>
                </nav>
            </div>
        </header>
    }
}

/// The pages that update by themselves over the live socket: the online doctors (the
/// home page, or a doctor's own home), the directory, and the appointments.
fn shows_live_data(path: &str) -> bool {
    matches!(path, "/" | "/doctors" | "/appointments")
}

/// A loading indicator with a message.
#[component]
pub fn Loading(#[prop(default = "Loading…")] message: &'static str) -> impl IntoView {
    view! {
        <div class="loading" role="status">
            <span class="spinner" aria-hidden="true"></span>
            <span>{message}</span>
        </div>
    }
}
