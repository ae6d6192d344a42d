//! A doctor's own page, `/doctors/{id}`: who they are, whether they are online now,
//! their published hours, their next free times, and Book and Follow.

use chrono::{Duration, Utc};
use leptos::prelude::*;
use mediconnect_shared::{Doctor, Role, Schedule, zone_label};
use uuid::Uuid;

use crate::api::{self, ApiResource};
use crate::components::{BookButton, FollowButton, Loading, ZoneNote, relative, use_clock};
use crate::dates::{WEEKDAYS, day_in_words, format_local};
use crate::router::{A, use_location};
use crate::state::live::use_live;
use crate::state::session::use_session;

/// How many free times the page lists.
const NEXT_SLOTS: usize = 6;

#[component]
pub fn DoctorPage() -> impl IntoView {
    let location = use_location();
    let id = location
        .path_untracked()
        .strip_prefix("/doctors/")
        .and_then(|s| s.parse::<Uuid>().ok());
    match id {
        Some(id) => view! { <DoctorLoader id=id/> }.into_any(),
        None => view! { <crate::pages::NotFound/> }.into_any(),
    }
}

#[component]
fn DoctorLoader(id: Uuid) -> impl IntoView {
    let doctor = ApiResource::new(move || api::doctor(id));
    view! {
        <Transition fallback=|| view! { <Loading message="Loading the doctor…"/> }>
            {move || doctor.get().map(|r| match r {
                Ok(d) => view! { <DoctorView doctor=d/> }.into_any(),
                Err(e) if e.status == 404 => view! {
                    <h1>"No such doctor"</h1>
                    <p>
                        "This doctor is not on MediConnect (any more). "
                        <A href="/doctors">"See all doctors"</A>
                    </p>
                }.into_any(),
                Err(e) => view! {
                    <div class="alert error" role="alert">
                        <p>{e.message()}</p>
                        <button class="button secondary" on:click=move |_| doctor.refetch()>
                            "Try again"
                        </button>
                    </div>
                }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn DoctorView(doctor: Doctor) -> impl IntoView {
    let live = use_live();
    let session = use_session();
    let now = use_clock();
    let id = doctor.id;
    if let Some(title) = web_sys::window().and_then(|w| w.document()) {
        title.set_title(&format!("{} · MediConnect", doctor.name));
    }
    // Live events correct the status loaded with the page.
    let loaded = doctor.clone();
    let current = move || {
        live.changes
            .with(|c| c.get(&id).cloned())
            .unwrap_or_else(|| loaded.clone())
    };
    let for_consult = current.clone();
    let role = move || session.user.with(|u| u.as_ref().map(|u| u.role));
    let hours = ApiResource::new(move || api::doctor_hours(id));
    let slots = ApiResource::new(move || {
        let from = Utc::now();
        api::slots(id, from, from + Duration::days(14), false)
    });
    let for_booking = doctor.clone();
    let waiting_for = doctor.name.clone();
    view! {
        <article class="doctor-page" data-test="doctor-page">
            <header class="card">
                <h1>{doctor.name.clone()}</h1>
                <p class="doctor-spec">{doctor.specialization.clone()}</p>
                <p class="doctor-status" data-test="doctor-status">
                    {move || {
                        let d = current();
                        if d.is_online {
                            view! { <span class="badge online">"Online now"</span> }.into_any()
                        } else {
                            let last = match d.last_online {
                                Some(t) => format!("Last online {}", relative(t, now.get())),
                                None => "Not online yet".to_owned(),
                            };
                            view! {
                                <span class="badge offline">"Offline"</span>
                                " "
                                <span class="muted">{last}</span>
                            }.into_any()
                        }
                    }}
                </p>
                {move || match role() {
                    Some(Role::Patient) => view! {
                        <div class="card-actions">
                            <BookButton doctor=for_booking.clone()/>
                            <FollowButton doctor=id name=for_booking.name.clone()/>
                        </div>
                    }.into_any(),
                    None => view! {
                        <p>
                            <A href=format!("/login?next=/doctors/{id}") class="button">
                                "Sign in to book"
                            </A>
                        </p>
                    }.into_any(),
                    _ => ().into_any(),
                }}
            </header>
            <section class="card" aria-labelledby="hours-heading">
                <h2 id="hours-heading">"Working hours"</h2>
                <Transition fallback=|| view! { <Loading message="Loading the hours…"/> }>
                    {move || hours.get().map(|r| match r {
                        Ok(s) => view! { <Hours schedule=s name=doctor.name.clone()/> }.into_any(),
                        Err(e) => view! {
                            <p class="alert error" role="alert">{e.message()}</p>
                        }.into_any(),
                    })}
                </Transition>
            </section>
            <section class="card" aria-labelledby="slots-heading">
                <h2 id="slots-heading">"Next free times"</h2>
                <ZoneNote/>
                <Transition fallback=|| view! { <Loading message="Finding free times…"/> }>
                    {move || slots.get().map(|r| match r {
                        Ok(list) if !list.hours_published => view! {
                            <p class="muted">
                                "No published hours: any future time can be asked for."
                            </p>
                        }.into_any(),
                        Ok(list) if list.slots.is_empty() => view! {
                            <p class="empty">"No free time in the next two weeks."</p>
                        }.into_any(),
                        Ok(list) => view! {
                            <ul class="next-slots" data-test="next-slots">
                                {list.slots.into_iter().take(NEXT_SLOTS).map(|s| view! {
                                    <li>{format_local(s.start)}</li>
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(e) => view! {
                            <p class="alert error" role="alert">{e.message()}</p>
                        }.into_any(),
                    })}
                </Transition>
            </section>
            {move || {
                let d = for_consult();
                (role() == Some(Role::Patient) && d.is_online && d.accepting_consults)
                    .then(|| view! { <super::consult::ConsultNow doctor=id name=d.name/> })
            }}
            {move || (role() == Some(Role::Patient)).then(|| view! {
                <super::waitlist::WaitlistJoin doctor=id name=waiting_for.clone()/>
            })}
        </article>
    }
}

/// The weekly hours, a line a day, in the doctor's zone (named), and the days off.
#[component]
fn Hours(schedule: Schedule, name: String) -> impl IntoView {
    if schedule.weekly.is_empty() && schedule.exceptions.is_empty() {
        return view! {
            <p class="muted" data-test="no-hours">
                {format!("{name} has not published working hours: you can ask for any time.")}
            </p>
        }
        .into_any();
    }
    let zone = format!(
        "In the doctor's zone, {} ({}). Appointments last {} minutes.",
        zone_label(&schedule.time_zone),
        schedule.time_zone,
        schedule.slot_minutes
    );
    let days: Vec<(&'static str, String)> = WEEKDAYS
        .iter()
        .enumerate()
        .map(|(i, day)| {
            let ranges: Vec<String> = schedule
                .weekly
                .iter()
                .filter(|w| usize::from(w.weekday) == i + 1)
                .map(|w| format!("{}–{}", w.start, w.end))
                .collect();
            let text = if ranges.is_empty() {
                "Closed".to_owned()
            } else {
                ranges.join(", ")
            };
            (*day, text)
        })
        .collect();
    let days_off: Vec<String> = schedule
        .exceptions
        .iter()
        .map(|e| {
            if e.intervals.is_empty() {
                format!("{}: day off", day_in_words(e.date))
            } else {
                let ranges: Vec<String> = e
                    .intervals
                    .iter()
                    .map(|r| format!("{}–{}", r.start, r.end))
                    .collect();
                format!("{}: {}", day_in_words(e.date), ranges.join(", "))
            }
        })
        .collect();
    view! {
        <p class="muted">{zone}</p>
        <dl class="hours" data-test="hours">
            {days
                .into_iter()
                .map(|(day, text)| view! { <dt>{day}</dt><dd>{text}</dd> })
                .collect_view()}
        </dl>
        {(!days_off.is_empty()).then(|| view! {
            <h3>"Exceptions"</h3>
            <ul>{days_off.into_iter().map(|d| view! { <li>{d}</li> }).collect_view()}</ul>
        })}
    }
    .into_any()
}
