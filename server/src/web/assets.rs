//! What the browser downloads (issue 11): the site's files under `/pkg` from disk, precompressed at
//! build time and cached for good under their content-hashed names; other site files (the favicon)
//! for an hour; pages revalidated on every visit. Pages and server-function answers are compressed
//! on the fly by `startup` (tower-http's `CompressionLayer`); the files here never are.
//!
//! `cargo leptos build` with `hash-files = true` renames `seatkeeper.wasm` to
//! `seatkeeper.<hash>.wasm` (and the JS and CSS likewise) and writes the hashes to `hash.txt` beside
//! the server binary, where Leptos reads them to name the files in each page. `--release
//! --precompress` writes `<file>.br` (brotli 11) and `<file>.gz` beside every file of the site.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::Router;
use leptos::prelude::LeptosOptions;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tower_http::services::ServeDir;

/// A file whose name carries the hash of its content never changes under that name.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// A file under a name that outlives its content (`/pkg/seatkeeper.css`, snippets): ask each time
/// (an unchanged file answers 304 with no body).
pub const REVALIDATE: &str = "no-cache";
/// Other files of the site (the favicon): an hour, after which the browser asks again.
pub const SITE_FILE: &str = "public, max-age=3600";
/// Pages: personal, and rendered afresh each time; a shared cache must not keep them, and the
/// browser asks again on every visit (while its assets stay cached).
pub const PAGE: &str = "private, no-cache";

/// The hashes cargo-leptos wrote (`js: <hash>`, `wasm: <hash>`, `css: <hash>`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hashes(HashMap<String, String>);

impl Hashes {
    pub fn parse(text: &str) -> Self {
        Self(
            text.lines()
                .filter_map(|line| line.split_once(':'))
                .map(|(kind, hash)| (kind.trim().to_string(), hash.trim().to_string()))
                .filter(|(kind, hash)| !kind.is_empty() && !hash.is_empty())
                .collect(),
        )
    }

    /// The hash file where Leptos looks for it: beside the running binary.
    pub fn beside_binary(options: &LeptosOptions) -> Option<(PathBuf, Self)> {
        let path = std::env::current_exe().ok()?.parent()?.join(options.hash_file.as_ref());
        let text = std::fs::read_to_string(&path).ok()?;
        Some((path, Self::parse(&text)))
    }

    /// `seatkeeper.<hash>.<kind>` for `js`, `wasm` and `css`.
    pub fn file_name(&self, output_name: &str, kind: &str) -> Option<String> {
        self.0.get(kind).map(|hash| format!("{output_name}.{hash}.{kind}"))
    }

    /// The plain name of each hashed file and its hashed name: `seatkeeper.css` ->
    /// `seatkeeper.<hash>.css`. The shell links the stylesheet by its plain name (app/src/lib.rs),
    /// so that name still answers, with the hashed file's content and `no-cache`.
    fn aliases(&self, output_name: &str) -> HashMap<String, String> {
        ["js", "wasm", "css"]
            .into_iter()
            .filter_map(|kind| Some((format!("{output_name}.{kind}"), self.file_name(output_name, kind)?)))
            .collect()
    }
}

/// Decides, when the server starts, whether pages name the hashed files: yes exactly when the
/// hash file beside the binary names a WebAssembly file that is in the site. The site and the hash
/// file come from the same build, so this is right whatever `LEPTOS_HASH_FILES` says (scripts/env.sh
/// says `false` to every script); and with the setting on but no hash file, Leptos would panic on
/// every page. Returns what to log: `Err` when the pages will not find their WebAssembly.
pub fn settle_hash_files(options: &mut LeptosOptions) -> Result<String, String> {
    let found = Hashes::beside_binary(options);
    settle_hash_files_with(options, found)
}

