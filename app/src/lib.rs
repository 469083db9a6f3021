#![recursion_limit = "256"]
//! The Seatkeeper console: the shell, routes, pages, components and every `#[server]` function.
//! Server-only code (the store, sessions) lives in the `ssr` module, compiled only with `ssr`.

pub mod api;
pub mod components;
pub mod error;
pub mod format;
pub mod pages;
pub mod routes;
#[cfg(feature = "ssr")]
pub mod ssr;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path, SsrMode,
};

pub use error::AppError;

pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" type="image/svg+xml" href="/favicon.svg"/>
                <AutoReload options=options.clone()/>
                // The stylesheet's name carries its content hash like the scripts', so browsers keep
                // it for a year (issue 11); the server alone knows the hash, hence here in the shell.
                <HashedStylesheet options=options.clone() id="leptos"/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Effects run only in the browser, so this attribute appears once the WASM has hydrated the
    // page: end-to-end tests wait for it before they click (a button does nothing before then).
    Effect::new(move |_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });

    view! {
        <Title formatter=|text| format!("{text} · Seatkeeper")/>
        <Router>
            // Pages whose data decides their status (403, 404: R14, R25) render only once that data
            // is in, so the status is the refusal's, whatever the timing (streaming would send 200
            // before a refusal that needs a query is known).
            <Routes fallback=pages::NotFoundPage>
                <Route path=path!("/login") view=pages::SignInPage/>
                <Route path=path!("/") ssr=SsrMode::Async view=pages::HomePage/>
                <Route path=path!("/management/users") ssr=SsrMode::Async view=pages::ManageUsersPage/>
                <Route path=path!("/management/users/coordinators") ssr=SsrMode::Async view=pages::ManageCoordinatorsPage/>
                <Route path=path!("/management/users/coordinators/:number") ssr=SsrMode::Async view=pages::ContractPage/>
                <Route path=path!("/management/emails") ssr=SsrMode::Async view=pages::EmailsPage/>
                <Route path=path!("/management/history") ssr=SsrMode::Async view=pages::HistoryPage/>
                <Route path=path!("/reseller") ssr=SsrMode::Async view=pages::ResellerPage/>
                <Route path=path!("/support") ssr=SsrMode::Async view=pages::SupportPage/>
                <Route path=path!("/invitations/:token") ssr=SsrMode::Async view=pages::InvitationPage/>
                <Route path=path!("/dev/mailbox") ssr=SsrMode::Async view=pages::MailboxPage/>
            </Routes>
        </Router>
    }
}
