use crate::router::{A, use_location};
use leptos::prelude::*;
use mediconnect_shared::{LoginRequest, RegisterRequest, Role};

use crate::api::{self, ApiAction};
use crate::components::{Field, FormError};

#[component]
pub fn Register() -> impl IntoView {
    let location = use_location();
    let name = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let role = RwSignal::new(Role::Patient);
    let specialization = RwSignal::new(String::new());
    let license = RwSignal::new(String::new());
    // The browser's zone; the profile changes it.
    let zone = crate::dates::browser_zone();
    let zone_text = format!(
        "Times will show in {} ({zone}), this device's zone. You can change it in your profile.",
        mediconnect_shared::zone_label(&zone)
    );

    // Register, then sign straight in with the same credentials.
    let submit = ApiAction::new(move |req: &RegisterRequest| {
        let req = req.clone();
        async move {
            api::register(&req).await?;
            api::login(&LoginRequest {
                email: req.email,
                password: req.password,
            })
            .await
        }
    });
    let failure = move || submit.error();
    let field_error =
        move |field: &'static str| Signal::derive(move || failure().and_then(|e| e.field(field)));
    Effect::new(move |_| {
        if let Some(Ok(_)) = submit.result() {
            location.replace("/profile");
        }
    });

    view! {
        <section class="card narrow">
            <h1>"Create your account"</h1>
            <FormError message=Signal::derive(move || failure().map(|e| e.message()))>
                {move || failure().is_some_and(|e| e.is("email-taken")).then(|| view! {
                    <p><A href="/login">"Sign in with this email instead"</A></p>
                })}
            </FormError>
            <form on:submit=move |ev| {
                ev.prevent_default();
                let doctor = role.get() == Role::Doctor;
                let specialization = doctor.then(|| specialization.get());
                let license_number = doctor.then(|| license.get());
                submit.dispatch(RegisterRequest {
                    name: name.get(),
                    email: email.get(),
                    password: password.get(),
                    role: role.get(),
                    specialization,
                    time_zone: Some(zone.clone()),
                    license_number,
                });
            }>
                <fieldset>
                    <legend>"I am a"</legend>
                    <label class="choice">
                        <input type="radio" name="role" value="PATIENT"
                            prop:checked=move || role.get() == Role::Patient
                            on:change=move |_| role.set(Role::Patient)/>
                        "Patient"
                    </label>
                    <label class="choice">
                        <input type="radio" name="role" value="DOCTOR"
                            prop:checked=move || role.get() == Role::Doctor
                            on:change=move |_| role.set(Role::Doctor)/>
                        "Doctor"
                    </label>
                </fieldset>
                <Field
                    id="name"
                    label="Full name"
                    autocomplete="name"
                    required=true
                    value=name
                    error=field_error("name")
                />
                <Field
                    id="email"
                    label="Email"
                    kind="email"
                    autocomplete="email"
                    required=true
                    value=email
                    error=field_error("email")
                />
                <Field
                    id="password"
                    label="Password"
                    kind="password"
                    autocomplete="new-password"
                    required=true
                    hint="8 to 128 characters. A long phrase is easy to remember and hard to guess."
                    value=password
                    error=field_error("password")
                />
                <Show when=move || role.get() == Role::Doctor>
                    <Field
                        id="specialization"
                        label="Specialization"
                        autocomplete="off"
                        required=true
                        hint="For example: Cardiology, Pediatrics, General Practice."
                        value=specialization
                        error=field_error("specialization")
                    />
                    <Field
                        id="license-number"
                        label="Licence or registration number"
                        autocomplete="off"
                        required=true
                        hint="Only the clinic's administrators see it, to approve your account."
                        value=license
                        error=field_error("licenseNumber")
                    />
                </Show>
                <p class="hint" data-test="register-zone">{zone_text}</p>
                <button class="button full" type="submit" disabled=move || submit.pending()>
                    {move || {
                        if submit.pending() { "Creating your account…" } else { "Create account" }
                    }}
                </button>
            </form>
            <p class="center muted">"Already have an account? " <A href="/login">"Sign in"</A></p>
        </section>
    }
}
