use leptos::prelude::*;
use mediconnect_shared::{Schedule, ScheduleException, WeeklyHours};

use crate::api::{self, ApiAction, ApiResource};
use crate::components::{Loading, RequireAuth};
use crate::dates::WEEKDAYS;

/// The browser's IANA time zone, e.g. "Europe/Berlin".
fn browser_time_zone() -> String {
    let options = js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new())
        .resolved_options();
    js_sys::Reflect::get(&options, &"timeZone".into())
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_else(|| "UTC".into())
}

#[component]
pub fn SchedulePage() -> impl IntoView {
    view! {
        <RequireAuth>
            <ScheduleLoader/>
        </RequireAuth>
    }
}

#[component]
fn ScheduleLoader() -> impl IntoView {
    let schedule = ApiResource::new(api::schedule);
    view! {
        <h1>"Working hours"</h1>
        <Transition fallback=|| view! { <Loading message="Loading your hours…"/> }>
            {move || schedule.get().map(|r| match r {
                Ok(s) => view! { <ScheduleEditor initial=s/> }.into_any(),
                Err(e) => view! { <p class="alert error" role="alert">{e.message()}</p> }.into_any(),
            })}
        </Transition>
    }
}

/// One editable range of a weekday.
#[derive(Clone)]
struct Row {
    id: usize,
    weekday: u8,
    start: RwSignal<String>,
    end: RwSignal<String>,
}

#[component]
fn ScheduleEditor(initial: Schedule) -> impl IntoView {
    let unpublished = initial.weekly.is_empty() && initial.exceptions.is_empty();
    let time_zone = RwSignal::new(if unpublished {
        browser_time_zone()
    } else {
        initial.time_zone.clone()
    });
    let slot_minutes = RwSignal::new(initial.slot_minutes.to_string());
    let next_id = StoredValue::new(0usize);
    let new_row = move |weekday: u8, start: &str, end: &str| {
        let id = next_id.get_value();
        next_id.set_value(id + 1);
        Row {
            id,
            weekday,
            start: RwSignal::new(start.into()),
            end: RwSignal::new(end.into()),
        }
    };
    let rows = RwSignal::new(
        initial
            .weekly
            .iter()
            .map(|w| new_row(w.weekday, &w.start, &w.end))
            .collect::<Vec<_>>(),
    );
    let days_off = RwSignal::new(
        initial
            .exceptions
            .iter()
            .filter(|e| e.intervals.is_empty())
            .map(|e| e.date.to_string())
            .collect::<Vec<_>>(),
    );
    // Exceptions with other hours are kept as they are (the API can set them).
    let other_exceptions: Vec<ScheduleException> = initial
        .exceptions
        .iter()
        .filter(|e| !e.intervals.is_empty())
        .cloned()
        .collect();
    let new_day_off = RwSignal::new(String::new());

    let save = ApiAction::new(move |s: &Schedule| {
        let s = s.clone();
        async move { api::set_schedule(&s).await }
    });
    let failure = move || save.error();
    let saved = move || matches!(save.result(), Some(Ok(_)));

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let mut exceptions: Vec<ScheduleException> = days_off
            .get()
            .iter()
            .filter_map(|d| d.parse().ok())
            .map(|date| ScheduleException {
                date,
                intervals: vec![],
            })
            .collect();
        exceptions.extend(other_exceptions.clone());
        save.dispatch(Schedule {
            time_zone: time_zone.get(),
            slot_minutes: slot_minutes.get().parse().unwrap_or(30),
            weekly: rows
                .get()
                .iter()
                .map(|r| WeeklyHours {
                    weekday: r.weekday,
                    start: r.start.get(),
                    end: r.end.get(),
                })
                .collect(),
            exceptions,
        });
    };

    view! {
        <form class="card schedule" on:submit=submit>
            <p class="muted">"Patients can book only inside these hours. Without any hours, any time can be booked."</p>
            {move || failure().map(|e| view! {
                <div class="alert error" role="alert">
                    <p>"Your hours were not saved."</p>
                    <p>{e.reasons()}</p>
                </div>
            })}
            <Show when=saved>
                <p class="alert success" role="status">"Your hours are saved."</p>
            </Show>
            <div class="filters">
                <div class="field">
                    <label for="time-zone">"Time zone"</label>
                    <input id="time-zone" type="text" prop:value=move || time_zone.get()
                        on:input=move |ev| time_zone.set(event_target_value(&ev))/>
                    <p class="hint">"An IANA name, such as Europe/Berlin or America/New_York."</p>
                </div>
                <div class="field">
                    <label for="slot-minutes">"Appointment length"</label>
                    <select id="slot-minutes" prop:value=move || slot_minutes.get()
                        on:change=move |ev| slot_minutes.set(event_target_value(&ev))>
                        {[10u32, 15, 20, 30, 45, 60, 90, 120].into_iter().map(|m| view! {
                            <option value=m.to_string()>{format!("{m} minutes")}</option>
                        }).collect_view()}
                    </select>
                </div>
            </div>
            {WEEKDAYS.iter().enumerate().map(|(i, name)| {
                let weekday = i as u8 + 1;
                view! {
                    <fieldset class="weekday">
                        <legend>{*name}</legend>
                        <For each=move || rows.get().into_iter().filter(move |r| r.weekday == weekday) key=|r| r.id let:row>
                            <div class="range">
                                <label>"From"<input type="time" prop:value=move || row.start.get()
                                    on:input=move |ev| row.start.set(event_target_value(&ev))/></label>
                                <label>"to"<input type="time" prop:value=move || row.end.get()
                                    on:input=move |ev| row.end.set(event_target_value(&ev))/></label>
                                <button type="button" class="link-button" on:click=move |_| rows.update(|rs| rs.retain(|r| r.id != row.id))>
                                    "Remove"
                                </button>
                            </div>
                        </For>
                        <button type="button" class="button secondary small" on:click=move |_| {
                            let row = new_row(weekday, "09:00", "17:00");
                            rows.update(|rs| rs.push(row));
                        }>{format!("Add hours on {name}")}</button>
                    </fieldset>
                }
            }).collect_view()}
            <fieldset>
                <legend>"Days off"</legend>
                <ul class="days-off">
                    {move || days_off.get().into_iter().map(|d| {
                        let day = d.clone();
                        view! { <li>{d}" "<button type="button" class="link-button"
                            on:click=move |_| days_off.update(|l| l.retain(|x| *x != day))>"Remove"</button></li> }
                    }).collect_view()}
                </ul>
                <div class="range">
                    <label>"Date"<input type="date" prop:value=move || new_day_off.get()
                        on:input=move |ev| new_day_off.set(event_target_value(&ev))/></label>
                    <button type="button" class="button secondary small" on:click=move |_| {
                        let d = new_day_off.get();
                        if !d.is_empty() && !days_off.get().contains(&d) {
                            days_off.update(|l| { l.push(d); l.sort(); });
                            new_day_off.set(String::new());
                        }
                    }>"Add day off"</button>
                </div>
            </fieldset>
            <button class="button" type="submit" disabled=move || save.pending()>
                {move || if save.pending() { "Saving…" } else { "Save hours" }}
            </button>
        </form>
    }
}
