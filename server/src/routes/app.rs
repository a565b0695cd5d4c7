//! The browser app, served by the relay itself: `GET /` and each of the app's files, and
//! `GET /v1/app`, the hash of the build being served.
//!
//! **Where the files come from.** `build.rs` finds the web build's output (`web/dist/`): a
//! release binary embeds every file of it, any other build reads that directory once, when the
//! relay starts ([`WebApp::bundled`]; docs/WEB.md says why). Without it the relay still builds
//! and runs: `/` answers a short page saying how to build the app, and `/v1/app` a `null` hash.
//!
//! **Routes.** One route per file, made from the file list when the router is built, plus `/`
//! for `index.html`. Anything else falls through to the relay's JSON 404: the app is one page
//! (its screens are drawn by its script), so there is no path to send back to the app's shell.
//! The app's files are not API endpoints and are not in the OpenAPI document; `/v1/app` is.
//! A file whose path the relay could not route plainly (a part starting with `.`, characters
//! other than `A-Z a-z 0-9 . _ -`) or that would shadow the relay's own endpoints (`v1/`,
//! `healthz`, `metrics`) is left out, with a warning.
//!
//! **Headers.** Every answer of the app carries a strict Content-Security-Policy
//! ([`CONTENT_SECURITY_POLICY`]: the page's origin only, WebAssembly allowed, no inline script,
//! no framing), `X-Content-Type-Options: nosniff` and `Referrer-Policy: no-referrer`, and the
//! content type of its extension (`application/wasm` for the module, so the browser can compile
//! it while it streams). **Caching**: file names are stable (the wasm-bindgen glue names the
//! module), so every file is `Cache-Control: no-cache` with its SHA-256 as a strong `ETag`: a
//! browser asks again each load and gets `304 Not Modified` while the file is unchanged, and
//! never runs a new page with an old module. **Compression**: the files go out compressed with
//! brotli or gzip when the browser accepts it (tower-http's compression layer).
//!
//! **The hash.** [`WebApp::hash`] is the SHA-256 of the list `sha256sum` prints for the files
//! (`<hex>  <path>\n` each, sorted by path bytewise), so anyone holding a build can compute it
//! with standard tools and compare it with what a relay serves:
//! `cd web/dist && find . -type f -printf '%P\n' | LC_ALL=C sort | xargs sha256sum | sha256sum`.

use std::collections::BTreeMap;
use std::io;
use std::path::Path;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY as CSP, CONTENT_TYPE, ETAG, IF_NONE_MATCH,
    REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use sha2::{Digest, Sha256};
use tower_http::compression::{CompressionLayer, CompressionLevel};
use utoipa::ToSchema;

use crate::AppState;

