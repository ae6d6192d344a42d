//! `/reset-password#token=...`: sets a new password with the link from the email.
//! The token is read from the address's fragment (which no server ever sees) and then
//! taken out of the address bar and the history.

use leptos::prelude::*;
use mediconnect_shared::PasswordResetConfirm;

use crate::api::{self, ApiAction};
use crate::components::FormError;
use crate::components::new_password::{NewPassword, NewPasswordFields, form_error, link_invalid};
use crate::router::{A, take_token};

#[component]
pub fn ResetPassword() -> impl IntoView {
    let token = StoredValue::new(take_token());
    let new = NewPassword::new();
    let submit = ApiAction::new(move |req: &PasswordResetConfirm| {
        let req = req.clone();
        async move { api::confirm_password_reset(&req).await }
    });
    let invalid_link = move || link_invalid(submit.error());
    let error = Signal::derive(move || form_error(submit.error()));
    let server = Signal::derive(move || submit.error().and_then(|e| e.field("newPassword")));
    let done = move || matches!(submit.result(), Some(Ok(())));
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if new.agreed() {
            submit.dispatch(PasswordResetConfirm {
                token: token.get_value().unwrap_or_default(),
                new_password: new.password.get(),
            });
        }
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
                } else if token.with_value(Option::is_none) || invalid_link() {
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
                            <NewPasswordFields
                                new=new
                                ids=("new-password", "new-password-again")
                                labels=("New password", "New password, again")
                                hint="At least 8 characters"
                                server=server
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
