use leptos::prelude::*;
use mediconnect_shared::Doctor;

use crate::components::{DoctorCard, Loading, use_clock};
use crate::state::live::use_live;
use crate::text::lowercase;

/// Whether `doctor` passes the filters, given in lower case (empty: no filter).
fn matches(doctor: &Doctor, specialization: &str, search: &str) -> bool {
    (specialization.is_empty() || lowercase(&doctor.specialization) == specialization)
        && (search.is_empty() || lowercase(&doctor.name).contains(search))
}

/// The live list of doctors online right now, with a specialization filter and a name
/// search. It updates by itself.
#[component]
pub fn OnlineDoctors() -> impl IntoView {
    let live = use_live();
    let now = use_clock();
    let specialization = RwSignal::new(String::new());
    let search = RwSignal::new(String::new());
    let only_followed = RwSignal::new(false);
    let follows = crate::state::follows::use_follows();
    let session = crate::state::session::use_session();
    let is_patient = move || {
        session.user.with(|u| {
            u.as_ref()
                .is_some_and(|u| u.role == mediconnect_shared::Role::Patient)
        })
    };
    let specializations = Memo::new(move |_| {
        // Each name with its lower case, which sorts and merges them.
        let mut names: Vec<(String, String)> = live.online.with(|m| {
            m.values()
                .map(|d| (lowercase(&d.specialization), d.specialization.clone()))
                .collect()
        });
        names.sort_by(|a, b| a.0.cmp(&b.0));
        names.dedup_by(|a, b| a.0 == b.0);
        names.into_iter().map(|(_, name)| name).collect::<Vec<_>>()
    });
    let shown = Memo::new(move |_| {
        let spec = lowercase(&specialization.get());
        let q = lowercase(search.get().trim());
        let followed_only = only_followed.get() && is_patient();
        live.online_sorted()
            .into_iter()
            .filter(|d| matches(d, &spec, &q))
            .filter(|d| !followed_only || follows.contains(d.id))
            .collect::<Vec<_>>()
    });
    view! {
        <section aria-labelledby="online-heading" class="online">
            <div class="section-head">
                <h2 id="online-heading">"Online now"</h2>
            </div>
            <div class="filters">
                <div class="field">
                    <label for="online-specialization">"Specialization"</label>
                    <select id="online-specialization"
                        on:change=move |ev| specialization.set(event_target_value(&ev))
                        prop:value=move || specialization.get()>
                        <option value="">"All specializations"</option>
                        {move || specializations.get().into_iter().map(|name| {
                            let value = name.clone();
                            view! { <option value=value>{name}</option> }
                        }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="online-search">"Search by name"</label>
                    <input id="online-search" type="search" autocomplete="off"
                        prop:value=move || search.get()
                        on:input=move |ev| search.set(event_target_value(&ev))/>
                </div>
                <Show when=is_patient>
                    <label class="choice">
                        <input type="checkbox" prop:checked=move || only_followed.get()
                            on:change=move |ev| only_followed.set(event_target_checked(&ev))/>
                        "Only doctors I follow"
                    </label>
                </Show>
            </div>
            <Show
                when=move || live.loaded.get()
                fallback=|| view! { <Loading message="Finding doctors online…"/> }
            >
                <Show
                    when=move || !shown.with(Vec::is_empty)
                    fallback=move || view! {
                        <p class="empty" data-test="online-empty">
                            {move || if live.online.with(|m| m.is_empty()) {
                                "No doctor is online right now. This list updates by itself when \
                                 one comes online."
                            } else {
                                "No online doctor matches these filters."
                            }}
                        </p>
                    }
                >
                    <ul class="doctor-list" data-test="online-list">
                        <For
                            each=move || shown.get()
                            key=|d| (d.id, d.name.clone(), d.specialization.clone())
                            let:doctor
                        >
                            <DoctorCard doctor=doctor now=now/>
                        </For>
                    </ul>
                </Show>
            </Show>
        </section>
    }
}
