use crate::router::A;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use leptos::prelude::*;
use mediconnect_shared::{Appointment, Doctor, NewAppointment, SlotList};
use uuid::Uuid;

use super::Dialog;
use crate::api::{self, ApiAction, ApiResource};
use crate::dates::{
    day_in_words, day_month, format_local, from_local, local, short_day, time_label,
};
use crate::page_module;
use crate::state::live::OwnChange;

/// How many days the picker shows at a time (the API gives at most 31 a call).
const WINDOW_DAYS: i64 = 28;
/// The step of the times offered for a doctor without published hours.
const FREE_STEP_MINUTES: i64 = 30;

/// The times one can pick on one day of the viewer's zone.
#[derive(Clone)]
struct Day {
    date: NaiveDate,
    times: Vec<DateTime<Utc>>,
}

/// Slot starts grouped by the viewer's local day.
fn by_day(starts: impl IntoIterator<Item = DateTime<Utc>>) -> Vec<Day> {
    let mut days: Vec<Day> = Vec::new();
    for start in starts {
        let date = local(start).date_naive();
        match days.last_mut() {
            Some(d) if d.date == date => d.times.push(start),
            _ => days.push(Day {
                date,
                times: vec![start],
            }),
        }
    }
    days
}

/// For a doctor without published hours: every half hour from `from` to `to` on the
/// viewer's clock, at least five minutes and the doctor's notice (`notice` minutes)
/// ahead.
fn any_time(from: DateTime<Utc>, to: DateTime<Utc>, notice: u32) -> Vec<DateTime<Utc>> {
    let earliest = Utc::now() + Duration::minutes(i64::from(notice.max(5)));
    let mut times = Vec::new();
    let mut date = local(from).date_naive();
    while let Some(midnight) = date.and_hms_opt(0, 0, 0) {
        if from_local(midnight).is_some_and(|t| t >= to) {
            break;
        }
        for step in 0..(24 * 60 / FREE_STEP_MINUTES) {
            let wall = midnight + Duration::minutes(step * FREE_STEP_MINUTES);
            if let Some(t) = from_local(wall).filter(|t| *t >= earliest && *t >= from && *t < to) {
                times.push(t);
            }
        }
        match date.succ_opt() {
            Some(next) => date = next,
            None => break,
        }
    }
    times
}

