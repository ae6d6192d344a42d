//! The doctors the signed-in patient follows (for the follow buttons and filters).

use std::collections::HashSet;

use leptos::prelude::*;
use leptos::task::spawn_local;
use mediconnect_shared::Role;
use uuid::Uuid;

use crate::api;
use crate::state::session::Session;

#[derive(Clone, Copy)]
pub struct Follows {
    pub ids: RwSignal<HashSet<Uuid>>,
}

impl Follows {
    pub fn contains(&self, id: Uuid) -> bool {
        self.ids.with(|s| s.contains(&id))
    }
}

pub fn provide_follows(session: Session) -> Follows {
    let follows = Follows {
        ids: RwSignal::new(HashSet::new()),
    };
    provide_context(follows);
    // Load them whenever a patient signs in; forget them on sign-out.
    Effect::new(move |_| {
        let patient = session
            .user
            .with(|u| u.as_ref().is_some_and(|u| u.role == Role::Patient));
        if !patient {
            if follows.ids.with_untracked(|s| !s.is_empty()) {
                follows.ids.set(HashSet::new());
            }
            return;
        }
        spawn_local(async move {
            if let Ok(list) = api::follows().await {
                follows.ids.set(list.into_iter().map(|d| d.id).collect());
            }
        });
    });
    follows
}

pub fn use_follows() -> Follows {
    expect_context::<Follows>()
}
