use crate::api::invitation_link;
use crate::components::ErrorBanner;
use crate::routes;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use shared::people::InvitationLink;

/// Where an invitation link leads (R17): choose a password and join, or learn why the link no
/// longer works. A plain form: it works without JavaScript.
#[component]
pub fn InvitationPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let token = Memo::new(move |_| params.read().get("token").unwrap_or_default());
    let link = Resource::new(move || token.get(), invitation_link);
    let problem = move || {
        query.with(|q| match q.get("error").as_deref() {
            Some("mismatch") => Some("The two passwords differ. Type the same password twice."),
            Some("short") => Some("Choose a password of at least 10 characters."),
            Some("unusable") => Some("This invitation link is no longer valid."),
            Some("unavailable") => Some("Accepting is not possible right now. Please try again in a minute."),
            _ => None,
        })
    };
    view! {
        <Title text="Accept your invitation"/>
        <main class="page narrow signin">
            <Suspense fallback=|| view! { <p>"Checking your invitation…"</p> }>
                {move || Suspend::new(async move {
                    match link.await {
                        Ok(InvitationLink::Open { first_name, email, company }) => view! {
                            <h1>{format!("Welcome, {first_name}")}</h1>
                            <p>{format!("Choose a password to join {company} in Seatkeeper as {email}.")}</p>
                            {move || problem().map(|p| view! { <p class="banner banner-error" role="alert">{p}</p> })}
                            <form method="post" action=routes::AUTH_ACCEPT_INVITATION class="form">
                                <input type="hidden" name="token" value=token.get_untracked()/>
                                <label for="new-password">"Password"</label>
                                <input id="new-password" name="password" type="password" autocomplete="new-password" minlength="10" required/>
                                <label for="confirm-password">"Confirm password"</label>
                                <input id="confirm-password" name="confirm" type="password" autocomplete="new-password" minlength="10" required/>
                                <button type="submit" class="primary">"Accept invitation"</button>
                            </form>
                        }.into_any(),
                        Ok(InvitationLink::Expired { email }) => view! {
                            <h1>"This invitation expired"</h1>
                            <p>{format!("Invitations are valid for 90 days. Ask your administrator to resend the invitation to {email}.")}</p>
                        }.into_any(),
                        Ok(InvitationLink::Unusable) => view! {
                            <h1>"This link no longer works"</h1>
                            <p>"It was already used, or a newer invitation replaced it. Sign in, or ask your administrator to resend the invitation."</p>
                            <p><a href=routes::SIGN_IN>"Sign in"</a></p>
                        }.into_any(),
                        Err(error) => view! { <ErrorBanner error/> }.into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}
