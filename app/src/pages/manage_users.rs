use crate::api::{list_people, AddPerson, BulkAddPeople, RemovePerson, ResendInvitation, ResendInvitations, SaveAccess, SetPrivilege};
use crate::components::{
    on_outcome, page_count, AddPersonDialog, BulkAddDialog, Console, EditAccessDialog, ErrorBanner, ExpiringInvitations, OutcomeBanner, Pager,
    RemovePersonDialog,
};
use crate::format::thousands;
use crate::routes;
use crate::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;
use shared::people::{PeopleFilter, PersonStatus, Privilege, Role, RoleFilter};
use uuid::Uuid;

/// People on a page of the list (the store's page size).
use shared::people::PAGE_SIZE;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Dialog {
    Add,
    BulkAdd,
    EditAccess(Uuid),
    Remove { person: Uuid, name: String },
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

    // Every change this page makes; the lists are read again whenever one of them has answered.
    let add = ServerAction::<AddPerson>::new();
    let bulk_add = ServerAction::<BulkAddPeople>::new();
    let save_access = ServerAction::<SaveAccess>::new();
    let remove = ServerAction::<RemovePerson>::new();
    let privilege = ServerAction::<SetPrivilege>::new();
    let resend = ServerAction::<ResendInvitation>::new();
    let resend_many = ServerAction::<ResendInvitations>::new();
    let versions = [
        add.version(),
        bulk_add.version(),
        save_access.version(),
        remove.version(),
        privilege.version(),
        resend.version(),
        resend_many.version(),
    ];
    let changes = Signal::from(Memo::new(move |_| versions.iter().map(|v| v.get()).sum::<usize>()));
    let people = Resource::new(move || (filter.get(), page_number.get(), changes.get()), |(filter, page, _)| list_people(filter, page));

    let dialog: RwSignal<Option<Dialog>> = RwSignal::new(None);
    let outcome: RwSignal<Option<Result<String, AppError>>> = RwSignal::new(None);
    let done = Callback::new(move |message: String| {
        dialog.set(None);
        outcome.set(Some(Ok(message)));
    });
    let close = Callback::new(move |_| dialog.set(None));
    on_outcome(remove, move |result| {
        outcome.set(Some(result));
        dialog.set(None);
    });
    on_outcome(privilege, move |result| outcome.set(Some(result)));
    on_outcome(resend, move |result| outcome.set(Some(result)));
    on_outcome(resend_many, move |result| outcome.set(Some(result)));

    view! {
        <Title text="Manage Users"/>
        <Console>
            <h1>"Manage Users"</h1>
            <p class="lead">
                "Everyone your company knows. Contract Managers decide who coordinates each serial number in "
                <a href=routes::MANAGE_COORDINATORS>"Manage Software Coordinators"</a> "."
            </p>
            {move || outcome.get().map(|outcome| view! { <OutcomeBanner outcome/> })}
            <Form method="get" action=routes::MANAGE_USERS>
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
                        <a href=move || filter.with(routes::export_people) download="people.csv" rel="external">"Export to CSV"</a>
                    </div>
                </div>
            </Form>
            <Transition fallback=|| view! { <p>"Loading people…"</p> }>
                {move || Suspend::new(async move {
                    match people.await {
                        Err(error) => view! { <ErrorBanner error/> }.into_any(),
                        Ok(list) => {
                            let page = page_number.get_untracked() as u64;
                            let shown = filter.get_untracked();
                            let nobody = if shown.is_empty() { "Nobody is here yet." } else { "Nobody matches these filters." };
                            let renewals = list.may_manage;
                            // The opening buttons have ids: the keyboard goes back to them when a dialog closes.
                            let open = move |d: Dialog| dialog.set(Some(d));
                            view! {
                                {list.may_manage.then(|| view! {
                                    <div role="toolbar" aria-label="Add people" class="toolbar">
                                        <button type="button" class="primary" id="add-person" on:click=move |_| open(Dialog::Add)>"Add"</button>
                                        <button type="button" id="bulk-add" on:click=move |_| open(Dialog::BulkAdd)>"Bulk Add"</button>
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
                                            let grant = move |privilege_kind: Privilege, granted: bool| {
                                                privilege.dispatch(SetPrivilege { person: id, privilege: privilege_kind, granted });
                                            };
                                            let email_for_labels = p.email.clone();
                                            view! {
                                                <tr>
                                                    <td>{p.name}</td><td>{p.email.clone()}</td>
                                                    <td>
                                                        {p.status.label()}
                                                        {invited.then(|| view! { " " <button type="button" class="link" on:click=move |_| { resend.dispatch(ResendInvitation { person: id }); }>"Resend invitation"</button> })}
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
                                                            <button type="button" class="link" id=format!("access-{id}") on:click=move |_| open(Dialog::EditAccess(id))>"Edit Access"</button>
                                                        })}
                                                        {removable.then(|| view! {
                                                            <button type="button" class="link" aria-label=format!("Remove {}", p.email)
                                                                id=format!("remove-{id}") on:click=move |_| open(Dialog::Remove { person: id, name: who.clone() })>"Remove"</button>
                                                        })}
                                                    </td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                                <Pager summary=format!("{} people", thousands(list.total)) page pages=page_count(list.total, PAGE_SIZE)
                                    href=move |n| routes::manage_users_page(&shown, n)/>
                                {renewals.then(|| view! { <ExpiringInvitations changes resend=resend_many/> })}
                            }.into_any()
                        }
                    }
                })}
            </Transition>
            {move || dialog.get().map(|d| match d {
                Dialog::Add => view! { <AddPersonDialog add on_done=done on_close=close/> }.into_any(),
                Dialog::BulkAdd => view! { <BulkAddDialog bulk_add on_done=done on_close=close/> }.into_any(),
                Dialog::EditAccess(person) => view! { <EditAccessDialog person save=save_access on_done=done on_close=close/> }.into_any(),
                Dialog::Remove { person, name } => view! { <RemovePersonDialog person name remove on_close=close/> }.into_any(),
            })}
        </Console>
    }
}