/// Picks a free slot (or, if the doctor has no published hours, any time on a grid of
/// half hours) and books it. With `reschedule`, moves that appointment instead.
#[component]
pub fn SlotPicker(
    doctor_id: Uuid,
    doctor_name: String,
    #[prop(optional)] reschedule: Option<Appointment>,
    /// Called with the booked or moved appointment.
    on_done: Callback<Appointment>,
) -> impl IntoView {
    let opened = Utc::now();
    let personal = reschedule.is_none() && crate::state::session::use_session().signed_in();
    // Which four weeks are shown (0: from now), and a counter that reloads them.
    let window = RwSignal::new(0i64);
    let reloads = RwSignal::new(0u32);
    let bounds = move |w: i64| {
        let from = opened + Duration::days(w * WINDOW_DAYS);
        (from, from + Duration::days(WINDOW_DAYS))
    };
    let slots = ApiResource::new(move || {
        reloads.track();
        let (from, to) = bounds(window.get());
        // A patient's own answer says if they may book another (not when moving one).
        api::slots(doctor_id, from, to, personal)
    });
    let chosen = RwSignal::new(None::<DateTime<Utc>>);
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
    if let Some(t) = current {
        let w = ((t - opened).num_days() / WINDOW_DAYS).max(0);
        window.set(w);
    }
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
    Effect::new(move |_| match submit.result() {
        Some(Ok(appointment)) => on_done.run(appointment),
        // Taken meanwhile (or otherwise refused by the doctor's hours): the free
        // times are read again, and the refused one is no longer offered.
        Some(Err(e)) if e.status == 409 => {
            chosen.set(None);
            reloads.update(|n| *n += 1);
        }
        _ => {}
    });
    let error = move || submit.error();
    let blocked = move || {
        slots
            .get()
            .is_some_and(|r| r.is_ok_and(|l| l.booking_blocked.is_some()))
    };
    let pick = move |list: &SlotList| -> AnyView {
        let (from, to) = bounds(window.get_untracked());
        let to = to.min(list.bookable_until);
        let days = if list.hours_published {
            by_day(list.slots.iter().map(|s| s.start))
        } else {
            by_day(any_time(from, to, list.rules.min_notice_minutes))
        };
        let more = bounds(window.get_untracked() + 1).0 < list.bookable_until;
        let earlier = window.get_untracked() > 0;
        let range = format!(
            "{} to {}",
            day_month(local(from).date_naive()),
            day_month(local(to - Duration::seconds(1)).date_naive())
        );
        let pager = view! {
            <div class="slot-window">
                <button
                    type="button"
                    class="button secondary small"
                    disabled=!earlier
                    on:click=move |_| {
                        day.set(0);
                        window.update(|w| *w -= 1);
                    }
                >
                    "Earlier dates"
                </button>
                <span data-test="slot-range">{range}</span>
                <button
                    type="button"
                    class="button secondary small"
                    disabled=!more
                    on:click=move |_| {
                        day.set(0);
                        window.update(|w| *w += 1);
                    }
                >
                    "Later dates"
                </button>
            </div>
        };
        if let Some(why) = &list.booking_blocked {
            return view! {
                <p class="alert info" role="status" data-test="booking-blocked">{why.clone()}</p>
            }
            .into_any();
        }
        let unpublished = (!list.hours_published).then(|| {
            view! {
                <p class="hint" data-test="no-hours">{format!(
                    "{doctor_name} has not published working hours: you can ask for any time, \
                     and the doctor confirms by keeping it."
                )}</p>
            }
        });
        if days.is_empty() {
            return view! {
                {unpublished}
                {pager}
                <p class="empty">"No free time in these dates. Try later dates."</p>
            }
            .into_any();
        }
        let first = days[0].times[0];
        // Moving: the picker opens on the day of the time it has now, if that day is
        // shown; otherwise on the first day.
        let opening = current
            .and_then(|t| days.iter().position(|d| d.date == local(t).date_naive()))
            .unwrap_or(0);
        if day.get_untracked() >= days.len() || current.is_some() {
            day.set(opening);
        }
        // One day at a time, its times one radio group: a single Tab stop, moved
        // through with the arrow keys.
        let names: Vec<(usize, String)> = days
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let count = if list.hours_published {
                    format!("{} free", d.times.len())
                } else {
                    "any time".to_owned()
                };
                (i, format!("{} ({count})", short_day(d.date)))
            })
            .collect();
        let days = StoredValue::new(days);
        view! {
            {unpublished}
            <p>
                <button type="button" class="button secondary" data-test="next-slot"
                    on:click=move |_| { chosen.set(Some(first)); day.set(0); }>
                    {format!("Next free time: {}", format_local(first))}
                </button>
            </p>
            {pager}
            <div class="field">
                <label for="slot-day">"Day"</label>
                <select id="slot-day" prop:value=move || day.get().to_string()
                    on:change=move |ev| day.set(event_target_value(&ev).parse().unwrap_or(0))>
                    {names.into_iter().map(|(i, name)| view! {
                        <option value=i.to_string()>{name}</option>
                    }).collect_view()}
                </select>
            </div>
            {move || days.with_value(|days| days.get(day.get()).cloned()).map(|d| view! {
                <fieldset class="slot-day">
                    <legend>{format!("Times on {}", day_in_words(d.date))}</legend>
                    <div class="slot-grid">
                        {d.times.into_iter().map(|start| {
                            // The time it has now is shown among the others, not offered.
                            let is_current = current == Some(start);
                            view! {
                                <label class="slot" class:current=is_current>
                                    <input type="radio" name="slot" value=start.to_rfc3339()
                                        disabled=is_current
                                        prop:checked=move || chosen.get() == Some(start)
                                        on:change=move |_| chosen.set(Some(start))/>
                                    <span>
                                        {time_label(start)}
                                        {is_current.then_some(" (current)")}
                                    </span>
                                </label>
                            }
                        }).collect_view()}
                    </div>
                </fieldset>
            })}
        }
        .into_any()
    };
    let is_new = moving.is_none();
    view! {
        {current.map(|t| view! {
            <p class="current-time" data-test="current-time">
                "Now: "<strong>{format_local(t)}</strong>
            </p>
        })}
        <super::ZoneNote/>
        <Suspense fallback=|| view! { <super::Loading message="Finding free times…"/> }>
            {move || slots.get().map(|r| match r {
                Ok(list) => pick(&list),
                Err(e) => view! {
                    <p class="alert error" role="alert">{e.message()}</p>
                }.into_any(),
            })}
        </Suspense>
        // A patient who may not book another sees why, and nothing to fill in.
        <Show when=move || !blocked()>
        {is_new.then(|| view! {
            <div class="field">
                <label for="booking-reason">"Reason for the visit (optional)"</label>
                <textarea
                    id="booking-reason"
                    maxlength="500"
                    rows="3"
                    prop:value=move || reason.get()
                    on:input=move |ev| reason.set(event_target_value(&ev))
                ></textarea>
                <p class="hint">"Only you and your doctor see it. At most 500 characters."</p>
            </div>
        })}
        {move || error().map(|e| {
            let taken = e.status == 409;
            view! {
                <p class="alert error" role="alert">
                    {e.reasons()}
                    {taken.then_some(" The free times are updated: pick another.")}
                </p>
            }
        })}
        <div class="dialog-actions">
            <button type="button" class="button" data-test="confirm-booking"
                // Not disabled while saving: a disabled button loses the focus, and a
                // keyboard user would be left outside the dialog when the call fails.
                // Nor without a choice: after a refused time the choice is cleared, and
                // the focus must stay on the button.
                aria-disabled=move || {
                    if submit.pending() || chosen.get().is_none() { "true" } else { "false" }
                }
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
        </Show>
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
            <button
                type="button"
                class="button"
                on:click=move |_| {
                    booked.set(None);
                    open.set(true);
                }
            >
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
