use leptos::prelude::*;
use mediconnect_shared::{BookingRules, NewTimeOff, Schedule, ScheduleException, WeeklyHours};

use crate::api::{self, ApiAction, ApiResource};
use crate::components::{Loading, RequireAuth, ZoneNote, ZonePicker};
use crate::dates::{WEEKDAYS, day_in_words, format_local};

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
    let rules = ApiResource::new(api::booking_rules);
    view! {
        <h1>"Working hours"</h1>
        <Transition fallback=|| view! { <Loading message="Loading your hours…"/> }>
            {move || schedule.get().map(|r| {
                or_alert(r, |s| view! { <ScheduleEditor initial=s/> }.into_any())
            })}
        </Transition>
        <h2 id="time-off-heading">"Time off"</h2>
        <TimeOffEditor/>
        <h2 id="rules-heading">"Booking rules"</h2>
        <Transition fallback=|| view! { <Loading message="Loading your rules…"/> }>
            {move || rules.get().map(|r| {
                or_alert(r, |r| view! { <RulesEditor initial=r/> }.into_any())
            })}
        </Transition>
    }
}

/// What was loaded, shown by `show`; or why it could not be.
fn or_alert<T>(loaded: Result<T, api::ApiError>, show: impl FnOnce(T) -> AnyView) -> AnyView {
    match loaded {
        Ok(value) => show(value),
        Err(e) => view! { <p class="alert error" role="alert">{e.message()}</p> }.into_any(),
    }
}

/// "Thursday 24 December 2026, 13:00": a local date-time as entered.
fn local_in_words(t: chrono::NaiveDateTime) -> String {
    use chrono::Timelike;
    format!(
        "{}, {:02}:{:02}",
        day_in_words(t.date()),
        t.hour(),
        t.minute()
    )
}

