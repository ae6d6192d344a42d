//! The admin dashboard's queue of self-registered doctors waiting for approval.

use leptos::prelude::*;
use mediconnect_shared::{ApprovalQuery, ApprovalStatus, DoctorApplication};

use crate::api::{self, ApiAction, ApiResource};
use crate::components::{Confirm, Dialog, Loading};
use crate::dates::format_local;

/// The queue, with its count in the heading; each doctor approved or turned down here.
#[component]
pub fn ApprovalQueue(
    /// Bumped after each decision, so that the audit trail shows it.
    audit_changed: RwSignal<u32>,
) -> impl IntoView {
    let reload = RwSignal::new(0u32);
    let queue = ApiResource::new(move || {
        reload.track();
        async move {
            let query = ApprovalQuery {
                approval: Some(ApprovalStatus::Pending),
                ..Default::default()
            };
            api::doctor_applications(&query).await
        }
    });
    let decided = Callback::new(move |_: ()| {
        reload.update(|v| *v += 1);
        audit_changed.update(|v| *v += 1);
    });
    view! {
        <section class="card" aria-labelledby="approvals-heading" data-test="approvals">
            <h2 id="approvals-heading">
                "Doctors waiting for approval"
                {move || queue.get().and_then(Result::ok).map(|q| view! {
                    " "<span class="badge" data-test="approval-count">
                        {q.pagination.total}
                    </span>
                })}
            </h2>
            <Transition fallback=|| view! { <Loading message="Loading the queue…"/> }>
                {move || queue.get().map(|r| match r {
                    Ok(q) if q.doctors.is_empty() => view! {
                        <p class="muted">"No doctor is waiting. New doctors appear here."</p>
                    }.into_any(),
                    Ok(q) => view! {
                        <ul class="approval-list">
                            {q.doctors.into_iter().map(|d| view! {
                                <Application doctor=d decided=decided/>
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
fn Application(doctor: DoctorApplication, decided: Callback<()>) -> impl IntoView {
    let id = doctor.id;
    let name = doctor.name.clone();
    let confirm_approve = RwSignal::new(false);
    let reject_open = RwSignal::new(false);
    let reason = RwSignal::new(String::new());
    let approve = ApiAction::new(move |_: &()| async move { api::approve_doctor(id).await });
    let reject = ApiAction::new(move |reason: &String| {
        let reason = reason.clone();
        async move { api::reject_doctor(id, reason).await }
    });
    Effect::new(move |_| {
        if matches!(approve.result(), Some(Ok(_))) || matches!(reject.result(), Some(Ok(_))) {
            reject_open.set(false);
            decided.run(());
        }
    });
    let reason_error = move || {
        reject
            .error()
            .map(|e| e.field("reason").unwrap_or(e.message()))
    };
    let reason_id = format!("reject-reason-{id}");
    view! {
        <li class="approval" data-test="application">
            <div class="approval-who">
                <strong>{doctor.name.clone()}</strong>
                <span class="muted">{doctor.specialization.clone()}</span>
            </div>
            <dl class="details">
                <dt>"Email"</dt>
                <dd class="wrap">
                    {doctor.email.clone()}
                    {(!doctor.email_verified).then(|| view! {
                        " "<span class="badge warn">"Not confirmed"</span>
                    })}
                </dd>
                <dt>"Licence number"</dt>
                <dd>{doctor.license_number.clone().unwrap_or_else(|| "Not given".into())}</dd>
                <dt>"Registered"</dt>
                <dd>{format_local(doctor.registered_at)}</dd>
            </dl>
            <div class="row-actions">
                <button
                    type="button"
                    class="button small"
                    aria-label=format!("Approve {name}")
                    disabled=move || approve.pending()
                    on:click=move |_| confirm_approve.set(true)
                >
                    "Approve"
                </button>
                <button
                    type="button"
                    class="button danger small"
                    aria-label=format!("Reject {name}")
                    on:click=move |_| reject_open.set(true)
                >
                    "Reject"
                </button>
                {move || approve.error().map(|e| view! {
                    <p class="field-error" role="alert">{e.message()}</p>
                })}
            </div>
            <Confirm
                open=confirm_approve
                title=format!("Approve {name}?")
                message="Patients can then find and book them, and they can go online. They \
                         get an email."
                confirm_label="Approve"
                on_confirm=Callback::new(move |_| { approve.dispatch(()); })
            />
            <Dialog open=reject_open title=Signal::derive({
                let name = name.clone();
                move || format!("Reject {name}?")
            })>
                <form on:submit=move |ev| {
                    ev.prevent_default();
                    reject.dispatch(reason.get());
                }>
                    <label for=reason_id.clone()>"Reason (emailed to the doctor)"</label>
                    <textarea
                        id=reason_id.clone()
                        rows="3"
                        maxlength="500"
                        required
                        autofocus
                        aria-invalid=move || if reason_error().is_some() { "true" } else { "false" }
                        prop:value=move || reason.get()
                        on:input=move |ev| reason.set(event_target_value(&ev))
                    ></textarea>
                    {move || reason_error().map(|m| view! {
                        <p class="field-error" role="alert">{m}</p>
                    })}
                    <div class="dialog-actions">
                        <button
                            type="button"
                            class="button secondary"
                            on:click=move |_| reject_open.set(false)
                        >
                            "Keep it"
                        </button>
                        <button
                            type="submit"
                            class="button danger"
                            disabled=move || reject.pending()
                        >
                            "Reject"
                        </button>
                    </div>
                </form>
            </Dialog>
        </li>
    }
}