/// `settle_hash_files` with the hash file given (`None`: there is none).
pub fn settle_hash_files_with(options: &mut LeptosOptions, found: Option<(PathBuf, Hashes)>) -> Result<String, String> {
    let pkg = Path::new(options.site_root.as_ref()).join(options.site_pkg_dir.as_ref());
    let plain = pkg.join(format!("{}.wasm", options.output_name));
    match found {
        Some((path, hashes)) => match hashes.file_name(&options.output_name, "wasm") {
            Some(wasm) if pkg.join(&wasm).is_file() => {
                options.hash_files = true;
                Ok(format!("serving hashed assets ({wasm}, named by {})", path.display()))
            }
            named => {
                options.hash_files = false;
                if plain.is_file() {
                    Ok(format!("{} is stale (the site was built without hashed names): serving plain names", path.display()))
                } else {
                    Err(format!(
                        "{} names {}, which is not in {}: the site was built by another build (debug and release share it); build again",
                        path.display(),
                        named.unwrap_or_else(|| "no WebAssembly file".into()),
                        pkg.display()
                    ))
                }
            }
        },
        None => {
            options.hash_files = false;
            if plain.is_file() {
                Ok(format!("serving plain asset names ({})", plain.display()))
            } else {
                Err(format!("no WebAssembly in {}: build the site first (cargo leptos build)", pkg.display()))
            }
        }
    }
}

