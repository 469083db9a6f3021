//! The Software Coordinators tab (seed 000; R12, R13): every coordinator of the contract with the
//! serials they coordinate and their shipping location; the CM edits locations of several at once,
//! removes people who have left from all, and can ask the reseller for a new Contract Manager (R7).

use super::{ErrorBanner, ManagerChangeRequest, OutcomeBanner, RemoveFromAllDialog, ShippingDialog};
use crate::api::{load_coordinators_tab, RemoveFromAll, SaveShipping};
use crate::format::thousands;
use crate::routes;
use crate::AppError;
use leptos::prelude::*;
use shared::shipping::ShippingLocation;
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
    let save_shipping = ServerAction::<SaveShipping>::new();
    let remove = ServerAction::<RemoveFromAll>::new();
    let data = Resource::new(
        move || (save_shipping.version().get(), remove.version().get()),
        move |_| load_coordinators_tab(number.get_value()),
    );
    let picked: RwSignal<BTreeSet<Uuid>> = RwSignal::new(BTreeSet::new());
    let dialog: RwSignal<Option<Dialog>> = RwSignal::new(None);
    let notice: RwSignal<Option<Result<String, AppError>>> = RwSignal::new(None);
    let done = Callback::new(move |message: String| {
        dialog.set(None);
        picked.set(BTreeSet::new());
        notice.set(Some(Ok(message)));
    });
    let close = Callback::new(move |_| dialog.set(None));
    let products = move || number.with_value(|n| routes::contract(n));

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
                                        view! {
                                            <ShippingDialog number=number.get_value() people start=start.unwrap_or_default() save=save_shipping on_done=done on_close=close/>
                                        }.into_any()
                                    }
                                    Dialog::RemoveFromAll => view! {
                                        <RemoveFromAllDialog number=number.get_value() people products_href=products() remove on_done=done on_close=close/>
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
