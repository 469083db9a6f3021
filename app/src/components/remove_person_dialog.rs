use super::Modal;
use crate::api::RemovePerson;
use leptos::prelude::*;
use uuid::Uuid;

/// R20: a removal is destructive, so it is confirmed first. The safe answer has the keyboard: Enter
/// right after opening does not remove anyone.
#[component]
pub fn RemovePersonDialog(person: Uuid, name: String, remove: ServerAction<RemovePerson>, on_close: Callback<()>) -> impl IntoView {
    view! {
        <Modal id="remove-person" title=format!("Remove {name}?") alert=true on_close>
            <p>"They will no longer be able to sign in. Their history stays in the audit trail."</p>
            <div class="dialog-buttons">
                <button type="button" class="danger" on:click=move |_| { remove.dispatch(RemovePerson { person }); }>"Remove"</button>
                <button type="button" autofocus on:click=move |_| on_close.run(())>"Cancel"</button>
            </div>
        </Modal>
    }
}
