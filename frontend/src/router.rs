//! The SPA's router: the address bar as a signal, links that change it without a
//! page load, and the back and forward buttons.
//!
//! Our routes are a flat list of fixed paths, so this is all the routing the app
//! needs; `leptos_router` cost the wasm 47 KB of gzip for it (ADR 0017).

use leptos::ev;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{HtmlElement, MouseEvent, UrlSearchParams};

/// The address the app shows: its path and its query string.
#[derive(Clone, Copy)]
pub struct Location {
    path: RwSignal<String>,
    search: RwSignal<String>,
}

impl Location {
    /// The path, without a trailing slash (tracked).
    pub fn path(&self) -> String {
        self.path.get()
    }

    /// The path, without tracking it.
    pub fn path_untracked(&self) -> String {
        self.path.get_untracked()
    }

    /// A query parameter of the current address, decoded (not tracked).
    pub fn query(&self, name: &str) -> Option<String> {
        UrlSearchParams::new_with_str(&self.search.get_untracked())
            .ok()
            .and_then(|params| params.get(name))
    }

    /// Goes to `to`, a path of the app with a query string if any, at the top of the
    /// page: as a new history entry, unless it is the address already shown.
    pub fn navigate(&self, to: &str) {
        let here = format!(
            "{}{}",
            self.path.get_untracked(),
            self.search.get_untracked()
        );
        self.go(to, here == to);
    }

    /// The `page` query parameter: a list's page, from 1 (1 when absent or invalid).
    pub fn query_page(&self) -> u32 {
        self.query("page")
            .and_then(|p| p.parse::<u32>().ok())
            .filter(|p| *p >= 1)
            .unwrap_or(1)
    }

    /// Writes a page's filters into the address, in place (no new history entry, no
    /// scroll, the focus left where it is): Back, a reload and a shared link then
    /// show the same filters. `pairs` with an empty value are left out.
    pub fn keep_query(&self, pairs: &[(&str, String)]) {
        let params = UrlSearchParams::new().expect("URLSearchParams");
        for (k, v) in pairs.iter().filter(|(_, v)| !v.is_empty()) {
            params.append(k, v);
        }
        let query = String::from(params.to_string());
        let to = if query.is_empty() {
            self.path.get_untracked()
        } else {
            format!("{}?{query}", self.path.get_untracked())
        };
        if let Ok(history) = window().history() {
            let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&to));
        }
        // Recorded without notifying: the page that wrote its filters is not rebuilt
        // from them (it would lose what is being typed).
        let search = window().location().search().unwrap_or_default();
        self.search.update_untracked(|s| *s = search);
    }

    /// Tracks the query string, for a view rebuilt whenever the address changes.
    pub fn track_query(&self) {
        self.search.track();
    }

    /// Goes to `to` in place of the current history entry: for a page the visitor
    /// is done with (a sign-in form), so that Back skips it.
    pub fn replace(&self, to: &str) {
        self.go(to, true);
    }

    /// [`Self::replace`] after the current render, for a page that sends its visitor
    /// elsewhere as it is shown. Nothing happens if they have moved on meanwhile.
    pub fn redirect(self, to: String) {
        let from = self.path_untracked();
        request_animation_frame(move || {
            if self.path_untracked() == from {
                self.replace(&to);
            }
        });
    }

    fn go(&self, to: &str, replace: bool) {
        debug_assert!(is_app_path(to), "not a path of the app: {to}");
        let history = window().history().expect("a browser has a history");
        let changed = if replace {
            history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(to))
        } else {
            history.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(to))
        };
        // The browser refuses an address of another site; the app never leaves itself.
        if changed.is_ok() {
            self.sync();
            window().scroll_to_with_x_and_y(0.0, 0.0);
            // The next Tab starts in the new page, not in the link that led there (nor,
            // as after a page load, at the skip link), and a screen reader moves there.
            if let Some(main) = document()
                .get_element_by_id("main")
                .and_then(|e| e.dyn_into::<HtmlElement>().ok())
            {
                let _ = main.focus();
            }
        }
    }

    /// Reads the browser's address into the signals.
    fn sync(&self) {
        let location = window().location();
        let path = location.pathname().unwrap_or_else(|_| "/".into());
        let path = match path.trim_end_matches('/') {
            "" => "/".to_owned(),
            trimmed => trimmed.to_owned(),
        };
        let search = location.search().unwrap_or_default();
        // Only real changes: a signal set to an equal value would still rebuild the page.
        // A one-time link opened over the same page (only its `#token=` differs) is one:
        // the page is rebuilt to read the new token.
        let new_link = location
            .hash()
            .is_ok_and(|hash| hash.starts_with("#token="));
        let moved = self.path.get_untracked() != path;
        if moved {
            self.path.set(path);
        }
        if self.search.get_untracked() != search || (new_link && !moved) {
            self.search.set(search);
        }
    }
}

