use crate::router::A;
use chrono::{DateTime, Duration, Utc};
use leptos::prelude::*;
use mediconnect_shared::{Appointment, Doctor, NewAppointment, Slot, SlotList};
use uuid::Uuid;

use super::Dialog;
use crate::api::{self, ApiAction, ApiResource};
use crate::dates::{day_label, format_local, input_value, parse_input, time_label};
use crate::page_module;
use crate::state::live::OwnChange;

/// Slots grouped by the viewer's local day.
fn by_day(slots: &[Slot]) -> Vec<(String, Vec<Slot>)> {
    let mut days: Vec<(String, Vec<Slot>)> = Vec::new();
    for slot in slots {
        let day = day_label(slot.start);
        match days.last_mut() {
            Some((d, list)) if *d == day => list.push(slot.clone()),
            _ => days.push((day, vec![slot.clone()])),
        }
    }
    days
}

/// The next quarter hour at least five minutes away, for doctors without hours.
fn next_quarter() -> DateTime<Utc> {
    let t = Utc::now() + Duration::minutes(5);
    let secs = t.timestamp();
    let quarter = 15 * 60;
    DateTime::from_timestamp(((secs + quarter - 1) / quarter) * quarter, 0).unwrap_or(t)
}

/// Picks a free slot (or, if the doctor has no published hours, any time) and books it.
/// With `reschedule`, moves that appointment instead of booking a new one.
#[component]
pub fn SlotPicker(
    doctor_id: Uuid,
    doctor_name: String,
    #[prop(optional)] reschedule: Option<Appointment>,
    /// Called with the booked or moved appointment.
    on_done: Callback<Appointment>,
) -> impl IntoView {
    let slots = ApiResource::new(move || api::slots(doctor_id, 14));
    let chosen = RwSignal::new(None::<DateTime<Utc>>);
    let free_time = RwSignal::new(String::new());
    let day = RwSignal::new(0usize);
    let reason = RwSignal::new(
        reschedule
            .as_ref()
            .and_then(|a| a.reason.clone())
            .unwrap_or_default(),
    );
    // One key per dialog: a retried click books once.
    let key = Uuid::new_v4().to_string();
    let moving = reschedule.as_ref().map(|a| a.id);
    // When moving, the time it has now: shown, and where the picker starts.
    let current = reschedule.as_ref().map(|a| a.scheduled_for);
    let live = crate::state::live::use_live();
    let submit = ApiAction::new(move |start: &DateTime<Utc>| {
        let start = *start;
        let reason = reason.get_untracked();
        let key = key.clone();
        // This form reports the outcome itself: the socket's event is not announced.
        live.expect_own(match moving {
            Some(id) => OwnChange::Appointment(id),
            None => OwnChange::BookingWith(doctor_id),
        });
        async move {
            match moving {
                Some(id) => {
                    let change = mediconnect_shared::AppointmentChange {
                        scheduled_for: Some(start),
                        ..Default::default()
                    };
                    api::change_appointment(id, &change).await
                }
                None => {
                    let req = NewAppointment {
                        doctor_id,
                        scheduled_for: start,
                        reason: Some(reason).filter(|r| !r.trim().is_empty()),
                    };
                    api::book(&req, &key).await
                }
            }
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(appointment)) = submit.result() {
            on_done.run(appointment);
        }
    });
    let error = move || submit.error();
    let pick = move |list: &SlotList| -> AnyView {
        if !list.hours_published {
            if free_time.get_untracked().is_empty() {
                match current {
                    // Moving: starts from the time it has, to be changed.
                    Some(now_at) => free_time.set(input_value(now_at)),
                    // Booking: prefilled, and bookable as it is.
                    None => {
                        let start = next_quarter();
                        free_time.set(input_value(start));
                        chosen.set(Some(start));
                    }
                }
            }
            return view! {
                <div class="field">
                    <label for="free-time">"Date and time (your time)"</label>
                    <input id="free-time" type="datetime-local" prop:value=move || free_time.get()
                        on:input=move |ev| { free_time.set(event_target_value(&ev)); chosen.set(parse_input(&event_target_value(&ev))); }/>
                    <p class="hint">{format!("{doctor_name} has not published working hours: any future time can be asked for.")}</p>
                </div>
            }.into_any();
        }
        if list.slots.is_empty() {
            return view! { <p class="empty">"No free slot in the next two weeks."</p> }.into_any();
        }
        let first = list.slots[0].start;
        let days = by_day(&list.slots);
        // Moving: the picker opens on the day of the time it has now, if free slots
        // remain that day.
        if let Some(now_at) = current
            && let Some(i) = days.iter().position(|(name, _)| *name == day_label(now_at))
        {
            day.set(i);
        }
        // One day at a time: a handful of buttons to pass with Tab, not hundreds.
        let names: Vec<(usize, String, usize)> = days
            .iter()
            .enumerate()
            .map(|(i, (d, s))| (i, d.clone(), s.len()))
            .collect();
        let days = StoredValue::new(days);
        view! {
            <p class="hint">"Times are shown in your own time zone."</p>
            <p>
                <button type="button" class="button secondary" data-test="next-slot"
                    on:click=move |_| { chosen.set(Some(first)); day.set(0); }>
                    {format!("Next free slot: {}", format_local(first))}
                </button>
            </p>
            <div class="field">
                <label for="slot-day">"Day"</label>
                <select id="slot-day" prop:value=move || day.get().to_string()
                    on:change=move |ev| day.set(event_target_value(&ev).parse().unwrap_or(0))>
                    {names.into_iter().map(|(i, name, n)| view! {
                        <option value=i.to_string()>{format!("{name} ({n} free)")}</option>
                    }).collect_view()}
                </select>
            </div>
            {move || days.with_value(|days| days.get(day.get()).cloned()).map(|(name, slots)| view! {
                <fieldset class="slot-day">
                    <legend>{name}</legend>
                    <div class="slot-grid">
                        {slots.into_iter().map(|slot| {
                            let start = slot.start;
                            view! {
                                <button type="button"
                                    class=move || if chosen.get() == Some(start) { "slot chosen" } else { "slot" }
                                    aria-pressed=move || if chosen.get() == Some(start) { "true" } else { "false" }
                                    on:click=move |_| chosen.set(Some(start))>
                                    {time_label(start)}
                                </button>
                            }
                        }).collect_view()}
                    </div>
                </fieldset>
            })}
        }.into_any()
    };
    let is_new = moving.is_none();
    view! {
        {current.map(|t| view! {
            <p class="current-time" data-test="current-time">"Now: "<strong>{format_local(t)}</strong></p>
        })}
        <Suspense fallback=|| view! { <super::Loading message="Finding free times…"/> }>
            {move || slots.get().map(|r| match r {
                Ok(list) => pick(&list),
                Err(e) => view! { <p class="alert error" role="alert">{e.message()}</p> }.into_any(),
            })}
        </Suspense>
        {is_new.then(|| view! {
            <div class="field">
                <label for="booking-reason">"Reason for the visit (optional)"</label>
                <textarea id="booking-reason" maxlength="500" rows="3"
                    prop:value=move || reason.get() on:input=move |ev| reason.set(event_target_value(&ev))></textarea>
                <p class="hint">"Only you and your doctor see it. At most 500 characters."</p>
            </div>
        })}
        {move || error().map(|e| view! { <p class="alert error" role="alert">{e.reasons()}</p> })}
        <div class="dialog-actions">
            <button type="button" class="button" data-test="confirm-booking"
                // Not disabled while saving: a disabled button loses the focus, and a
                // keyboard user would be left outside the dialog when the call fails.
                disabled=move || chosen.get().is_none()
                aria-disabled=move || if submit.pending() { "true" } else { "false" }
                on:click=move |_| {
                    if let (Some(t), false) = (chosen.get_untracked(), submit.pending_untracked()) {
                        submit.dispatch(t);
                    }
                }>
                {move || match (chosen.get(), submit.pending(), is_new) {
                    (_, true, _) => "Saving…".to_owned(),
                    (Some(t), false, true) => format!("Book {}", format_local(t)),
                    (Some(t), false, false) => format!("Move to {}", format_local(t)),
                    (None, false, _) => "Pick a time".to_owned(),
                }}
            </button>
        </div>
    }
}

