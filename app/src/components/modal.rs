use leptos::ev::KeyboardEvent;
use leptos::prelude::*;
use leptos::wasm_bindgen::JsCast;
use leptos::web_sys::{Element, HtmlElement, Node};

/// Where the keyboard goes when a dialog opens, unless the dialog put it somewhere itself: the
/// control marked `autofocus` (a confirmation's safe answer), else the first field, else the dialog.
const FIRST_CONTROLS: [&str; 2] = ["[autofocus]", "input:not([disabled]), select:not([disabled]), textarea:not([disabled])"];

/// The one dialog of the console: a backdrop, `role=dialog` (or `alertdialog` for a confirmation
/// of something that cannot be undone) labelled by its title, Escape closes it, the keyboard moves
/// into it when it opens and goes back to the control that opened it when it closes.
///
/// The opener is found again by its id when it has one, in case what opened it was drawn anew. A dialog that wants the keyboard on a control of its choosing, or on one
/// that appears after it opened, uses `focus_when_shown`.
#[component]
pub fn Modal(
    /// Names the dialog's parts: its title is `{id}-title`.
    id: &'static str,
    /// The title, which is the dialog's accessible name.
    #[prop(into)]
    title: String,
    /// A confirmation: `role=alertdialog`.
    #[prop(optional)]
    alert: bool,
    /// Room for a table.
    #[prop(optional)]
    wide: bool,
    /// The id of the text that says what confirming does.
    #[prop(optional)]
    described_by: Option<&'static str>,
    on_close: Callback<()>,
    children: Children,
) -> impl IntoView {
    let title_id = format!("{id}-title");
    let labelled_by = title_id.clone();
    let dialog = NodeRef::<leptos::html::Div>::new();
    // Where the keyboard was as the dialog opened (dialogs open in the browser only, on a click or
    // a key), taken before anything in the dialog can take it.
    let opener = StoredValue::new_local(if cfg!(feature = "hydrate") { document().active_element() } else { None });
    // Effects run only in the browser, once the dialog is on the page.
    Effect::new(move |_| {
        let Some(dialog) = dialog.get() else { return };
        let active = document().active_element();
        if dialog.contains(active.as_ref().map(|e| e.unchecked_ref::<Node>())) {
            return;
        }
        let first = FIRST_CONTROLS.iter().find_map(|selector| dialog.query_selector(selector).ok().flatten());
        focus(&first.unwrap_or_else(|| dialog.clone().into()));
    });
    on_cleanup(move || {
        let Some(element) = opener.try_get_value().flatten() else { return };
        let by_id = Some(element.id()).filter(|id| !id.is_empty()).and_then(|id| document().get_element_by_id(&id));
        focus(&by_id.unwrap_or(element));
    });
    let on_keydown = move |ev: KeyboardEvent| {
        if ev.key() == "Escape" {
            on_close.run(());
        }
    };
    view! {
        <div class="backdrop">
            <div role=if alert { "alertdialog" } else { "dialog" } aria-modal="true" aria-labelledby=labelled_by
                aria-describedby=described_by class=if wide { "dialog wide" } else { "dialog" } tabindex="-1"
                node_ref=dialog on:keydown=on_keydown>
                <h2 id=title_id>{title}</h2>
                {children()}
            </div>
        </div>
    }
}

fn focus(element: &Element) {
    if let Some(element) = element.dyn_ref::<HtmlElement>() {
        let _ = element.focus();
    }
}