/// Where the app's files are, as `build.rs` found them.
#[derive(Debug, Clone, Copy)]
pub enum Source {
    /// The files themselves, embedded in the binary: (path relative to the build, bytes).
    Embedded(&'static [(&'static str, &'static [u8])]),
    /// The directory of the web build, read when the relay starts.
    Directory(&'static str),
}

include!(concat!(env!("OUT_DIR"), "/web_app.rs"));

/// Where this binary takes the app from (set at build time by `build.rs`).
pub const fn source() -> Source {
    SOURCE
}

/// The policy on every answer of the app: scripts, workers, connections, images and styles
/// from the page's own origin only, WebAssembly compiled from there (`'wasm-unsafe-eval'`), no
/// inline script, no plugins, no `<base>`, and no page of another site may frame it.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self' \
    'wasm-unsafe-eval'; worker-src 'self'; connect-src 'self'; img-src 'self'; style-src \
    'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The page `/` answers when the relay holds no build of the app.
const NOT_BUILT_PAGE: &str = "<!doctype html>\n<html lang=\"en\">\n<head><meta \
    charset=\"utf-8\"><title>Trellis relay</title></head>\n<body>\n<h1>Trellis relay</h1>\n\
    <p>The relay is running, but the browser app was not built into it.</p>\n<p>Build it with \
    <code>bash scripts/run.sh</code> (the web build, then this relay in release), or \
    <code>bash scripts/web.sh --build-only</code> and restart a debug relay. Phones and the \
    command line sync through this relay as they are.</p>\n</body>\n</html>\n";

/// Paths the relay's own endpoints use; an app file there would shadow them.
const RESERVED: &[&str] = &["v1", "healthz", "metrics"];

/// One file of the app.
#[derive(Debug)]
struct Asset {
    bytes: Bytes,
    sha256: String,
}

/// A build of the browser app: its files by path, and the hash that names the build.
#[derive(Debug, Default)]
pub struct WebApp {
    files: BTreeMap<String, Asset>,
    hash: Option<String>,
}

/// `GET /v1/app` answer: the build of the browser app this relay serves.
#[derive(Debug, Serialize, ToSchema)]
pub struct AppBuild {
    /// SHA-256 (hex) of the `sha256sum` list of the files, sorted by path; `null` when the
    /// relay serves no app.
    #[schema(nullable)]
    pub hash: Option<String>,
    /// Every file served, sorted by path.
    pub files: Vec<AppFile>,
}

/// One file of the served app.
#[derive(Debug, Serialize, ToSchema)]
pub struct AppFile {
    /// Its path under `/`, e.g. `pkg/trellis_web_bg.wasm`.
    pub path: String,
    /// Its SHA-256, hex.
    pub sha256: String,
    /// Its size in bytes.
    pub bytes: usize,
}

impl WebApp {
    /// No app: `/` answers the page that says how to build one.
    pub fn not_built() -> WebApp {
        WebApp::default()
    }

    /// The app this binary was built with ([`source`]): the embedded files, or the directory
    /// read now (a missing directory is no app, not an error).
    pub fn bundled() -> io::Result<WebApp> {
        match SOURCE {
            Source::Embedded(files) => {
                Ok(WebApp::from_files(files.iter().map(|(path, bytes)| {
                    ((*path).to_owned(), Bytes::from_static(bytes))
                })))
            }
            Source::Directory(dir) if !Path::new(dir).is_dir() => Ok(WebApp::not_built()),
            Source::Directory(dir) => WebApp::from_dir(Path::new(dir)),
        }
    }

    /// Every file under `dir`, read now.
    pub fn from_dir(dir: &Path) -> io::Result<WebApp> {
        let mut files = Vec::new();
        read_dir(dir, "", &mut files)?;
        Ok(WebApp::from_files(files))
    }

    /// These files, by their path relative to the build (`/` between parts). A path the
    /// relay cannot serve (see the module's docs) is left out with a warning.
    pub fn from_files(files: impl IntoIterator<Item = (String, Bytes)>) -> WebApp {
        let mut kept = BTreeMap::new();
        for (path, bytes) in files {
            if !servable(&path) {
                tracing::warn!(path = %path, "a file of the web app is not served: its path is not plain or belongs to the relay");
                continue;
            }
            let sha256 = hex::encode(Sha256::digest(&bytes));
            kept.insert(path, Asset { bytes, sha256 });
        }
        let hash = (!kept.is_empty()).then(|| {
            let mut list = Sha256::new();
            for (path, asset) in &kept {
                list.update(format!("{}  {path}\n", asset.sha256));
            }
            hex::encode(list.finalize())
        });
        WebApp { files: kept, hash }
    }

    /// The build's hash (the module's docs say how it is computed), or `None` with no app.
    pub fn hash(&self) -> Option<&str> {
        self.hash.as_deref()
    }

    /// How many files the app has.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Whether the relay holds no app.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The `GET /v1/app` answer.
    pub fn build(&self) -> AppBuild {
        AppBuild {
            hash: self.hash.clone(),
            files: self
                .files
                .iter()
                .map(|(path, asset)| AppFile {
                    path: path.clone(),
                    sha256: asset.sha256.clone(),
                    bytes: asset.bytes.len(),
                })
                .collect(),
        }
    }
}

/// Whether `path` can be a route of its own: plain parts, none hidden, none the relay's.
fn servable(path: &str) -> bool {
    let plain = path.split('/').all(|part| {
        !part.is_empty()
            && !part.starts_with('.')
            && part
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-'))
    });
    let first = path.split('/').next().unwrap_or_default();
    plain && !RESERVED.contains(&first)
}

/// Reads every file under `dir` into `files`, named `prefix` + its relative path.
fn read_dir(dir: &Path, prefix: &str, files: &mut Vec<(String, Bytes)>) -> io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = format!("{prefix}{name}");
        if entry.file_type()?.is_dir() {
            read_dir(&entry.path(), &format!("{path}/"), files)?;
        } else {
            files.push((path, Bytes::from(std::fs::read(entry.path())?)));
        }
    }
    Ok(())
}

