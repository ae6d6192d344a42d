use crate::router::A;
use leptos::prelude::*;
use mediconnect_shared::Role;

use super::doctor_home::DoctorHome;
use super::online::OnlineDoctors;
use crate::components::Loading;
use crate::page_module;
use crate::state::session::use_session;

/// The home page: a doctor's availability switch, or, for patients and visitors, the
/// doctors online right now.
#[component]
pub fn Home() -> impl IntoView {
    let session = use_session();
    move || {
        if !session.ready.get() {
            return view! { <Loading message="Loading…"/> }.into_any();
        }
        match session.user.get().map(|u| u.role) {
            Some(Role::Doctor) => page_module!(doctor_home_page, DoctorHome).into_view(),
            Some(Role::Admin) => view! {
                <section class="hero">
                    <h1>"Clinic administration"</h1>
                    <p>"You are signed in as an administrator."</p>
                    <div class="actions">
                        <A href="/admin" class="button">"Open the dashboard"</A>
                        <A href="/doctors" class="button secondary">"See all doctors"</A>
                        <A href="/profile" class="button secondary">"Your profile"</A>
                    </div>
                </section>
                <OnlineDoctors/>
            }
            .into_any(),
            Some(Role::Patient) => view! {
                <h1 class="page-title">"Find a doctor"</h1>
                <OnlineDoctors/>
                <p class="center"><A href="/doctors">"Browse all doctors"</A></p>
            }
            .into_any(),
            None => view! {
                <section class="hero">
                    <h1>"See which doctors are available right now"</h1>
                    <p>
                        "MediConnect shows which doctors are online at this moment, \
                         lets patients book "
                        "an appointment, and emails them when a doctor they follow comes online."
                    </p>
                    <div class="actions">
                        <A href="/register" class="button">"Create an account"</A>
                        <A href="/login" class="button secondary">"Sign in"</A>
                    </div>
                </section>
                <OnlineDoctors/>
            }
            .into_any(),
        }
    }
}
