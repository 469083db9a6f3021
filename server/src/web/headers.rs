//! Security headers on every response (issue 9, finding 4). Each request gets a fresh nonce here;
//! Leptos writes it on the page's inline scripts (`page_nonce`, provided as its `Nonce`) and the
//! page's Content-Security-Policy allows exactly those. Everything that is not a page gets a policy
//! that allows nothing, which only matters if a browser ever renders it.

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use leptos::nonce::Nonce;
use leptos::prelude::{provide_context, use_context};

/// What a response that is not a page may do in a browser: nothing, and never inside a frame.
const NOTHING: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// The nonce of this request's page, minted by `secure` and carried in the request's extensions.
#[derive(Debug, Clone)]
pub struct PageNonce(String);

/// A page's policy: scripts from the console itself or inline with this response's nonce (the
/// hydration script), WebAssembly compiled from them, no frames, no plugins, forms only to ourselves.
fn page_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// Called where Leptos renders a page: the page's inline scripts carry the nonce the header names.
pub fn provide_page_nonce() {
    let nonce = use_context::<http::request::Parts>().and_then(|parts| parts.extensions.get::<PageNonce>().cloned());
    if let Some(PageNonce(nonce)) = nonce {
        provide_context(Nonce::from_value(nonce));
    }
}

pub async fn secure(State(cookie_secure): State<bool>, mut request: Request, next: Next) -> Response {
    // 128 random bits from the operating system's generator (a v4 UUID carries 122 of them).
    let nonce = format!("{}{}", uuid::Uuid::new_v4().simple(), &uuid::Uuid::new_v4().simple().to_string()[..8]);
    request.extensions_mut().insert(PageNonce(nonce.clone()));
    let mut response = next.run(request).await;
    let is_page = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let headers = response.headers_mut();
    if is_page {
        if let Ok(policy) = HeaderValue::from_str(&page_policy(&nonce)) {
            headers.insert(header::CONTENT_SECURITY_POLICY, policy);
        }
    }
    let mut set = |name: header::HeaderName, value: &'static str| {
        headers.entry(name).or_insert(HeaderValue::from_static(value));
    };
    set(header::CONTENT_SECURITY_POLICY, NOTHING);
    // The console is never framed: no click on Remove From All can be tricked through an overlay.
    set(header::X_FRAME_OPTIONS, "DENY");
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    // Invitation links carry their token in the path: no other site learns it from a Referer.
    // Not `no-referrer`: with it browsers send `Origin: null` on the console's own form posts, and
    // the same-origin check (rightly) refuses those, so nobody could sign in.
    set(header::REFERRER_POLICY, "same-origin");
    if cookie_secure {
        set(header::STRICT_TRANSPORT_SECURITY, "max-age=31536000; includeSubDomains");
    }
    response
}
