use leptos::prelude::*;
use leptos_router::components::A;
use mediconnect_shared::Role;

use crate::state::session::use_session;

/// The landing page: what MediConnect does, and where to go next.
#[component]
pub fn Home() -> impl IntoView {
    let session = use_session();
    view! {
        <section class="hero">
            {move || match session.user.get() {
                Some(user) => {
                    let next = match user.role {
                        Role::Doctor => "Keep your profile current so patients can find you by specialization.",
                        Role::Patient => "Keep your contact details current so your clinic can reach you.",
                        Role::Admin => "You are signed in as a clinic administrator.",
                    };
                    view! {
                        <h1>{format!("Welcome, {}", user.name)}</h1>
                        <p>{next}</p>
                        <div class="actions">
                            <A href="/profile" attr:class="button">"View your profile"</A>
                        </div>
                    }.into_any()
                }
                None => view! {
                    <h1>"See which doctors are available right now"</h1>
                    <p>
                        "MediConnect shows patients which doctors are online at this moment, "
                        "lets them book an appointment, and emails them when a doctor they follow comes online."
                    </p>
                    <div class="actions">
                        <A href="/register" attr:class="button">"Create an account"</A>
                        <A href="/login" attr:class="button secondary">"Sign in"</A>
                    </div>
                }.into_any(),
            }}
        </section>
        <section class="features" aria-label="What MediConnect does">
            <div class="card">
                <h2>"Live availability"</h2>
                <p>"Doctors switch themselves online or offline with one click; patients see it without reloading."</p>
            </div>
            <div class="card">
                <h2>"Appointments"</h2>
                <p>"Book a free slot with a doctor. A slot can never be booked twice."</p>
            </div>
            <div class="card">
                <h2>"Careful with your data"</h2>
                <p>"Only what is needed is shown or sent, and your records are visible only to you and your doctor."</p>
            </div>
        </section>
    }
}
