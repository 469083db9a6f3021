//! What the browser downloads (issue 11): the headers that make compression and caching work, on
//! the real router over a site folder of the test's own (a fake hashed WebAssembly file with `.br`
//! and `.gz` siblings whose bytes differ, so the test sees which one was sent).

mod common;

use axum::body::Body;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::Router;
use common::{config, HOST};
use http_body_util::BodyExt;
use leptos::prelude::LeptosOptions;
use server::startup::{build_router, AppState};
use server::web::assets::{self, Hashes};
use sqlx::PgPool;
use std::io::Read;
use std::path::PathBuf;
use tower::ServiceExt;

const WASM: &str = "seatkeeper.Yt3Lq0TgN1d2m5J6c8b9aA.wasm";
const RAW: &[u8] = b"\0asm raw bytes of the fake bundle";
const BROTLI: &[u8] = b"the .br sibling";
const GZIP: &[u8] = b"the .gz sibling";

/// A site folder: the hashed bundle with its precompressed siblings, a plain-named file, a favicon.
struct Site(PathBuf);

impl Site {
    fn new() -> Self {
        let root = std::env::temp_dir().join(format!("seatkeeper-delivery-{}", uuid::Uuid::new_v4().simple()));
        let pkg = root.join("pkg");
        std::fs::create_dir_all(&pkg).unwrap();
        std::fs::write(pkg.join(WASM), RAW).unwrap();
        std::fs::write(pkg.join(format!("{WASM}.br")), BROTLI).unwrap();
        std::fs::write(pkg.join(format!("{WASM}.gz")), GZIP).unwrap();
        std::fs::write(pkg.join("seatkeeper.CCCCCCCCCCCCCCCCCCCCCC.css"), "body{margin:0}").unwrap();
        std::fs::write(root.join("favicon.svg"), "<svg xmlns=\"http://www.w3.org/2000/svg\"/>").unwrap();
        Self(root)
    }

    fn options(&self) -> LeptosOptions {
        LeptosOptions::builder().output_name("seatkeeper").site_root(self.0.to_str().unwrap()).site_pkg_dir("pkg").build()
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: header::HeaderName) -> &str {
        self.headers.get(&name).and_then(|v| v.to_str().ok()).unwrap_or("")
    }
}

async fn fetch(app: &Router, path: &str, extra: &[(header::HeaderName, &str)]) -> Answer {
    let mut request = Request::builder().method(Method::GET).uri(path).header(header::HOST, HOST);
    for (name, value) in extra {
        request = request.header(name, *value);
    }
    let response = app.clone().oneshot(request.body(Body::empty()).unwrap()).await.expect("an answer");
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.expect("a body").to_bytes().to_vec();
    Answer { status, headers, body }
}

fn router(pool: PgPool, site: &Site) -> Router {
    let _ = tracing_subscriber::fmt().with_test_writer().with_env_filter("warn").try_init();
    build_router(AppState::new(pool, site.options(), &config()))
}

