use crate::api::{
    add_person, bulk_add_people, expiring_invitations, list_people, person_access, preview_bulk_add, remove_person, resend_invitation,
    resend_invitations, save_access, set_privilege,
};
use crate::components::{focus_when_shown, Console, ErrorBanner, OutcomeBanner};
use leptos::wasm_bindgen::JsCast;
use crate::format::thousands;
use crate::AppError;
use leptos::ev::KeyboardEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;
use shared::people::{BulkAddOutcome, BulkAddPreview, PeopleFilter, PersonStatus, Privilege, Role, RoleFilter};
use shared::FieldErrors;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dialog {
    Add,
    BulkAdd,
    EditAccess(uuid::Uuid),
}

/// Management > Manage Users (seed 003): everyone in the company with status, role and services;
/// a CM, or an SC with the right, adds people one by one or in bulk (R14-R16).
#[component]
pub fn ManageUsersPage() -> impl IntoView {
    let query = use_query_map();
    let filter = Memo::new(move |_| {
        let query = query.read();
        PeopleFilter::from_params(|key| query.get(key))
    });
    let page_number = Memo::new(move |_| query.read().get("page").and_then(|p| p.parse::<u32>().ok()).unwrap_or(1).max(1));
    let refresh = RwSignal::new(0u32);
    let people = Resource::new(move || (filter.get(), page_number.get(), refresh.get()), |(filter, page, _)| list_people(filter, page));
    let dialog: RwSignal<Option<Dialog>> = RwSignal::new(None);
    let outcome: RwSignal<Option<Result<String, AppError>>> = RwSignal::new(None);
    let done = Callback::new(move |message: String| {
        dialog.set(None);
        outcome.set(Some(Ok(message)));
        refresh.update(|n| *n += 1);
    });
    let close = Callback::new(move |_| dialog.set(None));
    // R20: removal is destructive, so it is confirmed first.
    let removing: RwSignal<Option<(uuid::Uuid, String)>> = RwSignal::new(None);
    // The button that opened a dialog gets the keyboard back when it closes. Its id is kept, not the
    // element: after a save the list is drawn anew, with a new button of the same id.
    let opener = StoredValue::new(None::<String>);
    let remember = move |id: String| opener.set_value(Some(id));
    Effect::new(move |was_open: Option<bool>| {
        let open = dialog.with(Option::is_some) || removing.with(Option::is_some);
        if was_open == Some(true) && !open {
            let button = opener.get_value().and_then(|id| document().get_element_by_id(&id));
            if let Some(button) = button.as_ref().and_then(|b| b.dyn_ref::<leptos::web_sys::HtmlElement>()) {
                let _ = button.focus();
            }
        }
        open
    });
    // The safe answer has the keyboard: Enter right after opening does not remove anyone.
    let keep = NodeRef::<leptos::html::Button>::new();
    focus_when_shown(keep);
    let confirm_removal = move || {
        let Some((id, _)) = removing.get_untracked() else { return };
        spawn_local(async move {
            outcome.set(Some(remove_person(id).await));
            removing.set(None);
            refresh.update(|n| *n += 1);
        });
    };
    view! {
        <Title text="Manage Users"/>
        <Console>
            <h1>"Manage Users"</h1>
            <p class="lead">
                "Everyone your company knows. Contract Managers decide who coordinates each serial number in "
                <a href="/management/users/coordinators">"Manage Software Coordinators"</a> "."
            </p>
            {move || outcome.get().map(|outcome| view! { <OutcomeBanner outcome/> })}
            <Form method="get" action="/management/users">
                <div class="filters" role="search" aria-label="Find people">
                    <div class="field">
                        <label for="people-q">"Search"</label>
                        <input id="people-q" type="search" name="q" value=move || filter.with(|f| f.search.clone()) placeholder="Name or email"/>
                    </div>
                    <div class="field">
                        <label for="people-status">"Status"</label>
                        <select id="people-status" name="status">
                            <option value="" selected=move || filter.with(|f| f.status.is_none())>"All statuses"</option>
                            {PersonStatus::ALL.into_iter().map(|status| view! {
                                <option value=status.key() selected=move || filter.with(|f| f.status == Some(status))>{status.label()}</option>
                            }).collect_view()}
                        </select>
                    </div>
                    <div class="field">
                        <label for="people-role">"Role"</label>
                        <select id="people-role" name="role">
                            <option value="" selected=move || filter.with(|f| f.role.is_none())>"All roles"</option>
                            {RoleFilter::ALL.into_iter().map(|role| view! {
                                <option value=role.key() selected=move || filter.with(|f| f.role == Some(role))>{role.label()}</option>
                            }).collect_view()}
                        </select>
                    </div>
                    <div class="field">
                        <label for="people-services">"Cloud services"</label>
                        <select id="people-services" name="services">
                            <option value="" selected=move || filter.with(|f| f.with_services.is_none())>"Any"</option>
                            <option value="with" selected=move || filter.with(|f| f.with_services == Some(true))>"With cloud services"</option>
                            <option value="without" selected=move || filter.with(|f| f.with_services == Some(false))>"Without"</option>
                        </select>
                    </div>
                    <div class="field actions">
                        <button type="submit">"Find"</button>
                        <a href=move || format!("/export/people?{}", filter.with(|f| f.to_query(1))) download="people.csv" rel="external">"Export to CSV"</a>
                    </div>
                </div>
            </Form>
            <Transition fallback=|| view! { <p>"Loading people…"</p> }>
                {move || Suspend::new(async move {
                    match people.await {
                        Err(error) => view! { <ErrorBanner error/> }.into_any(),
                        Ok(list) => {
                            let pages = list.total.div_ceil(50).max(1);
                            let page = page_number.get_untracked() as u64;
                            let shown = filter.get_untracked();
                            let nobody = if shown.is_empty() { "Nobody is here yet." } else { "Nobody matches these filters." };
                            let at = move |n: u64| format!("/management/users?{}", shown.to_query(n));
                            let renewals = list.may_manage;
                            view! {
                                {list.may_manage.then(|| view! {
                                    <div role="toolbar" aria-label="Add people" class="toolbar">
                                        <button type="button" class="primary" id="add-person" on:click=move |_| { remember("add-person".into()); dialog.set(Some(Dialog::Add)) }>"Add"</button>
                                        <button type="button" id="bulk-add" on:click=move |_| { remember("bulk-add".into()); dialog.set(Some(Dialog::BulkAdd)) }>"Bulk Add"</button>
                                    </div>
                                })}
                                <table aria-label="People">
                                    <thead><tr>
                                        <th scope="col">"Name"</th><th scope="col">"Email"</th><th scope="col">"Status"</th>
                                        <th scope="col">"Role"</th><th scope="col" class="num">"Cloud services"</th><th scope="col">"Downloads"</th>
                                        <th scope="col"><span class="sr-only">"Actions"</span></th>
                                    </tr></thead>
                                    <tbody>
                                        {list.rows.is_empty().then(|| view! { <tr><td colspan="7" class="empty">{nobody}</td></tr> })}
                                        {list.rows.into_iter().map(|p| {
                                            let id = p.id;
                                            let invited = p.status != PersonStatus::Active && list.may_manage;
                                            let removable = p.removable && list.may_manage;
                                            let who = p.name.clone();
                                            let may_manage = list.may_manage;
                                            let is_sc = p.roles.contains(&Role::SoftwareCoordinator);
                                            let may_grant = list.may_grant_manage_users && is_sc;
                                            let (download, manage_users) = (p.may_download, p.may_manage_users);
                                            let grant = move |privilege: Privilege, granted: bool| spawn_local(async move {
                                                outcome.set(Some(set_privilege(id, privilege, granted).await));
                                                refresh.update(|n| *n += 1);
                                            });
                                            let email_for_labels = p.email.clone();
                                            let resend = move |_| spawn_local(async move {
                                                outcome.set(Some(resend_invitation(id).await));
                                                refresh.update(|n| *n += 1);
                                            });
                                            view! {
                                                <tr>
                                                    <td>{p.name}</td><td>{p.email.clone()}</td>
                                                    <td>
                                                        {p.status.label()}
                                                        {invited.then(|| view! { " " <button type="button" class="link" on:click=resend>"Resend invitation"</button> })}
                                                    </td>
                                                    <td>
                                                        {Role::labels(&p.roles)}
                                                        {may_grant.then(|| view! {
                                                            <label class="inline-check">
                                                                <input type="checkbox" aria-label=format!("May manage users: {email_for_labels}") prop:checked=manage_users
                                                                    on:change=move |_| grant(Privilege::ManageUsers, !manage_users)/>
                                                                "manages users"
                                                            </label>
                                                        })}
                                                    </td>
                                                    <td class="num">{p.services}</td>
                                                    <td>
                                                        <input type="checkbox" aria-label=format!("Download privileges for {}", p.email) prop:checked=download
                                                            disabled=!may_manage on:change=move |_| grant(Privilege::Download, !download)/>
                                                    </td>
                                                    <td class="row-actions">
                                                        {may_manage.then(|| view! {
                                                            <button type="button" class="link" id=format!("access-{id}") on:click=move |_| { remember(format!("access-{id}")); dialog.set(Some(Dialog::EditAccess(id))) }>"Edit Access"</button>
                                                        })}
                                                        {removable.then(|| view! {
                                                            <button type="button" class="link" aria-label=format!("Remove {}", p.email)
                                                                id=format!("remove-{id}") on:click=move |_| { remember(format!("remove-{id}")); removing.set(Some((id, who.clone()))) }>"Remove"</button>
                                                        })}
                                                    </td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                                <nav aria-label="Pages" class="pager">
                                    <span>{format!("{} people", thousands(list.total))}</span>
                                    {(page > 1).then(|| view! { <a href=at(page - 1) rel="prev">"Previous page"</a> })}
                                    <span>{format!("Page {page} of {pages}")}</span>
                                    {(page < pages).then(|| view! { <a href=at(page + 1) rel="next">"Next page"</a> })}
                                </nav>
                                {renewals.then(|| view! { <ExpiringInvitations refresh outcome/> })}
                            }.into_any()
                        }
                    }
                })}
            </Transition>
            {move || removing.get().map(|(_, name)| view! {
                <div class="backdrop">
                    <div role="alertdialog" aria-modal="true" aria-labelledby="remove-person-title" class="dialog"
                        on:keydown=escape_closes(Callback::new(move |_| removing.set(None)))>
                        <h2 id="remove-person-title">{format!("Remove {name}?")}</h2>
                        <p>"They will no longer be able to sign in. Their history stays in the audit trail."</p>
                        <div class="dialog-buttons">
                            <button type="button" class="danger" on:click=move |_| confirm_removal()>"Remove"</button>
                            <button type="button" node_ref=keep on:click=move |_| removing.set(None)>"Cancel"</button>
                        </div>
                    </div>
                </div>
            })}
            {move || dialog.get().map(|d| match d {
                Dialog::Add => view! { <AddDialog on_done=done on_close=close/> }.into_any(),
                Dialog::BulkAdd => view! { <BulkAddDialog on_done=done on_close=close/> }.into_any(),
                Dialog::EditAccess(person) => view! { <EditAccessDialog person on_done=done on_close=close/> }.into_any(),
            })}
        </Console>
    }
}

fn escape_closes(on_close: Callback<()>) -> impl Fn(KeyboardEvent) {
    move |ev: KeyboardEvent| {
        if ev.key() == "Escape" {
            on_close.run(());
        }
    }
}

/// R15: Email, First name, Last name; Save & Continue adds and invites.
#[component]
fn AddDialog(on_done: Callback<String>, on_close: Callback<()>) -> impl IntoView {
    let email = RwSignal::new(String::new());
    let first = RwSignal::new(String::new());
    let last = RwSignal::new(String::new());
    let errors = RwSignal::new(FieldErrors::default());
    let problem: RwSignal<Option<AppError>> = RwSignal::new(None);
    let save = move || {
        spawn_local(async move {
            match add_person(email.get_untracked(), first.get_untracked(), last.get_untracked()).await {
                Ok(message) => on_done.run(message),
                Err(AppError::Invalid(e)) => errors.set(e),
                Err(error) => problem.set(Some(error)),
            }
        });
    };
    // Typing starts in the first field.
    let email_field = NodeRef::<leptos::html::Input>::new();
    focus_when_shown(email_field);
    let field = move |label: &'static str, id: &'static str, value: RwSignal<String>, kind: &'static str| {
        let node = if label == "Email" { email_field } else { NodeRef::new() };
        view! {
            <div class="field">
                <label for=id>{label}</label>
                <input id=id type=kind node_ref=node prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev))/>
                {move || errors.with(|e| e.for_field(label).map(|m| view! { <p class="field-error">{format!("{label} {m}")}</p> }))}
            </div>
        }
    };
    view! {
        <div class="backdrop">
            <div role="dialog" aria-modal="true" aria-labelledby="add-title" class="dialog" on:keydown=escape_closes(on_close)>
                <h2 id="add-title">"Add a person"</h2>
                {move || problem.get().map(|error| view! { <ErrorBanner error/> })}
                // A form, so Enter in any field saves; novalidate, so our messages (R23) speak, not the browser's.
                <form novalidate on:submit=move |ev| {
                    ev.prevent_default();
                    save();
                }>
                    {field("Email", "add-email", email, "email")}
                    {field("First name", "add-first", first, "text")}
                    {field("Last name", "add-last", last, "text")}
                    <p class="hint">"They are invited by email and have 90 days to accept."</p>
                    <div class="dialog-buttons">
                        <button type="submit" class="primary">"Save & Continue"</button>
                        <button type="button" on:click=move |_| on_close.run(())>"Cancel"</button>
                    </div>
                </form>
            </div>
        </div>
    }
}

fn describe(outcome: &BulkAddOutcome) -> String {
    match outcome {
        BulkAddOutcome::WillBeAdded { name, name_from_email: false } => format!("Will be added: {name}"),
        BulkAddOutcome::WillBeAdded { name, name_from_email: true } => format!("Will be added: {name} (name taken from the email)"),
        BulkAddOutcome::AlreadyKnown { name } => format!("Already known: {name}"),
        BulkAddOutcome::DuplicateInList => "Duplicate in the list".into(),
        BulkAddOutcome::Invalid { reason } => format!("Invalid: {reason}"),
    }
}

/// R16: many people in one text; a preview of every entry; nothing is added before the confirmation.
#[component]
fn BulkAddDialog(on_done: Callback<String>, on_close: Callback<()>) -> impl IntoView {
    let text = RwSignal::new(String::new());
    let text_field = NodeRef::<leptos::html::Textarea>::new();
    focus_when_shown(text_field);
    let preview: RwSignal<Option<BulkAddPreview>> = RwSignal::new(None);
    let problem: RwSignal<Option<AppError>> = RwSignal::new(None);
    let busy = RwSignal::new(false);
    let show = move || {
        busy.set(true);
        problem.set(None);
        spawn_local(async move {
            match preview_bulk_add(text.get_untracked()).await {
                Ok(p) => preview.set(Some(p)),
                Err(error) => problem.set(Some(error)),
            }
            busy.set(false);
        });
    };
    let confirm = move || {
        busy.set(true);
        spawn_local(async move {
            match bulk_add_people(text.get_untracked()).await {
                Ok(message) => on_done.run(message),
                Err(error) => problem.set(Some(error)),
            }
            busy.set(false);
        });
    };
    view! {
        <div class="backdrop">
            <div role="dialog" aria-modal="true" aria-labelledby="bulk-title" class="dialog wide" on:keydown=escape_closes(on_close)>
                <h2 id="bulk-title">"Bulk Add"</h2>
                {move || problem.get().map(|error| view! { <ErrorBanner error/> })}
                <Show when=move || preview.with(Option::is_none)>
                    <div class="field">
                        <label for="bulk-text">"People"</label>
                        <textarea id="bulk-text" rows="8" node_ref=text_field prop:value=move || text.get() on:input=move |ev| text.set(event_target_value(&ev))
                            placeholder="Ann Lee <ann.lee@example.com>; bo@example.com"></textarea>
                        <p class="hint">"Separate people with semicolons (new lines work too). Each is an email, or First Last <email>. Up to 5,000 at once."</p>
                    </div>
                    <div class="dialog-buttons">
                        <button type="button" class="primary" disabled=move || busy.get() on:click=move |_| show()>"Preview"</button>
                        <button type="button" on:click=move |_| on_close.run(())>"Cancel"</button>
                    </div>
                </Show>
                {move || preview.get().map(|p| {
                    let to_add = p.to_add;
                    view! {
                        <table aria-label="What Bulk Add will do">
                            <thead><tr><th scope="col">"Entry"</th><th scope="col">"Outcome"</th></tr></thead>
                            <tbody>
                                {p.rows.iter().map(|r| view! { <tr><td>{r.entry.clone()}</td><td>{describe(&r.outcome)}</td></tr> }).collect_view()}
                            </tbody>
                        </table>
                        <div class="dialog-buttons">
                            <button type="button" class="primary" disabled=move || busy.get() || to_add == 0 on:click=move |_| confirm()>
                                {format!("Add {} {}", thousands(to_add), if to_add == 1 { "person" } else { "people" })}
                            </button>
                            <button type="button" on:click=move |_| preview.set(None)>"Back"</button>
                            <button type="button" on:click=move |_| on_close.run(())>"Cancel"</button>
                        </div>
                    }
                })}
            </div>
        </div>
    }
}

/// Edit Access (R18): the cloud services of the company's multi-user serials; the Assign box at the
/// top assigns all of them, each can also be assigned on its own. Saved in one transaction.
#[component]
fn EditAccessDialog(person: uuid::Uuid, on_done: Callback<String>, on_close: Callback<()>) -> impl IntoView {
    let services = Resource::new(move || person, person_access);
    let chosen: RwSignal<std::collections::BTreeSet<uuid::Uuid>> = RwSignal::new(Default::default());
    let all: RwSignal<Vec<uuid::Uuid>> = RwSignal::new(vec![]);
    let problem: RwSignal<Option<AppError>> = RwSignal::new(None);
    // Once the services are listed, the keyboard is on the Assign box: Space takes them all.
    let assign_box = NodeRef::<leptos::html::Input>::new();
    focus_when_shown(assign_box);
    let save = move || {
        let wanted: Vec<uuid::Uuid> = chosen.get_untracked().into_iter().collect();
        spawn_local(async move {
            match save_access(person, wanted).await {
                Ok(message) => on_done.run(message),
                Err(error) => problem.set(Some(error)),
            }
        });
    };
    view! {
        <div class="backdrop">
            <div role="dialog" aria-modal="true" aria-labelledby="access-title" class="dialog" on:keydown=escape_closes(on_close)>
                <h2 id="access-title">"Edit Access"</h2>
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
                    <button type="button" class="primary" on:click=move |_| save()>"Save"</button>
                    <button type="button" on:click=move |_| on_close.run(())>"Cancel"</button>
                </div>
            </div>
        </div>
    }
}

/// R17: invitations that expire within 14 days or have expired, renewed in bulk.
#[component]
fn ExpiringInvitations(refresh: RwSignal<u32>, outcome: RwSignal<Option<Result<String, AppError>>>) -> impl IntoView {
    let list = Resource::new(move || refresh.get(), |_| expiring_invitations());
    let picked: RwSignal<std::collections::BTreeSet<uuid::Uuid>> = RwSignal::new(Default::default());
    let resend = move || {
        let people: Vec<uuid::Uuid> = picked.get_untracked().into_iter().collect();
        spawn_local(async move {
            outcome.set(Some(resend_invitations(people).await));
            picked.set(Default::default());
            refresh.update(|n| *n += 1);
        });
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
                            <button type="button" disabled=move || picked.with(|p| p.is_empty()) on:click=move |_| resend()>"Resend invitation"</button>
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}
