use leptos::prelude::*;
use mediconnect_shared::{
    AdminUser, AdminUserQuery, Analytics, AuditQuery, Metric, OutboxQuery, OutboxStatus, PageQuery,
    Role, UserActivation,
};

use crate::api::{self, ApiAction, ApiResource};
use crate::components::{BarChart, Confirm, Dialog, Loading, Pager, RequireAuth, count_of};
use crate::dates::format_local;
use crate::pages::approvals::ApprovalQueue;
use crate::pages::invitations::Invitations;
use crate::router::A;
use crate::state::session::use_session;

#[component]
pub fn AdminPage() -> impl IntoView {
    view! {
        <RequireAuth>
            <AdminsOnly/>
        </RequireAuth>
    }
}

/// The dashboard for administrators; anyone else gets one page saying so (not an
/// error box for each of the dashboard's calls).
#[component]
fn AdminsOnly() -> impl IntoView {
    let session = use_session();
    let is_admin = move || {
        session
            .user
            .with(|u| u.as_ref().is_some_and(|u| u.role == Role::Admin))
    };
    view! {
        <Show when=is_admin fallback=|| view! {
            <h1>"No access"</h1>
            <div class="alert error" role="alert" data-test="no-access">
                <p>"This page is for clinic administrators. Your account cannot open it."</p>
                <p><A href="/">"Go to the home page"</A></p>
            </div>
        }>
            <AdminDashboard/>
        </Show>
    }
}

#[component]
fn AdminDashboard() -> impl IntoView {
    let audit_changed = RwSignal::new(0);
    provide_context(AuditChanged(audit_changed));
    let figures = ApiResource::new(api::analytics);
    view! {
        <h1>"Clinic dashboard"</h1>
        <Transition fallback=|| view! { <Loading message="Loading figures…"/> }>
            {move || figures.get().map(|r| match r {
                Ok(a) => view! { <StatCards figures=a/> }.into_any(),
                Err(e) => view! {
                    <p class="alert error" role="alert">{e.message()}</p>
                }.into_any(),
            })}
        </Transition>
        <ApprovalQueue audit_changed=audit_changed/>
        <section aria-labelledby="charts-heading">
            <h2 id="charts-heading">"Last 30 days"</h2>
            <div class="charts">
                <Chart
                    id="registrations"
                    metric=Metric::Registrations
                    title="Registrations"
                    unit="accounts"
                />
                <Chart
                    id="appointments"
                    metric=Metric::Appointments
                    title="Appointments"
                    unit="appointments"
                />
                <Chart
                    id="online"
                    metric=Metric::OnlineMinutes
                    title="Doctors online"
                    unit="minutes"
                />
                <Chart
                    id="consults"
                    metric=Metric::Consults
                    title="Consults now"
                    unit="consults"
                />
                <Chart
                    id="consult-wait"
                    metric=Metric::ConsultWaitMinutes
                    title="Median wait for a consult"
                    unit="minutes"
                />
            </div>
        </section>
        <Users/>
        <Invitations audit_changed=audit_changed/>
        <OutboxRows status=OutboxStatus::Failed/>
        <OutboxRows status=OutboxStatus::Expired/>
        <AuditTrail/>
    }
}

#[component]
fn StatCards(figures: Analytics) -> impl IntoView {
    let cards = [
        ("Users", figures.total_users.to_string(), "stat-users"),
        (
            "Patients",
            figures.total_patients.to_string(),
            "stat-patients",
        ),
        ("Doctors", figures.total_doctors.to_string(), "stat-doctors"),
        (
            "Online now",
            figures.online_doctors.to_string(),
            "stat-online",
        ),
        (
            "Appointments today",
            figures.appointments_today.to_string(),
            "stat-today",
        ),
        ("Emails sent", figures.emails_sent.to_string(), "stat-sent"),
        (
            "Emails failed",
            figures.emails_failed.to_string(),
            "stat-failed",
        ),
        (
            "Alerts expired",
            figures.emails_expired.to_string(),
            "stat-expired",
        ),
    ];
    view! {
        <dl class="stats">
            {cards.into_iter().map(|(label, value, test)| view! {
                <div class="stat card">
                    <dt>{label}</dt>
                    <dd data-test=test>{value}</dd>
                </div>
            }).collect_view()}
        </dl>
    }
}

