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
            // Rebuilt when the path changes, not when only the query does.
            {move || page(&location.path())}
        </main>
    }
}

fn page(path: &str) -> AnyView {
    match path {
        "/" => view! { <Home/> }.into_any(),
        "/login" => view! { <Login/> }.into_any(),
        "/register" => view! { <Register/> }.into_any(),
        "/profile" => view! { <Profile/> }.into_any(),
        "/doctors" => view! { <Doctors/> }.into_any(),
        "/appointments" => view! { <Appointments/> }.into_any(),
        "/schedule" => view! { <SchedulePage/> }.into_any(),
        "/admin" => view! { <AdminPage/> }.into_any(),
        _ => view! { <NotFound/> }.into_any(),
    }
}
