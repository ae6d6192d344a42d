use crate::router::{A, is_app_path, use_location};
use leptos::prelude::*;
use mediconnect_shared::LoginRequest;

use crate::api::{self, ApiAction};
use crate::components::{Field, FormError};
use crate::state::session::use_session;

/// Where to go after signing in: `next` if it is a path of this site, else home.
fn safe_next(next: Option<String>) -> String {
    next.filter(|n| is_app_path(n))
        .unwrap_or_else(|| "/".into())
}

#[component]
pub fn Login() -> impl IntoView {
    let session = use_session();
    let location = use_location();
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());

    let submit = ApiAction::new(move |req: &LoginRequest| {
        let req = req.clone();
        async move { api::login(&req).await }
    });
    let error = Signal::derive(move || submit.error().map(|e| e.message()));
    Effect::new(move |_| {
        if let Some(Ok(_)) = submit.result() {
            location.replace(&safe_next(location.query("next")));
        }
    });

    view! {
        <section class="card narrow">
            <h1>"Sign in"</h1>
            <Show when=move || session.signed_in() && !submit.answered()>
                <p class="alert success">"You are already signed in."</p>
            </Show>
            <FormError message=error/>
            <form on:submit=move |ev| {
                ev.prevent_default();
                submit.dispatch(LoginRequest { email: email.get(), password: password.get() });
            }>
                <Field
                    id="email"
                    label="Email"
                    kind="email"
                    autocomplete="username"
                    required=true
                    value=email
                />
                <Field
                    id="password"
                    label="Password"
                    kind="password"
                    autocomplete="current-password"
                    required=true
                    value=password
                />
                <p class="form-aside"><A href="/forgot-password">"Forgot your password?"</A></p>
                <button class="button full" type="submit" disabled=move || submit.pending()>
                    {move || if submit.pending() { "Signing in…" } else { "Sign in" }}
                </button>
            </form>
            <p class="center muted">"New here? " <A href="/register">"Create an account"</A></p>
        </section>
    }
}
