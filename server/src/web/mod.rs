//! The web layer around the Leptos app: sessions, same-origin checks, sign-in and sign-out, and
//! how static files and pages are delivered (compression, caching).

pub mod assets;
pub mod cookies;
pub mod export;
pub mod headers;
pub mod login;
pub mod same_origin;
pub mod session;
pub mod throttle;
