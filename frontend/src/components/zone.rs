//! Choosing a time zone from the IANA list the server accepts, and saying which zone
//! the times on a page are in.

use leptos::prelude::*;
use mediconnect_shared::zone_label;

use crate::api::{self, ApiResource};
use crate::router::A;
use crate::state::session::use_session;

/// What people type to find a zone: "new york" finds America/New_York.
fn matches(zone: &str, filter: &str) -> bool {
    let folded = zone.replace('_', " ").to_lowercase();
    filter
        .split_whitespace()
        .all(|word| folded.contains(&word.to_lowercase()))
}

/// A list of IANA time zones with a filter above it: a zone is picked, never typed.
/// The list keeps `value` in it whatever the filter.
#[component]
pub fn ZonePicker(
    id: &'static str,
    label: &'static str,
    #[prop(optional)] hint: &'static str,
    value: RwSignal<String>,
    #[prop(optional, into)] error: MaybeProp<String>,
) -> impl IntoView {
    let zones = ApiResource::new(api::time_zones);
    let filter = RwSignal::new(String::new());
    let filter_id = format!("{id}-filter");
    let shown = move || {
        let chosen = value.get();
        let needle = filter.get();
        let mut list: Vec<String> = match zones.get() {
            Some(Ok(all)) => all.into_iter().filter(|z| matches(z, &needle)).collect(),
            _ => Vec::new(),
        };
        if !list.contains(&chosen) {
            list.insert(0, chosen);
        }
        list
    };
    let count = move || {
        let needle = filter.get();
        match zones.get() {
            Some(Ok(all)) => {
                let n = all.iter().filter(|z| matches(z, &needle)).count();
                if needle.trim().is_empty() {
                    String::new()
                } else if n == 0 {
                    "No zone matches.".to_owned()
                } else if n == 1 {
                    "1 zone matches.".to_owned()
                } else {
                    format!("{n} zones match.")
                }
            }
            Some(Err(e)) => format!("The list could not be loaded: {}", e.message()),
            None => "Loading the list of zones…".to_owned(),
        }
    };
    let described_by = super::field::described_by(id, Some(format!("{id}-count")), hint, error);
    view! {
        <div class="field zone-picker">
            <label for=id>{label}</label>
            <input
                id=filter_id.clone()
                type="search"
                class="zone-filter"
                autocomplete="off"
                placeholder="Search, e.g. Berlin or New York"
                aria-label=format!("Search {}", label.to_lowercase())
                aria-controls=id
                prop:value=move || filter.get()
                on:input=move |ev| {
                    filter.set(event_target_value(&ev));
                    // The first match is chosen as one types, so a search and Tab is enough.
                    if let Some(first) =
                        shown().into_iter().find(|z| matches(z, &filter.get_untracked()))
                    {
                        value.set(first);
                    }
                }/>
            <select id=id name=id size="5"
                aria-invalid=move || if error.with(Option::is_some) { "true" } else { "false" }
                aria-describedby=described_by
                on:change=move |ev| value.set(event_target_value(&ev))>
                {move || shown().into_iter().map(|z| {
                    let selected = z == value.get_untracked();
                    let text = z.replace('_', " ");
                    view! { <option value=z.clone() selected=selected>{text}</option> }
                }).collect_view()}
            </select>
            <p class="hint" id=format!("{id}-count") aria-live="polite">{count}</p>
            <super::field::FieldNotes id=id hint=hint error=error/>
        </div>
    }
}

/// "Times are in Berlin time (Europe/Berlin)", with a way to change it.
#[component]
pub fn ZoneNote() -> impl IntoView {
    let session = use_session();
    let zone = move || {
        session.user.with(|_| ());
        crate::dates::zone_name()
    };
    view! {
        <p class="muted zone-note" data-test="zone-note">
            {move || {
                let zone = zone();
                let label = zone_label(&zone);
                if label == zone {
                    format!("Times are in {zone}. ")
                } else {
                    format!("Times are in {label} ({zone}). ")
                }
            }}
            {move || session.signed_in().then(|| view! { <A href="/profile">"Change"</A> })}
        </p>
    }
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn people_find_zones_by_city() {
        assert!(matches("America/New_York", "new york"));
        assert!(matches("America/New_York", "york america"));
        assert!(matches("Europe/Berlin", ""));
        assert!(!matches("Europe/Berlin", "paris"));
    }
}
