use crate::api::current_viewer;
use crate::components::ErrorBanner;
use crate::routes;
use leptos::prelude::*;
use leptos_router::components::A;

/// The frame of every signed-in page: the top navigation (the seeds' words: Management > Manage
/// Users > Manage Software Coordinators), who is signed in, and sign-out.
#[component]
pub fn Console(children: Children) -> impl IntoView {
    let viewer = Resource::new(|| (), |_| current_viewer());
    view! {
        <header class="topbar">
            <a class="brand" href=routes::HOME>"Seatkeeper"</a>
            <nav aria-label="Main" class="mainnav">
                <span class="nav-heading" id="nav-management">"Management"</span>
                <ul aria-labelledby="nav-management">
                    <li><A href=routes::MANAGE_USERS exact=true>"Manage Users"</A></li>
                    <li><A href=routes::MANAGE_COORDINATORS>"Manage Software Coordinators"</A></li>
                    <li><A href=routes::SUPPORT>"Support"</A></li>
                    <Suspense fallback=|| ()>
                        {move || Suspend::new(async move {
                            viewer.await.ok().map(|v| view! {
                                {v.may_manage_users.then(|| view! {
                                    <li><A href=routes::EMAILS>"Emails"</A></li>
                                    <li><A href=routes::HISTORY>"History"</A></li>
                                })}
                                {v.is_reseller_agent().then(|| view! { <li><A href=routes::RESELLER>"Contracts you serve"</A></li> })}
                            })
                        })}
                    </Suspense>
                </ul>
            </nav>
            <div class="whoami">
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        match viewer.await {
                            Ok(v) => {
                                let roles = v.role_labels().join(", ");
                                view! {
                                    <span class="whoami-name" data-testid="signed-in-as">{v.display_name.clone()}</span>
                                    <span class="whoami-roles">{roles}</span>
                                    <span class="whoami-company">{v.company_name.clone().unwrap_or_default()}</span>
                                }.into_any()
                            }
                            Err(_) => ().into_any(),
                        }
                    })}
                </Suspense>
                // A plain form: sign-out works with or without JavaScript, and it is a POST, never a
                // GET, so a link elsewhere cannot sign anyone out.
                <form method="post" action=routes::AUTH_SIGN_OUT class="signout">
                    <button type="submit">"Sign out"</button>
                </form>
            </div>
        </header>
        <main class="page">
            <ErrorBoundary fallback=|errors| {
                let first = errors.get().into_iter().next().map(|(_, e)| e);
                let error = first
                    .and_then(|e| e.downcast_ref::<crate::AppError>().cloned())
                    .unwrap_or_else(|| crate::AppError::Internal("unknown".into()));
                view! { <ErrorBanner error/> }
            }>{children()}</ErrorBoundary>
        </main>
    }
}
