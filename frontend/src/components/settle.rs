//! Typing that settles: a search runs (and is audited) once per query, not per key.

use leptos::prelude::*;

/// How long typing must pause before the text counts as the query.
const PAUSE: std::time::Duration = std::time::Duration::from_millis(400);

/// A search input whose query (`target`) follows what is typed once typing pauses;
/// `then` runs after each settled change.
#[component]
pub fn SettledSearch(
    id: &'static str,
    label: &'static str,
    #[prop(optional)] placeholder: &'static str,
    target: RwSignal<String>,
    then: Callback<()>,
) -> impl IntoView {
    let typed = RwSignal::new(target.get_untracked());
    let settle = settle_into(target, move || then.run(()));
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input id=id type="search" autocomplete="off" placeholder=placeholder
                prop:value=move || typed.get()
                on:input=move |ev| {
                    let value = event_target_value(&ev);
                    typed.set(value.clone());
                    settle(value);
                }/>
        </div>
    }
}

/// Returns a function for an input's `on:input`: it sets `target` to the typed value
/// once typing has paused, then runs `then` (to go back to the first page, say).
pub fn settle_into(
    target: RwSignal<String>,
    then: impl Fn() + Copy + 'static,
) -> impl Fn(String) + Copy + 'static {
    let typing = StoredValue::new_local(None::<TimeoutHandle>);
    move |value: String| {
        typing.update_value(|pending| {
            if let Some(handle) = pending.take() {
                handle.clear();
            }
            *pending = set_timeout_with_handle(
                move || {
                    target.set(value);
                    then();
                },
                PAUSE,
            )
            .ok();
        });
    }
}
