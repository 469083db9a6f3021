use crate::api::{agent_contracts, support_cases, ChangeManager, ResolveCase};
use crate::components::{on_outcome, Console, ErrorBanner, OutcomeBanner};
use crate::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use shared::coordinators::CaseKind;
use uuid::Uuid;

/// What a reseller agent does here (R7): change the Contract Manager of a contract they serve, and
/// approve or decline the requests CMs send them.
#[component]
pub fn ResellerPage() -> impl IntoView {
    let resolve = ServerAction::<ResolveCase>::new();
    let change_manager = ServerAction::<ChangeManager>::new();
    let changes = move || (resolve.version().get(), change_manager.version().get());
    let contracts = Resource::new(changes, |_| agent_contracts());
    let cases = Resource::new(changes, |_| support_cases());
    let outcome: RwSignal<Option<Result<String, AppError>>> = RwSignal::new(None);
    on_outcome(resolve, move |result| outcome.set(Some(result)));
    on_outcome(change_manager, move |result| outcome.set(Some(result)));
    view! {
        <Title text="Contracts you serve"/>
        <Console>
            <h1>"Contracts you serve"</h1>
            {move || outcome.get().map(|outcome| view! { <OutcomeBanner outcome/> })}
            <Transition fallback=|| view! { <p>"Loading requests…"</p> }>
                {move || Suspend::new(async move {
                    match cases.await {
                        Err(error) => view! { <ErrorBanner error/> }.into_any(),
                        Ok(list) => {
                            let open: Vec<_> = list.into_iter().filter(|c| c.kind == CaseKind::ChangeContractManager && c.status == "open").collect();
                            view! {
                                <section aria-labelledby="requests-title" class="panel">
                                    <h2 id="requests-title">"Requests to change the Contract Manager"</h2>
                                    {if open.is_empty() {
                                        view! { <p class="muted">"No open requests."</p> }.into_any()
                                    } else {
                                        view! {
                                            <ul class="cases">
                                                {open.into_iter().map(|c| {
                                                    let case_id = c.id;
                                                    let approve = move |_| { resolve.dispatch(ResolveCase { case_id, approve: true }); };
                                                    let decline = move |_| { resolve.dispatch(ResolveCase { case_id, approve: false }); };
                                                    view! {
                                                        <li>
                                                            <p><strong>{c.subject.clone()}</strong></p>
                                                            <p class="muted">{format!("{} · asked by {} on {}", c.company, c.opened_by, c.opened_at.to_minute())}</p>
                                                            {(!c.body.is_empty()).then(|| view! { <p>{c.body.clone()}</p> })}
                                                            <button type="button" class="primary" aria-label=format!("Approve: {}", c.subject) on:click=approve>"Approve"</button>
                                                            <button type="button" aria-label=format!("Decline: {}", c.subject) on:click=decline>"Decline"</button>
                                                        </li>
                                                    }
                                                }).collect_view()}
                                            </ul>
                                        }.into_any()
                                    }}
                                </section>
                            }.into_any()
                        }
                    }
                })}
            </Transition>
            <Transition fallback=|| view! { <p>"Loading contracts…"</p> }>
                {move || Suspend::new(async move {
                    match contracts.await {
                        Err(error) => view! { <ErrorBanner error/> }.into_any(),
                        Ok(list) => view! {
                            <table aria-label="Contracts you serve">
                                <thead>
                                    <tr>
                                        <th scope="col">"Contract number"</th>
                                        <th scope="col">"Company"</th>
                                        <th scope="col">"Contract Manager"</th>
                                        <th scope="col">"Make someone else the Contract Manager"</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {list.into_iter().map(|c| {
                                        let chosen = RwSignal::new(String::new());
                                        let contract_id = c.contract_id;
                                        let number = c.contract_number.clone();
                                        let change = move |_| {
                                            let Ok(person) = Uuid::parse_str(&chosen.get_untracked()) else {
                                                outcome.set(Some(Err(AppError::invalid("Contract Manager", "must be chosen from the list"))));
                                                return;
                                            };
                                            change_manager.dispatch(ChangeManager { contract_id, person });
                                        };
                                        view! {
                                            <tr>
                                                <td>{c.contract_number.clone()}</td>
                                                <td>{c.company.clone()}</td>
                                                <td>{format!("{} <{}>", c.manager_name, c.manager_email)}</td>
                                                <td class="inline-form">
                                                    <select aria-label=format!("New Contract Manager of {number}") on:change=move |ev| chosen.set(event_target_value(&ev))>
                                                        <option value="">"Choose a person"</option>
                                                        {c.people.iter().map(|p| view! { <option value=p.id.to_string()>{p.label.clone()}</option> }).collect_view()}
                                                    </select>
                                                    <button type="button" aria-label=format!("Change the Contract Manager of {number}") on:click=change>"Change"</button>
                                                </td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                    }
                })}
            </Transition>
        </Console>
    }
}
