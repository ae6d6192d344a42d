use chrono::Utc;
use leptos::prelude::*;
use mediconnect_shared::{
    Appointment, AppointmentChange, AppointmentQuery, AppointmentStatus, Order, PageQuery, Role,
};
use wasm_bindgen::JsCast;

use crate::api::{self, ApiAction, ApiResource};
use crate::components::{
    Confirm, Dialog, Loading, RequireAuth, SettledSearch, SlotPicker, ZoneNote,
};
use crate::dates::format_local;
use crate::router::A;
use crate::state::live::{OwnChange, use_live};
use crate::state::session::use_session;

#[component]
pub fn Appointments() -> impl IntoView {
    view! {
        <RequireAuth>
            <ForRole/>
        </RequireAuth>
    }
}

/// Patients and doctors see their own, in sections; an admin searches them all.
#[component]
fn ForRole() -> impl IntoView {
    // Read once: RequireAuth shows this only to someone signed in, and a change of
    // account rebuilds it from there.
    let admin = use_session()
        .user
        .with_untracked(|u| u.as_ref().map(|u| u.role) == Some(Role::Admin));
    if admin {
        view! { <AdminAppointments/> }.into_any()
    } else {
        view! { <AppointmentsPage/> }.into_any()
    }
}

/// Every appointment of the clinic, for an admin: filtered by doctor, patient, status
/// and dates (the filters live in the address), a page at a time. Reasons are never
/// shown to an admin.
#[component]
fn AdminAppointments() -> impl IntoView {
    let location = crate::router::use_location();
    let from_address = |name: &str| location.query(name).unwrap_or_default();
    let doctor = RwSignal::new(from_address("doctor"));
    let patient = RwSignal::new(from_address("patient"));
    let status = RwSignal::new(from_address("status"));
    let from_day = RwSignal::new(from_address("from"));
    let to_day = RwSignal::new(from_address("to"));
    let page = RwSignal::new(location.query_page());
    let first_page = move || {
        if page.get_untracked() != 1 {
            page.set(1);
        }
    };
    let on_settled = Callback::new(move |()| first_page());
    Effect::new(move |_| {
        let p = page.get();
        location.keep_query(&[
            ("doctor", doctor.get()),
            ("patient", patient.get()),
            ("status", status.get()),
            ("from", from_day.get()),
            ("to", to_day.get()),
            ("page", if p > 1 { p.to_string() } else { String::new() }),
        ]);
    });
    // A day of the viewer's zone, from its start; `to` includes its whole day.
    let day_start = |d: &str, next: bool| {
        let date = d.parse::<chrono::NaiveDate>().ok()?;
        let date = if next { date.succ_opt()? } else { date };
        crate::dates::from_local(date.and_hms_opt(0, 0, 0)?)
    };
    let list = ApiResource::new(move || {
        let query = AppointmentQuery {
            doctor: Some(doctor.get()).filter(|s| !s.trim().is_empty()),
            patient: Some(patient.get()).filter(|s| !s.trim().is_empty()),
            status: AppointmentStatus::parse(&status.get()),
            from: day_start(&from_day.get(), false),
            to: day_start(&to_day.get(), true),
            paging: PageQuery::new(page.get(), PAGE),
            order: Some(Order::Desc),
            ..Default::default()
        };
        async move { api::appointments(&query).await }
    });
    let message = RwSignal::new(None::<String>);
    let statuses = [
        ("", "Any status"),
        ("SCHEDULED", "Scheduled"),
        ("COMPLETED", "Completed"),
        ("CANCELLED", "Cancelled"),
        ("NO_SHOW", "Missed"),
    ];
    view! {
        <h1>"Appointments"</h1>
        <ZoneNote/>
        <form
            class="filters"
            role="search"
            aria-label="Filter appointments"
            on:submit=|ev| ev.prevent_default()
        >
            <SettledSearch
                id="filter-doctor"
                label="Doctor"
                placeholder="Part of a name"
                target=doctor
                then=on_settled
            />
            <SettledSearch
                id="filter-patient"
                label="Patient"
                placeholder="Part of a name"
                target=patient
                then=on_settled
            />
            <div class="field">
                <label for="filter-status">"Status"</label>
                <select id="filter-status" prop:value=move || status.get()
                    on:change=move |ev| { status.set(event_target_value(&ev)); first_page(); }>
                    {statuses
                        .into_iter()
                        .map(|(v, l)| view! { <option value=v>{l}</option> })
                        .collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="filter-from">"From"</label>
                <input id="filter-from" type="date" prop:value=move || from_day.get()
                    on:change=move |ev| { from_day.set(event_target_value(&ev)); first_page(); }/>
            </div>
            <div class="field">
                <label for="filter-to">"To"</label>
                <input id="filter-to" type="date" prop:value=move || to_day.get()
                    on:change=move |ev| { to_day.set(event_target_value(&ev)); first_page(); }/>
            </div>
        </form>
        <Transition fallback=|| view! { <Loading message="Loading appointments…"/> }>
            {move || list.get().map(|r| match r {
                Err(e) => view! {
                    <p class="alert error" role="alert">{e.message()}</p>
                }.into_any(),
                Ok(list) if list.appointments.is_empty() => view! {
                    <p class="empty">"No appointment matches these filters."</p>
                }.into_any(),
                Ok(list) => {
                    let pagination = list.pagination;
                    view! {
                        <p class="muted" data-test="appointments-count">
                            {crate::components::count_of(
                                pagination.total,
                                "appointment",
                                "appointments",
                            )}
                            ", latest first"
                        </p>
                        <ul class="appointment-list">
                            {list.appointments.into_iter().map(|a| view! {
                                <AppointmentItem appointment=a message=message/>
                            }).collect_view()}
                        </ul>
                        <crate::components::Pager
                            page=page
                            last=pagination.total_pages
                            label="Appointment pages"
                            summary=format!(
                                "Page {} of {}",
                                pagination.page,
                                pagination.total_pages.max(1)
                            )
                        />
                    }.into_any()
                }
            })}
        </Transition>
    }
}

fn status_label(s: AppointmentStatus) -> &'static str {
    match s {
        AppointmentStatus::Scheduled => "Scheduled",
        AppointmentStatus::Completed => "Completed",
        AppointmentStatus::Cancelled => "Cancelled",
        AppointmentStatus::NoShow => "Missed",
    }
}

