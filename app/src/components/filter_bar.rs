use crate::routes;
use leptos::prelude::*;
use leptos_router::components::Form;
use shared::products::url::{self, NO_GROUP};
use shared::products::{CoordinatorFilter, GroupFilter, ProductsPage, ProductsQuery, PAGE_SIZES};

/// The filter: a plain GET form, so it works without JavaScript and every view has a URL.
#[component]
pub fn FilterBar(page: ProductsPage, query: ProductsQuery) -> impl IntoView {
    let action = routes::contract(&query.contract_number);
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
                        {PAGE_SIZES.iter().map(|n| view! {
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
