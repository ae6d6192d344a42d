//! Previous / next buttons for a paged list.

use leptos::prelude::*;

/// Moves `page` between 1 and `last`. `label` names the navigation landmark;
/// `summary` is the text between the buttons.
#[component]
pub fn Pager(
    page: RwSignal<u32>,
    last: u32,
    label: &'static str,
    summary: String,
    #[prop(default = "Previous")] previous: &'static str,
    #[prop(default = "Next")] next: &'static str,
    #[prop(optional)] small: bool,
) -> impl IntoView {
    let last = last.max(1);
    // Comparisons stay in named closures: inside `view!`, a bare `>=` after an
    // attribute value would close the tag.
    let at_first = move || page.get() <= 1;
    let at_last = move || page.get() >= last;
    let class = if small {
        "button secondary small"
    } else {
        "button secondary"
    };
    view! {
        <nav class="pager" aria-label=label>
            <button
                class=class
                disabled=at_first
                on:click=move |_| page.update(|p| *p = p.saturating_sub(1).max(1))
            >
                {previous}
            </button>
            <span>{summary}</span>
            <button
                class=class
                disabled=at_last
                on:click=move |_| page.update(|p| *p = (*p + 1).min(last))
            >
                {next}
            </button>
        </nav>
    }
}

/// "1 doctor", "3 doctors".
pub fn count_of(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
