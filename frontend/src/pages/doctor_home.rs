use leptos::prelude::*;
use mediconnect_shared::{ApprovalStatus, Doctor};

use super::ConsultQueueCard;
use crate::api::{self, ApiAction, ApiResource};
use crate::components::{Loading, ZoneNote};
use crate::dates::{minutes_label, time_label};
use crate::state::live::{Connection, use_live};

/// The doctor's own page: one big switch between online and offline, showing the live
/// state (also when it changes in another tab, on another device, or by expiry).
#[component]
pub fn DoctorHome() -> impl IntoView {
    let profile = ApiResource::new(api::profile);
    view! {
        <Transition fallback=|| view! { <Loading message="Loading your status…"/> }>
            {move || profile.get().map(|result| match result {
                Ok(p) => match p.doctor {
                    Some(d) if d.approval_status != ApprovalStatus::Approved => view! {
                        <AwaitingApproval status=d.approval_status reason=d.rejection_reason/>
                    }.into_any(),
                    Some(d) => {
                        provide_context(super::OwnDoctor(d.id));
                        view! {
                        <StatusSwitch initial=Doctor {
                            id: d.id,
                            name: p.name.clone(),
                            specialization: d.specialization,
                            is_online: d.is_online,
                            last_online: d.last_online,
                            accepting_consults: false,
                        }/>
                        <ConsultQueueCard/>
                        <DoctorFiguresCard/>
                        <TodaysPatients/>
                    }.into_any()
                    }
                    None => view! {
                        <p class="alert error">"This account has no doctor profile."</p>
                    }.into_any(),
                },
                Err(e) => view! {
                    <p class="alert error" role="alert">{e.message()}</p>
                }.into_any(),
            })}
        </Transition>
    }
}

/// Instead of the switch while an admin has not approved the account (or turned it
/// down): what is happening, and what comes next.
#[component]
fn AwaitingApproval(status: ApprovalStatus, reason: Option<String>) -> impl IntoView {
    let rejected = status == ApprovalStatus::Rejected;
    view! {
        <section class="card narrow" aria-labelledby="approval-heading" data-test="approval">
            <h1 id="approval-heading">
                {if rejected { "Your account was not approved" } else { "Waiting for approval" }}
            </h1>
            {if rejected {
                view! {
                    <p>"An administrator turned your account down, for this reason:"</p>
                    <blockquote class="reason">{reason.unwrap_or_default()}</blockquote>
                    <p class="muted">
                        "Patients do not see you. If you think this is a mistake, contact the \
                         clinic."
                    </p>
                }
                .into_any()
            } else {
                view! {
                    <p>
                        "An administrator of the clinic checks each new doctor's account before \
                         patients can see it. We will email you as soon as yours is approved; \
                         then you can go online here."
                    </p>
                    <p class="muted">
                        "Meanwhile you can complete your profile and set your working hours."
                    </p>
                }
                .into_any()
            }}
        </section>
    }
}

#[component]
fn StatusSwitch(initial: Doctor) -> impl IntoView {
    let live = use_live();
    let id = initial.id;
    let known = RwSignal::new(initial.is_online);
    // Once the socket is live, it is the truth (other tabs, devices, expiry).
    let online = Memo::new(move |_| {
        if live.connection.get() == Connection::Live && live.loaded.get() {
            live.is_online(id)
        } else {
            known.get()
        }
    });
    let toggle = ApiAction::new(move |want: &bool| {
        let want = *want;
        async move { api::set_status(want).await }
    });
    // The answer is the new truth until the socket's own event confirms it.
    Effect::new(move |_| {
        if let Some(Ok(doctor)) = toggle.result() {
            known.set(doctor.is_online);
            live.apply(doctor);
        }
    });
    let error = move || toggle.error().map(|e| e.message());
    view! {
        <section class="card status-card" aria-labelledby="status-heading">
            <div class="section-head">
                <h1 id="status-heading">"Your availability"</h1>
            </div>
            {move || error().map(|m| view! { <p class="alert error" role="alert">{m}</p> })}
            <button
                type="button"
                role="switch"
                class=move || if online.get() { "big-switch on" } else { "big-switch" }
                aria-checked=move || if online.get() { "true" } else { "false" }
                aria-label="Available to patients"
                disabled=move || toggle.pending()
                on:click=move |_| { toggle.dispatch(!online.get_untracked()); }
            >
                <span class="knob" aria-hidden="true"></span>
                <span class="switch-label" data-test="status-label">
                    {move || if online.get() { "Online" } else { "Offline" }}
                </span>
            </button>
            <p class="muted" role="status">
                {move || if toggle.pending() {
                    "Updating…"
                } else if online.get() {
                    "Patients see you as available right now. If you close MediConnect, you go \
                     offline after a short while."
                } else {
                    "Patients see you as offline. Switch on when you are ready to see patients."
                }}
            </p>
        </section>
    }
}

