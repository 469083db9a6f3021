use crate::format::thousands;
use leptos::prelude::*;

/// How many pages `total` rows make at `size` a page: at least one, even when empty.
pub fn page_count(total: u64, size: u64) -> u64 {
    total.div_ceil(size.max(1)).max(1)
}

/// The one pager of the console's lists: what the list holds, then Previous page, where we are,
/// Next page. The links are plain links (every page has its URL), so it works without JavaScript;
/// at either end the link's place stays, greyed.
#[component]
pub fn Pager<F>(
    /// What the list holds: "1–50 of 1,234", "312 people".
    #[prop(into)]
    summary: String,
    /// 1-based.
    page: u64,
    pages: u64,
    /// The address of a page.
    href: F,
) -> impl IntoView
where
    F: Fn(u64) -> String + 'static,
{
    let link = |to: u64, rel: &'static str, label: &'static str, there: bool| {
        if there {
            view! { <a href=href(to) rel=rel>{label}</a> }.into_any()
        } else {
            view! { <span class="disabled">{label}</span> }.into_any()
        }
    };
    view! {
        <nav aria-label="Pages" class="pager">
            <span>{summary}</span>
            {link(page.saturating_sub(1), "prev", "Previous page", page > 1)}
            <span>{format!("Page {} of {}", thousands(page), thousands(pages))}</span>
            {link(page + 1, "next", "Next page", page < pages)}
        </nav>
    }
}

#[cfg(test)]
mod tests {
    use super::page_count;

    #[test]
    fn an_empty_list_still_has_one_page() {
        assert_eq!(page_count(0, 50), 1);
    }

    #[test]
    fn a_part_filled_last_page_counts_as_a_page() {
        assert_eq!(page_count(50, 50), 1);
        assert_eq!(page_count(51, 50), 2);
        assert_eq!(page_count(100_000, 25), 4_000);
    }
}
