//! The root component: session context, header, and routes.

use leptos::prelude::*;

use crate::components::{Announcer, ConfirmBanner, Header};
use crate::page_module;
use crate::pages::{
    AcceptInvitation, AdminPage, Appointments, ConsultRoomPage, DoctorPage, Doctors,
    ForgotPassword, Home, Login, NotFound, Profile, Register, ResetPassword, SchedulePage,
    VerifyEmail,
};
use crate::router::provide_router;
use crate::state::follows::provide_follows;
use crate::state::live::provide_live;
use crate::state::session::provide_session;

#[component]
pub fn App() -> impl IntoView {
    let location = provide_router();
    let session = provide_session();
    provide_live(session);
    provide_follows(session);
    view! {
        <Header/>
        <ConfirmBanner/>
        <Announcer/>
        <main id="main" tabindex="-1">
            // Rebuilt when the address changes: a page reads its query as it starts.
            {move || {
                location.track_query();
                let (title, page) = page(&location.path());
                document().set_title(&match title {
                    "" => "MediConnect".to_owned(),
                    title => format!("{title} · MediConnect"),
                });
                page
            }}
        </main>
    }
}

/// The page at `path`, and its title for the browser (a tab, the history, a screen
/// reader); the home page's is the app's name alone.
fn page(path: &str) -> (&'static str, AnyView) {
    match path {
        "/" => ("", view! { <Home/> }.into_any()),
        "/login" => ("Sign in", page_module!(login_page, Login).into_view()),
        "/forgot-password" => (
            "Forgot your password",
            page_module!(forgot_password_page, ForgotPassword).into_view(),
        ),
        "/reset-password" => (
            "Choose a new password",
            page_module!(reset_password_page, ResetPassword).into_view(),
        ),
        "/verify-email" => (
            "Confirm your email address",
            page_module!(verify_email_page, VerifyEmail).into_view(),
        ),
        "/accept-invitation" => (
            "Accept your invitation",
            page_module!(accept_invitation_page, AcceptInvitation).into_view(),
        ),
        "/register" => (
            "Create your account",
            page_module!(register_page, Register).into_view(),
        ),
        "/profile" => (
            "Your profile",
            page_module!(profile_page, Profile).into_view(),
        ),
        "/doctors" => (
            "All doctors",
            page_module!(doctors_page, Doctors).into_view(),
        ),
        "/appointments" => (
            "Appointments",
            page_module!(appointments_page, Appointments).into_view(),
        ),
        "/schedule" => (
            "Working hours",
            page_module!(schedule_page, SchedulePage).into_view(),
        ),
        "/admin" => (
            "Clinic dashboard",
            page_module!(admin_page, AdminPage).into_view(),
        ),
        room if room.starts_with("/consult/") => (
            "Consult",
            page_module!(consult_page, ConsultRoomPage).into_view(),
        ),
        doctor if doctor.starts_with("/doctors/") => {
            ("Doctor", page_module!(doctor_page, DoctorPage).into_view())
        }
        _ => ("Page not found", view! { <NotFound/> }.into_any()),
    }
}
