//! Reminding a signed-in user whose address is not yet confirmed, with a way to get a
//! new link.

use leptos::prelude::*;
use mediconnect_shared::Role;

use crate::api::{self, ApiAction};
use crate::router::use_location;
use crate::state::session::use_session;

/// "Send a new link", and what came of it.
#[component]
pub fn ResendLink() -> impl IntoView {
    let resend = ApiAction::new(|_: &()| async move { api::resend_verification().await });
    view! {
        <div class="resend">
            <button
                type="button"
                class="button secondary"
                disabled=move || resend.pending()
                on:click=move |_| resend.dispatch(())
            >
                {move || if resend.pending() { "Sending…" } else { "Send a new link" }}
            </button>
            <span role="status">
                {move || match resend.result() {
                    Some(Ok(notice)) => notice.message,
                    Some(Err(e)) => e.message(),
                    None => String::new(),
                }}
            </span>
        </div>
    }
}

/// Under the header while the signed-in user's address is unconfirmed: what waits
/// for it, and a new link (not on the page that confirms it).
#[component]
pub fn ConfirmBanner() -> impl IntoView {
    let session = use_session();
    let location = use_location();
    let pending = move || {
        location.path() != "/verify-email"
            && session
                .user
                .with(|u| u.as_ref().is_some_and(|u| !u.email_verified))
    };
    view! {
        <Show when=pending>
            <aside class="confirm-banner" aria-label="Confirm your email address">
                <div class="inner">
                    <p>
                        <strong>"Confirm your email address. "</strong>
                        {move || {
                            let (email, role) = session
                                .user
                                .with(|u| {
                                    u.as_ref()
                                        .map(|u| (u.email.clone(), u.role))
                                        .unwrap_or((String::new(), Role::Patient))
                                });
                            let until = match role {
                                Role::Doctor => "you cannot go online for patients",
                                Role::Patient => "you cannot book appointments or get alerts",
                                Role::Admin => "some emails cannot reach you",
                            };
                            format!(
                                "We sent a link to {email}. Until you follow it, {until}."
                            )
                        }}
                    </p>
                    <ResendLink/>
                </div>
            </aside>
        </Show>
    }
}