/// Appointments per request; "Show more" loads one more page.
const PAGE: u32 = 50;

/// The first `pages` pages of a query, and how many it has in all.
async fn first_pages(
    query: AppointmentQuery,
    pages: u32,
) -> Result<(Vec<Appointment>, u64), api::ApiError> {
    let mut all = Vec::new();
    let mut total = 0;
    for page in 1..=pages {
        let list = api::appointments(&AppointmentQuery {
            paging: PageQuery::new(page, PAGE),
            ..query.clone()
        })
        .await?;
        total = list.pagination.total;
        let last = list.appointments.len() < PAGE as usize;
        all.extend(list.appointments);
        if last {
            break;
        }
    }
    Ok((all, total))
}

/// What the page shows, each list complete up to its pager.
#[derive(Clone)]
struct Lists {
    /// Scheduled and not over yet, earliest first.
    upcoming: Vec<Appointment>,
    more_upcoming: bool,
    /// Cancelled ones still ahead, then everything that has started, latest first.
    past: Vec<Appointment>,
    more_past: bool,
}

async fn load_lists(upcoming_pages: u32, past_pages: u32) -> Result<Lists, api::ApiError> {
    let now = Utc::now();
    let is_upcoming = |a: &Appointment| a.status == AppointmentStatus::Scheduled && a.ends_at > now;
    // From a day back: one that has started and is not over yet is still upcoming.
    let (scheduled, scheduled_total) = first_pages(
        AppointmentQuery {
            status: Some(AppointmentStatus::Scheduled),
            from: Some(now - chrono::Duration::days(1)),
            ..Default::default()
        },
        upcoming_pages,
    )
    .await?;
    // Cancelled ones ahead come first in "Past and cancelled", and page with it.
    let (cancelled_ahead, cancelled_total) = first_pages(
        AppointmentQuery {
            status: Some(AppointmentStatus::Cancelled),
            from: Some(now),
            ..Default::default()
        },
        past_pages,
    )
    .await?;
    let (started, started_total) = first_pages(
        AppointmentQuery {
            to: Some(now),
            order: Some(Order::Desc),
            ..Default::default()
        },
        past_pages,
    )
    .await?;
    Ok(Lists {
        more_upcoming: (scheduled.len() as u64) < scheduled_total,
        more_past: (started.len() as u64) < started_total
            || (cancelled_ahead.len() as u64) < cancelled_total,
        upcoming: scheduled.into_iter().filter(|a| is_upcoming(a)).collect(),
        past: latest_first(
            cancelled_ahead
                .into_iter()
                .chain(started.into_iter().filter(|a| !is_upcoming(a)))
                .collect(),
        ),
    })
}

