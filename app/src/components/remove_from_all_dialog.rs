use super::{done_or_shown, ErrorBanner, Modal};
use crate::api::{preview_removal, RemoveFromAll};
use crate::format::thousands;
use crate::AppError;
use leptos::prelude::*;
use shared::coordinators::RemovalImpact;
use uuid::Uuid;

/// R12: the selected people leave every contract of the company, after a confirmation that says
/// what happens to each of them. The safe answer has the keyboard.
#[component]
pub fn RemoveFromAllDialog(
    number: String,
    people: Vec<Uuid>,
    products_href: String,
    remove: ServerAction<RemoveFromAll>,
    on_done: Callback<String>,
    on_close: Callback<()>,
) -> impl IntoView {
    let number = StoredValue::new(number);
    let people = StoredValue::new(people);
    let impact = Resource::new(|| (), move |_| preview_removal(number.get_value(), people.get_value()));
    let problem: RwSignal<Option<AppError>> = RwSignal::new(None);
    done_or_shown(remove, on_done, problem);
    let removing = remove.pending();
    let confirm = move || {
        remove.dispatch(RemoveFromAll { contract_number: number.get_value(), people: people.get_value() });
    };
    let describe = |i: &RemovalImpact| {
        format!(
            "{} <{}>: {} serial numbers on {} {} go back to their Contract Managers.",
            i.name,
            i.email,
            thousands(i.serials as u64),
            i.contracts,
            if i.contracts == 1 { "contract" } else { "contracts" }
        )
    };
    view! {
        <Modal id="remove" title="Remove From All" alert=true described_by="remove-why" on_close>
            <p id="remove-why">
                "Remove From All is for people who have left your company. It removes every association of the selected people: "
                "their serial numbers on every contract of your company, their shipping locations and their coordinator rights. "
                "For anyone who has not left, use " <a href=products_href>"Unassign on the Products tab"</a> " instead."
            </p>
            {move || problem.get().map(|error| view! { <ErrorBanner error/> })}
            <Suspense fallback=|| view! { <p>"Counting their serial numbers…"</p> }>
                {move || Suspend::new(async move {
                    match impact.await {
                        Ok(list) => view! {
                            <ul class="impact">{list.iter().map(|i| view! { <li>{describe(i)}</li> }).collect_view()}</ul>
                        }.into_any(),
                        Err(error) => view! { <ErrorBanner error/> }.into_any(),
                    }
                })}
            </Suspense>
            <div class="dialog-buttons">
                <button type="button" class="danger" disabled=move || removing.get() on:click=move |_| confirm()>"Remove From All"</button>
                <button type="button" autofocus on:click=move |_| on_close.run(())>"Cancel"</button>
            </div>
        </Modal>
    }
}
