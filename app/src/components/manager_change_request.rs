use super::{on_outcome, OutcomeBanner};
use crate::api::RequestManagerChange;
use crate::AppError;
use leptos::prelude::*;
use shared::coordinators::Candidate;
use uuid::Uuid;

/// R7: only the reseller changes the CM; the CM asks through a support case.
#[component]
pub fn ManagerChangeRequest(number: String, candidates: Vec<Candidate>) -> impl IntoView {
    let number = StoredValue::new(number);
    let proposed = RwSignal::new(String::new());
    let reason = RwSignal::new(String::new());
    let outcome: RwSignal<Option<Result<String, AppError>>> = RwSignal::new(None);
    let request = ServerAction::<RequestManagerChange>::new();
    on_outcome(request, move |result| outcome.set(Some(result)));
    let send = move || {
        let Ok(proposed) = Uuid::parse_str(&proposed.get_untracked()) else {
            outcome.set(Some(Err(AppError::invalid("New Contract Manager", "must be chosen from the list"))));
            return;
        };
        request.dispatch(RequestManagerChange { contract_number: number.get_value(), proposed, reason: reason.get_untracked() });
    };
    view! {
        <section class="panel" aria-labelledby="cm-change-title">
            <h2 id="cm-change-title">"Change the Contract Manager"</h2>
            <p class="muted">"Only your reseller changes a contract's Contract Manager. Ask them here; they will approve or decline."</p>
            {move || outcome.get().map(|outcome| view! { <OutcomeBanner outcome/> })}
            <div class="field">
                <label for="cm-proposed">"New Contract Manager"</label>
                <select id="cm-proposed" on:change=move |ev| proposed.set(event_target_value(&ev))>
                    <option value="">"Choose a person"</option>
                    {candidates.into_iter().map(|c| view! { <option value=c.id.to_string()>{c.label}</option> }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="cm-reason">"Reason"</label>
                <textarea id="cm-reason" rows="2" on:input=move |ev| reason.set(event_target_value(&ev))></textarea>
            </div>
            <button type="button" on:click=move |_| send()>"Send request"</button>
        </section>
    }
}
