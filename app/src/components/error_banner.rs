use crate::AppError;
use leptos::prelude::*;

/// One place where a refusal or fault is shown: the text of `AppError` is always fit for the
/// screen (internal causes stay in the server log).
#[component]
pub fn ErrorBanner(error: AppError) -> impl IntoView {
    view! { <div class="banner banner-error" role="alert">{error.to_string()}</div> }
}

/// The outcome of an action: what was done (a status), or why it was not (an alert).
#[component]
pub fn OutcomeBanner(outcome: Result<String, AppError>) -> impl IntoView {
    match outcome {
        Ok(text) => view! { <p class="banner banner-ok" role="status">{text}</p> }.into_any(),
        Err(error) => view! { <ErrorBanner error/> }.into_any(),
    }
}
