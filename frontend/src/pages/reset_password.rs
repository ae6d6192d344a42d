//! `/reset-password#token=...`: sets a new password with the link from the email.
//! The token is read from the address's fragment (which no server ever sees) and then
//! taken out of the address bar and the history.

use leptos::prelude::*;
use mediconnect_shared::PasswordResetConfirm;

use crate::api::{self, ApiAction};
use crate::components::{Field, FormError};
use crate::router::{A, take_token};

#[component]
pub fn ResetPassword() -> impl IntoView {
    let token = StoredValue::new(take_token());
    let password = RwSignal::new(String::new());
    let again = RwSignal::new(String::new());
    let mismatch = RwSignal::new(None::<String>);
    let submit = ApiAction::new(move |req: &PasswordResetConfirm| {
        let req = req.clone();
        async move { api::confirm_password_reset(&req).await }
    });
    let link_invalid = move || {
        submit
            .error()
            .is_some_and(|e| e.problem.is_some_and(|p| p.kind.ends_with(":link-invalid")))
    };
    let error = Signal::derive(move || {
        submit
            .error()
            .filter(|_| !link_invalid())
            .map(|e| e.message())
    });
    let password_error = Signal::derive(move || {
        mismatch
            .get()
            .or_else(|| submit.error().and_then(|e| e.field("newPassword")))
    });
    let done = move || matches!(submit.result(), Some(Ok(())));
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if password.get() != again.get() {
            mismatch.set(Some("The two passwords are not the same".into()));
            return;
        }
        mismatch.set(None);
        let token = token.get_value().unwrap_or_default();
        submit.dispatch(PasswordResetConfirm {
            token,
            new_password: password.get(),
        });
    };
    view! {
        <section class="card narrow">
            <h1>"Choose a new password"</h1>
            {move || {
                if done() {
                    view! {
                        <p class="alert success" role="status">
                            "Your password is set, and every device that was signed in has \
                             been signed out. Sign in with the new password."
                        </p>
                        <p class="center"><A href="/login">"Sign in"</A></p>
                    }
                    .into_any()
                } else if token.with_value(Option::is_none) || link_invalid() {
                    view! {
                        <p class="alert error" role="alert">
                            "This link is no longer valid: it was used already, has expired \
                             (links work for 30 minutes), or a newer one was sent."
                        </p>
                        <p class="center"><A href="/forgot-password">"Ask for a new link"</A></p>
                    }
                    .into_any()
                } else {
                    view! {
                        <FormError message=error/>
                        <form on:submit=on_submit>
                            <Field
                                id="new-password"
                                label="New password"
                                kind="password"
                                autocomplete="new-password"
                                hint="At least 8 characters"
                                required=true
                                value=password
                                error=password_error
                            />
                            <Field
                                id="new-password-again"
                                label="New password, again"
                                kind="password"
                                autocomplete="new-password"
                                required=true
                                value=again
                            />
                            <button
                                class="button full"
                                type="submit"
                                disabled=move || submit.pending()
                            >
                                {move || {
                                    if submit.pending() { "Saving…" } else { "Set the password" }
                                }}
                            </button>
                        </form>
                    }
                    .into_any()
                }
            }}
        </section>
    }
}
