use crate::components::{Console, CoordinatorsTab, ProductsTab};
use crate::routes;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

/// A contract, opened by its number, with its two tabs (seed 000): Products and Software Coordinators.
#[component]
pub fn ContractPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let number = Memo::new(move |_| params.read().get("number").unwrap_or_default());
    let on_coordinators = Memo::new(move |_| query.read().get("tab").as_deref() == Some("coordinators"));
    view! {
        // The head is written after the body: by then a page that failed (the database went away
        // mid-render, rendered in SsrMode::Async) may have disposed of `number`.
        <Title text=move || number.try_get().map(|n| format!("Contract {n}")).unwrap_or_default()/>
        <Console>
            <nav aria-label="Breadcrumb" class="crumbs">
                <a href=routes::MANAGE_USERS>"Manage Users"</a>
                " / "
                <a href=routes::MANAGE_COORDINATORS>"Manage Software Coordinators"</a>
                " / " {number}
            </nav>
            <h1>"Contract " {number}</h1>
            <div role="tablist" aria-label="Contract" class="tabs">
                <a role="tab" href=move || number.with(|n| routes::contract(n)) aria-selected=move || (!on_coordinators.get()).to_string()>"Products"</a>
                <a role="tab" href=move || number.with(|n| routes::contract_coordinators(n)) aria-selected=move || on_coordinators.get().to_string()>
                    "Software Coordinators"
                </a>
            </div>
            <div role="tabpanel" class="tabpanel">
                {move || if on_coordinators.get() {
                    view! { <CoordinatorsTab number=number.get()/> }.into_any()
                } else {
                    view! { <ProductsTab number=number.get()/> }.into_any()
                }}
            </div>
        </Console>
    }
}
