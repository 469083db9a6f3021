use leptos::prelude::*;
use leptos::tachys::html::element::ElementType;
use leptos::wasm_bindgen::JsCast;

/// Puts the keyboard on `target` as soon as it is on the page: a dialog opens on its first control,
/// a confirmation on its safe answer.
pub fn focus_when_shown<E>(target: NodeRef<E>)
where
    E: ElementType,
    E::Output: JsCast + Clone + 'static,
{
    Effect::new(move |_| {
        if let Some(element) = target.get() {
            if let Some(element) = element.dyn_ref::<leptos::web_sys::HtmlElement>() {
                let _ = element.focus();
            }
        }
    });
}
