//! Which build of the web app runs here, and which one the server now serves.
//!
//! A tab opened before a deploy still runs the old build: the first time it opens a page
//! whose module it has not fetched yet, that module is gone (every file is named after
//! its content). [`after_failed_module`] tells that apart from a network failure by
//! asking the server for `index.html` and comparing the build it names with this one.

use gloo_net::http::Request;

/// The name of the app's main script in `html` (`mediconnect-frontend-<hash>.js`),
/// which changes with every build.
pub fn build_of(html: &str) -> Option<&str> {
    const PREFIX: &str = "mediconnect-frontend-";
    let mut rest = html;
    while let Some(at) = rest.find(PREFIX) {
        let candidate = &rest[at..];
        let hash = &candidate[PREFIX.len()..];
        let digits = hash.len()
            - hash
                .trim_start_matches(|c: char| c.is_ascii_hexdigit())
                .len();
        if digits > 0 && hash[digits..].starts_with(".js") {
            return Some(&candidate[..PREFIX.len() + digits + 3]);
        }
        rest = &candidate[PREFIX.len()..];
    }
    None
}

/// What a failed page module means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The same build is still served: the network or the server failed.
    Network,
    /// Another build is served and the tab is reloading into it.
    Reloading,
    /// The tab reloaded for an update moments ago and a page module still failed: it
    /// does not reload again (two replicas serving different builds would bounce it).
    Updated,
}

const RELOADED_AT: &str = "mediconnect-reloaded-for-update-at";
/// At most one automatic reload in this time.
const RELOAD_EVERY_MS: f64 = 60_000.0;

/// After a page module could not be fetched: if the server now serves another build,
/// reloads the tab into it at the same address, once. A tab that reloaded for an update
/// moments ago does not reload again, and says that the new version failed.
pub async fn after_failed_module() -> Failure {
    let storage = web_sys::window().and_then(|w| w.session_storage().ok().flatten());
    let now = js_sys::Date::now();
    let reloaded_recently = storage
        .as_ref()
        .and_then(|s| s.get_item(RELOADED_AT).ok().flatten())
        // Whole milliseconds, as integers: formatting or parsing a float would
        // compile core's float code into the first load (ADR 0010).
        .and_then(|t| t.parse::<u64>().ok())
        .is_some_and(|t| now - (t as f64) < RELOAD_EVERY_MS);
    if !another_build_served().await {
        return if reloaded_recently {
            Failure::Updated
        } else {
            Failure::Network
        };
    }
    if reloaded_recently {
        return Failure::Updated;
    }
    if let Some(storage) = storage {
        let _ = storage.set_item(RELOADED_AT, &(now as u64).to_string());
    }
    match web_sys::window().map(|w| w.location().reload()) {
        Some(Ok(())) => Failure::Reloading,
        _ => Failure::Updated,
    }
}

/// Whether the server's `index.html` names another build than the one running here
/// (false when either cannot be told, or the server cannot be reached).
async fn another_build_served() -> bool {
    let here = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
        .map(|e| e.inner_html())
        .unwrap_or_default();
    let Some(running) = build_of(&here) else {
        return false;
    };
    let served = match Request::get("/")
        .header("Cache-Control", "no-cache")
        .send()
        .await
    {
        Ok(res) if res.ok() => res.text().await.unwrap_or_default(),
        _ => return false,
    };
    build_of(&served).is_some_and(|build| build != running)
}

#[cfg(test)]
mod tests {
    use super::build_of;

    #[test]
    fn finds_the_main_script() {
        let html = concat!(
            r#"<link rel="modulepreload" href="/__wasm_split-00aa.js">"#,
            r#"<link rel="modulepreload" "#,
            r#"href="/mediconnect-frontend-0123456789abcdef.js" integrity="x">"#,
            r#"<script type="module">"#,
            r#"import init from '/mediconnect-frontend-0123456789abcdef.js';</script>"#
        );
        assert_eq!(
            build_of(html),
            Some("mediconnect-frontend-0123456789abcdef.js")
        );
        // The wasm twin, or a name without a hash, is not the script.
        assert_eq!(
            build_of("mediconnect-frontend-abc_bg.wasm mediconnect-frontend-.js"),
            None
        );
        assert_eq!(
            build_of("mediconnect-frontend-abc_bg.wasm /mediconnect-frontend-def.js"),
            Some("mediconnect-frontend-def.js")
        );
        assert_eq!(build_of(""), None);
    }
}
