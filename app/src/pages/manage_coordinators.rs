use crate::api::managed_contracts;
use crate::components::{Console, ErrorBanner};
use crate::format::thousands;
use crate::routes;
use leptos::prelude::*;
use leptos_meta::Title;

/// Management > Manage Users > Manage Software Coordinators: the contracts the signed-in person
/// manages; the contract number opens the contract (seed 000).
#[component]
pub fn ManageCoordinatorsPage() -> impl IntoView {
    let contracts = Resource::new(|| (), |_| managed_contracts());
    view! {
        <Title text="Manage Software Coordinators"/>
        <Console>
            <nav aria-label="Breadcrumb" class="crumbs">
                <a href=routes::MANAGE_USERS>"Manage Users"</a>
                " / Manage Software Coordinators"
            </nav>
            <h1>"Manage Software Coordinators"</h1>
            <p class="lead">"The contracts you manage. Open one to decide who coordinates each of its serial numbers."</p>
            <Suspense fallback=|| view! { <p>"Loading contracts…"</p> }>
                {move || Suspend::new(async move {
                    match contracts.await {
                        Ok(list) if list.is_empty() => view! {
                            <section class="empty-state" aria-label="Contracts">
                                <h2>"You do not manage any contract"</h2>
                                <p>"Only a contract's Contract Manager assigns its Software Coordinators. Your reseller can make you the Contract Manager of a contract."</p>
                            </section>
                        }.into_any(),
                        Ok(list) => view! {
                            <table class="contracts" aria-label="Contracts you manage">
                                <thead>
                                    <tr>
                                        <th scope="col">"Contract number"</th>
                                        <th scope="col" class="num">"Serial numbers"</th>
                                        <th scope="col" class="num">"Software Coordinators"</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {list.into_iter().map(|c| view! {
                                        <tr>
                                            <td><a href=routes::contract(&c.contract_number)>{c.contract_number.clone()}</a></td>
                                            <td class="num">{thousands(c.serials as u64)}</td>
                                            <td class="num">{thousands(c.coordinators as u64)}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                        Err(error) => view! { <ErrorBanner error/> }.into_any(),
                    }
                })}
            </Suspense>
        </Console>
    }
}
