//! Security headers on every response (issue 9, finding 4). Pages carry their own
//! Content-Security-Policy with the nonce of their inline scripts (`app::shell`); everything else
//! gets a policy that allows nothing, which only matters if a browser ever renders it.

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

/// What a response that is not a page may do in a browser: nothing, and never inside a frame.
const NOTHING: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

pub async fn secure(State(cookie_secure): State<bool>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
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