/// The content type of a file, by its extension.
fn content_type(path: &str) -> &'static str {
    let extension = path.rsplit_once('.').map_or("", |(_, e)| e);
    match extension {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "json" => "application/json",
        "webmanifest" => "application/manifest+json",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// The headers every answer of the app carries.
fn security_headers(headers: &mut HeaderMap) {
    headers.insert(CSP, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
}

/// `GET /v1/app` and, when the state holds an app, `/` and a route per file of it.
pub fn router(web: Option<Arc<WebApp>>) -> Router<AppState> {
    let router = Router::new().route("/v1/app", get(app_build));
    let Some(web) = web else {
        return router;
    };
    router.merge(
        files(web).layer(
            // Brotli or gzip, as the browser accepts: the module shrinks to about a third. Level 5
            // compresses the module in tens of milliseconds, once per browser that lacks it.
            CompressionLayer::new()
                .br(true)
                .gzip(true)
                .quality(CompressionLevel::Precise(5)),
        ),
    )
}

/// One route per file of the app, and `/` for its page.
fn files(web: Arc<WebApp>) -> Router<AppState> {
    let mut router = Router::new();
    let index = if web.files.contains_key("index.html") {
        Some("index.html".to_owned())
    } else {
        None
    };
    let mut paths: Vec<(String, Option<String>)> = web
        .files
        .keys()
        .map(|path| (format!("/{path}"), Some(path.clone())))
        .collect();
    paths.push(("/".to_owned(), index));
    for (route, file) in paths {
        let web = Arc::clone(&web);
        router = router.route(
            &route,
            get(move |headers: HeaderMap| async move {
                match file {
                    Some(file) => serve_file(&web, &file, &headers),
                    None => not_built(),
                }
            }),
        );
    }
    router
}

/// One file, or `304 Not Modified` when the browser holds it already.
fn serve_file(web: &WebApp, path: &str, request: &HeaderMap) -> Response {
    let Some(asset) = web.files.get(path) else {
        return not_built();
    };
    let etag = format!("\"{}\"", asset.sha256);
    let fresh = request
        .get(IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        asset.bytes.clone().into_response()
    };
    let headers = response.headers_mut();
    security_headers(headers);
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type(path)));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(ETAG, value);
    }
    response
}

/// The page saying the app was not built, never cached.
fn not_built() -> Response {
    let mut response = NOT_BUILT_PAGE.into_response();
    let headers = response.headers_mut();
    security_headers(headers);
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// These endpoints' part of the OpenAPI document (merged by [`super::openapi`]).
#[derive(utoipa::OpenApi)]
#[openapi(paths(app_build), components(schemas(AppBuild, AppFile)))]
pub struct Api;

/// The build of the browser app this relay serves at `/`: its hash (compare it with the one
/// the build printed, or a published one) and its files. A relay that serves no app answers a
/// `null` hash and no files.
#[utoipa::path(
    get,
    path = "/v1/app",
    tag = "operations",
    responses(
        (status = 200, description = "The served build of the browser app", body = AppBuild),
        (status = 429, response = inline(super::doc::RateLimited))
    )
)]
async fn app_build(State(state): State<AppState>) -> Response {
    let build = state
        .web
        .as_deref()
        .map_or_else(|| WebApp::not_built().build(), WebApp::build);
    let mut response = Json(build).into_response();
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
