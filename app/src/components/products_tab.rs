//! The Products tab (seed 000; R8-R11): a server-filtered, sorted, paged table of a contract's serial
//! numbers, a selection that survives paging and can cover every matching serial, and the bulk
//! actions over it.

use super::bulk_dialog::{BulkDialog, DialogKind};
use super::ErrorBanner;
use crate::api::{serials_page, undo_bulk};
use crate::format::thousands;
use crate::AppError;
use leptos::ev::{KeyboardEvent, MouseEvent};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;
use shared::products::url::{self, NO_GROUP};
use shared::products::{
    BulkOutcome, CoordinatorFilter, GroupFilter, ProductsPage, ProductsQuery, Selection, SerialFilter, ShownRow, SortKey,
};
use std::collections::BTreeMap;
use uuid::Uuid;

/// "Select all N matching": the filter itself is the selection, as counted when the page was read.
#[derive(Debug, Clone, PartialEq)]
struct AllMatching {
    filter: SerialFilter,
    total: u64,
    as_of_micros: i64,
}

#[derive(Debug, Clone, PartialEq)]
enum Notice {
    Done { text: String, undo: Option<Uuid> },
    Failed { error: AppError, offer_reload: bool },
}

#[component]
pub fn ProductsTab(number: String) -> impl IntoView {
    let query_map = use_query_map();
    let number = StoredValue::new(number);
    let path = move || format!("/management/users/coordinators/{}", number.get_value());
    let view_query = Memo::new(move |_| {
        let params = query_map.read();
        url::from_params(&number.get_value(), |k| params.get(k))
    });
    let refresh = RwSignal::new(0u32);
    let page = Resource::new(move || (view_query.get(), refresh.get()), |(query, _)| serials_page(query));

    // The selection: rows picked by hand (kept across pages, with the version each was shown at),
    // or every serial matching a filter.
    let picked: RwSignal<BTreeMap<Uuid, (String, i64)>> = RwSignal::new(BTreeMap::new());
    let all_matching: RwSignal<Option<AllMatching>> = RwSignal::new(None);
    let anchor: RwSignal<Option<usize>> = RwSignal::new(None);
    let notice: RwSignal<Option<Notice>> = RwSignal::new(None);
    let dialog: RwSignal<Option<(DialogKind, Selection)>> = RwSignal::new(None);

    // A different filter ends "select all matching": it selected the old filter's serials.
    Effect::new(move |_| {
        let filter = view_query.read().filter.clone();
        if all_matching.with_untracked(|a| a.as_ref().is_some_and(|a| a.filter != filter)) {
            all_matching.set(None);
        }
    });

    let selected_count = move || {
        all_matching.with(|a| a.as_ref().map(|a| a.total)).unwrap_or_else(|| picked.with(|p| p.len() as u64))
    };
    let selection = move || match all_matching.get_untracked() {
        Some(a) => Selection::AllMatching { filter: a.filter, expected: a.total, as_of_micros: a.as_of_micros },
        None => Selection::Rows(picked.with_untracked(|p| p.iter().map(|(id, (_, v))| ShownRow { id: *id, version: *v }).collect())),
    };
    let clear_selection = move || {
        picked.set(BTreeMap::new());
        all_matching.set(None);
        anchor.set(None);
    };
    let visible_rows = move || -> Vec<(Uuid, String, i64)> {
        page.get_untracked()
            .and_then(Result::ok)
            .map(|p| p.rows.iter().map(|r| (r.id, r.serial.clone(), r.version)).collect())
            .unwrap_or_default()
    };
    // Leaving "all matching" by touching one row keeps what is visible, as the user sees it.
    let materialise = move || {
        if all_matching.get_untracked().is_some() {
            all_matching.set(None);
            picked.update(|p| {
                for (id, serial, version) in visible_rows() {
                    p.insert(id, (serial, version));
                }
            });
        }
    };

    let toggle_row = move |index: usize, extend: bool| {
        materialise();
        let rows = visible_rows();
        let Some((id, _, _)) = rows.get(index) else { return };
        let turn_on = !picked.with_untracked(|p| p.contains_key(id));
        let from = if extend { anchor.get_untracked().unwrap_or(index) } else { index };
        let (lo, hi) = (from.min(index), from.max(index).min(rows.len().saturating_sub(1)));
        picked.update(|p| {
            for (id, serial, version) in &rows[lo..=hi] {
                if turn_on {
                    p.insert(*id, (serial.clone(), *version));
                } else {
                    p.remove(id);
                }
            }
        });
        anchor.set(Some(index));
    };

    let on_row_key = move |index: usize, ev: KeyboardEvent| {
        let step: i64 = match ev.key().as_str() {
            "ArrowDown" => 1,
            "ArrowUp" => -1,
            _ => return,
        };
        ev.prevent_default();
        let rows = visible_rows();
        let target = index as i64 + step;
        if target < 0 || target as usize >= rows.len() {
            return;
        }
        let target = target as usize;
        if ev.shift_key() {
            // Shift+arrow extends the selection over the row it moves to.
            materialise();
            picked.update(|p| {
                for i in [index, target] {
                    let (id, serial, version) = &rows[i];
                    p.insert(*id, (serial.clone(), *version));
                }
            });
            anchor.set(Some(target));
        }
        focus_row(target);
    };

    let toggle_page = move |_| {
        materialise();
        let rows = visible_rows();
        let all_on = picked.with_untracked(|p| rows.iter().all(|r| p.contains_key(&r.0)));
        picked.update(|p| {
            for (id, serial, version) in rows {
                if all_on {
                    p.remove(&id);
                } else {
                    p.insert(id, (serial, version));
                }
            }
        });
    };

    let finished = Callback::new(move |outcome: BulkOutcome| {
        dialog.set(None);
        clear_selection();
        notice.set(Some(Notice::Done { text: outcome.summary, undo: outcome.change_id }));
        refresh.update(|n| *n += 1);
    });
    let failed = Callback::new(move |error: AppError| {
        dialog.set(None);
        let offer_reload = matches!(error, AppError::Conflict(_));
        notice.set(Some(Notice::Failed { error, offer_reload }));
    });
    let undo = move |change: Uuid| {
        spawn_local(async move {
            match undo_bulk(number.get_value(), change).await {
                Ok(outcome) => notice.set(Some(Notice::Done { text: outcome.summary, undo: None })),
                Err(error) => {
                    let offer_reload = matches!(error, AppError::Conflict(_));
                    notice.set(Some(Notice::Failed { error, offer_reload }))
                }
            }
            refresh.update(|n| *n += 1);
        });
    };
    let reload = move || {
        clear_selection();
        notice.set(None);
        refresh.update(|n| *n += 1);
    };

    let open = move |kind: DialogKind| dialog.set(Some((kind, selection())));

    view! {
        <div class="notices">
            {move || notice.get().map(|n| match n {
                Notice::Done { text, undo: change } => view! {
                    <div class="banner banner-ok" role="status">
                        <span>{text}</span>
                        {change.map(|id| view! { <button type="button" on:click=move |_| undo(id)>"Undo"</button> })}
                    </div>
                }.into_any(),
                Notice::Failed { error, offer_reload } => view! {
                    <div class="banner banner-error" role="alert">
                        <span>{error.to_string()}</span>
                        {offer_reload.then(|| view! { <button type="button" on:click=move |_| reload()>"Reload"</button> })}
                    </div>
                }.into_any(),
            })}
        </div>
        <Transition fallback=|| view! { <p>"Loading serial numbers…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Err(error) => view! { <ErrorBanner error/> }.into_any(),
                    Ok(p) => {
                        let query = view_query.get_untracked();
                        let may_act = p.may_act;
                        let total = p.total;
                        let as_of_micros = p.as_of_micros;
                        let filter_now = query.filter.clone();
                        let page_ids: Vec<Uuid> = p.rows.iter().map(|r| r.id).collect();
                        let page_all_on = move || {
                            all_matching.with(|a| a.is_some())
                                || (!page_ids.is_empty() && picked.with(|s| page_ids.iter().all(|id| s.contains_key(id))))
                        };
                        view! {
                            <FilterBar page=p.clone() query=query.clone() action=path()/>
                            {may_act.then(|| view! {
                                <div role="toolbar" aria-label="Actions on the selected serial numbers" class="toolbar">
                                    <button type="button" disabled=move || selected_count() == 0 on:click=move |_| open(DialogKind::RenameGroup)>"Rename Group"</button>
                                    <button type="button" disabled=move || selected_count() == 0 on:click=move |_| open(DialogKind::Assign)>"Assign"</button>
                                    <button type="button" disabled=move || selected_count() == 0 on:click=move |_| open(DialogKind::Unassign)>"Unassign"</button>
                                    <span class="selection-count" aria-live="polite" data-testid="selection-count">
                                        {move || format!("{} selected", thousands(selected_count()))}
                                    </span>
                                    <button type="button" class="link" disabled=move || selected_count() == 0 on:click=move |_| clear_selection()>"Clear selection"</button>
                                    {(total > 0).then(|| {
                                        let filter = filter_now.clone();
                                        view! {
                                            <button type="button" class="link"
                                                disabled=move || all_matching.with(|a| a.is_some())
                                                on:click=move |_| all_matching.set(Some(AllMatching { filter: filter.clone(), total, as_of_micros }))>
                                                {format!("Select all {} matching", thousands(total))}
                                            </button>
                                        }
                                    })}
                                </div>
                            })}
                            <table class="serials" aria-label="Serial numbers">
                                <thead>
                                    <tr>
                                        {may_act.then(|| view! {
                                            <th scope="col" class="pick">
                                                <input type="checkbox" aria-label="Select all on this page"
                                                    prop:checked=page_all_on on:change=toggle_page/>
                                            </th>
                                        })}
                                        <SortHeader query=query.clone() key=SortKey::Serial label="Serial number" base=path()/>
                                        <SortHeader query=query.clone() key=SortKey::Product label="Product" base=path()/>
                                        <SortHeader query=query.clone() key=SortKey::LicenceType label="Licence type" base=path()/>
                                        <SortHeader query=query.clone() key=SortKey::Quantity label="Quantity" base=path()/>
                                        <SortHeader query=query.clone() key=SortKey::Group label="Group" base=path()/>
                                        <SortHeader query=query.clone() key=SortKey::Coordinator label="Software Coordinator" base=path()/>
                                    </tr>
                                </thead>
                                <tbody>
                                    {p.rows.is_empty().then(|| view! {
                                        <tr><td colspan="7" class="empty">"No serial numbers match this filter."</td></tr>
                                    })}
                                    {p.rows.into_iter().enumerate().map(|(index, row)| {
                                        let id = row.id;
                                        let checked = move || all_matching.with(|a| a.is_some()) || picked.with(|s| s.contains_key(&id));
                                        view! {
                                            <tr class:selected=checked>
                                                {may_act.then(|| view! {
                                                    <td class="pick">
                                                        <input type="checkbox" id=format!("sel-{index}")
                                                            aria-label=format!("Select {}", row.serial)
                                                            prop:checked=checked
                                                            on:click=move |ev: MouseEvent| toggle_row(index, ev.shift_key())
                                                            on:keydown=move |ev: KeyboardEvent| on_row_key(index, ev)/>
                                                    </td>
                                                })}
                                                <td class="mono">{row.serial.clone()}</td>
                                                <td>{format!("{} {}", row.product, row.release)}</td>
                                                <td>{row.licence_type.clone()}</td>
                                                <td class="num">{row.quantity}</td>
                                                <td>{row.group_name.clone().unwrap_or_default()}</td>
                                                <td>
                                                    {row.coordinator_name.clone()}
                                                    {row.coordinator_is_default.then(|| view! { <span class="muted">" (Contract Manager)"</span> })}
                                                </td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                            <Pager query=query total=total base=path()/>
                        }.into_any()
                    }
                }
            })}
        </Transition>
        {move || dialog.get().map(|(kind, selection)| view! {
            <BulkDialog kind selection number=number.get_value()
                count=selected_count()
                on_done=finished on_error=failed on_close=Callback::new(move |_| dialog.set(None))/>
        })}
    }
}

fn focus_row(index: usize) {
    use leptos::wasm_bindgen::JsCast;
    if let Some(element) = document()
        .get_element_by_id(&format!("sel-{index}"))
        .and_then(|e| e.dyn_into::<leptos::web_sys::HtmlElement>().ok())
    {
        let _ = element.focus();
    }
}

fn href(base: &str, query: &ProductsQuery) -> String {
    let qs = url::to_query_string(query);
    if qs.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{qs}")
    }
}