/// "Past and cancelled" reads in date order, the latest first, whichever query an
/// appointment came from.
fn latest_first(mut list: Vec<Appointment>) -> Vec<Appointment> {
    list.sort_by_key(|a| std::cmp::Reverse(a.scheduled_for));
    list
}

#[component]
fn AppointmentsPage() -> impl IntoView {
    let live = use_live();
    let session = use_session();
    let role = move || session.user.with(|u| u.as_ref().map(|u| u.role));
    let role_once = session.user.with_untracked(|u| u.as_ref().map(|u| u.role));
    let upcoming_pages = RwSignal::new(1u32);
    let past_pages = RwSignal::new(1u32);
    // Refetched whenever the socket reports a change to one of these appointments.
    let lists = ApiResource::new(move || {
        live.appointments_changed.track();
        load_lists(upcoming_pages.get(), past_pages.get())
    });
    let message = RwSignal::new(None::<String>);
    // The outcome of an action takes the focus: the list is rebuilt after a change,
    // and the button that was focused goes with it.
    Effect::new(move |_| {
        if message.with(Option::is_some)
            && let Some(node) = document().get_element_by_id("appointments-outcome")
            && let Ok(node) = node.dyn_into::<web_sys::HtmlElement>()
        {
            let _ = node.focus();
        }
    });
    view! {
        <h1>"Appointments"</h1>
        <ZoneNote/>
        <p id="appointments-outcome" class="alert success" role="status" tabindex="-1"
            hidden=move || message.with(Option::is_none)>
            {move || message.get()}
        </p>
        {(role_once == Some(Role::Patient)).then(|| view! {
            <super::waitlist::WaitlistSection message=message/>
        })}
        <Transition fallback=|| view! { <Loading message="Loading your appointments…"/> }>
            {move || lists.get().map(|r| match r {
                Err(e) => view! {
                    <p class="alert error" role="alert">{e.message()}</p>
                }.into_any(),
                Ok(lists) => {
                    let today = crate::dates::today();
                    let (todays, later): (Vec<Appointment>, Vec<Appointment>) = lists
                        .upcoming
                        .into_iter()
                        .partition(|a| crate::dates::local(a.scheduled_for).date_naive() == today);
                    let doctor = role() == Some(Role::Doctor);
                    let more_upcoming = lists.more_upcoming.then(|| view! {
                        <button
                            type="button"
                            class="button secondary"
                            on:click=move |_| upcoming_pages.update(|n| *n += 1)
                        >
                            "Show more upcoming appointments"
                        </button>
                    });
                    let more_past = lists.more_past.then(|| view! {
                        <button
                            type="button"
                            class="button secondary"
                            on:click=move |_| past_pages.update(|n| *n += 1)
                        >
                            "Show older appointments"
                        </button>
                    });
                    view! {
                        {doctor.then(|| view! {
                            <Section
                                title="Today"
                                empty="No appointments today."
                                items=todays.clone()
                                message=message
                            />
                        })}
                        <Section
                            title="Upcoming"
                            empty="No upcoming appointments."
                            items=if doctor {
                                later
                            } else {
                                todays.into_iter().chain(later).collect()
                            }
                            message=message
                        />
                        {more_upcoming}
                        <Section
                            title="Past and cancelled"
                            empty="Nothing here yet."
                            items=lists.past
                            message=message
                        />
                        {more_past}
                    }.into_any()
                }
            })}
        </Transition>
    }
}

