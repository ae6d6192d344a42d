use leptos::prelude::*;

/// The `aria-describedby` of field `id`: its `extra` text if any, its hint if it has
/// one, and its error (`{id}-error`) while there is one.
pub fn described_by(
    id: &'static str,
    extra: Option<String>,
    hint: &'static str,
    error: MaybeProp<String>,
) -> impl Fn() -> String + Send + Sync + 'static {
    move || {
        let mut ids: Vec<String> = extra.iter().cloned().collect();
        if !hint.is_empty() {
            ids.push(format!("{id}-hint"));
        }
        if error.with(Option::is_some) {
            ids.push(format!("{id}-error"));
        }
        ids.join(" ")
    }
}

/// A labelled input with its error message (from the server's problem+json) below it.
#[component]
pub fn Field(
    /// The element id, also used for the label's `for`.
    id: &'static str,
    label: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] autocomplete: &'static str,
    #[prop(optional)] hint: &'static str,
    #[prop(optional)] required: bool,
    value: RwSignal<String>,
    #[prop(optional, into)] error: MaybeProp<String>,
) -> impl IntoView {
    let described_by = described_by(id, None, hint, error);
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input
                id=id
                name=id
                type=kind
                autocomplete=autocomplete
                required=required
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
                aria-invalid=move || if error.with(Option::is_some) { "true" } else { "false" }
                aria-describedby=described_by
            />
            <FieldNotes id=id hint=hint error=error/>
        </div>
    }
}

/// A field's hint (`{id}-hint`), if any, and its error (`{id}-error`) while there is
/// one: what [`described_by`] names.
#[component]
pub fn FieldNotes(id: &'static str, hint: &'static str, error: MaybeProp<String>) -> impl IntoView {
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    view! {
        <Show when=move || !hint.is_empty()>
            <p class="hint" id=hint_id.clone()>{hint}</p>
        </Show>
        {move || error.get().map(|message| view! {
            <p class="field-error" id=error_id.clone()>{message}</p>
        })}
    }
}

/// The form-level error, announced to screen readers. It takes the focus when it
/// appears, so that the eye (and the keyboard) is where the outcome is.
#[component]
pub fn FormError(
    #[prop(into)] message: Signal<Option<String>>,
    /// Shown after the message, inside the same box (a way out, such as a link).
    #[prop(optional)]
    children: Option<ChildrenFn>,
) -> impl IntoView {
    let node = NodeRef::<leptos::html::Div>::new();
    Effect::new(move |_| {
        if message.with(Option::is_some)
            && let Some(element) = node.get()
        {
            let _ = element.focus();
        }
    });
    let children = StoredValue::new(children);
    view! {
        {move || message.get().map(|m| view! {
            <div class="alert error" role="alert" tabindex="-1" node_ref=node>
                <p>{m}</p>
                {children.with_value(|c| c.as_ref().map(|c| c()))}
            </div>
        })}
    }
}
