use crate::routes;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// A plain HTML form posted to `/auth/login`: it works without JavaScript, and the server answers with a
/// redirect, so the browser's back button and password managers behave as on any sign-in page.
#[component]
pub fn SignInPage() -> impl IntoView {
    let query = use_query_map();
    let message = move || {
        query.with(|q| match q.get("error").as_deref() {
            Some("invalid") => Some("The email or password is not right. Check both and try again."),
            Some("throttled") => Some("Too many sign-in attempts. Wait 15 minutes and try again."),
            Some("missing") => Some("Enter your email and your password."),
            Some("unavailable") => Some("Signing in is not possible right now. Please try again in a minute."),
            _ => None,
        })
    };
    let notice = move || {
        query.with(|q| match q.get("notice").as_deref() {
            Some("signed-out") => Some("You have signed out."),
            Some("expired") => Some("Your session ended. Please sign in again."),
            _ => None,
        })
    };
    let email = move || query.with(|q| q.get("email").unwrap_or_default());
    view! {
        <Title text="Sign in"/>
        <main class="page narrow signin">
            <h1>"Sign in to Seatkeeper"</h1>
            {move || notice().map(|n| view! { <p class="banner banner-info" role="status">{n}</p> })}
            {move || message().map(|m| view! { <p class="banner banner-error" role="alert">{m}</p> })}
            <form method="post" action=routes::AUTH_SIGN_IN class="form">
                <label for="email">"Email"</label>
                <input id="email" name="email" type="email" autocomplete="username" required value=email/>
                <label for="password">"Password"</label>
                <input id="password" name="password" type="password" autocomplete="current-password" required/>
                <button type="submit" class="primary">"Sign in"</button>
            </form>
        </main>
    }
}