/// Security headers every answer keeps (server/src/web/headers.rs), the outermost layer.
fn assert_secured(answer: &Answer, what: &str) {
    assert!(!answer.header(header::CONTENT_SECURITY_POLICY).is_empty(), "{what}: a Content-Security-Policy");
    assert_eq!(answer.header(header::X_CONTENT_TYPE_OPTIONS), "nosniff", "{what}");
    assert_eq!(answer.header(header::X_FRAME_OPTIONS), "DENY", "{what}");
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn the_bundle_goes_out_precompressed_brotli_first_and_cached_for_good(pool: PgPool) {
    let site = Site::new();
    let app = router(pool, &site);
    let path = format!("/pkg/{WASM}");

    let br = fetch(&app, &path, &[(header::ACCEPT_ENCODING, "gzip, deflate, br, zstd")]).await;
    assert_eq!(br.status, StatusCode::OK);
    assert_eq!(br.header(header::CONTENT_ENCODING), "br", "brotli when the browser takes it");
    assert_eq!(br.body, BROTLI, "the .br file written at build time, not compressed again");
    assert_eq!(br.header(header::CONTENT_TYPE), "application/wasm", "the type of the file, not of its .br");
    assert_eq!(br.header(header::CACHE_CONTROL), "public, max-age=31536000, immutable");
    assert!(br.header(header::VARY).to_ascii_lowercase().contains("accept-encoding"), "Vary: {:?}", br.headers);
    assert_secured(&br, "the bundle");
    assert_eq!(br.header(header::CONTENT_SECURITY_POLICY), "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");

    let gz = fetch(&app, &path, &[(header::ACCEPT_ENCODING, "gzip")]).await;
    assert_eq!(gz.header(header::CONTENT_ENCODING), "gzip", "gzip when brotli is not accepted");
    assert_eq!(gz.body, GZIP);
    assert_eq!(gz.header(header::CACHE_CONTROL), "public, max-age=31536000, immutable");
    assert!(gz.header(header::VARY).to_ascii_lowercase().contains("accept-encoding"));

    let q = fetch(&app, &path, &[(header::ACCEPT_ENCODING, "br;q=0.5, gzip;q=1")]).await;
    assert_eq!(q.header(header::CONTENT_ENCODING), "gzip", "the browser's preference counts");

    let plain = fetch(&app, &path, &[]).await;
    assert_eq!(plain.status, StatusCode::OK);
    assert_eq!(plain.header(header::CONTENT_ENCODING), "", "identity without Accept-Encoding");
    assert_eq!(plain.body, RAW);
    assert_eq!(plain.header(header::CACHE_CONTROL), "public, max-age=31536000, immutable");
    assert!(plain.header(header::VARY).to_ascii_lowercase().contains("accept-encoding"));

    let identity = fetch(&app, &path, &[(header::ACCEPT_ENCODING, "identity")]).await;
    assert_eq!(identity.body, RAW, "never compressed on the fly");

    // A browser that still has it asks with the date it got; unchanged, the answer has no body.
    let modified = br.header(header::LAST_MODIFIED).to_string();
    assert!(!modified.is_empty(), "Last-Modified, for revalidation");
    let again = fetch(&app, &path, &[(header::ACCEPT_ENCODING, "br"), (header::IF_MODIFIED_SINCE, &modified)]).await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.body.is_empty());

    let missing = fetch(&app, "/pkg/seatkeeper.AAAAAAAAAAAAAAAAAAAAAA.wasm", &[(header::ACCEPT_ENCODING, "br")]).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.header(header::CACHE_CONTROL), "", "a missing file is not cached for a year");
    assert_secured(&missing, "a missing asset");
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn pages_are_compressed_as_they_go_and_revalidated_every_visit(pool: PgPool) {
    let site = Site::new();
    let app = router(pool.clone(), &site);

    let page = fetch(&app, "/login", &[(header::ACCEPT_ENCODING, "gzip")]).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.header(header::CONTENT_TYPE).starts_with("text/html"));
    assert_eq!(page.header(header::CONTENT_ENCODING), "gzip", "a page is compressed when the browser takes it");
    assert_eq!(page.header(header::CACHE_CONTROL), "private, no-cache", "asked for again on every visit");
    assert!(page.header(header::VARY).to_ascii_lowercase().contains("accept-encoding"));
    let mut html = String::new();
    flate2::read::GzDecoder::new(page.body.as_slice()).read_to_string(&mut html).expect("a gzip body");
    assert!(html.contains("action=\"/auth/login\""), "the sign-in form, whole: {html}");
    // The nonce of the inline hydration script is the one the page's policy names.
    let policy = page.header(header::CONTENT_SECURITY_POLICY);
    let nonce = policy.split("'nonce-").nth(1).and_then(|rest| rest.split('\'').next()).expect("a nonce in the page's policy");
    assert!(html.contains(&format!("nonce=\"{nonce}\"")), "the inline script carries the policy's nonce");
    assert_secured(&page, "the sign-in page");

    // A browser that takes brotli too gets gzip for pages: fast enough to compress per answer.
    let browser = fetch(&app, "/login", &[(header::ACCEPT_ENCODING, "gzip, deflate, br, zstd")]).await;
    assert_eq!(browser.header(header::CONTENT_ENCODING), "gzip");
    assert!(browser.body.len() < html.len() * 2 / 3, "{} bytes of gzip for {} of HTML", browser.body.len(), html.len());

    let plain = fetch(&app, "/login", &[]).await;
    assert_eq!(plain.header(header::CONTENT_ENCODING), "");
    assert_eq!(plain.header(header::CACHE_CONTROL), "private, no-cache");
    assert!(String::from_utf8_lossy(&plain.body).contains("action=\"/auth/login\""));

    // The 404 page (someone signed in; anonymous visitors go to sign-in) is a page too; a file of
    // the site outside /pkg is kept an hour.
    common::seed_small(&pool).await;
    let cookie = common::sign_in(&app, common::CM).await;
    let missing = fetch(&app, "/no/such/page", &[(header::ACCEPT_ENCODING, "gzip"), (header::COOKIE, &cookie)]).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.header(header::CACHE_CONTROL), "private, no-cache");
    assert!(missing.header(header::CONTENT_SECURITY_POLICY).contains("'nonce-"), "the 404 page's policy names its nonce");
    let icon = fetch(&app, "/favicon.svg", &[]).await;
    assert_eq!(icon.status, StatusCode::OK);
    assert_eq!(icon.header(header::CACHE_CONTROL), "public, max-age=3600");
    assert_secured(&icon, "the favicon");
}

