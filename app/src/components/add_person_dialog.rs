use super::{on_outcome, ErrorBanner, Modal};
use crate::api::AddPerson;
use crate::AppError;
use leptos::prelude::*;
use shared::FieldErrors;

/// R15: Email, First name, Last name; Save & Continue adds and invites.
#[component]
pub fn AddPersonDialog(add: ServerAction<AddPerson>, on_done: Callback<String>, on_close: Callback<()>) -> impl IntoView {
    let email = RwSignal::new(String::new());
    let first = RwSignal::new(String::new());
    let last = RwSignal::new(String::new());
    let errors = RwSignal::new(FieldErrors::default());
    let problem: RwSignal<Option<AppError>> = RwSignal::new(None);
    on_outcome(add, move |outcome| match outcome {
        Ok(message) => on_done.run(message),
        Err(AppError::Invalid(e)) => errors.set(e),
        Err(error) => problem.set(Some(error)),
    });
    let save = move || {
        add.dispatch(AddPerson { email: email.get_untracked(), first_name: first.get_untracked(), last_name: last.get_untracked() });
    };
    let field = move |label: &'static str, id: &'static str, value: RwSignal<String>, kind: &'static str| {
        view! {
            <div class="field">
                <label for=id>{label}</label>
                <input id=id type=kind prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev))/>
                {move || errors.with(|e| e.for_field(label).map(|m| view! { <p class="field-error">{format!("{label} {m}")}</p> }))}
            </div>
        }
    };
    view! {
        <Modal id="add" title="Add a person" on_close>
            {move || problem.get().map(|error| view! { <ErrorBanner error/> })}
            // A form, so Enter in any field saves; novalidate, so our messages (R23) speak, not the browser's.
            <form novalidate on:submit=move |ev| {
                ev.prevent_default();
                save();
            }>
                // Typing starts in the first field.
                {field("Email", "add-email", email, "email")}
                {field("First name", "add-first", first, "text")}
                {field("Last name", "add-last", last, "text")}
                <p class="hint">"They are invited by email and have 90 days to accept."</p>
                <div class="dialog-buttons">
                    <button type="submit" class="primary">"Save & Continue"</button>
                    <button type="button" on:click=move |_| on_close.run(())>"Cancel"</button>
                </div>
            </form>
        </Modal>
    }
}
