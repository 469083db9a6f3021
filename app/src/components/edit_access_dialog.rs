use super::{done_or_shown, focus_when_shown, ErrorBanner, Modal};
use crate::api::{person_access, SaveAccess};
use crate::format::thousands;
use crate::AppError;
use leptos::prelude::*;
use std::collections::BTreeSet;
use uuid::Uuid;

/// Edit Access (R18): the cloud services of the company's multi-user serials; the Assign box at the
/// top assigns all of them, each can also be assigned on its own. Saved in one transaction.
#[component]
pub fn EditAccessDialog(person: Uuid, save: ServerAction<SaveAccess>, on_done: Callback<String>, on_close: Callback<()>) -> impl IntoView {
    let services = Resource::new(move || person, person_access);
    let chosen: RwSignal<BTreeSet<Uuid>> = RwSignal::new(Default::default());
    let all: RwSignal<Vec<Uuid>> = RwSignal::new(vec![]);
    let problem: RwSignal<Option<AppError>> = RwSignal::new(None);
    // Once the services are listed, the keyboard is on the Assign box: Space takes them all.
    let assign_box = NodeRef::<leptos::html::Input>::new();
    focus_when_shown(assign_box);
    done_or_shown(save, on_done, problem);
    let submit = move || {
        save.dispatch(SaveAccess { person, services: chosen.get_untracked().into_iter().collect() });
    };
    view! {
        <Modal id="access" title="Edit Access" on_close>
            <p class="muted">"Each multi-user licence serves three people. A seat does not grant download rights."</p>
            {move || problem.get().map(|error| view! { <ErrorBanner error/> })}
            <Suspense fallback=|| view! { <p>"Loading cloud services…"</p> }>
                {move || Suspend::new(async move {
                    match services.await {
                        Err(error) => view! { <ErrorBanner error/> }.into_any(),
                        Ok(list) if list.is_empty() => view! { <p>"Your company has no multi-user serials with cloud services."</p> }.into_any(),
                        Ok(list) => {
                            all.set(list.iter().map(|s| s.service_id).collect());
                            chosen.set(list.iter().filter(|s| s.assigned).map(|s| s.service_id).collect());
                            let everything = move || all.with(|a| !a.is_empty() && chosen.with(|c| a.iter().all(|id| c.contains(id))));
                            view! {
                                <label class="assign-all">
                                    <input type="checkbox" node_ref=assign_box prop:checked=everything
                                        on:change=move |_| if everything() { chosen.set(Default::default()) } else { chosen.set(all.get_untracked().into_iter().collect()) }/>
                                    "Assign"
                                </label>
                                <fieldset>
                                    <legend>"Cloud services"</legend>
                                    {list.into_iter().map(|s| {
                                        let id = s.service_id;
                                        view! {
                                            <label>
                                                <input type="checkbox" prop:checked=move || chosen.with(|c| c.contains(&id))
                                                    on:change=move |_| chosen.update(|c| if !c.remove(&id) { c.insert(id); })/>
                                                {s.label.clone()}
                                                <span class="muted">{format!(" ({} of {} seats used)", thousands(s.seats_used as u64), thousands(s.seats_total as u64))}</span>
                                            </label>
                                        }
                                    }).collect_view()}
                                </fieldset>
                            }.into_any()
                        }
                    }
                })}
            </Suspense>
            <div class="dialog-buttons">
                <button type="button" class="primary" on:click=move |_| submit()>"Save"</button>
                <button type="button" on:click=move |_| on_close.run(())>"Cancel"</button>
            </div>
        </Modal>
    }
}
