//! `/forgot-password`: asks for a link to choose a new password. The answer is the
//! same whether or not the address has an account.

use leptos::prelude::*;
use mediconnect_shared::PasswordResetRequest;

use crate::api::{self, ApiAction};
use crate::components::{Field, FormError};
use crate::router::A;

#[component]
pub fn ForgotPassword() -> impl IntoView {
    let email = RwSignal::new(String::new());
    let submit = ApiAction::new(move |req: &PasswordResetRequest| {
        let req = req.clone();
        async move { api::request_password_reset(&req).await }
    });
    let error = Signal::derive(move || submit.error().map(|e| e.message()));
    let field_error = Signal::derive(move || submit.error().and_then(|e| e.field("email")));
    let sent = move || submit.result().and_then(Result::ok);
    view! {
        <section class="card narrow">
            <h1>"Forgot your password?"</h1>
            {move || match sent() {
                Some(notice) => view! {
                    <p class="alert success" role="status">{notice.message}</p>
                    <p class="muted">
                        "No email? Check the address and your spam folder, then ask again."
                    </p>
                    <p class="center"><A href="/login">"Back to sign in"</A></p>
                }
                .into_any(),
                None => view! {
                    <p class="muted">
                        "Enter the address you sign in with. We will email you a link to \
                         choose a new password."
                    </p>
                    <FormError message=error/>
                    <form on:submit=move |ev| {
                        ev.prevent_default();
                        submit.dispatch(PasswordResetRequest { email: email.get() });
                    }>
                        <Field
                            id="email"
                            label="Email"
                            kind="email"
                            autocomplete="username"
                            required=true
                            value=email
                            error=field_error
                        />
                        <button
                            class="button full"
                            type="submit"
                            disabled=move || submit.pending()
                        >
                            {move || if submit.pending() { "Sending…" } else { "Send the link" }}
                        </button>
                    </form>
                    <p class="center muted"><A href="/login">"Back to sign in"</A></p>
                }
                .into_any(),
            }}
        </section>
    }
}