/// `name.<22 characters of base64url>.ext`: the names cargo-leptos gives hashed files (an MD5).
pub fn is_hashed(file_name: &str) -> bool {
    let mut parts = file_name.split('.');
    let _stem = parts.next();
    let rest: Vec<&str> = parts.collect();
    rest.len() >= 2
        && rest[..rest.len() - 1].iter().any(|part| {
            part.len() == 22 && part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

#[derive(Clone)]
struct Pkg {
    aliases: Arc<HashMap<String, String>>,
}

/// `/pkg/*`: files from `<site_root>/<site_pkg_dir>`, the `.br` or `.gz` beside a file when the
/// browser accepts it (brotli first), with the caching their names allow. A missing file is a
/// plain 404.
pub fn pkg_service(options: &LeptosOptions) -> Router {
    let dir = Path::new(options.site_root.as_ref()).join(options.site_pkg_dir.as_ref());
    let aliases = if options.hash_files {
        Hashes::beside_binary(options).map(|(_, hashes)| hashes.aliases(&options.output_name)).unwrap_or_default()
    } else {
        HashMap::new()
    };
    pkg_service_in(dir, aliases)
}

/// `pkg_service` over a given folder and hashes, for tests.
pub fn pkg_service_with(dir: PathBuf, hashes: &Hashes, output_name: &str) -> Router {
    pkg_service_in(dir, hashes.aliases(output_name))
}

fn pkg_service_in(dir: PathBuf, aliases: HashMap<String, String>) -> Router {
    let files = ServeDir::new(dir).precompressed_br().precompressed_gzip();
    Router::new()
        .fallback_service(files)
        .layer(middleware::from_fn_with_state(Pkg { aliases: Arc::new(aliases) }, pkg_headers))
}

async fn pkg_headers(State(pkg): State<Pkg>, mut request: Request, next: Next) -> Response {
    let name = request.uri().path().trim_start_matches('/').to_string();
    let cache = if is_hashed(&name) { IMMUTABLE } else { REVALIDATE };
    if let Some(target) = pkg.aliases.get(&name) {
        if let Ok(uri) = format!("/{target}").parse::<Uri>() {
            *request.uri_mut() = uri;
        }
    }
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if response.status().is_success() || response.status() == StatusCode::NOT_MODIFIED {
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    }
    response
}

/// The fallback's answers: a file of the site (a 200 that is not a page) is kept for an hour; the
/// 404 page is a page.
pub fn site_file_caching(mut response: Response<Body>) -> Response<Body> {
    let is_file = response.status() == StatusCode::OK && !is_html(&response);
    if is_file {
        let headers = response.headers_mut();
        headers.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static(SITE_FILE));
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    response
}

fn is_html(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"))
}

/// Every page (any HTML answer, the 404 page included) is revalidated: `private, no-cache`, unless
/// its handler chose otherwise.
pub async fn revalidate_pages(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    if !is_html(&response) {
        return response;
    }
    response.headers_mut().entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static(PAGE));
    // A page goes out in one piece, with its length: the pages whose data decides their status are
    // rendered whole before their first byte anyway (SsrMode::Async), and sent as the renderer's
    // chunks they cost a write to the socket each (6-7 per page, ~5% of the server's CPU under wrk).
    let (parts, body) = response.into_parts();
    match axum::body::to_bytes(body, PAGE_LIMIT).await {
        Ok(bytes) => Response::from_parts(parts, Body::from(bytes)),
        Err(error) => {
            tracing::error!(%error, "a page could not be rendered whole");
            let mut failed = Response::new(Body::empty());
            *failed.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
            failed
        }
    }
}

/// The largest page the console renders is far below this (a 50-row list is ~45 KB of HTML).
const PAGE_LIMIT: usize = 16 * 1024 * 1024;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_names_are_the_ones_cargo_leptos_makes() {
        assert!(is_hashed("seatkeeper.Yt3Lq0TgN1d2m5J6c8b9aA.wasm"));
        assert!(is_hashed("seatkeeper.Yt3Lq0TgN1d2m5J6c8b9aA.wasm.br"));
        assert!(is_hashed("seatkeeper.Yt3Lq0TgN1d2m-J6c8b9_A.css"));
        assert!(!is_hashed("seatkeeper.wasm"));
        assert!(!is_hashed("seatkeeper.css"));
        assert!(!is_hashed("Yt3Lq0TgN1d2m5J6c8b9aA.wasm"), "the hash is a part of the name, not the whole stem");
        assert!(!is_hashed("seatkeeper.Yt3Lq0TgN1d2m5J6c8b9a.wasm"), "21 characters");
        assert!(!is_hashed("seatkeeper.Yt3Lq0TgN1d2m5J6c8b9aA"), "no extension");
        assert!(!is_hashed("snippets/x.Yt3Lq0TgN1d2m5J6c8b9a!.js"));
    }

    #[test]
    fn the_hash_file_gives_the_hashed_names_and_their_plain_aliases() {
        let hashes = Hashes::parse("js: AAAAAAAAAAAAAAAAAAAAAA\nwasm: BBBBBBBBBBBBBBBBBBBBBB\ncss: CCCCCCCCCCCCCCCCCCCCCC\n");
        assert_eq!(hashes.file_name("seatkeeper", "wasm").as_deref(), Some("seatkeeper.BBBBBBBBBBBBBBBBBBBBBB.wasm"));
        let aliases = hashes.aliases("seatkeeper");
        assert_eq!(aliases["seatkeeper.css"], "seatkeeper.CCCCCCCCCCCCCCCCCCCCCC.css");
        assert_eq!(aliases.len(), 3);
        assert!(Hashes::parse("").aliases("seatkeeper").is_empty());
    }

    #[test]
    fn hashed_names_are_used_exactly_when_the_hash_file_names_files_of_the_site() {
        let root = std::env::temp_dir().join(format!("seatkeeper-settle-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(root.join("pkg")).unwrap();
        let mut options = LeptosOptions::builder().output_name("seatkeeper").site_root(root.to_str().unwrap()).site_pkg_dir("pkg").build();
        let hashes = Hashes::parse("js: AAAAAAAAAAAAAAAAAAAAAA\nwasm: BBBBBBBBBBBBBBBBBBBBBB\ncss: CCCCCCCCCCCCCCCCCCCCCC\n");
        let file = PathBuf::from("/somewhere/hash.txt");

        // An empty site: nothing to serve, whatever the setting said.
        options.hash_files = true;
        assert!(settle_hash_files_with(&mut options, None).is_err());
        assert!(!options.hash_files, "no hash file: Leptos would panic on every page with the setting on");
        assert!(settle_hash_files_with(&mut options, Some((file.clone(), hashes.clone()))).unwrap_err().contains("another build"));

        // A site built without hashing, and a hash file left from an earlier build.
        std::fs::write(root.join("pkg/seatkeeper.wasm"), b"").unwrap();
        options.hash_files = true;
        assert!(settle_hash_files_with(&mut options, Some((file.clone(), hashes.clone()))).unwrap().contains("stale"));
        assert!(!options.hash_files);

        // A hashed site and its hash file: on, even when the setting (scripts/env.sh) says false.
        std::fs::remove_file(root.join("pkg/seatkeeper.wasm")).unwrap();
        std::fs::write(root.join("pkg/seatkeeper.BBBBBBBBBBBBBBBBBBBBBB.wasm"), b"").unwrap();
        options.hash_files = false;
        assert!(settle_hash_files_with(&mut options, Some((file, hashes))).is_ok());
        assert!(options.hash_files);
        let _ = std::fs::remove_dir_all(root);
    }
}
