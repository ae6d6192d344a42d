use crate::router::A;
use leptos::prelude::*;

#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <section class="card narrow center">
            <h1>"Page not found"</h1>
            <p class="muted">
                "There is nothing at this address. It may have moved, or the link may be \
                 mistyped."
            </p>
            <A href="/" class="button">"Go to the home page"</A>
        </section>
    }
}
