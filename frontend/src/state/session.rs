//! Who is signed in, as a reactive context for the pages.

use leptos::prelude::*;
use leptos::task::spawn_local;
use mediconnect_shared::UserSummary;

use crate::api;

#[derive(Clone, Copy)]
pub struct Session {
    /// The signed-in user, or `None`.
    pub user: RwSignal<Option<UserSummary>>,
    /// False until the session of a previous visit has been restored (or not).
    pub ready: RwSignal<bool>,
}

impl Session {
    pub fn signed_in(&self) -> bool {
        self.user.with(Option::is_some)
    }
}

/// Creates the session context and resumes a stored session.
pub fn provide_session() -> Session {
    let session = Session {
        user: RwSignal::new(None),
        ready: RwSignal::new(false),
    };
    // Set only on a change: every set wakes everything that reads the user.
    api::on_session_change(move |user| {
        if session.user.with_untracked(|u| *u != user) {
            session.user.set(user);
        }
    });
    provide_context(session);
    api::follow_other_tabs();
    spawn_local(async move {
        api::restore().await;
        session.ready.set(true);
    });
    session
}

pub fn use_session() -> Session {
    expect_context::<Session>()
}