#[component]
fn Section(
    title: &'static str,
    empty: &'static str,
    items: Vec<Appointment>,
    message: RwSignal<Option<String>>,
) -> impl IntoView {
    view! {
        <section class="appointments" aria-label=title>
            <h2>{title}</h2>
            {if items.is_empty() {
                view! { <p class="empty">{empty}</p> }.into_any()
            } else {
                view! {
                    <ul class="appointment-list">
                        {items.into_iter().map(|a| view! {
                            <AppointmentItem appointment=a message=message/>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn AppointmentItem(appointment: Appointment, message: RwSignal<Option<String>>) -> impl IntoView {
    let session = use_session();
    let live = use_live();
    let role = session.user.get_untracked().map(|u| u.role);
    let a = appointment.clone();
    let id = a.id;
    let scheduled = a.status == AppointmentStatus::Scheduled;
    let started = a.scheduled_for <= Utc::now();
    let other = match role {
        Some(Role::Doctor) => a.patient.name.clone().into_any(),
        Some(Role::Admin) => {
            let name = a.doctor.name.clone();
            let rest = format!(
                " · {} · Patient: {}",
                a.doctor.specialization, a.patient.name
            );
            view! { <A href=format!("/doctors/{}", a.doctor.id)>{name}</A>{rest}}.into_any()
        }
        _ => {
            let name = a.doctor.name.clone();
            let rest = format!(" · {}", a.doctor.specialization);
            view! { <A href=format!("/doctors/{}", a.doctor.id)>{name}</A>{rest}}.into_any()
        }
    };
    let act = ApiAction::new(move |status: &AppointmentStatus| {
        let status = *status;
        live.expect_own(OwnChange::Appointment(id));
        async move {
            if status == AppointmentStatus::Cancelled {
                api::cancel_appointment(id).await
            } else {
                api::change_appointment(
                    id,
                    &AppointmentChange {
                        status: Some(status),
                        ..Default::default()
                    },
                )
                .await
            }
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(changed)) = act.result() {
            message.set(Some(format!(
                "The appointment of {} is now {}.",
                format_local(changed.scheduled_for),
                status_label(changed.status).to_ascii_lowercase()
            )));
            live.appointments_changed.update(|v| *v += 1);
        }
    });
    let error = move || act.error().map(|e| e.reasons());
    let confirm_cancel = RwSignal::new(false);
    // A final status is asked for with a confirmation (a mis-click cannot be undone by
    // the patient), and its doctor may correct it to the other within a day.
    let confirm_final = RwSignal::new(None::<AppointmentStatus>);
    let correction = (role == Some(Role::Doctor)
        && Utc::now() < a.updated_at + chrono::Duration::hours(24))
    .then_some(match a.status {
        AppointmentStatus::Completed => Some(AppointmentStatus::NoShow),
        AppointmentStatus::NoShow => Some(AppointmentStatus::Completed),
        _ => None,
    })
    .flatten();
    let rescheduling = RwSignal::new(false);
    let when = format_local(a.scheduled_for);
    let doctor_id = a.doctor.id;
    let doctor_name = a.doctor.name.clone();
    let for_reschedule = a.clone();
    let can_cancel = role == Some(Role::Doctor) || (role == Some(Role::Patient) && !started);
    view! {
        <li class="appointment" data-test="appointment">
            <div>
                <p class="appointment-when">
                    {when.clone()}" · "{format!("{} min", a.duration_minutes)}
                </p>
                <p class="appointment-who">{other}</p>
                {a.patient.phone_number.clone().filter(|_| role == Some(Role::Doctor)).map(|phone| {
                    let href = format!("tel:{}", phone.replace(' ', ""));
                    view! {
                        <p class="muted">
                            "Phone: "<a href=href data-test="patient-phone">{phone}</a>
                        </p>
                    }
                })}
                {a.reason.clone().map(|r| view! { <p class="muted appointment-reason">{r}</p> })}
            </div>
            <p>
                <span class=format!("badge status-{}", a.status.as_str().to_ascii_lowercase())>
                    {status_label(a.status)}
                </span>
                {(a.kind == mediconnect_shared::AppointmentKind::Instant).then(|| view! {
                    " "<span class="badge">"Consult now"</span>
                })}
            </p>
            {move || error().map(|e| view! { <p class="alert error" role="alert">{e}</p> })}
            <Show when=move || scheduled>
                <div class="card-actions">
                    {(role == Some(Role::Doctor) && started).then(|| view! {
                        <button
                            type="button"
                            class="button"
                            disabled=move || act.pending()
                            on:click=move |_| confirm_final.set(Some(AppointmentStatus::Completed))
                        >
                            "Completed"
                        </button>
                        <button
                            type="button"
                            class="button secondary"
                            disabled=move || act.pending()
                            on:click=move |_| confirm_final.set(Some(AppointmentStatus::NoShow))
                        >
                            "No-show"
                        </button>
                    })}
                    // Either party may move it before it starts; the other is told,
                    // with the new calendar entry, and may cancel if it does not suit.
                    {(matches!(role, Some(Role::Patient | Role::Doctor)) && !started).then(|| {
                        view! {
                            <button
                                type="button"
                                class="button secondary"
                                on:click=move |_| rescheduling.set(true)
                            >
                                "Reschedule"
                            </button>
                        }
                    })}
                    // Admins read appointments but do not change them.
                    {can_cancel.then(|| view! {
                        <button
                            type="button"
                            class="button danger"
                            disabled=move || act.pending()
                            on:click=move |_| confirm_cancel.set(true)
                        >
                            "Cancel"
                        </button>
                    })}
                </div>
            </Show>
            {correction.map(|to| view! {
                <div class="card-actions">
                    <button
                        type="button"
                        class="button secondary small"
                        disabled=move || act.pending()
                        on:click=move |_| confirm_final.set(Some(to))
                    >
                        {format!("Correct to {}", status_label(to).to_ascii_lowercase())}
                    </button>
                </div>
            })}
            <FinalStatusConfirm choice=confirm_final when=when.clone() act=act/>
            <Confirm
                open=confirm_cancel
                title="Cancel this appointment?"
                message=format!(
                    "The appointment of {when} will be cancelled, and the other party told. \
                     This cannot be undone."
                )
                confirm_label="Cancel appointment"
                on_confirm=Callback::new(move |_| { act.dispatch(AppointmentStatus::Cancelled); })
            />
            <Dialog open=rescheduling title=Signal::derive(|| "Pick a new time".to_owned())>
                <SlotPicker
                    doctor_id=doctor_id
                    doctor_name=doctor_name.clone()
                    reschedule=for_reschedule.clone()
                    on_done=Callback::new(move |moved: Appointment| {
                        rescheduling.set(false);
                        message.set(Some(format!(
                            "Moved to {}.",
                            format_local(moved.scheduled_for)
                        )));
                        live.appointments_changed.update(|v| *v += 1);
                    })
                />
            </Dialog>
        </li>
    }
}

/// Asks before marking an appointment completed or missed (or correcting that).
#[component]
fn FinalStatusConfirm(
    choice: RwSignal<Option<AppointmentStatus>>,
    when: String,
    act: ApiAction<AppointmentStatus, Appointment>,
) -> impl IntoView {
    // The dialog opens when a status is chosen, and forgets it when it closes. Each
    // side is written only when it changes: a set wakes the other effect.
    let open = RwSignal::new(false);
    Effect::new(move |_| {
        let want = choice.with(Option::is_some);
        if open.get_untracked() != want {
            open.set(want);
        }
    });
    Effect::new(move |_| {
        if !open.get() && choice.with_untracked(Option::is_some) {
            choice.set(None);
        }
    });
    let label = move || match choice.get() {
        Some(AppointmentStatus::NoShow) => "Mark as missed",
        _ => "Mark as completed",
    };
    view! {
        <Confirm
            open=open
            title=Signal::derive(move || format!("{}?", label()))
            message=Signal::derive(move || format!(
                "The appointment of {when} will be {}. You can correct this within 24 hours; \
                 after that it can no longer change.",
                if choice.get() == Some(AppointmentStatus::NoShow) {
                    "marked missed"
                } else {
                    "marked completed"
                }
            ))
            confirm_label=Signal::derive(move || label().to_owned())
            on_confirm=Callback::new(move |_| {
                if let Some(status) = choice.get_untracked() {
                    act.dispatch(status);
                }
            })
        />
    }
}
