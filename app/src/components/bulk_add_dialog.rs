use super::{done_or_shown, ErrorBanner, Modal};
use crate::api::{preview_bulk_add, BulkAddPeople};
use crate::format::thousands;
use crate::AppError;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::people::{BulkAddOutcome, BulkAddPreview};

/// R16: many people in one text; a preview of every entry; nothing is added before the confirmation.
#[component]
pub fn BulkAddDialog(bulk_add: ServerAction<BulkAddPeople>, on_done: Callback<String>, on_close: Callback<()>) -> impl IntoView {
    let text = RwSignal::new(String::new());
    let preview: RwSignal<Option<BulkAddPreview>> = RwSignal::new(None);
    let problem: RwSignal<Option<AppError>> = RwSignal::new(None);
    let busy = RwSignal::new(false);
    done_or_shown(bulk_add, on_done, problem);
    let show = move || {
        busy.set(true);
        problem.set(None);
        spawn_local(async move {
            match preview_bulk_add(text.get_untracked()).await {
                Ok(p) => preview.set(Some(p)),
                Err(error) => problem.set(Some(error)),
            }
            busy.set(false);
        });
    };
    let confirm = move || {
        bulk_add.dispatch(BulkAddPeople { text: text.get_untracked() });
    };
    let adding = bulk_add.pending();
    view! {
        <Modal id="bulk" title="Bulk Add" wide=true on_close>
            {move || problem.get().map(|error| view! { <ErrorBanner error/> })}
            <Show when=move || preview.with(Option::is_none)>
                <div class="field">
                    <label for="bulk-text">"People"</label>
                    <textarea id="bulk-text" rows="8" prop:value=move || text.get() on:input=move |ev| text.set(event_target_value(&ev))
                        placeholder="Ann Lee <ann.lee@example.com>; bo@example.com"></textarea>
                    <p class="hint">"Separate people with semicolons (new lines work too). Each is an email, or First Last <email>. Up to 5,000 at once."</p>
                </div>
                <div class="dialog-buttons">
                    <button type="button" class="primary" disabled=move || busy.get() on:click=move |_| show()>"Preview"</button>
                    <button type="button" on:click=move |_| on_close.run(())>"Cancel"</button>
                </div>
            </Show>
            {move || preview.get().map(|p| {
                let to_add = p.to_add;
                view! {
                    <table aria-label="What Bulk Add will do">
                        <thead><tr><th scope="col">"Entry"</th><th scope="col">"Outcome"</th></tr></thead>
                        <tbody>
                            {p.rows.iter().map(|r| view! { <tr><td>{r.entry.clone()}</td><td>{describe(&r.outcome)}</td></tr> }).collect_view()}
                        </tbody>
                    </table>
                    <div class="dialog-buttons">
                        <button type="button" class="primary" disabled=move || adding.get() || to_add == 0 on:click=move |_| confirm()>
                            {format!("Add {} {}", thousands(to_add), if to_add == 1 { "person" } else { "people" })}
                        </button>
                        <button type="button" on:click=move |_| preview.set(None)>"Back"</button>
                        <button type="button" on:click=move |_| on_close.run(())>"Cancel"</button>
                    </div>
                }
            })}
        </Modal>
    }
}

fn describe(outcome: &BulkAddOutcome) -> String {
    match outcome {
        BulkAddOutcome::WillBeAdded { name, name_from_email: false } => format!("Will be added: {name}"),
        BulkAddOutcome::WillBeAdded { name, name_from_email: true } => format!("Will be added: {name} (name taken from the email)"),
        BulkAddOutcome::AlreadyKnown { name } => format!("Already known: {name}"),
        BulkAddOutcome::DuplicateInList => "Duplicate in the list".into(),
        BulkAddOutcome::Invalid { reason } => format!("Invalid: {reason}"),
    }
}
