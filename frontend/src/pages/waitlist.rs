//! Waitlists, for patients: joining a doctor's (on the doctor's page) and the entries
//! with the times held for them (on the appointments page), claimed or passed on.

use chrono::{Duration, NaiveDate};
use leptos::prelude::*;
use mediconnect_shared::{
    AppointmentQuery, AppointmentStatus, NewWaitlistEntry, WaitlistEntry, WaitlistOffer,
};
use uuid::Uuid;

use crate::api::{self, ApiAction, ApiResource};
use crate::components::{Field, FormError, Loading};
use crate::dates::{format_local, long_date, today};
use crate::router::A;
use crate::state::live::use_live;

/// "on 4 January 2027" or "from 4 January 2027 to 6 January 2027".
fn days_in_words(from: NaiveDate, to: NaiveDate) -> String {
    if from == to {
        format!("on {}", long_date(&from))
    } else {
        format!("from {} to {}", long_date(&from), long_date(&to))
    }
}

/// "Join the waitlist" on a doctor's page: a window of days, and, for a patient who has
/// a booking with the doctor, whether only earlier times will do.
#[component]
pub fn WaitlistJoin(doctor: Uuid, name: String) -> impl IntoView {
    let first = today();
    let from = RwSignal::new(first.to_string());
    let to = RwSignal::new((first + Duration::days(14)).to_string());
    let earlier = RwSignal::new(false);
    let local_error = RwSignal::new(None::<String>);
    // The patient's next booking with this doctor, which an earlier time would replace.
    let booking = ApiResource::new(move || async move {
        let query = AppointmentQuery {
            doctor_id: Some(doctor),
            status: Some(AppointmentStatus::Scheduled),
            ..Default::default()
        };
        api::appointments(&query)
            .await
            .map(|list| list.appointments.into_iter().next())
    });
    let join = ApiAction::new(|req: &NewWaitlistEntry| {
        let req = req.clone();
        async move { api::join_waitlist(&req).await }
    });
    let failure = move || join.error();
    let field_error =
        move |field: &'static str| Signal::derive(move || failure().and_then(|e| e.field(field)));
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        local_error.set(None);
        let (Ok(start), Ok(end)) = (
            from.get().parse::<NaiveDate>(),
            to.get().parse::<NaiveDate>(),
        ) else {
            local_error.set(Some("Choose the first and the last day.".into()));
            return;
        };
        let earlier_than = earlier
            .get()
            .then(|| booking.get().and_then(|b| b.ok().flatten()).map(|a| a.id))
            .flatten();
        join.dispatch(NewWaitlistEntry {
            doctor_id: doctor,
            from: start,
            to: end,
            earlier_than,
        });
    };
    view! {
        <section class="card waitlist-join" aria-labelledby="waitlist-heading">
            <h2 id="waitlist-heading">"Waitlist"</h2>
            <p class="muted">
                {format!(
                    "No time that suits you? Wait for one: when a time with {name} frees up \
                     on your days, the first patient waiting is emailed and it is held for \
                     them for a few minutes."
                )}
            </p>
            <FormError message=Signal::derive(move || {
                local_error.get().or_else(|| failure().map(|e| e.message()))
            })/>
            <Show
                when=move || matches!(join.result(), Some(Ok(_)))
                fallback=move || view! {
                    <form on:submit=on_submit>
                        <div class="range">
                            <Field id="waitlist-from" label="From" kind="date" required=true
                                value=from error=field_error("from")/>
                            <Field id="waitlist-to" label="To" kind="date" required=true
                                value=to error=field_error("to")/>
                        </div>
                        {move || booking.get().and_then(|b| b.ok().flatten()).map(|a| view! {
                            <label class="choice">
                                <input type="checkbox" prop:checked=move || earlier.get()
                                    on:change=move |ev| earlier.set(event_target_checked(&ev))/>
                                {format!(
                                    "Only times earlier than my booking on {}, which a new \
                                     time replaces",
                                    format_local(a.scheduled_for)
                                )}
                            </label>
                        })}
                        <button class="button" type="submit" disabled=move || join.pending()>
                            {move || if join.pending() { "Joining…" } else { "Join the waitlist" }}
                        </button>
                    </form>
                }
            >
                <p class="alert success" role="status">
                    {move || match join.result() {
                        Some(Ok(e)) if e.offer.is_some() => {
                            "A time is free already and held for you: book it on your \
                             appointments page."
                                .to_owned()
                        }
                        Some(Ok(e)) => format!(
                            "You are on the waitlist for a time {}. We will email you when one \
                             frees up.",
                            days_in_words(e.from, e.to)
                        ),
                        _ => String::new(),
                    }}
                    " "
                    <A href="/appointments">"See your waitlists"</A>
                </p>
            </Show>
        </section>
    }
}

