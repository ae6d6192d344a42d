use chrono::NaiveDate;
use leptos::prelude::*;
use mediconnect_shared::{
    CalendarFeed, ChangeEmailRequest, ChangePasswordRequest, DoctorOnlineAlerts,
    NotificationPreferences, ProfileResponse, Role, UpdateProfileRequest,
};

use crate::api::{self, ApiAction, ApiResource};
use crate::components::{Field, FormError, Loading, RequireAuth, ZonePicker};
use crate::dates::{local, long_date};

#[component]
pub fn Profile() -> impl IntoView {
    view! {
        <RequireAuth>
            <ProfileLoader/>
        </RequireAuth>
    }
}

#[component]
fn ProfileLoader() -> impl IntoView {
    let profile = ApiResource::new(api::profile);
    view! {
        <h1>"Your profile"</h1>
        <Transition fallback=|| view! { <Loading message="Loading your profile…"/> }>
            {move || profile.get().map(|result| match result {
                Ok(p) => view! { <ProfileView profile=p/> }.into_any(),
                Err(e) => view! {
                    <div class="alert error" role="alert">
                        <p>{e.message()}</p>
                        <button class="button secondary" on:click=move |_| profile.refetch()>
                            "Try again"
                        </button>
                    </div>
                }.into_any(),
            })}
        </Transition>
    }
}

fn role_label(role: Role) -> &'static str {
    match role {
        Role::Doctor => "Doctor",
        Role::Patient => "Patient",
        Role::Admin => "Administrator",
    }
}

#[component]
fn ProfileView(profile: ProfileResponse) -> impl IntoView {
    let current = RwSignal::new(profile);
    view! {
        <section class="card" aria-labelledby="details-heading">
            <h2 id="details-heading">"Details"</h2>
            {move || {
                let p = current.get();
                view! {
                    <dl class="details">
                        <dt>"Name"</dt><dd data-test="profile-name">{p.name.clone()}</dd>
                        <dt>"Email"</dt>
                        <dd>
                            <span data-test="profile-email">{p.email.clone()}</span>" "
                            {if p.email_verified {
                                view! { <span class="badge">"Confirmed"</span> }.into_any()
                            } else {
                                view! {
                                    <span class="badge warn">"Not confirmed yet"</span>
                                }
                                .into_any()
                            }}
                        </dd>
                        <dt>"Role"</dt><dd><span class="badge">{role_label(p.role)}</span></dd>
                        <dt>"Time zone"</dt>
                        <dd data-test="profile-zone">
                            {format!(
                                "{} ({})",
                                mediconnect_shared::zone_label(&p.time_zone),
                                p.time_zone
                            )}
                        </dd>
                        {p.doctor.clone().map(|d| view! {
                            <dt>"Specialization"</dt><dd>{d.specialization}</dd>
                        })}
                        {p.patient.clone().map(|pt| view! {
                            <dt>"Date of birth"</dt>
                            <dd>
                                {pt
                                    .date_of_birth
                                    .map(|d| long_date(&d))
                                    .unwrap_or_else(|| "Not given".into())}
                            </dd>
                            <dt>"Phone"</dt>
                            <dd>{pt.phone_number.unwrap_or_else(|| "Not given".into())}</dd>
                        })}
                        <dt>"Member since"</dt><dd>{long_date(&local(p.created_at))}</dd>
                    </dl>
                }
            }}
        </section>
        <EditProfile current=current/>
        <ChangeEmail current=current/>
        <ChangePassword/>
        {(current.get_untracked().role != Role::Admin).then(|| view! { <CalendarFeedCard/> })}
    }
}

/// Copies `text` to the clipboard; whether it could.
async fn copy(text: String) -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    let promise = window.navigator().clipboard().write_text(&text);
    wasm_bindgen_futures::JsFuture::from(promise).await.is_ok()
}

