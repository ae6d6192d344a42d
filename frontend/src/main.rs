//! MediConnect single-page app (Leptos, client-side rendered).

mod api;
mod app;
mod components;
mod dates;
mod pages;
mod router;
mod state;
mod text;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
