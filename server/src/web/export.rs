//! Export of the users list to CSV (issue 5): a download for spreadsheets of everyone of the company
//! the list's filters (the same URL parameters) let through.

use crate::state::AppState;
use app::ssr::Actor;
use axum::extract::{Query, State};
use shared::people::PeopleFilter;
use std::collections::HashMap;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;

/// RFC 4180 quoting, and a leading apostrophe for cells a spreadsheet would run as a formula.
fn cell(text: &str) -> String {
    let guarded = if text.starts_with(['=', '+', '-', '@']) { format!("'{text}") } else { text.to_string() };
    format!("\"{}\"", guarded.replace('"', "\"\""))
}

pub async fn people_csv(
    State(state): State<AppState>,
    actor: Option<Extension<Actor>>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let Some(Extension(actor)) = actor else { return StatusCode::UNAUTHORIZED.into_response() };
    let filter = PeopleFilter::from_params(|key| params.get(key).cloned());
    let people = match app::ssr::people::everyone(&state.pool, &actor, &filter).await {
        Ok(people) => people,
        Err(error) => return (error.status(), error.to_string()).into_response(),
    };
    let mut csv = String::from("Name,Email,Status,Role,Cloud services,Download privileges\r\n");
    for p in people {
        let line = [
            cell(&p.name),
            cell(&p.email),
            cell(p.status.label()),
            cell(&shared::people::Role::labels(&p.roles)),
            p.services.to_string(),
            if p.may_download { "yes" } else { "no" }.to_string(),
        ];
        csv.push_str(&line.join(","));
        csv.push_str("\r\n");
    }
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"people.csv\""),
        ],
        csv,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn cells_are_quoted_and_formulas_defused() {
        assert_eq!(cell("Ann \"A\" Lee"), "\"Ann \"\"A\"\" Lee\"");
        assert_eq!(cell("=HYPERLINK(1)"), "\"'=HYPERLINK(1)\"");
    }
}