#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn server_function_answers_are_compressed_and_keep_their_status(pool: PgPool) {
    let site = Site::new();
    let app = router(pool, &site);
    let request = Request::builder()
        .method(Method::POST)
        .uri("/api/viewer")
        .header(header::HOST, HOST)
        .header(header::ORIGIN, format!("http://{HOST}"))
        .header("sec-fetch-site", "same-origin")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ACCEPT_ENCODING, "gzip")
        .body(Body::from("{}"))
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "the refusal keeps its status through compression");
    let encoding = response.headers().get(header::CONTENT_ENCODING).map(|v| v.to_str().unwrap().to_string());
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let text = match encoding.as_deref() {
        Some("gzip") => {
            let mut text = String::new();
            flate2::read::GzDecoder::new(&body[..]).read_to_string(&mut text).unwrap();
            text
        }
        // tower-http leaves answers under 32 bytes as they are.
        _ => String::from_utf8_lossy(&body).into_owned(),
    };
    assert!(text.contains("Unauthenticated"), "{text}");
}

#[tokio::test]
async fn the_plain_names_of_hashed_files_answer_with_their_content_and_revalidation() {
    let site = Site::new();
    let hashes = Hashes::parse("js: AAAAAAAAAAAAAAAAAAAAAA\nwasm: Yt3Lq0TgN1d2m5J6c8b9aA\ncss: CCCCCCCCCCCCCCCCCCCCCC\n");
    let app = assets::pkg_service_with(site.0.join("pkg"), &hashes, "seatkeeper");
    // Without a hash file the shell links the stylesheet by its plain name (app/src/lib.rs, HashedStylesheet).
    let css = fetch(&app, "/seatkeeper.css", &[]).await;
    assert_eq!(css.status, StatusCode::OK);
    assert_eq!(css.body, b"body{margin:0}");
    assert_eq!(css.header(header::CONTENT_TYPE), "text/css");
    assert_eq!(css.header(header::CACHE_CONTROL), "no-cache", "a plain name outlives its content: revalidated");
    let wasm = fetch(&app, "/seatkeeper.wasm", &[(header::ACCEPT_ENCODING, "br")]).await;
    assert_eq!(wasm.header(header::CONTENT_ENCODING), "br");
    assert_eq!(wasm.body, BROTLI);
    assert_eq!(wasm.header(header::CACHE_CONTROL), "no-cache");
}

/// `/pkg` is public (whoever asks): a path that climbs out of it, however spelled, reads nothing
/// else of the machine's files, and a name that is not there is a plain 404.
#[sqlx::test(migrator = "migrations::MIGRATOR")]
async fn the_site_files_never_lead_outside_their_folder(pool: PgPool) {
    let site = Site::new();
    std::fs::write(site.0.join("secret.txt"), "outside pkg").unwrap();
    let app = router(pool, &site);
    for path in [
        "/pkg/../secret.txt",
        "/pkg/%2e%2e/secret.txt",
        "/pkg/%2E%2E%2Fsecret.txt",
        "/pkg/..%2fsecret.txt",
        "/pkg/..%5csecret.txt",
        "/pkg//etc/passwd",
        "/pkg/%00.wasm",
        "/pkg/s\u{e9}atkeeper.wasm".replace('\u{e9}', "%C3%A9").as_str(),
    ] {
        let answer = fetch(&app, path, &[(header::ACCEPT_ENCODING, "br, gzip")]).await;
        let body = String::from_utf8_lossy(&answer.body);
        assert!(!body.contains("outside pkg") && !body.contains("root:"), "{path}: {} {body}", answer.status);
        assert_ne!(answer.status, StatusCode::OK, "{path}");
        assert_secured(&answer, path);
    }
}
