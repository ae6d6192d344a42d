//! `/verify-email#token=...`: confirms the address with the link from the email, as
//! soon as the page opens. The token is read from the address's fragment (which no
//! server ever sees) and then taken out of the address bar and the history.

use leptos::prelude::*;
use mediconnect_shared::{Role, VerifyEmailRequest};

use crate::api::{self, ApiAction};
use crate::components::new_password::link_invalid;
use crate::components::{Loading, ResendLink};
use crate::router::{A, take_token};
use crate::state::session::use_session;

#[component]
pub fn VerifyEmail() -> impl IntoView {
    let session = use_session();
    let token = take_token();
    let has_token = token.is_some();
    let confirm = ApiAction::new(move |req: &VerifyEmailRequest| {
        let req = req.clone();
        async move { api::verify_email(&req).await }
    });
    if let Some(token) = token {
        confirm.dispatch(VerifyEmailRequest { token });
    }
    let invalid_link = move || !has_token || link_invalid(confirm.error());
    let next_step = move || match session.user.get().map(|u| u.role) {
        Some(Role::Patient) => view! {
            <p>"You can now book appointments and get alerts when a doctor comes online."</p>
            <p class="center"><A href="/doctors" class="button">"Find a doctor"</A></p>
        }
        .into_any(),
        Some(Role::Doctor) => view! {
            <p>"You can now go online for patients."</p>
            <p class="center"><A href="/" class="button">"Go to your home page"</A></p>
        }
        .into_any(),
        Some(Role::Admin) => view! {
            <p class="center"><A href="/admin" class="button">"Go to the dashboard"</A></p>
        }
        .into_any(),
        None => view! {
            <p class="center"><A href="/login" class="button">"Sign in"</A></p>
        }
        .into_any(),
    };
    view! {
        <section class="card narrow">
            <h1>"Confirm your email address"</h1>
            {move || {
                if invalid_link() {
                    view! {
                        <p class="alert error" role="alert">
                            "This link is no longer valid: it was used already, has expired \
                             (links work for 48 hours), or a newer one was sent."
                        </p>
                        {move || {
                            if session.signed_in() {
                                view! { <ResendLink/> }.into_any()
                            } else {
                                view! {
                                    <p class="center">
                                        <A href="/login">"Sign in to ask for a new link"</A>
                                    </p>
                                }
                                .into_any()
                            }
                        }}
                    }
                    .into_any()
                } else {
                    match confirm.result() {
                        None => view! { <Loading message="Confirming your address…"/> }
                            .into_any(),
                        Some(Ok(())) => view! {
                            <p class="alert success" role="status">
                                "Your email address is confirmed. Thank you."
                            </p>
                            {next_step}
                        }
                        .into_any(),
                        Some(Err(e)) => view! {
                            <p class="alert error" role="alert">{e.message()}</p>
                            <p class="center">"Open the link from the email again to retry."</p>
                        }
                        .into_any(),
                    }
                }
            }}
        </section>
    }
}