/// The doctor's own numbers: today's appointments, no-show rate, online hours this week.
#[component]
fn DoctorFiguresCard() -> impl IntoView {
    let figures = ApiResource::new(api::analytics);
    view! {
        <section class="card" aria-labelledby="figures-heading">
            <h2 id="figures-heading">"Your numbers"</h2>
            <Suspense fallback=|| view! { <Loading message="Loading your numbers…"/> }>
                {move || figures.get().map(|r| match r.map(|a| a.mine) {
                    Ok(Some(m)) => view! {
                        <dl class="stats">
                            <div class="stat">
                                <dt>"Appointments today"</dt>
                                <dd data-test="mine-today">{m.appointments_today}</dd>
                            </div>
                            <div class="stat">
                                <dt>"No-show rate"</dt>
                                <dd>
                                    {m.no_show_rate.map(percent).unwrap_or_else(|| "–".into())}
                                </dd>
                            </div>
                            <div class="stat">
                                <dt>"Online this week"</dt>
                                <dd data-test="mine-online">
                                    {minutes_label(m.online_minutes_this_week)}
                                </dd>
                            </div>
                        </dl>
                    }.into_any(),
                    Ok(None) => view! { <p class="muted">"No figures yet."</p> }.into_any(),
                    Err(e) => view! { <p class="alert error">{e.message()}</p> }.into_any(),
                })}
            </Suspense>
        </section>
    }
}

/// A rate from 0 to 1 as a whole percentage: "12%".
fn percent(rate: f64) -> String {
    format!("{}%", (rate.clamp(0.0, 1.0) * 100.0).round() as u32)
}

/// Today's patients, in order: who comes when (the live socket keeps it current).
#[component]
fn TodaysPatients() -> impl IntoView {
    let live = use_live();
    let today = ApiResource::new(move || {
        live.appointments_changed.track();
        let today = crate::dates::today();
        let bounds = (|| {
            let day = |d: chrono::NaiveDate| crate::dates::from_local(d.and_hms_opt(0, 0, 0)?);
            Some((day(today)?, day(today.succ_opt()?)?))
        })();
        async move {
            let Some((from, to)) = bounds else {
                return Ok(Vec::new());
            };
            let list = api::appointments(&mediconnect_shared::AppointmentQuery {
                status: Some(mediconnect_shared::AppointmentStatus::Scheduled),
                from: Some(from),
                to: Some(to),
                paging: mediconnect_shared::PageQuery {
                    page: None,
                    limit: Some(50),
                },
                ..Default::default()
            })
            .await?;
            Ok(list.appointments)
        }
    });
    view! {
        <section class="card" aria-labelledby="today-heading">
            <h2 id="today-heading">"Today's patients"</h2>
            <ZoneNote/>
            <Suspense fallback=|| view! { <Loading message="Loading today's appointments…"/> }>
                {move || today.get().map(|r| match r {
                    Ok(list) if list.is_empty() => view! {
                        <p class="empty">"No appointments today."</p>
                    }.into_any(),
                    Ok(list) => view! {
                        <ul class="today-list" data-test="todays-patients">
                            {list.into_iter().map(|a| view! {
                                <li>
                                    <span class="appointment-when">
                                        {time_label(a.scheduled_for)}
                                    </span>
                                    " · "
                                    {a.patient.name}
                                </li>
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                    Err(e) => view! { <p class="alert error">{e.message()}</p> }.into_any(),
                })}
            </Suspense>
        </section>
    }
}
