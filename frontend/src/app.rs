//! The root component: session context, header, and routes.

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

use crate::components::Header;
use crate::pages::{Home, Login, NotFound, Profile, Register};
use crate::state::session::provide_session;

#[component]
pub fn App() -> impl IntoView {
    provide_session();
    view! {
        <Router>
            <Header/>
            <main id="main" tabindex="-1">
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=Home/>
                    <Route path=path!("/login") view=Login/>
                    <Route path=path!("/register") view=Register/>
                    <Route path=path!("/profile") view=Profile/>
                </Routes>
            </main>
        </Router>
    }
}
