use leptos::html;
use leptos::prelude::*;

/// A modal dialog (the native `<dialog>`: focus is trapped, Escape closes it).
#[component]
pub fn Dialog(
    /// Shown while true; set to false when the dialog closes (Escape, or a Close button).
    open: RwSignal<bool>,
    title: Signal<String>,
    children: ChildrenFn,
) -> impl IntoView {
    let node = NodeRef::<html::Dialog>::new();
    Effect::new(move |_| {
        let Some(dialog) = node.get() else { return };
        if open.get() {
            if !dialog.open() {
                let _ = dialog.show_modal();
            }
        } else if dialog.open() {
            dialog.close();
        }
    });
    let children = StoredValue::new(children);
    // Each dialog's own title id: pages hold many dialogs (one per card), and a shared
    // id would name every one of them after the first.
    static DIALOGS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let title_id = format!(
        "dialog-title-{}",
        DIALOGS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    let labelled_by = title_id.clone();
    view! {
        <dialog
            node_ref=node
            class="dialog"
            aria-labelledby=labelled_by
            on:close=move |_| open.set(false)
        >
            <div class="dialog-head">
                <h2 id=title_id>{move || title.get()}</h2>
                <button
                    type="button"
                    class="link-button"
                    aria-label="Close"
                    on:click=move |_| open.set(false)
                >
                    "✕"
                </button>
            </div>
            <Show when=move || open.get()>
                {children.read_value()()}
            </Show>
        </dialog>
    }
}

/// Asks before doing something that cannot be undone.
#[component]
pub fn Confirm(
    open: RwSignal<bool>,
    #[prop(into)] title: Signal<String>,
    #[prop(into)] message: Signal<String>,
    #[prop(into)] confirm_label: Signal<String>,
    on_confirm: Callback<()>,
) -> impl IntoView {
    view! {
        <Dialog open=open title=title>
            <p>{move || message.get()}</p>
            <div class="dialog-actions">
                <button type="button" class="button secondary" on:click=move |_| open.set(false)>
                    "Keep it"
                </button>
                <button
                    type="button"
                    class="button danger"
                    on:click=move |_| {
                        open.set(false);
                        on_confirm.run(());
                    }
                >
                    {move || confirm_label.get()}
                </button>
            </div>
        </Dialog>
    }
}
