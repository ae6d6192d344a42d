//! The root component: session context, header, and routes.

use leptos::prelude::*;

use crate::components::{Announcer, Header, Lazy};
use crate::page_module;
use crate::pages::{
    AdminPage, Appointments, Doctors, Home, Login, NotFound, Profile, Register, SchedulePage,
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
        "/login" => (
            "Sign in",
            view! { <Lazy module=page_module!(login_page, Login)/> }.into_any(),
        ),
        "/register" => (
            "Create your account",
            view! { <Lazy module=page_module!(register_page, Register)/> }.into_any(),
        ),
        "/profile" => (
            "Your profile",
            view! { <Lazy module=page_module!(profile_page, Profile)/> }.into_any(),
        ),
        "/doctors" => (
            "All doctors",
            view! { <Lazy module=page_module!(doctors_page, Doctors)/> }.into_any(),
        ),
        "/appointments" => (
            "Appointments",
            view! { <Lazy module=page_module!(appointments_page, Appointments)/> }.into_any(),
        ),
        "/schedule" => (
            "Working hours",
            view! { <Lazy module=page_module!(schedule_page, SchedulePage)/> }.into_any(),
        ),
        "/admin" => (
            "Clinic dashboard",
            view! { <Lazy module=page_module!(admin_page, AdminPage)/> }.into_any(),
        ),
        _ => ("Page not found", view! { <NotFound/> }.into_any()),
    }
}