#[component]
fn Chart(
    id: &'static str,
    metric: Metric,
    title: &'static str,
    unit: &'static str,
) -> impl IntoView {
    let series = ApiResource::new(move || api::timeseries(metric, 30));
    view! {
        <Suspense fallback=|| view! { <Loading message="Loading the chart…"/> }>
            {move || series.get().map(|r| match r {
                Ok(s) => view! {
                    <BarChart id=id title=title unit=unit buckets=s.buckets/>
                }.into_any(),
                Err(e) => view! { <p class="alert error">{e.message()}</p> }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
fn Users() -> impl IntoView {
    // What is typed, and the settled query it becomes 400 ms after the last keystroke:
    // one search (and one audit record) per query, not per keystroke.
    let typed = RwSignal::new(String::new());
    let search = RwSignal::new(String::new());
    let page = RwSignal::new(1u32);
    let settled = crate::components::settle_into(search, move || {
        if page.get_untracked() != 1 {
            page.set(1);
        }
    });
    let settle = move |value: String| {
        typed.set(value.clone());
        settled(value);
    };
    let role = RwSignal::new(String::new());
    let reload = RwSignal::new(0u32);
    let users = ApiResource::new(move || {
        reload.track();
        let query = AdminUserQuery {
            q: Some(search.get()).filter(|s| !s.trim().is_empty()),
            role: Role::parse(&role.get()),
            paging: PageQuery {
                page: Some(page.get()),
                limit: None,
            },
            ..Default::default()
        };
        async move { api::admin_users(&query).await }
    });
    view! {
        <section class="card" aria-labelledby="users-heading">
            <h2 id="users-heading">"Users"</h2>
            <div class="filters">
                <div class="field">
                    <label for="user-search">"Search by name or email"</label>
                    <input id="user-search" type="search" prop:value=move || typed.get()
                        on:input=move |ev| settle(event_target_value(&ev))/>
                </div>
                <div class="field">
                    <label for="user-role">"Role"</label>
                    <select id="user-role" prop:value=move || role.get()
                        on:change=move |ev| { role.set(event_target_value(&ev)); page.set(1); }>
                        <option value="">"Everyone"</option>
                        <option value="PATIENT">"Patients"</option>
                        <option value="DOCTOR">"Doctors"</option>
                        <option value="ADMIN">"Admins"</option>
                    </select>
                </div>
            </div>
            <Transition fallback=|| view! { <Loading message="Loading users…"/> }>
                {move || users.get().map(|r| match r {
                    Err(e) => view! {
                        <p class="alert error" role="alert">{e.message()}</p>
                    }.into_any(),
                    Ok(list) => {
                        let last = list.pagination.total_pages.max(1);
                        view! {
                            <div class="table-wrap">
                                <table class="data stack" data-test="user-table">
                                    <thead>
                                        <tr>
                                            <th scope="col">"Name"</th>
                                            <th scope="col">"Email"</th>
                                            <th scope="col">"Role"</th>
                                            <th scope="col">"Status"</th>
                                            <th scope="col">
                                                <span class="visually-hidden">"Actions"</span>
                                            </th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {list
                                            .users
                                            .into_iter()
                                            .map(|u| view! { <UserRow user=u reload=reload/> })
                                            .collect_view()}
                                    </tbody>
                                </table>
                            </div>
                            <Pager
                                page=page
                                last=last
                                label="User pages"
                                small=true
                                summary=format!(
                                    "Page {} of {last} · {}",
                                    list.pagination.page,
                                    count_of(list.pagination.total, "user", "users")
                                )
                            />
                        }.into_any()
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn UserRow(user: AdminUser, reload: RwSignal<u32>) -> impl IntoView {
    let session = use_session();
    // An admin is not offered to deactivate themselves (the server refuses it too).
    let is_me = session
        .user
        .with_untracked(|u| u.as_ref().is_some_and(|u| u.id == user.id));
    let confirm = RwSignal::new(false);
    let id = user.id;
    let active = user.active;
    let toggle = ApiAction::new(move |change: &UserActivation| {
        let change = change.clone();
        async move { api::set_active(id, &change).await }
    });
    // A doctor with appointments ahead: the server lists them; the admin is asked
    // again, with how many, and may say why.
    let departing = RwSignal::new(false);
    let reason = RwSignal::new(String::new());
    let ahead = move || {
        toggle
            .error()
            .filter(|e| e.is("doctor-has-appointments"))
            .and_then(|e| e.problem.map(|p| p.affected.len()))
    };
    Effect::new(move |_| {
        if ahead().is_some() {
            departing.set(true);
        }
    });
    let deactivate = move |cancel_appointments: bool| {
        let reason = reason.get_untracked();
        toggle.dispatch(UserActivation {
            active: false,
            cancel_appointments,
            reason: (!reason.trim().is_empty()).then(|| reason.trim().to_owned()),
        });
    };
    let audit_changed = expect_context::<AuditChanged>().0;
    Effect::new(move |_| {
        if let Some(Ok(_)) = toggle.result() {
            reload.update(|v| *v += 1);
            audit_changed.update(|v| *v += 1);
        }
    });
    let confirm_reset = RwSignal::new(false);
    let reset = ApiAction::new(move |_: &()| async move { api::send_password_reset(id).await });
    Effect::new(move |_| {
        if let Some(Ok(_)) = reset.result() {
            audit_changed.update(|v| *v += 1);
        }
    });
    let error = move || {
        toggle
            .error()
            .filter(|e| !e.is("doctor-has-appointments"))
            .or_else(|| reset.error())
            .map(|e| e.message())
    };
    // The server's notice says more; in the row, a short line.
    let sent =
        move || matches!(reset.result(), Some(Ok(_))).then_some("Link sent to their address.");
    let name = user.name.clone();
    let reset_label = format!("Send {name} a password link");
    let label = if active {
        format!("Deactivate {name}")
    } else {
        format!("Reactivate {name}")
    };
    let class = if active {
        "button danger small"
    } else {
        "button secondary small"
    };
    view! {
        <tr data-test="user-row">
            <td data-label="Name">{user.name.clone()}</td>
            <td data-label="Email" class="wrap">
                {user.email.clone()}
                {(!user.email_verified).then(|| view! {
                    " "<span class="badge warn">"Not confirmed"</span>
                })}
            </td>
            <td data-label="Role">{user.role.as_str()}</td>
            <td data-label="Status">{if active { "Active" } else { "Deactivated" }}</td>
            <td data-label="">
                <div class="row-actions">
                    {if is_me {
                        view! { <span class="muted">"You"</span> }.into_any()
                    } else {
                        view! {
                            <button
                                type="button"
                                class=class
                                aria-label=label.clone()
                                disabled=move || toggle.pending()
                                on:click=move |_| {
                                    if active {
                                        confirm.set(true)
                                    } else {
                                        toggle.dispatch(UserActivation {
                                            active: true,
                                            ..Default::default()
                                        });
                                    }
                                }
                            >
                                {if active { "Deactivate" } else { "Reactivate" }}
                            </button>
                            {active.then(|| view! {
                                <button
                                    type="button"
                                    class="button secondary small"
                                    aria-label=reset_label.clone()
                                    disabled=move || reset.pending()
                                    on:click=move |_| confirm_reset.set(true)
                                >
                                    "Password link"
                                </button>
                            })}
                        }.into_any()
                    }}
                    {move || error().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
                    {move || sent().map(|m| view! { <p class="hint" role="status">{m}</p> })}
                    <Confirm
                        open=confirm_reset
                        title=format!("Send {name} a password link?")
                        message="They get an email with a link to choose a new password, valid \
                                 for 30 minutes. Their current password keeps working until \
                                 they use it."
                        confirm_label="Send the link"
                        on_confirm=Callback::new(move |_| { reset.dispatch(()); })
                    />
                    <Confirm
                        open=confirm
                        title=format!("Deactivate {name}?")
                        message="They are signed out everywhere at once and cannot sign in until \
                                 reactivated. A doctor goes offline."
                        confirm_label="Deactivate"
                        on_confirm=Callback::new(move |_| deactivate(false))
                    />
                    <DepartDialog
                        open=departing
                        id=id
                        name=name.clone()
                        count=Signal::derive(move || ahead().unwrap_or(0))
                        reason=reason
                        pending=Signal::derive(move || toggle.pending())
                        on_confirm=Callback::new(move |_| deactivate(true))
                    />
                </div>
            </td>
        </tr>
    }
}

/// Deactivating a doctor with appointments ahead: how many, an optional reason for
/// their patients, and the choice to cancel them.
#[component]
fn DepartDialog(
    open: RwSignal<bool>,
    id: uuid::Uuid,
    name: String,
    #[prop(into)] count: Signal<usize>,
    reason: RwSignal<String>,
    #[prop(into)] pending: Signal<bool>,
    on_confirm: Callback<()>,
) -> impl IntoView {
    let reason_id = format!("depart-reason-{id}");
    let title = Signal::derive({
        let name = name.clone();
        move || {
            format!(
                "{name} has {} ahead",
                count_of(count.get() as u64, "appointment", "appointments")
            )
        }
    });
    view! {
        <Dialog open=open title=title>
            <form on:submit=move |ev| {
                ev.prevent_default();
                open.set(false);
                on_confirm.run(());
            }>
                <p>
                    {let name = name.clone(); move || format!(
                        "Deactivating {name} cancels {}. Each patient gets an email with the \
                         reason below and a calendar update, and sees it at once in the app.",
                        if count.get() == 1 { "it" } else { "them all" }
                    )}
                </p>
                <label for=reason_id.clone()>"Reason for the patients (optional)"</label>
                <textarea
                    id=reason_id.clone()
                    rows="2"
                    maxlength="500"
                    autofocus
                    placeholder="The doctor is no longer available at this clinic."
                    prop:value=move || reason.get()
                    on:input=move |ev| reason.set(event_target_value(&ev))
                ></textarea>
                <div class="dialog-actions">
                    <button
                        type="button"
                        class="button secondary"
                        on:click=move |_| open.set(false)
                    >
                        "Keep them"
                    </button>
                    <button type="submit" class="button danger" disabled=move || pending.get()>
                        "Cancel them and deactivate"
                    </button>
                </div>
            </form>
        </Dialog>
    }
}

/// The outbox rows of one status that need an admin's eye: failed emails (which can
/// be retried) and expired alerts (never sent: they would have arrived too late).
#[component]
fn OutboxRows(status: OutboxStatus) -> impl IntoView {
    let (heading, empty, id) = match status {
        OutboxStatus::Expired => ("Expired alerts", "No expired alerts.", "expired-heading"),
        _ => ("Failed emails", "No failed emails.", "failed-heading"),
    };
    let retryable = status == OutboxStatus::Failed;
    let reload = RwSignal::new(0u32);
    let rows = ApiResource::new(move || {
        reload.track();
        async move {
            api::outbox(&OutboxQuery {
                status: Some(status),
                ..Default::default()
            })
            .await
        }
    });
    let retry = ApiAction::new(move |id: &uuid::Uuid| {
        let id = *id;
        async move { api::retry_notification(id).await }
    });
    Effect::new(move |_| {
        if let Some(Ok(_)) = retry.result() {
            reload.update(|v| *v += 1);
        }
    });
    view! {
        <section class="card" aria-labelledby=id>
            <h2 id=id>{heading}</h2>
            {(status == OutboxStatus::Expired).then(|| view! {
                <p class="muted">
                    "\"Doctor is online\" emails not sent in time (after a mail server outage), \
                     or whose doctor went offline first."
                </p>
            })}
            <Transition fallback=|| view! { <Loading message="Loading…"/> }>
                {move || rows.get().map(|r| match r {
                    Err(e) => view! {
                        <p class="alert error" role="alert">{e.message()}</p>
                    }.into_any(),
                    Ok(list) if list.notifications.is_empty() => view! {
                        <p class="empty">{empty}</p>
                    }.into_any(),
                    Ok(list) => view! {
                        <ul class="appointment-list">
                            {list.notifications.into_iter().map(|n| {
                                let id = n.id;
                                view! {
                                    <li class="appointment">
                                        <p class="appointment-when">{n.subject}</p>
                                        <p class="wrap">
                                            {n.email}
                                            " · "
                                            {format!("{} attempts", n.attempts)}
                                            " · "
                                            {format_local(n.created_at)}
                                        </p>
                                        {n.last_error.map(|e| view! {
                                            <p class="muted wrap">{e}</p>
                                        })}
                                        {retryable.then(|| view! {
                                            <p>
                                                <button
                                                    type="button"
                                                    class="button secondary small"
                                                    on:click=move |_| { retry.dispatch(id); }
                                                >
                                                    "Retry"
                                                </button>
                                            </p>
                                        })}
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                })}
            </Transition>
        </section>
    }
}

/// Bumped by every admin action on this page, so that the trail shows it at once.
#[derive(Clone, Copy)]
struct AuditChanged(RwSignal<u32>);

/// Who did it, for a person: their name as it is now, else their role.
fn who(e: &mediconnect_shared::AuditEntry) -> String {
    let role = match e.actor_role {
        Role::Admin => "administrator",
        Role::Doctor => "doctor",
        Role::Patient => "patient",
    };
    match (&e.actor_name, e.actor_id) {
        (Some(name), _) => format!("{name} ({role})"),
        (None, Some(_)) => format!("a former {role}"),
        // A failed sign-in: who tried is not known.
        (None, None) => "someone".to_owned(),
    }
}

/// What it concerned: a person by name, else the kind of record.
fn what(e: &mediconnect_shared::AuditEntry) -> String {
    match (&e.target_name, e.target_type.as_str()) {
        (Some(name), _) => name.clone(),
        (None, "appointment") => "an appointment".to_owned(),
        (None, "user") => "an account".to_owned(),
        (None, other) => other.to_owned(),
    }
}

#[component]
fn AuditTrail() -> impl IntoView {
    let page = RwSignal::new(1u32);
    let kind = RwSignal::new(String::new());
    let changed = expect_context::<AuditChanged>().0;
    let entries = ApiResource::new(move || {
        changed.track();
        let query = AuditQuery {
            paging: PageQuery {
                page: Some(page.get()),
                limit: None,
            },
            kind: Some(kind.get()).filter(|k| !k.is_empty()),
            ..Default::default()
        };
        async move { api::audit(&query).await }
    });
    view! {
        <section class="card" aria-labelledby="audit-heading">
            <h2 id="audit-heading">"Audit trail"</h2>
            <div class="filters">
                <div class="field">
                    <label for="audit-kind">"Show"</label>
                    <select id="audit-kind" prop:value=move || kind.get()
                        on:change=move |ev| { kind.set(event_target_value(&ev)); page.set(1); }>
                        <option value="">"Everything"</option>
                        <option value="auth">"Sign-ins that failed or were refused"</option>
                        <option value="user">"Password changes"</option>
                        <option value="admin">"Administrators' actions"</option>
                        <option value="appointment">
                            "Appointments read or changed by others"
                        </option>
                    </select>
                </div>
            </div>
            <Transition fallback=|| view! { <Loading message="Loading…"/> }>
                {move || entries.get().map(|r| match r {
                    Err(e) => view! {
                        <p class="alert error" role="alert">{e.message()}</p>
                    }.into_any(),
                    Ok(list) if list.entries.is_empty() => view! {
                        <p class="empty">"Nothing recorded of this kind."</p>
                    }.into_any(),
                    Ok(list) => {
                        let last = list.pagination.total_pages.max(1);
                        view! {
                            <div class="table-wrap">
                                <table class="data stack" data-test="audit-table">
                                    <thead>
                                        <tr>
                                            <th scope="col">"When"</th>
                                            <th scope="col">"Who"</th>
                                            <th scope="col">"Action"</th>
                                            <th scope="col">"Concerning"</th>
                                            <th scope="col">"From"</th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {list.entries.into_iter().map(|e| view! {
                                            <tr data-test="audit-row">
                                                <td data-label="When">{format_local(e.at)}</td>
                                                <td data-label="Who" class="wrap">{who(&e)}</td>
                                                <td data-label="Action">{e.action.clone()}</td>
                                                <td data-label="Concerning" class="wrap">
                                                    {what(&e)}
                                                </td>
                                                <td data-label="From">
                                                    {e.ip.clone().unwrap_or_default()}
                                                </td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                            <Pager
                                page=page
                                last=last
                                label="Audit pages"
                                small=true
                                previous="Newer"
                                next="Older"
                                summary=format!("Page {} of {last}", list.pagination.page)
                            />
                        }.into_any()
                    }
                })}
            </Transition>
        </section>
    }
}
