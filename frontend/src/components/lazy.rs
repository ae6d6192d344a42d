//! Pages compiled into wasm modules of their own, fetched the first time one is shown,
//! so that the first visit downloads only the home page's code (ADR 0018).
//!
//! The build splits the wasm at each [`page_module!`] (`cargo xtask split-web`, a
//! Trunk hook, for releases and `trunk serve` alike). A page's view is only ever built
//! inside the reactive closure that shows it, under that closure's owner: once its module
//! is fetched, the closure runs again and builds it there. A page left while its module
//! was on the way is never built.
//!
//! A module that cannot be fetched because a new version was deployed since the tab
//! opened (its name is gone) reloads the tab into the new version at the same address,
//! once ([`crate::api::version`]); if that fails too, the page says so.

use std::sync::atomic::{AtomicBool, Ordering};

use futures::FutureExt;
use futures::future::LocalBoxFuture;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos::wasm_split::SplitLoaderError;

use super::Loading;
use crate::api::version::{self, Failure};

/// A page in a module of its own.
#[derive(Clone, Copy)]
pub struct PageModule {
    /// Builds the page's view, fetching its module first if needed.
    pub load: fn() -> LocalBoxFuture<'static, Result<AnyView, SplitLoaderError>>,
    /// Fetches the page's module, without building anything.
    pub fetch: fn() -> LocalBoxFuture<'static, Result<(), SplitLoaderError>>,
    /// Set once a fetch has succeeded: `load` then completes at once. Until then it is
    /// not called, so that a load under way is never dropped halfway.
    pub fetched: &'static AtomicBool,
}

impl PageModule {
    /// The page, shown by [`Lazy`].
    pub fn into_view(self) -> AnyView {
        view! { <Lazy module=self/> }.into_any()
    }
}

/// `page_module!(name, Component)`: the [`PageModule`] of `Component`, split into a
/// module called `name`.
// The attribute must fit on one line: rustfmt indents a broken one further on every run.
#[macro_export]
macro_rules! page_module {
    ($name:ident, $page:ident) => {{
        use leptos::wasm_split::wasm_split;
        #[wasm_split($name, wasm_split_path = ::leptos::wasm_split, fallible, preload(fetch))]
        fn load() -> Result<AnyView, leptos::wasm_split::SplitLoaderError> {
            Ok(view! { <$page/> }.into_any())
        }
        static FETCHED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
        $crate::components::PageModule {
            load: || Box::pin(load()),
            fetch: || Box::pin(fetch()),
            fetched: &FETCHED,
        }
    }};
}

/// Shows the page of `module`: at once if its module is here, otherwise a loading
/// message until it is, or a way to try again if it could not be fetched.
#[component]
pub fn Lazy(module: PageModule) -> impl IntoView {
    let fetched = RwSignal::new(0u32);
    let failed = RwSignal::new(None::<Failure>);
    move || {
        fetched.track();
        if let Some(failure) = failed.get() {
            let message = match failure {
                Failure::Reloading => {
                    return view! {
                        <Loading message="MediConnect was updated. Loading the new version…"/>
                    }
                    .into_any();
                }
                Failure::Updated => {
                    "MediConnect was updated, and this page of the new version could not be \
                     loaded. Reload the page, or try again in a minute."
                }
                Failure::Network => {
                    "This page could not be loaded. Check your connection, then try again."
                }
            };
            return view! {
                <div class="alert error" role="alert">
                    <p>{message}</p>
                    <button type="button" class="button" on:click=move |_| failed.set(None)>
                        "Try again"
                    </button>
                </div>
            }
            .into_any();
        }
        // With its module here, the page is built now, in this closure.
        if module.fetched.load(Ordering::Relaxed)
            && let Some(built) = (module.load)().now_or_never()
        {
            return built.unwrap_or_else(|_| {
                failed.set(Some(Failure::Network));
                ().into_any()
            });
        }
        spawn_local(async move {
            match (module.fetch)().await {
                Ok(()) => {
                    module.fetched.store(true, Ordering::Relaxed);
                    // The page may be gone by now: its signals then take no update.
                    fetched.try_update(|n| *n += 1);
                }
                Err(_) => {
                    let failure = version::after_failed_module().await;
                    failed.try_set(Some(failure));
                }
            }
        });
        view! { <Loading message="Loading the page…"/> }.into_any()
    }
}