#[component]
fn SortHeader(query: ProductsQuery, key: SortKey, label: &'static str, base: String) -> impl IntoView {
    let active = query.sort == key;
    let mut next = query.clone();
    next.sort = key;
    next.descending = active && !query.descending;
    next.page = 1;
    let aria = match (active, query.descending) {
        (false, _) => "none",
        (true, false) => "ascending",
        (true, true) => "descending",
    };
    let arrow = match (active, query.descending) {
        (false, _) => "",
        (true, false) => " ▲",
        (true, true) => " ▼",
    };
    view! {
        <th scope="col" aria-sort=aria>
            <a href=href(&base, &next)>{label}<span aria-hidden="true">{arrow}</span></a>
        </th>
    }
}

#[component]
fn Pager(query: ProductsQuery, total: u64, base: String) -> impl IntoView {
    let size = query.clamped_page_size() as u64;
    let pages = total.div_ceil(size).max(1);
    let page = (query.page as u64).min(pages);
    let first = if total == 0 { 0 } else { (page - 1) * size + 1 };
    let last = (page * size).min(total);
    let at = |n: u64| {
        let mut q = query.clone();
        q.page = n as u32;
        href(&base, &q)
    };
    view! {
        <nav aria-label="Pages" class="pager">
            <span>{format!("{}–{} of {}", thousands(first), thousands(last), thousands(total))}</span>
            {if page > 1 {
                view! { <a href=at(page - 1) rel="prev">"Previous page"</a> }.into_any()
            } else {
                view! { <span class="disabled">"Previous page"</span> }.into_any()
            }}
            <span>{format!("Page {} of {}", thousands(page), thousands(pages))}</span>
            {if page < pages {
                view! { <a href=at(page + 1) rel="next">"Next page"</a> }.into_any()
            } else {
                view! { <span class="disabled">"Next page"</span> }.into_any()
            }}
        </nav>
    }
}

