//! The Software Coordinators tab (seed 000; R12, R13): every coordinator of the contract with the
//! serials they coordinate and their shipping location; the CM edits locations of several at once,
//! removes people who have left from all, and can ask the reseller for a new Contract Manager (R7).

use crate::api::{load_coordinators_tab, preview_removal, remove_from_all, request_manager_change, save_shipping};
use crate::components::{ErrorBanner, OutcomeBanner};
use crate::format::thousands;
use crate::AppError;
use leptos::ev::KeyboardEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use shared::coordinators::{Candidate, RemovalImpact};
use shared::shipping::{ShippingLocation, COUNTRIES};
use shared::FieldErrors;
use std::collections::BTreeSet;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dialog {
    Shipping,
    RemoveFromAll,
}

#[component]
pub fn CoordinatorsTab(number: String) -> impl IntoView {
    let number = StoredValue::new(number);
    let refresh = RwSignal::new(0u32);
    let data = Resource::new(move || refresh.get(), move |_| load_coordinators_tab(number.get_value()));
    let picked: RwSignal<BTreeSet<Uuid>> = RwSignal::new(BTreeSet::new());
    let dialog: RwSignal<Option<Dialog>> = RwSignal::new(None);
    let notice: RwSignal<Option<Result<String, AppError>>> = RwSignal::new(None);
    let done = Callback::new(move |message: String| {
        dialog.set(None);
        picked.set(BTreeSet::new());
        notice.set(Some(Ok(message)));
        refresh.update(|n| *n += 1);
    });
    let close = Callback::new(move |_| dialog.set(None));
    let products = move || format!("/management/users/coordinators/{}", number.get_value());

    view! {
        {move || notice.get().map(|outcome| view! { <OutcomeBanner outcome/> })}
        <Transition fallback=|| view! { <p>"Loading coordinators…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Err(error) => view! { <ErrorBanner error/> }.into_any(),
                    Ok(tab) => {
                        let may_act = tab.may_act;
                        let first_location = tab.coordinators.iter().find_map(|c| c.shipping.clone());
                        let locations: Vec<(Uuid, Option<ShippingLocation>)> = tab.coordinators.iter().map(|c| (c.person_id, c.shipping.clone())).collect();
                        let candidates = tab.candidates.clone();
                        view! {
                            {may_act.then(|| view! {
                                <div role="toolbar" aria-label="Actions on the selected coordinators" class="toolbar">
                                    <button type="button" disabled=move || picked.with(BTreeSet::is_empty)
                                        on:click=move |_| dialog.set(Some(Dialog::Shipping))>"Edit shipping location"</button>
                                    <button type="button" class="danger-outline" disabled=move || picked.with(BTreeSet::is_empty)
                                        on:click=move |_| dialog.set(Some(Dialog::RemoveFromAll))>"Remove From All"</button>
                                    <span class="selection-count" aria-live="polite">{move || format!("{} selected", picked.with(BTreeSet::len))}</span>
                                </div>
                            })}
                            {if tab.coordinators.is_empty() {
                                view! {
                                    <section class="empty-state" aria-label="Software Coordinators">
                                        <h2>"No Software Coordinators yet"</h2>
                                        <p>{format!("Every serial number of this contract is coordinated by its Contract Manager, {}. Assign coordinators on the Products tab.", tab.manager_name)}</p>
                                    </section>
                                }.into_any()
                            } else {
                                view! {
                                    <table class="coordinators" aria-label="Software Coordinators">
                                        <thead>
                                            <tr>
                                                {may_act.then(|| view! { <th scope="col" class="pick"><span class="sr-only">"Select"</span></th> })}
                                                <th scope="col">"Software Coordinator"</th>
                                                <th scope="col">"Email"</th>
                                                <th scope="col" class="num">"Serial numbers"</th>
                                                <th scope="col">"Shipping location"</th>
                                            </tr>
                                        </thead>
                                        <tbody>
                                            {tab.coordinators.into_iter().map(|c| {
                                                let id = c.person_id;
                                                let checked = move || picked.with(|p| p.contains(&id));
                                                let link = format!("{}?coordinator={}", products(), id);
                                                view! {
                                                    <tr class:selected=checked>
                                                        {may_act.then(|| view! {
                                                            <td class="pick">
                                                                <input type="checkbox" aria-label=format!("Select {}", c.email)
                                                                    prop:checked=checked
                                                                    on:change=move |_| picked.update(|p| if !p.remove(&id) { p.insert(id); })/>
                                                            </td>
                                                        })}
                                                        <td>{c.name.clone()}</td>
                                                        <td>{c.email.clone()}</td>
                                                        <td class="num"><a href=link>{format!("{} serials", thousands(c.serials as u64))}</a></td>
                                                        <td>{c.shipping.as_ref().map(ShippingLocation::summary).unwrap_or_else(|| "—".into())}</td>
                                                    </tr>
                                                }
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                }.into_any()
                            }}
                            {move || dialog.get().map(|d| {
                                let people: Vec<Uuid> = picked.get_untracked().into_iter().collect();
                                match d {
                                    Dialog::Shipping => {
                                        // One coordinator: start from their location; several: from the first one known.
                                        let start = if people.len() == 1 {
                                            locations.iter().find(|l| l.0 == people[0]).and_then(|l| l.1.clone())
                                        } else {
                                            first_location.clone()
                                        };
                                        view! { <ShippingDialog number=number.get_value() people start=start.unwrap_or_default() on_done=done on_close=close/> }.into_any()
                                    }
                                    Dialog::RemoveFromAll => view! {
                                        <RemoveFromAllDialog number=number.get_value() people products_href=products() on_done=done on_close=close/>
                                    }.into_any(),
                                }
                            })}
                            {may_act.then(|| view! { <ManagerChangeRequest number=number.get_value() candidates=candidates.clone()/> })}
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

fn close_on_escape(on_close: Callback<()>) -> impl Fn(KeyboardEvent) {
    move |ev: KeyboardEvent| {
        if ev.key() == "Escape" {
            on_close.run(());
        }
    }
}

#[component]
fn ShippingDialog(
    number: String,
    people: Vec<Uuid>,
    start: ShippingLocation,
    on_done: Callback<String>,
    on_close: Callback<()>,
) -> impl IntoView {
    let number = StoredValue::new(number);
    let people = StoredValue::new(people);
    let form = RwSignal::new(start);
    let errors = RwSignal::new(FieldErrors::default());
    let problem: RwSignal<Option<String>> = RwSignal::new(None);
    let busy = RwSignal::new(false);
    let count = people.with_value(Vec::len);

    let save = move || {
        let location = form.get_untracked();
        if let Err(e) = location.parse() {
            errors.set(e);
            return;
        }
        errors.set(FieldErrors::default());
        busy.set(true);
        spawn_local(async move {
            match save_shipping(number.get_value(), people.get_value(), location).await {
                Ok(n) => on_done.run(format!("Shipping location saved for {n} {}.", if n == 1 { "coordinator" } else { "coordinators" })),
                Err(AppError::Invalid(e)) => errors.set(e),
                Err(other) => problem.set(Some(other.to_string())),
            }
            busy.set(false);
        });
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
        <div class="backdrop">
            <div role="dialog" aria-modal="true" aria-labelledby="shipping-title" class="dialog" on:keydown=close_on_escape(on_close)>
                <h2 id="shipping-title">"Edit shipping location"</h2>
                <p class="muted">{format!("The same location is saved for the {count} selected {}.", if count == 1 { "coordinator" } else { "coordinators" })}</p>
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
                    <button type="button" class="primary" disabled=move || busy.get() on:click=move |_| save()>"Save"</button>
                    <button type="button" on:click=move |_| on_close.run(())>"Cancel"</button>
                </div>
            </div>
        </div>
    }
}

#[component]
fn RemoveFromAllDialog(
    number: String,
    people: Vec<Uuid>,
    products_href: String,
    on_done: Callback<String>,
    on_close: Callback<()>,
) -> impl IntoView {
    let number = StoredValue::new(number);
    let people = StoredValue::new(people);
    let impact = Resource::new(|| (), move |_| preview_removal(number.get_value(), people.get_value()));
    let problem: RwSignal<Option<AppError>> = RwSignal::new(None);
    let busy = RwSignal::new(false);
    let confirm = move || {
        busy.set(true);
        spawn_local(async move {
            match remove_from_all(number.get_value(), people.get_value()).await {
                Ok(message) => on_done.run(message),
                Err(error) => problem.set(Some(error)),
            }
            busy.set(false);
        });
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
        <div class="backdrop">
            <div role="alertdialog" aria-modal="true" aria-labelledby="remove-title" aria-describedby="remove-why" class="dialog" on:keydown=close_on_escape(on_close)>
                <h2 id="remove-title">"Remove From All"</h2>
                <p id="remove-why">
                    "Remove From All is for people who have left your company. It removes every association of the selected people: "
                    "their serial numbers on every contract of your company, their shipping locations and their coordinator rights. "
                    "For anyone who has not left, use " <a href=products_href.clone()>"Unassign on the Products tab"</a> " instead."
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
                    <button type="button" class="danger" disabled=move || busy.get() on:click=move |_| confirm()>"Remove From All"</button>
                    <button type="button" on:click=move |_| on_close.run(())>"Cancel"</button>
                </div>
            </div>
        </div>
    }
}

/// R7: only the reseller changes the CM; the CM asks through a support case.
#[component]
fn ManagerChangeRequest(number: String, candidates: Vec<Candidate>) -> impl IntoView {
    let number = StoredValue::new(number);
    let proposed = RwSignal::new(String::new());
    let reason = RwSignal::new(String::new());
    let outcome: RwSignal<Option<Result<String, AppError>>> = RwSignal::new(None);
    let send = move || {
        let Ok(person) = Uuid::parse_str(&proposed.get_untracked()) else {
            outcome.set(Some(Err(AppError::invalid("New Contract Manager", "must be chosen from the list"))));
            return;
        };
        spawn_local(async move {
            outcome.set(Some(request_manager_change(number.get_value(), person, reason.get_untracked()).await));
        });
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