/// The doctor's time off: the ranges ahead, each removable, and a form to add one.
/// A range over booked appointments lists them, and may cancel them.
#[component]
fn TimeOffEditor() -> impl IntoView {
    let reload = RwSignal::new(0u32);
    let list = ApiResource::new(move || {
        reload.track();
        api::time_off()
    });
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let note = RwSignal::new(String::new());
    let add = ApiAction::new(move |r: &NewTimeOff| {
        let r = r.clone();
        async move { api::add_time_off(&r).await }
    });
    let remove = ApiAction::new(move |id: &uuid::Uuid| {
        let id = *id;
        async move { api::remove_time_off(id).await }
    });
    Effect::new(move |_| {
        if matches!(add.result(), Some(Ok(_))) {
            from.set(String::new());
            to.set(String::new());
            note.set(String::new());
            reload.update(|n| *n += 1);
        }
    });
    Effect::new(move |_| {
        if matches!(remove.result(), Some(Ok(_))) {
            reload.update(|n| *n += 1);
        }
    });
    // A field left empty or unreadable: sent as a time that cannot be, so that the
    // server names the field.
    let read = |s: String| {
        mediconnect_shared::time::parse_local_minute(&s).unwrap_or(chrono::NaiveDateTime::MIN)
    };
    let request = move |cancel_affected: bool| NewTimeOff {
        from: read(from.get_untracked()),
        to: read(to.get_untracked()),
        note: Some(note.get_untracked()).filter(|n| !n.trim().is_empty()),
        cancel_affected,
    };
    let affected = move || {
        add.error()
            .filter(|e| e.is("appointments-affected"))
            .and_then(|e| e.problem.map(|p| p.affected))
    };
    let field = move |name: &'static str| move || add.error().and_then(|e| e.field(name));
    let invalid = move |name: &'static str| {
        if field(name)().is_some() {
            "true"
        } else {
            "false"
        }
    };
    let has_fields =
        |e: &crate::api::ApiError| e.problem.as_ref().is_some_and(|p| !p.errors.is_empty());
    view! {
        <section class="card" aria-labelledby="time-off-heading">
            <p class="muted">
                "No one can book you in your time off. Times are in the time zone of your \
                 hours."
            </p>
            <Transition fallback=|| view! { <Loading message="Loading your time off…"/> }>
                {move || list.get().map(|r| match r {
                    Err(e) => view! {
                        <p class="alert error" role="alert">{e.message()}</p>
                    }.into_any(),
                    Ok(l) if l.time_off.is_empty() => view! {
                        <p class="empty">"No time off ahead."</p>
                    }.into_any(),
                    Ok(l) => view! {
                        <ul class="time-off">
                            {l.time_off.into_iter().map(|t| {
                                let label = format!(
                                    "{} to {}",
                                    local_in_words(t.from),
                                    local_in_words(t.to)
                                );
                                let aria = format!("Remove time off from {label}");
                                view! {
                                    <li data-test="time-off">
                                        <span>{label}</span>
                                        {t.note.map(|n| view! {
                                            " "<span class="muted">{format!("({n})")}</span>
                                        })}
                                        " "
                                        <button type="button" class="link-button"
                                            aria-label=aria
                                            on:click=move |_| { remove.dispatch(t.id); }>
                                            "Remove"
                                        </button>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                })}
            </Transition>
            {move || remove.error().map(|e| view! {
                <p class="alert error" role="alert">{e.message()}</p>
            })}
            <form class="time-off-form" novalidate on:submit=move |ev| {
                ev.prevent_default();
                add.dispatch(request(false));
            }>
                <div class="range">
                    <label>
                        "From"
                        <input type="datetime-local" prop:value=move || from.get()
                            aria-invalid=move || invalid("from")
                            on:input=move |ev| from.set(event_target_value(&ev))/>
                    </label>
                    <label>
                        "To"
                        <input type="datetime-local" prop:value=move || to.get()
                            aria-invalid=move || invalid("to")
                            on:input=move |ev| to.set(event_target_value(&ev))/>
                    </label>
                    <label>
                        "Note (only you see it)"
                        <input type="text" maxlength="200" prop:value=move || note.get()
                            on:input=move |ev| note.set(event_target_value(&ev))/>
                    </label>
                </div>
                {move || {
                    let messages: Vec<String> =
                        ["from", "to", "note"].into_iter().filter_map(|f| field(f)()).collect();
                    (!messages.is_empty()).then(|| view! {
                        <p class="field-error">{messages.join(" ")}</p>
                    })
                }}
                <button class="button secondary" type="submit" disabled=move || add.pending()>
                    "Add time off"
                </button>
                {move || add.error().filter(|e| !has_fields(e)).map(|e| view! {
                        <div class="alert error outcome" role="alert">
                            {match affected() {
                                Some(list) => {
                                    let count = list.len();
                                    let (what, it) = if count == 1 {
                                        ("1 booked appointment".to_owned(), "it")
                                    } else {
                                        (format!("{count} booked appointments"), "them")
                                    };
                                    view! {
                                        <p>{format!(
                                            "This time off holds {what}. Change it, or cancel \
                                             {it}: each patient is emailed that you are away."
                                        )}</p>
                                        <ZoneNote/>
                                        <ul class="affected">
                                            {list.into_iter().map(|a| view! {
                                                <li>{format_local(a.scheduled_for)}</li>
                                            }).collect_view()}
                                        </ul>
                                        <button type="button" class="button danger small"
                                            disabled=move || add.pending()
                                            on:click=move |_| { add.dispatch(request(true)); }>
                                            {if count == 1 {
                                                "Cancel it and add the time off".to_owned()
                                            } else {
                                                format!("Cancel these {count} and add the time off")
                                            }}
                                        </button>
                                    }.into_any()
                                }
                                None => view! { <p>{e.message()}</p> }.into_any(),
                            }}
                        </div>
                    })}
            </form>
        </section>
    }
}

/// One whole-number rule: its label, hint, field name and value.
#[component]
fn RuleField(
    id: &'static str,
    label: &'static str,
    hint: &'static str,
    value: RwSignal<String>,
    #[prop(into)] error: Signal<Option<String>>,
) -> impl IntoView {
    let hint_id = format!("{id}-hint");
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input
                id=id
                type="number"
                inputmode="numeric"
                min="0"
                aria-describedby=hint_id.clone()
                aria-invalid=move || if error.get().is_some() { "true" } else { "false" }
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
            />
            <p class="hint" id=hint_id>{hint}</p>
            {move || error.get().map(|m| view! { <p class="field-error">{m}</p> })}
        </div>
    }
}

/// When and how much patients may book: notice, cancellation cutoff, how far ahead,
/// and appointments ahead per patient. Notice and cutoff are edited in hours.
#[component]
fn RulesEditor(initial: BookingRules) -> impl IntoView {
    let hours = |m: u32| {
        let h = f64::from(m) / 60.0;
        if h.fract() == 0.0 {
            format!("{h:.0}")
        } else {
            format!("{h:.2}")
        }
    };
    let notice = RwSignal::new(hours(initial.min_notice_minutes));
    let cutoff = RwSignal::new(hours(initial.cancel_cutoff_minutes));
    let horizon = RwSignal::new(initial.horizon_days.to_string());
    let max_open = RwSignal::new(initial.max_open_per_patient.to_string());
    let save = ApiAction::new(move |r: &BookingRules| {
        let r = *r;
        async move { api::set_booking_rules(&r).await }
    });
    // Hours to minutes; a value that is not a number is sent as one out of range, so
    // that the server names the field.
    let minutes = |s: String| {
        s.trim()
            .replace(',', ".")
            .parse::<f64>()
            .ok()
            .filter(|h| h.is_finite() && *h >= 0.0)
            .map_or(u32::MAX, |h| {
                (h * 60.0).round().min(f64::from(u32::MAX)) as u32
            })
    };
    let whole = |s: String| s.trim().parse::<u32>().unwrap_or(u32::MAX);
    let field =
        move |name: &'static str| Signal::derive(move || save.error().and_then(|e| e.field(name)));
    view! {
        <form class="card rules" aria-labelledby="rules-heading" novalidate on:submit=move |ev| {
            ev.prevent_default();
            save.dispatch(BookingRules {
                min_notice_minutes: minutes(notice.get()),
                cancel_cutoff_minutes: minutes(cutoff.get()),
                horizon_days: whole(horizon.get()),
                max_open_per_patient: whole(max_open.get()),
            });
        }>
            <div class="rules-grid">
                <RuleField id="rule-notice" label="Notice (hours)" value=notice
                    hint="No booking or move closer than this to the start."
                    error=field("minNoticeMinutes")/>
                <RuleField id="rule-cutoff" label="Patients may cancel until (hours before)"
                    value=cutoff
                    hint="0 lets them cancel until the start. You can always cancel."
                    error=field("cancelCutoffMinutes")/>
                <RuleField id="rule-horizon" label="Bookable ahead (days)" value=horizon
                    hint="From 1 to 180 days." error=field("horizonDays")/>
                <RuleField id="rule-max-open" label="Appointments ahead per patient"
                    value=max_open hint="From 1 to 100." error=field("maxOpenPerPatient")/>
            </div>
            <button class="button" type="submit" disabled=move || save.pending()>
                {move || if save.pending() { "Saving…" } else { "Save rules" }}
            </button>
            {move || matches!(save.result(), Some(Ok(_))).then(|| view! {
                <p class="alert success outcome" role="status">"Your booking rules are saved."</p>
            })}
            {move || save.error().map(|e| view! {
                <p class="alert error outcome" role="alert">
                    {if e.problem.as_ref().is_some_and(|p| !p.errors.is_empty()) {
                        "Your rules were not saved. Each problem is shown beside its field."
                            .to_owned()
                    } else {
                        e.message()
                    }}
                </p>
            })}
        </form>
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
        crate::dates::browser_zone()
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
    // The hours last sent: sent again, told to cancel, when the server lists
    // appointments they would leave outside.
    let sent = StoredValue::new(None::<Schedule>);
    let affected = move || {
        failure()
            .filter(|e| e.is("appointments-affected"))
            .and_then(|e| e.problem.map(|p| p.affected))
    };
    let cancel_and_save = move |_| {
        if let Some(s) = sent.get_value() {
            save.dispatch(Schedule {
                cancel_affected: true,
                ..s
            });
        }
    };
    let saved = move || matches!(save.result(), Some(Ok(_)));

    // The row ids in the order they were sent: the server names a weekly range by
    // its place in the list (`weekly[2]`), and the error goes beside that row.
    let sent_rows = RwSignal::new(Vec::<usize>::new());
    let row_errors = move |id: usize| {
        let errors = failure()?;
        let i = sent_rows.with(|ids| ids.iter().position(|x| *x == id))?;
        let list = errors.fields(&format!("weekly[{i}]"));
        (!list.is_empty()).then(|| list.join(" "))
    };
    let day_errors = move |name: &'static str| {
        failure()
            .map(|e| {
                e.fields("weekly")
                    .into_iter()
                    .filter_map(|m| m.strip_prefix(&format!("{name}: ")).map(str::to_owned))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .filter(|m| !m.is_empty())
    };
    // Days off are sent first, in their order, so `exceptions[i]` is the i-th one.
    let day_off_errors = move |i: usize| {
        let list = failure()?.fields(&format!("exceptions[{i}]"));
        (!list.is_empty()).then(|| list.join(" "))
    };
    let copy_to_weekdays = move |from: u8| {
        let template: Vec<(String, String)> = rows
            .get_untracked()
            .iter()
            .filter(|r| r.weekday == from)
            .map(|r| (r.start.get_untracked(), r.end.get_untracked()))
            .collect();
        let mut list: Vec<Row> = rows
            .get_untracked()
            .into_iter()
            .filter(|r| r.weekday == from || r.weekday > 5)
            .collect();
        for weekday in (1..=5).filter(|d| *d != from) {
            for (start, end) in &template {
                list.push(new_row(weekday, start, end));
            }
        }
        list.sort_by_key(|r| r.weekday);
        rows.set(list);
    };

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
        let list = rows.get();
        sent_rows.set(list.iter().map(|r| r.id).collect());
        let schedule = Schedule {
            time_zone: time_zone.get(),
            slot_minutes: slot_minutes.get().parse().unwrap_or(30),
            weekly: list
                .iter()
                .map(|r| WeeklyHours {
                    weekday: r.weekday,
                    start: r.start.get(),
                    end: r.end.get(),
                })
                .collect(),
            exceptions,
            cancel_affected: false,
        };
        sent.set_value(Some(schedule.clone()));
        save.dispatch(schedule);
    };
    let zone_error = Signal::derive(move || failure().and_then(|e| e.field("timeZone")));
    let row_invalid = move |id: usize| {
        if row_errors(id).is_some() {
            "true"
        } else {
            "false"
        }
    };

    view! {
        <form class="card schedule" on:submit=submit novalidate>
            <p class="muted">
                "Patients can book only inside these hours. Until you add hours, patients are \
                 told that you have not published any, and may ask for any time."
            </p>
            <div class="filters">
                <ZonePicker
                    id="time-zone"
                    label="Time zone of these hours"
                    value=time_zone
                    error=zone_error
                    hint="Where you see patients: the hours below are in this zone."
                />
                <div class="field">
                    <label for="slot-minutes">"Appointment length"</label>
                    <select id="slot-minutes" prop:value=move || slot_minutes.get()
                        on:change=move |ev| slot_minutes.set(event_target_value(&ev))>
                        {[10u32, 15, 20, 30, 45, 60, 90, 120].into_iter().map(|m| view! {
                            <option value=m.to_string()>{format!("{m} minutes")}</option>
                        }).collect_view()}
                    </select>
                    {move || {
                        failure()
                            .and_then(|e| e.field("slotMinutes"))
                            .map(|m| view! { <p class="field-error">{m}</p> })
                    }}
                </div>
            </div>
            {WEEKDAYS.iter().enumerate().map(|(i, name)| {
                let weekday = i as u8 + 1;
                let name: &'static str = name;
                let has_rows = move || rows.with(|rs| rs.iter().any(|r| r.weekday == weekday));
                view! {
                    <fieldset class="weekday">
                        <legend>{name}</legend>
                        <For
                            each=move || {
                                rows.get().into_iter().filter(move |r| r.weekday == weekday)
                            }
                            key=|r| r.id
                            let:row
                        >
                            <div class="range">
                                <label>
                                    "From"
                                    <input
                                        type="time"
                                        prop:value=move || row.start.get()
                                        aria-invalid=move || row_invalid(row.id)
                                        on:input=move |ev| row.start.set(event_target_value(&ev))
                                    />
                                </label>
                                <label>
                                    "to"
                                    <input
                                        type="time"
                                        prop:value=move || row.end.get()
                                        aria-invalid=move || row_invalid(row.id)
                                        on:input=move |ev| row.end.set(event_target_value(&ev))
                                    />
                                </label>
                                <button
                                    type="button"
                                    class="link-button"
                                    on:click=move |_| {
                                        rows.update(|rs| rs.retain(|r| r.id != row.id))
                                    }
                                >
                                    "Remove"
                                </button>
                                {move || {
                                    row_errors(row.id)
                                        .map(|m| view! { <p class="field-error">{m}</p> })
                                }}
                            </div>
                        </For>
                        {move || day_errors(name).map(|m| view! { <p class="field-error">{m}</p> })}
                        <div class="actions">
                            <button type="button" class="button secondary small" on:click=move |_| {
                                let row = new_row(weekday, "09:00", "17:00");
                                rows.update(|rs| rs.push(row));
                            }>{format!("Add hours on {name}")}</button>
                            <Show when=has_rows>
                                <button
                                    type="button"
                                    class="button secondary small"
                                    on:click=move |_| copy_to_weekdays(weekday)
                                >
                                    {format!("Copy {name}'s hours to every weekday")}
                                </button>
                            </Show>
                        </div>
                    </fieldset>
                }
            }).collect_view()}
            <fieldset>
                <legend>"Days off"</legend>
                <ul class="days-off">
                    {move || days_off.get().into_iter().enumerate().map(|(i, d)| {
                        let day = d.clone();
                        let words = d.parse().map(day_in_words).unwrap_or(d);
                        view! {
                            <li>
                                {words}" "
                                <button
                                    type="button"
                                    class="link-button"
                                    on:click=move |_| days_off.update(|l| l.retain(|x| *x != day))
                                >
                                    "Remove"
                                </button>
                                {move || {
                                    day_off_errors(i)
                                        .map(|m| view! { <p class="field-error">{m}</p> })
                                }}
                            </li>
                        }
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
            <Show when=saved>
                <p class="alert success outcome" role="status">"Your hours are saved."</p>
            </Show>
            {move || failure().map(|e| view! {
                <div class="alert error outcome" role="alert">
                    <p>
                        "Your hours were not saved. "
                        {if e.problem.as_ref().is_some_and(|p| !p.errors.is_empty()) {
                            "Each problem is shown beside its field below.".to_owned()
                        } else if let Some(n) = affected().map(|l| l.len()) {
                            let (what, it) = if n == 1 {
                                ("1 booked appointment".to_owned(), "it")
                            } else {
                                (format!("{n} booked appointments"), "them")
                            };
                            format!(
                                "They leave {what} outside your hours. Change them to keep \
                                 {it}, or cancel {it}: the patient is emailed that you \
                                 changed your hours."
                            )
                        } else {
                            e.message()
                        }}
                    </p>
                    {affected().map(|list| {
                        let count = list.len();
                        view! {
                            <ZoneNote/>
                            <ul class="affected">
                                {list.into_iter().map(|a| view! {
                                    <li>{format_local(a.scheduled_for)}</li>
                                }).collect_view()}
                            </ul>
                            <button
                                type="button"
                                class="button danger small"
                                disabled=move || save.pending()
                                on:click=cancel_and_save
                            >
                                {if count == 1 {
                                    "Cancel this appointment and save".to_owned()
                                } else {
                                    format!("Cancel these {count} appointments and save")
                                }}
                            </button>
                        }
                    })}
                </div>
            })}
        </form>
    }
}
