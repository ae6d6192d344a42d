//! The root component: session context, header, and routes.

use leptos::prelude::*;

use crate::components::{Announcer, Header};
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
        "/login" => ("Sign in", view! { <Login/> }.into_any()),
        "/register" => ("Create your account", view! { <Register/> }.into_any()),
        "/profile" => ("Your profile", view! { <Profile/> }.into_any()),
        "/doctors" => ("All doctors", view! { <Doctors/> }.into_any()),
        "/appointments" => ("Appointments", view! { <Appointments/> }.into_any()),
        "/schedule" => ("Working hours", view! { <SchedulePage/> }.into_any()),
        "/admin" => ("Clinic dashboard", view! { <AdminPage/> }.into_any()),
        _ => ("Page not found", view! { <NotFound/> }.into_any()),
    }
}
