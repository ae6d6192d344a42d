//! `/accept-invitation#token=...`: an invited doctor or admin chooses a password; the
//! account is made and signed in. The token is read from the address's fragment (which
//! no server ever sees) and then taken out of the address bar and the history.

use leptos::prelude::*;
use mediconnect_shared::AcceptInvitation as Accept;

use crate::api::{self, ApiAction};
use crate::components::FormError;
use crate::components::new_password::{NewPassword, NewPasswordFields, form_error, link_invalid};
use crate::router::{take_token, use_location};

#[component]
pub fn AcceptInvitation() -> impl IntoView {
    let location = use_location();
    let token = StoredValue::new(take_token());
    let new = NewPassword::new();
    let submit = ApiAction::new(move |req: &Accept| {
        let req = req.clone();
        async move { api::accept_invitation(&req).await }
    });
    let invalid_link = move || link_invalid(submit.error());
    let error = Signal::derive(move || form_error(submit.error()));
    let server = Signal::derive(move || submit.error().and_then(|e| e.field("password")));
    Effect::new(move |_| {
        if let Some(Ok(_)) = submit.result() {
            location.replace("/");
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if new.agreed() {
            submit.dispatch(Accept {
                token: token.get_value().unwrap_or_default(),
                password: new.password.get(),
            });
        }
    };
    view! {
        <section class="card narrow">
            <h1>"Accept your invitation"</h1>
            {move || {
                if token.with_value(Option::is_none) || invalid_link() {
                    view! {
                        <p class="alert error" role="alert">
                            "This invitation is no longer valid: it was accepted already, has \
                             expired (invitations work for 7 days), or was withdrawn or \
                             replaced. Ask the clinic's administrator for a new one."
                        </p>
                    }
                    .into_any()
                } else {
                    view! {
                        <p>
                            "Choose a password for your MediConnect account. Your address is \
                             confirmed by this link; you are signed in once it is set."
                        </p>
                        <FormError message=error/>
                        <form on:submit=on_submit>
                            <NewPasswordFields
                                new=new
                                ids=("invite-password", "invite-password-again")
                                labels=("Password", "Password, again")
                                hint="8 to 128 characters."
                                server=server
                            />
                            <button
                                class="button full"
                                type="submit"
                                disabled=move || submit.pending()
                            >
                                {move || {
                                    if submit.pending() { "Creating…" } else { "Create my account" }
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
