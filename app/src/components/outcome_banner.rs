use super::ErrorBanner;
use crate::AppError;
use leptos::prelude::*;

/// The outcome of an action: what was done (a status), or why it was not (an alert).
#[component]
pub fn OutcomeBanner(outcome: Result<String, AppError>) -> impl IntoView {
    match outcome {
        Ok(text) => view! { <p class="banner banner-ok" role="status">{text}</p> }.into_any(),
        Err(error) => view! { <ErrorBanner error/> }.into_any(),
    }
}
