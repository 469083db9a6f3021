use super::{on_outcome, ErrorBanner};
use crate::api::{expiring_invitations, ResendInvitations};
use leptos::prelude::*;
use std::collections::BTreeSet;
use uuid::Uuid;

/// R17: invitations that expire within 14 days or have expired, renewed in bulk. `changes` moves
/// whenever the page changed people or invitations.
#[component]
pub fn ExpiringInvitations(changes: Signal<usize>, resend: ServerAction<ResendInvitations>) -> impl IntoView {
    let list = Resource::new(move || changes.get(), |_| expiring_invitations());
    let picked: RwSignal<BTreeSet<Uuid>> = RwSignal::new(Default::default());
    on_outcome(resend, move |_| picked.set(Default::default()));
    let send = move || {
        resend.dispatch(ResendInvitations { people: picked.get_untracked().into_iter().collect() });
    };
    view! {
        <section class="panel" aria-labelledby="renew-title">
            <h2 id="renew-title">"Invitations to renew"</h2>
            <p class="muted">"Invitations expire after 90 days. These expire within 14 days or already have."</p>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match list.await {
                        Err(error) => view! { <ErrorBanner error/> }.into_any(),
                        Ok(rows) if rows.is_empty() => view! { <p>"No invitation needs renewing."</p> }.into_any(),
                        Ok(rows) => view! {
                            <table aria-label="Invitations to renew">
                                <thead><tr><th scope="col"><span class="sr-only">"Select"</span></th><th scope="col">"Name"</th><th scope="col">"Email"</th><th scope="col">"Expires"</th></tr></thead>
                                <tbody>
                                    {rows.into_iter().map(|r| {
                                        let id = r.person_id;
                                        view! {
                                            <tr>
                                                <td><input type="checkbox" aria-label=format!("Select {}", r.email)
                                                    prop:checked=move || picked.with(|p| p.contains(&id))
                                                    on:change=move |_| picked.update(|p| if !p.remove(&id) { p.insert(id); })/></td>
                                                <td>{r.name}</td><td>{r.email}</td>
                                                <td>{if r.expired { format!("expired {}", r.expires_at.date()) } else { r.expires_at.date() }}</td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                            <button type="button" disabled=move || picked.with(|p| p.is_empty()) on:click=move |_| send()>"Resend invitation"</button>
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}
