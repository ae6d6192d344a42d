use chrono::{DateTime, Utc};
use leptos::prelude::*;

use crate::api::ApiAction;
use crate::router::A;
use mediconnect_shared::Doctor;

use crate::state::live::{Connection, use_live};

/// "Live" or "Reconnecting…": whether the list is being kept current.
#[component]
pub fn ConnectionBadge() -> impl IntoView {
    let live = use_live();
    let label = move || match live.connection.get() {
        Connection::Live => "Live",
        Connection::Connecting => "Connecting…",
        Connection::Reconnecting => "Reconnecting…",
    };
    let class = move || match live.connection.get() {
        Connection::Live => "connection live",
        _ => "connection down",
    };
    view! {
        <span class=class data-test="connection" title="Whether this page updates by itself">
            <span class="dot" aria-hidden="true"></span>
            {label}
        </span>
    }
}

/// The polite live region that reads changes out to screen readers, and shows each
/// one to sighted people too, as a short notice that goes after 8 s or when dismissed.
#[component]
pub fn Announcer() -> impl IntoView {
    let live = use_live();
    let shown = RwSignal::new(false);
    let generation = StoredValue::new(0u32);
    Effect::new(move |_| {
        if live.announcement.with(String::is_empty) {
            return;
        }
        shown.set(true);
        let current = generation.get_value().wrapping_add(1);
        generation.set_value(current);
        set_timeout(
            move || {
                if generation.try_get_value() == Some(current) {
                    shown.try_set(false);
                }
            },
            std::time::Duration::from_secs(8),
        );
    });
    view! {
        // The region stays in the page when the notice is hidden (a region added or
        // shown with its text is not read out by every screen reader).
        <div
            class=move || if shown.get() { "live-notice shown" } else { "live-notice" }
            data-test="live-notice"
        >
            <p role="status" aria-live="polite" aria-atomic="true" data-test="announcer">
                {move || live.announcement.get()}
            </p>
            <button type="button" class="link-button" hidden=move || !shown.get()
                on:click=move |_| shown.set(false)>"Dismiss"</button>
        </div>
    }
}

/// "just now", "5 minutes ago", "3 days ago".
pub fn relative(t: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (now - t).num_seconds().max(0);
    let (n, unit) = match secs {
        0..=44 => return "just now".into(),
        45..=3599 => ((secs + 30) / 60, "minute"),
        3600..=86_399 => ((secs + 1800) / 3600, "hour"),
        86_400..=2_591_999 => ((secs + 43_200) / 86_400, "day"),
        _ => {
            return format!("on {}", crate::dates::short_date(&crate::dates::local(t)));
        }
    };
    let n = n.max(1);
    format!("{n} {unit}{} ago", if n == 1 { "" } else { "s" })
}

/// The current time, refreshed every 30 s, for relative times.
pub fn use_clock() -> ReadSignal<DateTime<Utc>> {
    let (now, set_now) = signal(Utc::now());
    let handle = set_interval_with_handle(
        move || set_now.set(Utc::now()),
        std::time::Duration::from_secs(30),
    );
    on_cleanup(move || {
        if let Ok(h) = handle {
            h.clear();
        }
    });
    now
}

/// One doctor, with their status, and a way to book for signed-in patients.
#[component]
pub fn DoctorCard(doctor: Doctor, #[prop(into)] now: Signal<DateTime<Utc>>) -> impl IntoView {
    let session = crate::state::session::use_session();
    let bookable = move || {
        session.user.with(|u| {
            u.as_ref()
                .is_some_and(|u| u.role == mediconnect_shared::Role::Patient)
        })
    };
    let for_booking = doctor.clone();
    let status = if doctor.is_online {
        "Online now"
    } else {
        "Offline"
    };
    let last = doctor.last_online;
    let online = doctor.is_online;
    view! {
        <li class="doctor-card" data-test="doctor-card">
            <div class="doctor-main">
                <span
                    class=if online { "status-dot online" } else { "status-dot" }
                    aria-hidden="true"
                ></span>
                <div>
                    <p class="doctor-name">
                        <A href=format!("/doctors/{}", doctor.id)>{doctor.name.clone()}</A>
                    </p>
                    <p class="doctor-spec">{doctor.specialization.clone()}</p>
                </div>
            </div>
            <p class="doctor-status">
                <span class=if online { "badge online" } else { "badge offline" }>{status}</span>
                {(!online).then(|| view! {
                    <span class="muted last-online">
                        {move || match last {
                            Some(t) => format!("Last online {}", relative(t, now.get())),
                            None => "Not online yet".to_owned(),
                        }}
                    </span>
                })}
            </p>
            <Show when=bookable>
                <super::BookButton doctor=for_booking.clone()/>
                <FollowButton doctor=for_booking.id name=for_booking.name.clone()/>
            </Show>
            <Show when=move || session.ready.get() && !session.signed_in()>
                <p class="card-actions">
                    <A href=format!("/login?next=/doctors/{}", doctor.id) class="button secondary">
                        "Sign in to book"
                    </A>
                </p>
            </Show>
        </li>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_times() {
        let now = Utc::now();
        let ago = |s| now - chrono::Duration::seconds(s);
        assert_eq!(relative(ago(5), now), "just now");
        assert_eq!(relative(ago(60), now), "1 minute ago");
        assert_eq!(relative(ago(600), now), "10 minutes ago");
        assert_eq!(relative(ago(3600), now), "1 hour ago");
        assert_eq!(relative(ago(3 * 86_400), now), "3 days ago");
        assert!(relative(ago(90 * 86_400), now).starts_with("on "));
        // A clock slightly behind the server's never says "in the future".
        assert_eq!(
            relative(now + chrono::Duration::seconds(3), now),
            "just now"
        );
    }
}

/// Follow or unfollow a doctor (a patient's "doctor is online" alerts can be limited to
/// followed doctors).
#[component]
pub fn FollowButton(doctor: uuid::Uuid, name: String) -> impl IntoView {
    let follows = crate::state::follows::use_follows();
    let following = move || follows.contains(doctor);
    let toggle = ApiAction::new(move |on: &bool| {
        let on = *on;
        async move {
            let result = crate::api::follow(doctor, on).await;
            if result.is_ok() {
                follows.ids.update(|s| {
                    if on {
                        s.insert(doctor);
                    } else {
                        s.remove(&doctor);
                    }
                });
            }
            result
        }
    });
    let label = move || {
        if following() {
            format!("Unfollow {name}")
        } else {
            format!("Follow {name}")
        }
    };
    view! {
        <button
            type="button"
            class="button secondary small follow"
            aria-pressed=move || if following() { "true" } else { "false" }
            aria-label=label
            disabled=move || toggle.pending()
            on:click=move |_| { toggle.dispatch(!following()); }
        >
            {move || if following() { "Following ✓" } else { "Follow" }}
        </button>
    }
}