/// The filter: a plain GET form, so it works without JavaScript and every view has a URL.
#[component]
fn FilterBar(page: ProductsPage, query: ProductsQuery, action: String) -> impl IntoView {
    let f = query.filter.clone();
    let coordinator_value = match f.coordinator {
        Some(CoordinatorFilter::ContractManagerByDefault) => "cm".to_string(),
        Some(CoordinatorFilter::Person(id)) => id.to_string(),
        None => String::new(),
    };
    let group_value = f.group.as_ref().map(url::group_param).unwrap_or_default();
    let product_value = f.product.map(|p| p.to_string()).unwrap_or_default();
    let size = query.clamped_page_size();
    view! {
        <Form method="get" action=action.clone()>
            <div class="filters" role="search" aria-label="Filter serial numbers">
                <div class="field">
                    <label for="filter-q">"Search"</label>
                    <input id="filter-q" type="search" name="q" value=f.text.clone() placeholder="Serial, product, group or person"/>
                </div>
                <div class="field">
                    <label for="filter-product">"Product"</label>
                    <select id="filter-product" name="product">
                        <option value="" selected=product_value.is_empty()>"Any product"</option>
                        {page.products.iter().map(|p| {
                            let value = p.id.to_string();
                            view! { <option selected=value == product_value value=value.clone()>{p.label.clone()}</option> }
                        }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="filter-group">"Group"</label>
                    <select id="filter-group" name="group">
                        <option value="" selected=group_value.is_empty()>"Any group"</option>
                        <option value=NO_GROUP selected=group_value == NO_GROUP>"(no group)"</option>
                        {page.groups.iter().map(|g| {
                            let value = url::group_param(&GroupFilter::Named(g.clone()));
                            view! { <option selected=value == group_value value=value.clone()>{g.clone()}</option> }
                        }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="filter-coordinator">"Coordinator"</label>
                    <select id="filter-coordinator" name="coordinator">
                        <option value="" selected=coordinator_value.is_empty()>"Anyone"</option>
                        <option value="cm" selected=coordinator_value == "cm">
                            {format!("{} (Contract Manager, by default)", page.manager.name)}
                        </option>
                        {page.coordinators.iter().map(|c| {
                            let value = c.id.to_string();
                            view! { <option selected=value == coordinator_value value=value.clone()>{format!("{} <{}>", c.name, c.email)}</option> }
                        }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="filter-size">"Rows per page"</label>
                    <select id="filter-size" name="size">
                        {shared::products::PAGE_SIZES.iter().map(|n| view! {
                            <option selected=*n == size value=n.to_string()>{n.to_string()}</option>
                        }).collect_view()}
                    </select>
                </div>
                <input type="hidden" name="sort" value=query.sort.as_param()/>
                <input type="hidden" name="dir" value=if query.descending { "desc" } else { "asc" }/>
                <div class="field actions">
                    <button type="submit" class="primary">"Filter"</button>
                    <a href=action.clone()>"Clear filter"</a>
                </div>
            </div>
        </Form>
    }
}
