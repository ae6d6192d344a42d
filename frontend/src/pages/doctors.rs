use leptos::prelude::*;
use mediconnect_shared::{DoctorQuery, PageQuery};

use crate::api::{self, ApiResource};
use crate::components::{DoctorCard, Loading, Pager, count_of, use_clock};
use crate::state::live::use_live;

const PAGE_SIZE: u32 = 20;

/// Every doctor, with their status and when they were last online; filters and pages.
#[component]
pub fn Doctors() -> impl IntoView {
    let live = use_live();
    let now = use_clock();
    // The filters live in the address (`?specialization=&online=&q=&page=&followed=`):
    // Back, a reload and a shared link keep them. `?q=` is also how email alerts link
    // here with the doctor's name.
    let location = crate::router::use_location();
    let from_address = |name: &str| location.query(name).unwrap_or_default();
    let specialization = RwSignal::new(from_address("specialization"));
    let online = RwSignal::new(
        Some(from_address("online"))
            .filter(|v| v == "true" || v == "false")
            .unwrap_or_default(),
    );
    let search = RwSignal::new(from_address("q"));
    let page = RwSignal::new(location.query_page());
    let only_followed = RwSignal::new(from_address("followed") == "true");
    Effect::new(move |_| {
        let page = page.get();
        location.keep_query(&[
            ("specialization", specialization.get()),
            ("online", online.get()),
            ("q", search.get()),
            (
                "page",
                if page > 1 {
                    page.to_string()
                } else {
                    String::new()
                },
            ),
            (
                "followed",
                if only_followed.get() {
                    "true".into()
                } else {
                    String::new()
                },
            ),
        ]);
    });
    let session = crate::state::session::use_session();
    let is_patient = move || {
        session.user.with(|u| {
            u.as_ref()
                .is_some_and(|u| u.role == mediconnect_shared::Role::Patient)
        })
    };
    let follows = crate::state::follows::use_follows();
    // The followed doctors, reloaded when the set changes.
    let followed = ApiResource::new(move || {
        follows.ids.track();
        let wanted = only_followed.get() && is_patient();
        async move {
            if wanted {
                api::follows().await
            } else {
                Ok(Vec::new())
            }
        }
    });
    let specializations = ApiResource::new(api::specializations);
    let query = Memo::new(move |_| DoctorQuery {
        specialization: Some(specialization.get()).filter(|s| !s.is_empty()),
        online: match online.get().as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        },
        q: Some(search.get()).filter(|s| !s.trim().is_empty()),
        paging: PageQuery::new(page.get(), PAGE_SIZE),
    });
    let results = ApiResource::new(move || {
        let q = query.get();
        async move { api::doctors(&q).await }
    });
    // A filter change starts again from the first page.
    let reset = move || page.set(1);

    view! {
        <div class="section-head">
            <h1>"All doctors"</h1>
        </div>
        <form class="filters" role="search" on:submit=|ev| ev.prevent_default()>
            <div class="field">
                <label for="doctors-specialization">"Specialization"</label>
                <select id="doctors-specialization" prop:value=move || specialization.get()
                    on:change=move |ev| { specialization.set(event_target_value(&ev)); reset(); }>
                    <option value="">"All specializations"</option>
                    {move || specializations
                        .get()
                        .and_then(Result::ok)
                        .unwrap_or_default()
                        .into_iter()
                        .map(|s| {
                            let value = s.name.clone();
                            // The options arrive after the value (from the address): each
                            // says whether it is the one chosen.
                            let chosen = crate::text::lowercase(&s.name)
                                == crate::text::lowercase(&specialization.get_untracked());
                            view! {
                                <option value=value selected=chosen>
                                    {format!("{} ({})", s.name, s.doctors)}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="doctors-online">"Status"</label>
                <select id="doctors-online" prop:value=move || online.get()
                    on:change=move |ev| { online.set(event_target_value(&ev)); reset(); }>
                    <option value="">"Online and offline"</option>
                    <option value="true">"Online now"</option>
                    <option value="false">"Offline"</option>
                </select>
            </div>
            <div class="field">
                <label for="doctors-search">"Search by name"</label>
                <input
                    id="doctors-search"
                    type="search"
                    autocomplete="off"
                    prop:value=move || search.get()
                    on:input=move |ev| { search.set(event_target_value(&ev)); reset(); }
                />
            </div>
            <Show when=is_patient>
                <label class="choice">
                    <input type="checkbox" prop:checked=move || only_followed.get()
                        on:change=move |ev| only_followed.set(event_target_checked(&ev))/>
                    "Only doctors I follow"
                </label>
            </Show>
        </form>
        <Show when=move || only_followed.get() && is_patient()>
            <Transition fallback=|| {
                view! { <Loading message="Loading the doctors you follow…"/> }
            }>
                {move || followed.get().map(|r| match r {
                    Ok(list) if list.is_empty() => view! {
                        <p class="empty">
                            "You follow no doctor yet. Use Follow on a doctor's card."
                        </p>
                    }.into_any(),
                    Ok(list) => view! {
                        <ul class="doctor-list" data-test="followed-doctors">
                            {list.into_iter().map(|d| {
                                let d = live.changes.with(|c| c.get(&d.id).cloned()).unwrap_or(d);
                                view! { <DoctorCard doctor=d now=now/> }
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                    Err(e) => view! {
                        <p class="alert error" role="alert">{e.message()}</p>
                    }.into_any(),
                })}
            </Transition>
        </Show>
        <Show when=move || !(only_followed.get() && is_patient())>
        <Transition fallback=|| view! { <Loading message="Loading doctors…"/> }>
            {move || results.get().map(|result| match result {
                Err(e) => view! {
                    <div class="alert error" role="alert">
                        <p>{e.message()}</p>
                        <button class="button secondary" on:click=move |_| results.refetch()>
                            "Try again"
                        </button>
                    </div>
                }.into_any(),
                Ok(list) if list.doctors.is_empty() => view! {
                    <p class="empty">"No doctor matches these filters."</p>
                }.into_any(),
                Ok(list) => {
                    let pagination = list.pagination;
                    // Live events correct the status shown since the page was loaded.
                    let doctors = list.doctors.into_iter().map(|d| {
                        live.changes.with(|c| c.get(&d.id).cloned()).unwrap_or(d)
                    }).collect::<Vec<_>>();
                    view! {
                        <ul class="doctor-list" data-test="all-doctors">
                            {doctors
                                .into_iter()
                                .map(|d| view! { <DoctorCard doctor=d now=now/> })
                                .collect_view()}
                        </ul>
                        <Pager
                            page=page
                            last=pagination.total_pages
                            label="Doctor pages"
                            summary=format!(
                                "Page {} of {} · {}",
                                pagination.page,
                                pagination.total_pages.max(1),
                                count_of(pagination.total, "doctor", "doctors")
                            )
                        />
                    }.into_any()
                }
            })}
        </Transition>
        </Show>
    }
}
