use crate::AppError;
use leptos::prelude::*;

/// One place where a refusal or fault is shown: the text of `AppError` is always fit for the
/// screen (internal causes stay in the server log).
#[component]
pub fn ErrorBanner(error: AppError) -> impl IntoView {
    view! { <div class="banner banner-error" role="alert">{error.to_string()}</div> }
}