/// The private calendar feed: its address to subscribe to, a new one, or none.
#[component]
fn CalendarFeedCard() -> impl IntoView {
    let feed = ApiResource::new(api::calendar_feed);
    // The feed as last answered by a change, over what was loaded.
    let changed: RwSignal<Option<Option<CalendarFeed>>> = RwSignal::new(None);
    let renew = ApiAction::new(|_: &()| async move { api::new_calendar_feed().await });
    let remove = ApiAction::new(|_: &()| async move { api::remove_calendar_feed().await });
    let confirming = RwSignal::new(false);
    let copied: RwSignal<Option<bool>> = RwSignal::new(None);
    Effect::new(move |_| {
        if let Some(Ok(f)) = renew.result() {
            changed.set(Some(Some(f)));
            confirming.set(false);
            copied.set(None);
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = remove.result() {
            changed.set(Some(None));
            confirming.set(false);
        }
    });
    let failure = move || {
        renew
            .error()
            .or_else(|| remove.error())
            .map(|e| e.message())
    };
    let current = move || match changed.get() {
        Some(f) => Some(Ok(f)),
        None => feed.get(),
    };
    let busy = move || renew.pending() || remove.pending();
    view! {
        <section class="card feed" aria-labelledby="feed-heading">
            <h2 id="feed-heading">"Calendar feed"</h2>
            <p class="muted">
                "Subscribe to your appointments in your calendar app (Google Calendar, Apple \
                 Calendar, Outlook). It lists them from 30 days back, updates by itself about \
                 every hour, and never shows visit reasons. Anyone with the address can read it: \
                 keep it to yourself."
            </p>
            <FormError message=Signal::derive(failure)/>
            <Transition fallback=|| view! { <Loading message="Loading your calendar feed…"/> }>
                {move || current().map(|result| match result {
                    Err(e) => view! {
                        <div class="alert error" role="alert">
                            <p>{e.message()}</p>
                            <button class="button secondary" on:click=move |_| feed.refetch()>
                                "Try again"
                            </button>
                        </div>
                    }.into_any(),
                    Ok(None) => view! {
                        <p data-test="feed-none">"You have no calendar feed."</p>
                        <button
                            class="button"
                            type="button"
                            disabled=busy
                            on:click=move |_| renew.dispatch(())
                        >
                            {move || if renew.pending() {
                                "Making…"
                            } else {
                                "Make a feed address"
                            }}
                        </button>
                    }.into_any(),
                    Ok(Some(f)) => {
                        let url = f.url.clone();
                        let webcal = url.replacen("https://", "webcal://", 1)
                            .replacen("http://", "webcal://", 1);
                        let to_copy = url.clone();
                        view! {
                            <div class="field">
                                <label for="feed-url">"Feed address"</label>
                                <input
                                    id="feed-url"
                                    type="text"
                                    readonly=true
                                    value=url
                                    data-test="feed-url"
                                    aria-describedby="feed-made"
                                    on:focus=move |ev| {
                                        use wasm_bindgen::JsCast;
                                        if let Some(input) = ev.target().and_then(|t| {
                                            t.dyn_into::<web_sys::HtmlInputElement>().ok()
                                        }) {
                                            input.select();
                                        }
                                    }
                                />
                                <p class="hint" id="feed-made">
                                    {format!("Made on {}.", long_date(&local(f.created_at)))}
                                </p>
                            </div>
                            <div class="actions">
                                <button
                                    class="button"
                                    type="button"
                                    on:click=move |_| {
                                        let text = to_copy.clone();
                                        leptos::task::spawn_local(async move {
                                            copied.set(Some(copy(text).await));
                                        });
                                    }
                                >
                                    "Copy address"
                                </button>
                                <a class="button secondary" href=webcal>"Open in calendar app"</a>
                            </div>
                            <p role="status" class="muted">
                                {move || match copied.get() {
                                    Some(true) => "Copied. Paste it where your calendar app \
                                        asks for a calendar from the internet (\"subscribe\").",
                                    Some(false) => "Could not copy: select the address and \
                                        copy it yourself.",
                                    None => "",
                                }}
                            </p>
                            <Show
                                when=move || confirming.get()
                                fallback=move || view! {
                                    <div class="actions">
                                        <button
                                            class="button secondary"
                                            type="button"
                                            disabled=busy
                                            on:click=move |_| confirming.set(true)
                                        >
                                            "Make a new address"
                                        </button>
                                        <button
                                            class="button secondary"
                                            type="button"
                                            disabled=busy
                                            on:click=move |_| remove.dispatch(())
                                        >
                                            {move || if remove.pending() {
                                                "Turning off…"
                                            } else {
                                                "Turn the feed off"
                                            }}
                                        </button>
                                    </div>
                                }
                            >
                                <div class="alert warn" role="alert">
                                    <p>
                                        "The current address stops working at once: calendars \
                                         subscribed to it stop updating until you subscribe \
                                         again with the new one."
                                    </p>
                                    <div class="actions">
                                        <button
                                            class="button"
                                            type="button"
                                            disabled=busy
                                            on:click=move |_| renew.dispatch(())
                                        >
                                            {move || if renew.pending() {
                                                "Making…"
                                            } else {
                                                "Make a new address"
                                            }}
                                        </button>
                                        <button
                                            class="button secondary"
                                            type="button"
                                            on:click=move |_| confirming.set(false)
                                        >
                                            "Keep this one"
                                        </button>
                                    </div>
                                </div>
                            </Show>
                        }.into_any()
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn EditProfile(current: RwSignal<ProfileResponse>) -> impl IntoView {
    let initial = current.get_untracked();
    let role = initial.role;
    let name = RwSignal::new(initial.name.clone());
    let zone = RwSignal::new(initial.time_zone.clone());
    let specialization = RwSignal::new(
        initial
            .doctor
            .as_ref()
            .map(|d| d.specialization.clone())
            .unwrap_or_default(),
    );
    let date_of_birth = RwSignal::new(
        initial
            .patient
            .as_ref()
            .and_then(|p| p.date_of_birth)
            .map(|d| d.to_string())
            .unwrap_or_default(),
    );
    let phone = RwSignal::new(
        initial
            .patient
            .as_ref()
            .and_then(|p| p.phone_number.clone())
            .unwrap_or_default(),
    );
    let prefs = initial
        .patient
        .as_ref()
        .map(|p| p.notifications)
        .unwrap_or_default();
    let agenda = RwSignal::new(initial.doctor.as_ref().is_some_and(|d| d.daily_agenda));
    let alerts = RwSignal::new(prefs.doctor_online);
    let reminders = RwSignal::new(prefs.appointment_reminders);
    // The email choices as last loaded or saved: they are sent only when changed here,
    // so a save of other fields does not undo an unsubscribe made from an email
    // meanwhile.
    let saved_prefs = StoredValue::new(prefs);
    let local_error = RwSignal::new(None::<String>);

    let save = ApiAction::new(move |req: &UpdateProfileRequest| {
        let req = req.clone();
        async move { api::update_profile(&req).await }
    });
    let failure = move || save.error();
    let field_error =
        move |field: &'static str| Signal::derive(move || failure().and_then(|e| e.field(field)));
    Effect::new(move |_| {
        if let Some(Ok(updated)) = save.result() {
            if let Some(p) = &updated.patient {
                saved_prefs.set_value(p.notifications);
            }
            current.set(updated);
        }
    });
    let saved = move || matches!(save.result(), Some(Ok(_)));

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        local_error.set(None);
        let mut req = UpdateProfileRequest {
            name: Some(name.get()),
            time_zone: Some(zone.get()),
            ..Default::default()
        };
        match role {
            Role::Doctor => {
                req.specialization = Some(specialization.get());
                req.daily_agenda = Some(agenda.get());
            }
            Role::Patient => {
                let dob = date_of_birth.get();
                req.date_of_birth = Some(if dob.trim().is_empty() {
                    None
                } else {
                    match dob.trim().parse::<NaiveDate>() {
                        Ok(d) => Some(d),
                        Err(_) => {
                            local_error.set(Some("Enter the date of birth as YYYY-MM-DD.".into()));
                            return;
                        }
                    }
                });
                let phone = phone.get();
                req.phone_number = Some((!phone.trim().is_empty()).then_some(phone));
                let chosen = NotificationPreferences {
                    doctor_online: alerts.get(),
                    appointment_reminders: reminders.get(),
                };
                req.notifications = (chosen != saved_prefs.get_value()).then_some(chosen);
            }
            Role::Admin => {}
        }
        save.dispatch(req);
    };

    view! {
        <section class="card" aria-labelledby="edit-heading">
            <h2 id="edit-heading">"Edit profile"</h2>
            <FormError message=Signal::derive(move || {
                local_error.get().or_else(|| failure().map(|e| e.message()))
            })/>
            <form on:submit=on_submit>
                <Field
                    id="profile-name"
                    label="Full name"
                    autocomplete="name"
                    required=true
                    value=name
                    error=field_error("name")
                />
                <ZonePicker
                    id="profile-zone"
                    label="Time zone"
                    value=zone
                    error=field_error("timeZone")
                    hint="The app and your emails show times in this zone."
                />
                {(role == Role::Doctor).then(|| view! {
                    <Field
                        id="profile-specialization"
                        label="Specialization"
                        required=true
                        value=specialization
                        error=field_error("specialization")
                    />
                    <label class="choice">
                        <input type="checkbox" prop:checked=move || agenda.get()
                            aria-describedby="agenda-hint"
                            on:change=move |ev| agenda.set(event_target_checked(&ev))/>
                        "Email me my day's appointments every morning"
                    </label>
                    <p class="hint choice-hint" id="agenda-hint">
                        "At 07:00 in your time zone, on days with appointments: times and \
                         patients' names, without visit reasons."
                    </p>
                })}
                {(role == Role::Patient).then(|| view! {
                    <Field
                        id="profile-dob"
                        label="Date of birth"
                        kind="date"
                        autocomplete="bday"
                        hint="Optional. Leave empty to remove it."
                        value=date_of_birth
                        error=field_error("dateOfBirth")
                    />
                    <Field
                        id="profile-phone"
                        label="Phone number"
                        kind="tel"
                        autocomplete="tel"
                        hint="Optional. 7 to 15 digits, for example +1 555 010 0100."
                        value=phone
                        error=field_error("phoneNumber")
                    />
                    <fieldset>
                        <legend>"Email me when a doctor comes online"</legend>
                        {[
                            (DoctorOnlineAlerts::All, "For every doctor"),
                            (DoctorOnlineAlerts::Followed, "Only for doctors I follow"),
                            (DoctorOnlineAlerts::Off, "Never"),
                        ]
                            .into_iter().map(|(value, label)| view! {
                                <label class="choice">
                                    <input type="radio" name="alerts" value=value.as_str()
                                        prop:checked=move || alerts.get() == value
                                        on:change=move |_| alerts.set(value)/>
                                    {label}
                                </label>
                            }).collect_view()}
                    </fieldset>
                    <label class="choice">
                        <input type="checkbox" prop:checked=move || reminders.get()
                            on:change=move |ev| reminders.set(event_target_checked(&ev))/>
                        "Email me reminders before my appointments"
                    </label>
                })}
                <button class="button" type="submit" disabled=move || save.pending()>
                    {move || if save.pending() { "Saving…" } else { "Save changes" }}
                </button>
                // Beside the button that was pressed: where the eye is.
                <Show when=saved>
                    <p class="alert success outcome" role="status">"Your profile is saved."</p>
                </Show>
            </form>
        </section>
    }
}

/// A new address, confirmed by the password; it then waits for its own confirmation.
#[component]
fn ChangeEmail(current: RwSignal<ProfileResponse>) -> impl IntoView {
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let change = ApiAction::new(move |req: &ChangeEmailRequest| {
        let req = req.clone();
        async move { api::change_email(&req).await }
    });
    let failure = move || change.error();
    let field_error =
        move |field: &'static str| Signal::derive(move || failure().and_then(|e| e.field(field)));
    Effect::new(move |_| {
        if let Some(Ok(profile)) = change.result() {
            current.set(profile);
            email.set(String::new());
            password.set(String::new());
        }
    });
    view! {
        <section class="card" aria-labelledby="email-heading">
            <h2 id="email-heading">"Change email address"</h2>
            <p class="muted">
                "We send a link to the new address to confirm it, and tell the old one."
            </p>
            <FormError message=Signal::derive(move || failure().map(|e| e.message()))/>
            <form on:submit=move |ev| {
                ev.prevent_default();
                change.dispatch(ChangeEmailRequest {
                    email: email.get(),
                    current_password: password.get(),
                });
            }>
                <Field
                    id="new-email"
                    label="New email address"
                    kind="email"
                    autocomplete="email"
                    required=true
                    value=email
                    error=field_error("email")
                />
                <Field
                    id="email-current-password"
                    label="Current password"
                    kind="password"
                    autocomplete="current-password"
                    required=true
                    value=password
                    error=field_error("currentPassword")
                />
                <button class="button" type="submit" disabled=move || change.pending()>
                    {move || if change.pending() { "Changing…" } else { "Change email address" }}
                </button>
                <Show when=move || matches!(change.result(), Some(Ok(_)))>
                    <p class="alert success outcome" role="status">
                        {move || format!(
                            "Your address is now {}. Follow the link we sent there to confirm it.",
                            current.with(|p| p.email.clone())
                        )}
                    </p>
                </Show>
            </form>
        </section>
    }
}

#[component]
fn ChangePassword() -> impl IntoView {
    let current_password = RwSignal::new(String::new());
    let new_password = RwSignal::new(String::new());
    let change = ApiAction::new(move |req: &ChangePasswordRequest| {
        let req = req.clone();
        async move { api::change_password(&req).await }
    });
    let failure = move || change.error();
    let field_error =
        move |field: &'static str| Signal::derive(move || failure().and_then(|e| e.field(field)));
    Effect::new(move |_| {
        if let Some(Ok(_)) = change.result() {
            current_password.set(String::new());
            new_password.set(String::new());
        }
    });
    view! {
        <section class="card" aria-labelledby="password-heading">
            <h2 id="password-heading">"Change password"</h2>
            <p class="muted">"Changing your password signs you out on every other device."</p>
            <FormError message=Signal::derive(move || failure().map(|e| e.message()))/>
            <form on:submit=move |ev| {
                ev.prevent_default();
                change.dispatch(ChangePasswordRequest {
                    current_password: current_password.get(),
                    new_password: new_password.get(),
                });
            }>
                <Field
                    id="current-password"
                    label="Current password"
                    kind="password"
                    autocomplete="current-password"
                    required=true
                    value=current_password
                    error=field_error("currentPassword")
                />
                <Field
                    id="new-password"
                    label="New password"
                    kind="password"
                    autocomplete="new-password"
                    required=true
                    hint="8 to 128 characters."
                    value=new_password
                    error=field_error("newPassword")
                />
                <button class="button" type="submit" disabled=move || change.pending()>
                    {move || if change.pending() { "Changing…" } else { "Change password" }}
                </button>
                <Show when=move || matches!(change.result(), Some(Ok(_)))>
                    <p class="alert success outcome" role="status">"Your password is changed."</p>
                </Show>
            </form>
        </section>
    }
}
