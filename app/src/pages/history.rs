use crate::api::company_history;
use crate::components::{page_count, Console, ErrorBanner, Pager};
use crate::format::thousands;
use crate::routes;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use shared::history::{action_label, PAGE_SIZE};

/// Management > History: who changed what, when, newest first: every change is an audit event in
/// the transaction of the change (R24).
#[component]
pub fn HistoryPage() -> impl IntoView {
    let query = use_query_map();
    let page_number = Memo::new(move |_| query.read().get("page").and_then(|p| p.parse::<u32>().ok()).unwrap_or(1).max(1));
    let history = Resource::new(move || page_number.get(), company_history);
    view! {
        <Title text="History"/>
        <Console>
            <h1>"History"</h1>
            <p class="lead">"Every change to your company's serials, people and contracts, who made it and when. The newest come first."</p>
            <Transition fallback=|| view! { <p>"Loading the history…"</p> }>
                {move || Suspend::new(async move {
                    match history.await {
                        Err(error) => view! { <ErrorBanner error/> }.into_any(),
                        Ok(list) if list.rows.is_empty() => view! { <p class="empty-state">"Nothing has changed yet."</p> }.into_any(),
                        Ok(list) => {
                            let page = page_number.get_untracked() as u64;
                            view! {
                                <table aria-label="History">
                                    <thead><tr>
                                        <th scope="col">"When"</th><th scope="col">"Who"</th><th scope="col">"What"</th>
                                        <th scope="col">"Record"</th><th scope="col">"Change"</th>
                                    </tr></thead>
                                    <tbody>
                                        {list.rows.into_iter().map(|e| view! {
                                            <tr>
                                                <td class="nowrap">{e.at.to_string()}</td><td>{e.who}</td><td>{action_label(&e.action).to_string()}</td>
                                                <td class="nowrap">{e.record}</td><td class="change">{e.change}</td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                                <Pager summary=format!("{} changes", thousands(list.total)) page pages=page_count(list.total, PAGE_SIZE) href=routes::history_page/>
                            }.into_any()
                        }
                    }
                })}
            </Transition>
        </Console>
    }
}
