//! The root component: session context, header, and routes.

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

use crate::components::{Announcer, Header};
use crate::pages::{
    AdminPage, Appointments, Doctors, Home, Login, NotFound, Profile, Register, SchedulePage,
};
use crate::state::follows::provide_follows;
use crate::state::live::provide_live;
use crate::state::session::provide_session;

#[component]
pub fn App() -> impl IntoView {
    let session = provide_session();
    provide_live(session);
    provide_follows(session);
    view! {
        <Router>
            <Header/>
            <Announcer/>
            <main id="main" tabindex="-1">
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=Home/>
                    <Route path=path!("/login") view=Login/>
                    <Route path=path!("/register") view=Register/>
                    <Route path=path!("/profile") view=Profile/>
                    <Route path=path!("/doctors") view=Doctors/>
                    <Route path=path!("/appointments") view=Appointments/>
                    <Route path=path!("/schedule") view=SchedulePage/>
                    <Route path=path!("/admin") view=AdminPage/>
                </Routes>
            </main>
        </Router>
    }
}
