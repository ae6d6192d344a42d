//! The admin dashboard's invitations: invite a doctor or an admin by email, and the
//! open invitations, each of which can be withdrawn.

use leptos::prelude::*;
use mediconnect_shared::{Invitation, InvitationRequest, Role};

use crate::api::{self, ApiAction, ApiResource};
use crate::components::{Field, FormError, Loading};
use crate::dates::format_local;

#[component]
pub fn Invitations(
    /// Bumped after each change, so that the audit trail shows it.
    audit_changed: RwSignal<u32>,
) -> impl IntoView {
    let reload = RwSignal::new(0u32);
    let open = ApiResource::new(move || {
        reload.track();
        api::invitations()
    });
    let email = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let role = RwSignal::new(Role::Doctor);
    let specialization = RwSignal::new(String::new());
    let send = ApiAction::new(move |req: &InvitationRequest| {
        let req = req.clone();
        async move { api::invite(&req).await }
    });
    Effect::new(move |_| {
        if let Some(Ok(_)) = send.result() {
            email.set(String::new());
            name.set(String::new());
            specialization.set(String::new());
            reload.update(|v| *v += 1);
            audit_changed.update(|v| *v += 1);
        }
    });
    let failure = move || send.error();
    let field_error =
        move |field: &'static str| Signal::derive(move || failure().and_then(|e| e.field(field)));
    let withdrawn = Callback::new(move |_: ()| {
        reload.update(|v| *v += 1);
        audit_changed.update(|v| *v += 1);
    });
    view! {
        <section class="card" aria-labelledby="invite-heading">
            <h2 id="invite-heading">"Invite a doctor or an administrator"</h2>
            <p class="muted">
                "They get an email with a link, valid for 7 days, to choose a password. Their \
                 address counts as confirmed, and a doctor is approved."
            </p>
            <FormError message=Signal::derive(move || failure().map(|e| e.message()))/>
            <form on:submit=move |ev| {
                ev.prevent_default();
                let doctor = role.get() == Role::Doctor;
                send.dispatch(InvitationRequest {
                    email: email.get(),
                    name: name.get(),
                    role: role.get(),
                    specialization: doctor.then(|| specialization.get()),
                });
            }>
                <fieldset>
                    <legend>"Invite as"</legend>
                    <label class="choice">
                        <input type="radio" name="invite-role" value="DOCTOR"
                            prop:checked=move || role.get() == Role::Doctor
                            on:change=move |_| role.set(Role::Doctor)/>
                        "Doctor"
                    </label>
                    <label class="choice">
                        <input type="radio" name="invite-role" value="ADMIN"
                            prop:checked=move || role.get() == Role::Admin
                            on:change=move |_| role.set(Role::Admin)/>
                        "Administrator"
                    </label>
                </fieldset>
                <Field
                    id="invite-name"
                    label="Their full name"
                    autocomplete="off"
                    required=true
                    value=name
                    error=field_error("name")
                />
                <Field
                    id="invite-email"
                    label="Their email address"
                    kind="email"
                    autocomplete="off"
                    required=true
                    value=email
                    error=field_error("email")
                />
                <Show when=move || role.get() == Role::Doctor>
                    <Field
                        id="invite-specialization"
                        label="Specialization"
                        autocomplete="off"
                        required=true
                        value=specialization
                        error=field_error("specialization")
                    />
                </Show>
                <button class="button" type="submit" disabled=move || send.pending()>
                    {move || if send.pending() { "Sending…" } else { "Send the invitation" }}
                </button>
                {move || match send.result() {
                    Some(Ok(i)) => Some(view! {
                        <p class="alert success outcome" role="status">
                            {format!("Invitation sent to {}.", i.email)}
                        </p>
                    }),
                    _ => None,
                }}
            </form>
            <h3>"Open invitations"</h3>
            <Transition fallback=|| view! { <Loading message="Loading invitations…"/> }>
                {move || open.get().map(|r| match r {
                    Ok(list) if list.invitations.is_empty() => view! {
                        <p class="muted">"No invitation is waiting for an answer."</p>
                    }.into_any(),
                    Ok(list) => view! {
                        <ul class="approval-list">
                            {list.invitations.into_iter().map(|i| view! {
                                <OpenInvitation invitation=i withdrawn=withdrawn/>
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                    Err(e) => view! {
                        <p class="alert error" role="alert">{e.message()}</p>
                    }.into_any(),
                })}
            </Transition>
        </section>
    }
}

#[component]
fn OpenInvitation(invitation: Invitation, withdrawn: Callback<()>) -> impl IntoView {
    let id = invitation.id;
    let revoke = ApiAction::new(move |_: &()| async move { api::revoke_invitation(id).await });
    Effect::new(move |_| {
        if let Some(Ok(())) = revoke.result() {
            withdrawn.run(());
        }
    });
    let role = match invitation.role {
        Role::Doctor => format!(
            "Doctor, {}",
            invitation.specialization.clone().unwrap_or_default()
        ),
        _ => "Administrator".to_owned(),
    };
    let when = if invitation.expired {
        format!("Expired {}", format_local(invitation.expires_at))
    } else {
        format!("Valid until {}", format_local(invitation.expires_at))
    };
    view! {
        <li class="approval" data-test="invitation">
            <div class="approval-who">
                <strong>{invitation.name.clone()}</strong>
                <span class="muted">{role}</span>
            </div>
            <div class="wrap">{invitation.email.clone()}</div>
            <div class="muted">{when}</div>
            <div class="row-actions">
                <button
                    type="button"
                    class="button secondary small"
                    aria-label=format!("Withdraw the invitation of {}", invitation.name)
                    disabled=move || revoke.pending()
                    on:click=move |_| revoke.dispatch(())
                >
                    "Withdraw"
                </button>
                {move || revoke.error().map(|e| view! {
                    <p class="field-error" role="alert">{e.message()}</p>
                })}
            </div>
        </li>
    }
}
