//! The dialog of a bulk action: the input it needs, then a preview of what will change (how many
//! serials, from which coordinators or groups to which), then Apply. Nothing changes before Apply.

use super::{focus_when_shown, on_outcome, Modal};
use crate::api::{preview_bulk, search_people, ApplyBulk};
use crate::format::thousands;
use crate::AppError;
use leptos::ev::KeyboardEvent;
use leptos::html::Input;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::products::{Assignee, BulkAction, BulkOutcome, PersonOption, Preview, Selection};
use shared::FieldErrors;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialogKind {
    RenameGroup,
    Assign,
    Unassign,
}

impl DialogKind {
    fn title(self) -> &'static str {
        match self {
            Self::RenameGroup => "Rename Group",
            Self::Assign => "Assign a Software Coordinator",
            Self::Unassign => "Unassign",
        }
    }
}

#[component]
pub fn BulkDialog(
    kind: DialogKind,
    selection: Selection,
    number: String,
    count: u64,
    apply: ServerAction<ApplyBulk>,
    on_done: Callback<BulkOutcome>,
    on_error: Callback<AppError>,
    on_close: Callback<()>,
) -> impl IntoView {
    let selection = StoredValue::new(selection);
    let number = StoredValue::new(number);
    let group_name = RwSignal::new(String::new());
    let new_person = RwSignal::new(false);
    let search = RwSignal::new(String::new());
    let found: RwSignal<Vec<PersonOption>> = RwSignal::new(vec![]);
    let chosen: RwSignal<Option<PersonOption>> = RwSignal::new(None);
    let email = RwSignal::new(String::new());
    let first_name = RwSignal::new(String::new());
    let last_name = RwSignal::new(String::new());
    let field_errors = RwSignal::new(FieldErrors::default());
    let problem: RwSignal<Option<String>> = RwSignal::new(None);
    let preview: RwSignal<Option<Preview>> = RwSignal::new(None);
    let busy = RwSignal::new(false);
    // The keyboard starts in the first field, and comes back to it from the preview.
    let first_field = NodeRef::<Input>::new();
    focus_when_shown(first_field);

    let action = move || -> Option<BulkAction> {
        match kind {
            DialogKind::RenameGroup => Some(BulkAction::RenameGroup { group_name: group_name.get_untracked() }),
            DialogKind::Unassign => Some(BulkAction::Unassign),
            DialogKind::Assign if new_person.get_untracked() => Some(BulkAction::Assign {
                assignee: Assignee::New {
                    email: email.get_untracked(),
                    first_name: first_name.get_untracked(),
                    last_name: last_name.get_untracked(),
                },
            }),
            DialogKind::Assign => chosen.get_untracked().map(|p| BulkAction::Assign { assignee: Assignee::Existing(p.id) }),
        }
    };

    // A refusal either names fields (shown beside them), or ends the dialog (a conflict), or is
    // shown in the dialog.
    let refused = move |error: AppError| match error {
        AppError::Invalid(errors) => {
            preview.set(None);
            field_errors.set(errors);
        }
        AppError::Conflict(_) | AppError::Forbidden | AppError::NotFound => on_error.run(error),
        other => problem.set(Some(other.to_string())),
    };

    let show_preview = move || {
        problem.set(None);
        let Some(action) = action() else {
            problem.set(Some("Choose a person, or create a new one.".into()));
            return;
        };
        if let Err(errors) = action.validate() {
            field_errors.set(errors);
            return;
        }
        field_errors.set(FieldErrors::default());
        busy.set(true);
        spawn_local(async move {
            match preview_bulk(number.get_value(), selection.get_value(), action).await {
                Ok(p) => preview.set(Some(p)),
                Err(error) => refused(error),
            }
            busy.set(false);
        });
    };

    on_outcome(apply, move |outcome| {
        match outcome {
            Ok(outcome) => on_done.run(outcome),
            Err(error) => refused(error),
        }
        busy.set(false);
    });
    let confirm = move || {
        let Some(action) = action() else { return };
        busy.set(true);
        apply.dispatch(ApplyBulk { contract_number: number.get_value(), selection: selection.get_value(), action });
    };

    let find = move |text: String| {
        search.set(text.clone());
        spawn_local(async move {
            if let Ok(people) = search_people(number.get_value(), text.clone()).await {
                // Answers can arrive out of order: keep only the one for what is typed now.
                if search.get_untracked() == text {
                    found.set(people);
                }
            }
        });
    };

    if kind == DialogKind::Unassign {
        show_preview();
    }

    let error_for = move |field: &'static str| {
        move || field_errors.with(|e| e.for_field(field).map(|m| view! { <p class="field-error" id=format!("err-{field}")>{format!("{field} {m}")}</p> }))
    };

    view! {
        <Modal id="bulk-action" title=kind.title() on_close>
            <p class="muted">{format!("{} serial numbers selected.", thousands(count))}</p>
            {move || problem.get().map(|p| view! { <p class="banner banner-error" role="alert">{p}</p> })}
            <Show when=move || preview.with(Option::is_none)>
                {match kind {
                    DialogKind::RenameGroup => view! {
                        <div class="field">
                            <label for="group-name">"Group name"</label>
                            <input id="group-name" node_ref=first_field maxlength="200"
                                prop:value=move || group_name.get()
                                on:input=move |ev| group_name.set(event_target_value(&ev))
                                on:keydown=move |ev: KeyboardEvent| if ev.key() == "Enter" { show_preview() }/>
                            <p class="hint">"At most 80 characters. Leave it empty to clear the group."</p>
                            {error_for("Group name")}
                        </div>
                    }.into_any(),
                    DialogKind::Assign => view! {
                        <fieldset class="choice">
                            <legend>"Who will coordinate them?"</legend>
                            <label><input type="radio" name="assignee-kind" prop:checked=move || !new_person.get()
                                on:change=move |_| new_person.set(false)/>"Someone already known"</label>
                            <label><input type="radio" name="assignee-kind" prop:checked=move || new_person.get()
                                on:change=move |_| new_person.set(true)/>"A new person"</label>
                        </fieldset>
                        <Show when=move || !new_person.get()>
                            <div class="field">
                                <label for="find-person">"Find a person"</label>
                                <input id="find-person" type="search" node_ref=first_field autocomplete="off"
                                    placeholder="Name or email"
                                    prop:value=move || search.get()
                                    on:input=move |ev| find(event_target_value(&ev))/>
                            </div>
                            <fieldset class="people">
                                <legend>"People"</legend>
                                {move || found.get().into_iter().map(|p| {
                                    let id = p.id;
                                    let label = format!("{} <{}>", p.name, p.email);
                                    view! {
                                        <label>
                                            <input type="radio" name="person"
                                                prop:checked=move || chosen.with(|c| c.as_ref().map(|c| c.id) == Some(id))
                                                on:change=move |_| chosen.set(Some(p.clone()))/>
                                            {label}
                                        </label>
                                    }
                                }).collect_view()}
                                {move || (found.with(Vec::is_empty)).then(|| view! { <p class="hint">"Type a name or an email to find people of your company."</p> })}
                            </fieldset>
                        </Show>
                        <Show when=move || new_person.get()>
                            <div class="field">
                                <label for="new-email">"Email"</label>
                                <input id="new-email" type="email" prop:value=move || email.get() on:input=move |ev| email.set(event_target_value(&ev))/>
                                {error_for("Email")}
                            </div>
                            <div class="field">
                                <label for="new-first">"First name"</label>
                                <input id="new-first" prop:value=move || first_name.get() on:input=move |ev| first_name.set(event_target_value(&ev))/>
                                {error_for("First name")}
                            </div>
                            <div class="field">
                                <label for="new-last">"Last name"</label>
                                <input id="new-last" prop:value=move || last_name.get() on:input=move |ev| last_name.set(event_target_value(&ev))/>
                                {error_for("Last name")}
                            </div>
                            <p class="hint">"The new person is added to your company and invited by email."</p>
                        </Show>
                        {error_for("Person")}
                    }.into_any(),
                    DialogKind::Unassign => view! { <p>"Working out what will change…"</p> }.into_any(),
                }}
                <div class="dialog-buttons">
                    {(kind != DialogKind::Unassign).then(|| view! {
                        <button type="button" class="primary" disabled=move || busy.get() on:click=move |_| show_preview()>"Continue"</button>
                    })}
                    <button type="button" on:click=move |_| on_close.run(())>"Cancel"</button>
                </div>
            </Show>
            {move || preview.get().map(|p| view! {
                <section class="preview" aria-label="What will change">
                    <p class="preview-summary">
                        {if p.changing == 0 {
                            "Nothing will change: every selected serial number already is as asked.".to_string()
                        } else {
                            format!("{} of the {} selected serial numbers will change:", thousands(p.changing), thousands(p.selected))
                        }}
                    </p>
                    <ul class="preview-from">
                        {p.from.iter().map(|f| view! { <li>{format!("{} from {}", thousands(f.serials), f.label)}</li> }).collect_view()}
                    </ul>
                    <p class="preview-to">"To: " <strong>{p.to.clone()}</strong></p>
                    <div class="dialog-buttons">
                        <button type="button" class="primary" disabled=move || busy.get() on:click=move |_| confirm()>"Apply"</button>
                        {(kind != DialogKind::Unassign).then(|| view! {
                            <button type="button" on:click=move |_| preview.set(None)>"Back"</button>
                        })}
                        <button type="button" on:click=move |_| on_close.run(())>"Cancel"</button>
                    </div>
                </section>
            })}
        </Modal>
    }
}