/// Whether `to` is a path of this site ("/doctors?q=x"), and so safe to go to when it
/// came from a query string (`/login?next=`). Browsers read a backslash as a slash
/// and drop tabs and newlines, so `/\evil.example` or a tab between two slashes would
/// mean `//evil.example`, another site: such characters are refused.
pub fn is_app_path(to: &str) -> bool {
    to.starts_with('/')
        && !to.starts_with("//")
        && !to
            .chars()
            .any(|c| c == '\\' || c.is_control() || c.is_whitespace())
}

/// Starts following the address bar; call once, at the root.
pub fn provide_router() -> Location {
    let location = Location {
        path: RwSignal::new(String::new()),
        search: RwSignal::new(String::new()),
    };
    location.sync();
    // Back and forward: the browser has already changed the address.
    let handle = window_event_listener(ev::popstate, move |_| location.sync());
    on_cleanup(move || handle.remove());
    provide_context(location);
    location
}

pub fn use_location() -> Location {
    expect_context::<Location>()
}

/// A link within the app: followed without a page load, and marked as the current
/// page (`aria-current`) when it is one. A click with a modifier key or another
/// button is left to the browser (a new tab, a new window).
#[component]
pub fn A(
    #[prop(into)] href: String,
    #[prop(optional)] class: Option<&'static str>,
    children: Children,
) -> impl IntoView {
    let location = use_location();
    let to = href.clone();
    let on_click = move |e: MouseEvent| {
        if e.default_prevented()
            || e.button() != 0
            || e.meta_key()
            || e.ctrl_key()
            || e.shift_key()
            || e.alt_key()
        {
            return;
        }
        e.prevent_default();
        location.navigate(&to);
    };
    let current = href.clone();
    view! {
        <a href=href class=class on:click=on_click
            aria-current=move || (location.path() == current).then_some("page")>
            {children()}
        </a>
    }
}

/// The token in the address's `#token=` fragment (a one-time link from an email), if
/// any. The fragment is then removed from the address, and so from the history entry.
pub fn take_token() -> Option<String> {
    let location = window().location();
    let hash = location.hash().unwrap_or_default();
    let token = hash
        .strip_prefix("#token=")
        .map(str::to_owned)
        .filter(|t| !t.is_empty());
    if token.is_some()
        && let (Ok(history), Ok(path)) = (window().history(), location.pathname())
    {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&path));
    }
    token
}

#[cfg(test)]
mod tests {
    use super::is_app_path;

    #[test]
    fn only_paths_of_this_site_are_app_paths() {
        for ok in [
            "/",
            "/profile",
            "/doctors?q=Ada%20Lovelace",
            "/%5Cevil.example",
        ] {
            assert!(is_app_path(ok), "{ok}");
        }
        for bad in [
            "",
            "profile",
            "//evil.example",
            "/\\evil.example",
            "\\/evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/ /evil.example",
            "https://evil.example/",
            "javascript:alert(1)",
        ] {
            assert!(!is_app_path(bad), "{bad:?}");
        }
    }
}