/// The patient's waitlist entries on the appointments page, each with the time held for
/// them, to book or pass on, and a way to leave.
#[component]
pub fn WaitlistSection(message: RwSignal<Option<String>>) -> impl IntoView {
    let live = use_live();
    let entries = ApiResource::new(move || {
        live.appointments_changed.track();
        api::waitlist()
    });
    view! {
        <section class="appointments waitlist" aria-labelledby="waitlist-heading">
            <h2 id="waitlist-heading">"Waitlists"</h2>
            <Transition fallback=|| view! { <Loading message="Loading your waitlists…"/> }>
                {move || entries.get().map(|r| match r {
                    Err(e) => view! {
                        <p class="alert error" role="alert">{e.message()}</p>
                    }.into_any(),
                    Ok(list) if list.entries.is_empty() => view! {
                        <p class="empty">
                            "You are not waiting for any doctor. On a doctor's page, join their \
                             waitlist to be offered a time that frees up."
                        </p>
                    }.into_any(),
                    Ok(list) => view! {
                        <ul class="appointment-list">
                            {list.entries.into_iter().map(|e| view! {
                                <Entry entry=e message=message/>
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                })}
            </Transition>
        </section>
    }
}

#[component]
fn Entry(entry: WaitlistEntry, message: RwSignal<Option<String>>) -> impl IntoView {
    let live = use_live();
    let changed = move || live.appointments_changed.update(|v| *v += 1);
    let id = entry.id;
    let leave = ApiAction::new(move |_: &()| async move { api::leave_waitlist(id).await });
    let doctor = entry.doctor.name.clone();
    let left_doctor = doctor.clone();
    Effect::new(move |_| {
        if let Some(Ok(())) = leave.result() {
            message.set(Some(format!("You left {left_doctor}'s waitlist.")));
            changed();
        }
    });
    let window = format!(
        "Waiting for a time {}{}",
        days_in_words(entry.from, entry.to),
        if entry.earlier_than.is_some() {
            ", earlier than your booking"
        } else {
            ""
        }
    );
    view! {
        <li class="appointment waitlist-entry" data-test="waitlist-entry">
            <div>
                <p class="appointment-when">{doctor.clone()}</p>
                <p class="appointment-who">{entry.doctor.specialization.clone()}</p>
                <p class="muted">{window}</p>
            </div>
            {entry.offer.map(|o| view! { <Offer offer=o doctor=doctor.clone() message=message/> })}
            <FormError message=Signal::derive(move || leave.error().map(|e| e.message()))/>
            <div class="card-actions">
                <button type="button" class="button secondary" disabled=move || leave.pending()
                    on:click=move |_| leave.dispatch(())>
                    {move || if leave.pending() { "Leaving…" } else { "Leave the waitlist" }}
                </button>
            </div>
        </li>
    }
}

#[component]
fn Offer(offer: WaitlistOffer, doctor: String, message: RwSignal<Option<String>>) -> impl IntoView {
    let live = use_live();
    let changed = move || live.appointments_changed.update(|v| *v += 1);
    let id = offer.id;
    let claim = ApiAction::new(move |_: &()| async move { api::claim_offer(id).await });
    let decline = ApiAction::new(move |_: &()| async move { api::decline_offer(id).await });
    let when = format_local(offer.start);
    let booked = (doctor.clone(), when.clone());
    Effect::new(move |_| {
        if let Some(Ok(_)) = claim.result() {
            message.set(Some(format!("Booked: {} on {}.", booked.0, booked.1)));
            changed();
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = decline.result() {
            message.set(Some("Passed on. You stay on the waitlist.".into()));
            changed();
        }
    });
    let busy = move || claim.pending() || decline.pending();
    let failure = move || {
        claim
            .error()
            .or_else(|| decline.error())
            .map(|e| e.message())
    };
    view! {
        <div class="alert info offer" data-test="waitlist-offer">
            <p>
                <strong>{format!("A time is held for you: {when}.")}</strong>
                " "
                {format!("Book it by {}, or pass it on.", format_local(offer.expires_at))}
            </p>
            <FormError message=Signal::derive(failure)/>
            <div class="actions">
                <button type="button" class="button" disabled=busy
                    on:click=move |_| claim.dispatch(())>
                    {move || if claim.pending() { "Booking…" } else { "Book this time" }}
                </button>
                <button type="button" class="button secondary" disabled=busy
                    on:click=move |_| decline.dispatch(())>
                    {move || if decline.pending() { "Passing on…" } else { "Pass it on" }}
                </button>
            </div>
        </div>
    }
}
