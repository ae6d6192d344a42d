//! A new password typed twice, for the pages that set one through a one-time link (a
//! reset, an invitation): the two fields, their check, and where each error shows.

use leptos::prelude::*;

use crate::api::ApiError;
use crate::components::Field;

/// The two fields' values, and whether they disagreed when last submitted.
#[derive(Clone, Copy)]
pub struct NewPassword {
    pub password: RwSignal<String>,
    pub again: RwSignal<String>,
    mismatch: RwSignal<Option<String>>,
}

impl NewPassword {
    pub fn new() -> Self {
        NewPassword {
            password: RwSignal::new(String::new()),
            again: RwSignal::new(String::new()),
            mismatch: RwSignal::new(None),
        }
    }

    /// Whether the two agree; if not, it says so beside the first field.
    pub fn agreed(&self) -> bool {
        let agreed = self.password.get() == self.again.get();
        self.mismatch
            .set((!agreed).then(|| "The two passwords are not the same".to_owned()));
        agreed
    }
}

/// Whether `error` says the one-time link is spent, expired, replaced or unknown.
pub fn link_invalid(error: Option<ApiError>) -> bool {
    error.is_some_and(|e| e.is("link-invalid"))
}

/// The error of a submission for the form as a whole: none for an invalid link (the
/// page says that in its place).
pub fn form_error(error: Option<ApiError>) -> Option<String> {
    error.filter(|e| !e.is("link-invalid")).map(|e| e.message())
}

/// The two fields; `server` is the server's complaint about the password, if any.
#[component]
pub fn NewPasswordFields(
    new: NewPassword,
    /// The first field's id and label; the second's are derived from them.
    ids: (&'static str, &'static str),
    labels: (&'static str, &'static str),
    hint: &'static str,
    #[prop(into)] server: Signal<Option<String>>,
) -> impl IntoView {
    let error = Signal::derive(move || new.mismatch.get().or_else(|| server.get()));
    view! {
        <Field
            id=ids.0
            label=labels.0
            kind="password"
            autocomplete="new-password"
            hint=hint
            required=true
            value=new.password
            error=error
        />
        <Field
            id=ids.1
            label=labels.1
            kind="password"
            autocomplete="new-password"
            required=true
            value=new.again
        />
    }
}