/// The "Book" button of a doctor card, with its dialog.
#[component]
pub fn BookButton(doctor: Doctor) -> impl IntoView {
    let open = RwSignal::new(false);
    let booked = RwSignal::new(None::<Appointment>);
    let name = doctor.name.clone();
    let title = Signal::derive(move || format!("Book with {name}"));
    let id = doctor.id;
    let doctor_name = doctor.name.clone();
    view! {
        <div class="card-actions">
            <button type="button" class="button" on:click=move |_| { booked.set(None); open.set(true); }>
                {if doctor.is_online { "Book the next free slot" } else { "Book" }}
            </button>
            {move || booked.get().map(|a| view! {
                <p class="alert success" role="status">
                    {format!("Booked for {}. ", format_local(a.scheduled_for))}
                    <A href="/appointments">"Your appointments"</A>
                </p>
            })}
        </div>
        <Dialog open=open title=title>
            {
                // The form comes in a module of its own, fetched at the first booking:
                // visitors, doctors and admins never need it.
                provide_context(Booking {
                    doctor_id: id,
                    doctor_name: doctor_name.clone(),
                    on_done: Callback::new(move |a| { booked.set(Some(a)); open.set(false); }),
                });
                page_module!(booking_form, BookingForm).into_view()
            }
        </Dialog>
    }
}

/// What [`BookingForm`] books: the [`BookButton`] it opened from provides it.
#[derive(Clone)]
struct Booking {
    doctor_id: Uuid,
    doctor_name: String,
    on_done: Callback<Appointment>,
}

/// The booking form of the [`BookButton`] around it.
#[component]
fn BookingForm() -> impl IntoView {
    let booking = expect_context::<Booking>();
    view! {
        <SlotPicker doctor_id=booking.doctor_id doctor_name=booking.doctor_name
            on_done=booking.on_done/>
    }
}
