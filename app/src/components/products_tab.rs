//! The Products tab (seed 000; R8-R11): a server-filtered, sorted, paged table of a contract's serial
//! numbers, a selection that survives paging and can cover every matching serial, and the bulk
//! actions over it.

use super::bulk_dialog::{BulkDialog, DialogKind};
use super::filter_bar::FilterBar;
use super::selection::{AllMatching, Picker, Step};
use super::sort_header::SortHeader;
use super::{on_outcome, page_count, ErrorBanner, Pager};
use crate::api::{serials_page, ApplyBulk, UndoBulk};
use crate::format::thousands;
use crate::routes;
use crate::AppError;
use leptos::ev::{KeyboardEvent, MouseEvent};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use shared::products::{BulkOutcome, Selection, ShownRow, SortKey};
use shared::products::url;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq)]
enum Notice {
    Done { text: String, undo: Option<Uuid> },
    Failed { error: AppError, offer_reload: bool },
}

impl Notice {
    fn failed(error: AppError) -> Self {
        let offer_reload = matches!(error, AppError::Conflict(_));
        Self::Failed { error, offer_reload }
    }
}

#[component]
pub fn ProductsTab(number: String) -> impl IntoView {
    let query_map = use_query_map();
    let number = StoredValue::new(number);
    let view_query = Memo::new(move |_| {
        let params = query_map.read();
        url::from_params(&number.get_value(), |k| params.get(k))
    });
    let apply = ServerAction::<ApplyBulk>::new();
    let undo = ServerAction::<UndoBulk>::new();
    let page = Resource::new(
        move || (view_query.get(), apply.version().get(), undo.version().get()),
        |(query, _, _)| serials_page(query),
    );

    // The selection: rows picked by hand (kept across pages, with the version each was shown at),
    // or every serial matching a filter.
    let picker = RwSignal::new(Picker::default());
    let notice: RwSignal<Option<Notice>> = RwSignal::new(None);
    let dialog: RwSignal<Option<(DialogKind, Selection)>> = RwSignal::new(None);

    // A different filter ends "select all matching": it selected the old filter's serials.
    Effect::new(move |_| {
        let filter = view_query.read().filter.clone();
        picker.maybe_update(|p| p.filter_shown(&filter));
    });

    let selected_count = move || picker.with(Picker::count);
    let visible_rows = move || -> Vec<ShownRow> {
        page.get_untracked()
            .and_then(Result::ok)
            .map(|p| p.rows.iter().map(|r| ShownRow { id: r.id, version: r.version }).collect())
            .unwrap_or_default()
    };
    let on_row_key = move |index: usize, ev: KeyboardEvent| {
        let Some(step) = Step::from_key(&ev.key()) else { return };
        ev.prevent_default();
        let rows = visible_rows();
        // Shift+arrow extends the selection over the row it moves to.
        let mut target = None;
        picker.maybe_update(|p| {
            target = p.step(&rows, index, step, ev.shift_key());
            target.is_some() && ev.shift_key()
        });
        if let Some(target) = target {
            focus_row(target);
        }
    };

    let finished = Callback::new(move |outcome: BulkOutcome| {
        dialog.set(None);
        picker.update(Picker::clear);
        notice.set(Some(Notice::Done { text: outcome.summary, undo: outcome.change_id }));
    });
    let failed = Callback::new(move |error: AppError| {
        dialog.set(None);
        notice.set(Some(Notice::failed(error)));
    });
    on_outcome(undo, move |outcome| match outcome {
        Ok(outcome) => notice.set(Some(Notice::Done { text: outcome.summary, undo: None })),
        Err(error) => notice.set(Some(Notice::failed(error))),
    });
    let reload = move || {
        picker.update(Picker::clear);
        notice.set(None);
        page.refetch();
    };

    let open = move |kind: DialogKind| dialog.set(Some((kind, picker.with_untracked(Picker::selection))));

    view! {
        <div class="notices">
            {move || notice.get().map(|n| match n {
                Notice::Done { text, undo: change } => view! {
                    <div class="banner banner-ok" role="status">
                        <span>{text}</span>
                        {change.map(|change_id| view! {
                            <button type="button" on:click=move |_| { undo.dispatch(UndoBulk { contract_number: number.get_value(), change_id }); }>"Undo"</button>
                        })}
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
                        let shown: Vec<ShownRow> = p.rows.iter().map(|r| ShownRow { id: r.id, version: r.version }).collect();
                        let page_all_on = move || picker.with(|s| s.covers_page(&shown));
                        let size = query.clamped_page_size() as u64;
                        let pages = page_count(total, size);
                        let page_number = (query.page as u64).min(pages);
                        let first = if total == 0 { 0 } else { (page_number - 1) * size + 1 };
                        let last = (page_number * size).min(total);
                        let pager_query = query.clone();
                        view! {
                            <FilterBar page=p.clone() query=query.clone()/>
                            {may_act.then(|| view! {
                                <div role="toolbar" aria-label="Actions on the selected serial numbers" class="toolbar">
                                    <button type="button" disabled=move || selected_count() == 0 on:click=move |_| open(DialogKind::RenameGroup)>"Rename Group"</button>
                                    <button type="button" disabled=move || selected_count() == 0 on:click=move |_| open(DialogKind::Assign)>"Assign"</button>
                                    <button type="button" disabled=move || selected_count() == 0 on:click=move |_| open(DialogKind::Unassign)>"Unassign"</button>
                                    <span class="selection-count" aria-live="polite" data-testid="selection-count">
                                        {move || format!("{} selected", thousands(selected_count()))}
                                    </span>
                                    <button type="button" class="link" disabled=move || selected_count() == 0 on:click=move |_| picker.update(Picker::clear)>"Clear selection"</button>
                                    {(total > 0).then(|| {
                                        let filter = filter_now.clone();
                                        view! {
                                            <button type="button" class="link"
                                                disabled=move || picker.with(Picker::is_all_matching)
                                                on:click=move |_| picker.update(|p| p.select_all_matching(AllMatching { filter: filter.clone(), total, as_of_micros }))>
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
                                                    prop:checked=page_all_on on:change=move |_| { let rows = visible_rows(); picker.update(|p| p.toggle_page(&rows)) }/>
                                            </th>
                                        })}
                                        <SortHeader query=query.clone() key=SortKey::Serial label="Serial number"/>
                                        <SortHeader query=query.clone() key=SortKey::Product label="Product"/>
                                        <SortHeader query=query.clone() key=SortKey::LicenceType label="Licence type"/>
                                        <SortHeader query=query.clone() key=SortKey::Quantity label="Quantity"/>
                                        <SortHeader query=query.clone() key=SortKey::Group label="Group"/>
                                        <SortHeader query=query.clone() key=SortKey::Coordinator label="Software Coordinator"/>
                                    </tr>
                                </thead>
                                <tbody>
                                    {p.rows.is_empty().then(|| view! {
                                        <tr><td colspan="7" class="empty">"No serial numbers match this filter."</td></tr>
                                    })}
                                    {p.rows.into_iter().enumerate().map(|(index, row)| {
                                        let id = row.id;
                                        let checked = move || picker.with(|s| s.is_picked(id));
                                        view! {
                                            <tr class:selected=checked>
                                                {may_act.then(|| view! {
                                                    <td class="pick">
                                                        <input type="checkbox" id=format!("sel-{index}")
                                                            aria-label=format!("Select {}", row.serial)
                                                            prop:checked=checked
                                                            on:click=move |ev: MouseEvent| { let rows = visible_rows(); picker.update(|p| p.click(&rows, index, ev.shift_key())) }
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
                            <Pager summary=format!("{}–{} of {}", thousands(first), thousands(last), thousands(total)) page=page_number pages
                                href=move |n| {
                                    let mut q = pager_query.clone();
                                    q.page = n as u32;
                                    routes::contract_view(&q)
                                }/>
                        }.into_any()
                    }
                }
            })}
        </Transition>
        {move || dialog.get().map(|(kind, selection)| view! {
            <BulkDialog kind selection number=number.get_value()
                count=selected_count() apply
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
