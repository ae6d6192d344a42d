use chrono::Utc;
use leptos::prelude::*;
use mediconnect_shared::{
    Appointment, AppointmentChange, AppointmentQuery, AppointmentStatus, Role,
};

use crate::api::{self, ApiAction, ApiResource};
use crate::components::{Confirm, Dialog, Loading, RequireAuth, SlotPicker};
use crate::dates::format_local;
use crate::state::live::use_live;
use crate::state::session::use_session;

#[component]
pub fn Appointments() -> impl IntoView {
    view! {
        <RequireAuth>
            <AppointmentsPage/>
        </RequireAuth>
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

#[component]
fn AppointmentsPage() -> impl IntoView {
    let live = use_live();
    let session = use_session();
    let role = move || session.user.with(|u| u.as_ref().map(|u| u.role));
    // Refetched whenever the socket reports a change to one of these appointments.
    let list = ApiResource::new(move || {
        live.appointments_changed.track();
        async move {
            api::appointments(&AppointmentQuery {
                from: Some(Utc::now() - chrono::Duration::days(90)),
                limit: Some(100),
                ..Default::default()
            })
            .await
        }
    });
    let message = RwSignal::new(None::<String>);
    view! {
        <h1>"Appointments"</h1>
        {move || message.get().map(|m| view! { <p class="alert success" role="status">{m}</p> })}
        <Transition fallback=|| view! { <Loading message="Loading your appointments…"/> }>
            {move || list.get().map(|r| match r {
                Err(e) => view! { <p class="alert error" role="alert">{e.message()}</p> }.into_any(),
                Ok(page) => {
                    let now = Utc::now();
                    let today = now.with_timezone(&chrono::Local).date_naive();
                    let (upcoming, past): (Vec<Appointment>, Vec<Appointment>) = page.appointments.into_iter()
                        .partition(|a| a.status == AppointmentStatus::Scheduled && a.ends_at > now);
                    let (todays, later): (Vec<Appointment>, Vec<Appointment>) = upcoming.into_iter()
                        .partition(|a| a.scheduled_for.with_timezone(&chrono::Local).date_naive() == today);
                    let mut past = past;
                    past.reverse();
                    let doctor = role() == Some(Role::Doctor);
                    view! {
                        {doctor.then(|| view! {
                            <Section title="Today" empty="No appointments today." items=todays.clone() message=message/>
                        })}
                        <Section title="Upcoming" empty="No upcoming appointments."
                            items=if doctor { later } else { todays.into_iter().chain(later).collect() } message=message/>
                        <Section title="Past and cancelled" empty="Nothing here yet." items=past message=message/>
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
                        {items.into_iter().map(|a| view! { <AppointmentItem appointment=a message=message/> }).collect_view()}
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
        Some(Role::Doctor) => a.patient.name.clone(),
        _ => format!("{} · {}", a.doctor.name, a.doctor.specialization),
    };
    let act = ApiAction::new(move |status: &AppointmentStatus| {
        let status = *status;
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
    let rescheduling = RwSignal::new(false);
    let when = format_local(a.scheduled_for);
    let doctor_id = a.doctor.id;
    let doctor_name = a.doctor.name.clone();
    let for_reschedule = a.clone();
    view! {
        <li class="appointment" data-test="appointment">
            <div>
                <p class="appointment-when">{when.clone()}" · "{format!("{} min", a.duration_minutes)}</p>
                <p class="appointment-who">{other}</p>
                {a.reason.clone().map(|r| view! { <p class="muted appointment-reason">{r}</p> })}
            </div>
            <p><span class=format!("badge status-{}", a.status.as_str().to_ascii_lowercase())>{status_label(a.status)}</span></p>
            {move || error().map(|e| view! { <p class="alert error" role="alert">{e}</p> })}
            <Show when=move || scheduled>
                <div class="card-actions">
                    {(role == Some(Role::Doctor) && started).then(|| view! {
                        <button type="button" class="button" disabled=move || act.pending()
                            on:click=move |_| { act.dispatch(AppointmentStatus::Completed); }>"Completed"</button>
                        <button type="button" class="button secondary" disabled=move || act.pending()
                            on:click=move |_| { act.dispatch(AppointmentStatus::NoShow); }>"No-show"</button>
                    })}
                    {(role == Some(Role::Patient) && !started).then(|| view! {
                        <button type="button" class="button secondary" on:click=move |_| rescheduling.set(true)>"Reschedule"</button>
                    })}
                    // Admins read appointments but do not change them.
                    {(role == Some(Role::Doctor) || (role == Some(Role::Patient) && !started)).then(|| view! {
                        <button type="button" class="button danger" disabled=move || act.pending()
                            on:click=move |_| confirm_cancel.set(true)>"Cancel"</button>
                    })}
                </div>
            </Show>
            <Confirm open=confirm_cancel
                title="Cancel this appointment?"
                message=format!("The appointment of {when} will be cancelled, and the other party told. This cannot be undone.")
                confirm_label="Cancel appointment"
                on_confirm=Callback::new(move |_| { act.dispatch(AppointmentStatus::Cancelled); })/>
            <Dialog open=rescheduling title=Signal::derive(|| "Pick a new time".to_owned())>
                <SlotPicker doctor_id=doctor_id doctor_name=doctor_name.clone() reschedule=for_reschedule.clone()
                    on_done=Callback::new(move |moved: Appointment| {
                        rescheduling.set(false);
                        message.set(Some(format!("Moved to {}.", format_local(moved.scheduled_for))));
                        live.appointments_changed.update(|v| *v += 1);
                    })/>
            </Dialog>
        </li>
    }
}
