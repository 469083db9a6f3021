use super::{on_outcome, Modal};
use crate::api::SaveShipping;
use crate::AppError;
use leptos::prelude::*;
use shared::shipping::{ShippingLocation, COUNTRIES};
use shared::FieldErrors;
use uuid::Uuid;

/// One shipping location saved for every selected coordinator of a contract (R13).
#[component]
pub fn ShippingDialog(
    number: String,
    people: Vec<Uuid>,
    start: ShippingLocation,
    save: ServerAction<SaveShipping>,
    on_done: Callback<String>,
    on_close: Callback<()>,
) -> impl IntoView {
    let count = people.len();
    let number = StoredValue::new(number);
    let people = StoredValue::new(people);
    let form = RwSignal::new(start);
    let errors = RwSignal::new(FieldErrors::default());
    let problem: RwSignal<Option<String>> = RwSignal::new(None);
    let saving = save.pending();
    let coordinators = |n: u64| if n == 1 { "coordinator" } else { "coordinators" };

    on_outcome(save, move |outcome| match outcome {
        Ok(n) => on_done.run(format!("Shipping location saved for {n} {}.", coordinators(n))),
        Err(AppError::Invalid(e)) => errors.set(e),
        Err(other) => problem.set(Some(other.to_string())),
    });
    let submit = move || {
        let location = form.get_untracked();
        if let Err(e) = location.parse() {
            errors.set(e);
            return;
        }
        errors.set(FieldErrors::default());
        save.dispatch(SaveShipping { contract_number: number.get_value(), people: people.get_value(), location });
    };

    // One text field of the form, with its label and its error beside it.
    let field = move |label: &'static str, id: &'static str, get: fn(&ShippingLocation) -> String, set: fn(&mut ShippingLocation, String)| {
        view! {
            <div class="field">
                <label for=id>{label}</label>
                <input id=id prop:value=move || form.with(get) on:input=move |ev| form.update(|f| set(f, event_target_value(&ev)))/>
                {move || errors.with(|e| e.for_field(label).map(|m| view! { <p class="field-error">{format!("{label} {m}")}</p> }))}
            </div>
        }
    };

    view! {
        <Modal id="shipping" title="Edit shipping location" on_close>
            <p class="muted">{format!("The same location is saved for the {count} selected {}.", coordinators(count as u64))}</p>
            {move || problem.get().map(|p| view! { <p class="banner banner-error" role="alert">{p}</p> })}
            {field("Recipient", "ship-recipient", |f| f.recipient.clone(), |f, v| f.recipient = v)}
            {field("Address line 1", "ship-line1", |f| f.address_line1.clone(), |f, v| f.address_line1 = v)}
            {field("Address line 2", "ship-line2", |f| f.address_line2.clone(), |f, v| f.address_line2 = v)}
            {field("City", "ship-city", |f| f.city.clone(), |f, v| f.city = v)}
            {field("Region", "ship-region", |f| f.region.clone(), |f, v| f.region = v)}
            {field("Postal code", "ship-postal", |f| f.postal_code.clone(), |f, v| f.postal_code = v)}
            <div class="field">
                <label for="ship-country">"Country"</label>
                <select id="ship-country" prop:value=move || form.with(|f| f.country.clone())
                    on:change=move |ev| form.update(|f| f.country = event_target_value(&ev))>
                    <option value="">"Choose a country"</option>
                    {COUNTRIES.iter().map(|(code, name)| view! { <option value=*code>{format!("{name} ({code})")}</option> }).collect_view()}
                </select>
                {move || errors.with(|e| e.for_field("Country").map(|m| view! { <p class="field-error">{format!("Country {m}")}</p> }))}
            </div>
            {field("Phone", "ship-phone", |f| f.phone.clone(), |f, v| f.phone = v)}
            <div class="dialog-buttons">
                <button type="button" class="primary" disabled=move || saving.get() on:click=move |_| submit()>"Save"</button>
                <button type="button" on:click=move |_| on_close.run(())>"Cancel"</button>
            </div>
        </Modal>
    }
}
