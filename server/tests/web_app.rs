//! The browser app served at `/` (`src/routes/app.rs`): its files with a strict
//! Content-Security-Policy and the right content types, unknown paths a JSON 404, the page that
//! says how to build the app when there is none, the build's hash as `sha256sum` computes it,
//! files compressed for browsers that accept it, and the API under `/v1/` as before.

use std::path::Path;

use axum::body::{Body, Bytes};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, ETAG, IF_NONE_MATCH, REFERRER_POLICY,
    X_CONTENT_TYPE_OPTIONS,
};
use axum::http::{Method, Request, StatusCode};
use trellis_protocol::api::codes;
use trellis_relay::app;
use trellis_relay::routes::app::{WebApp, CONTENT_SECURITY_POLICY as POLICY};

use crate::common::{Relay, Reply};

const INDEX: &str =
    "<!doctype html><title>Trellis</title><script type=\"module\" src=\"./app.js\"></script>";
const SCRIPT: &str = "import init from './pkg/trellis_web.js'; await init();";
/// The first bytes of any WebAssembly module, then a little more.
const MODULE: &[u8] = b"\0asm\x01\0\0\0 not really a module";

/// A small build: a page, its script and a module under `pkg/`.
fn fixture(dir: &Path) {
    std::fs::create_dir_all(dir.join("pkg")).unwrap();
    std::fs::write(dir.join("index.html"), INDEX).unwrap();
    std::fs::write(dir.join("app.js"), SCRIPT).unwrap();
    std::fs::write(dir.join("pkg/trellis_web_bg.wasm"), MODULE).unwrap();
}

/// A relay serving `web`.
fn relay_with(web: WebApp) -> Relay {
    let mut relay = Relay::start();
    relay.state = relay.state.clone().with_web_app(web);
    relay.app = app(relay.state.clone());
    relay
}

async fn get(relay: &Relay, uri: &str) -> Reply {
    relay.send(Method::GET, uri, None, None).await
}

fn header<'a>(reply: &'a Reply, name: &axum::http::HeaderName) -> &'a str {
    reply
        .headers
        .get(name)
        .unwrap_or_else(|| panic!("no {name} header"))
        .to_str()
        .unwrap()
}

/// The headers every answer of the app carries.
fn assert_locked_down(reply: &Reply) {
    let policy = header(reply, &CONTENT_SECURITY_POLICY);
    assert_eq!(policy, POLICY);
    for directive in [
        "default-src 'self'",
        "script-src 'self' 'wasm-unsafe-eval'",
        "worker-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
    ] {
        assert!(policy.contains(directive), "{directive} in {policy}");
    }
    assert!(!policy.contains("unsafe-inline"), "{policy}");
    assert_eq!(header(reply, &X_CONTENT_TYPE_OPTIONS), "nosniff");
    assert_eq!(header(reply, &REFERRER_POLICY), "no-referrer");
}

#[tokio::test]
async fn the_app_is_served_at_the_root_with_a_strict_policy_and_its_content_types() {
    let dir = tempfile::tempdir().unwrap();
    fixture(dir.path());
    let relay = relay_with(WebApp::from_dir(dir.path()).unwrap());

    for uri in ["/", "/index.html"] {
        let page = get(&relay, uri).await;
        assert_eq!(page.status, StatusCode::OK, "{uri}");
        assert_eq!(header(&page, &CONTENT_TYPE), "text/html; charset=utf-8");
        assert_eq!(page.body, Bytes::from_static(INDEX.as_bytes()));
        assert_eq!(header(&page, &CACHE_CONTROL), "no-cache");
        assert_locked_down(&page);
    }
    let script = get(&relay, "/app.js").await;
    assert_eq!(script.status, StatusCode::OK);
    assert_eq!(
        header(&script, &CONTENT_TYPE),
        "text/javascript; charset=utf-8"
    );
    assert_locked_down(&script);

    let module = get(&relay, "/pkg/trellis_web_bg.wasm").await;
    assert_eq!(module.status, StatusCode::OK);
    assert_eq!(header(&module, &CONTENT_TYPE), "application/wasm");
    assert_eq!(module.body, Bytes::from_static(MODULE));
    assert_locked_down(&module);

    // HEAD answers the same headers, no body.
    let head = relay
        .send(Method::HEAD, "/pkg/trellis_web_bg.wasm", None, None)
        .await;
    assert_eq!(head.status, StatusCode::OK);
    assert_eq!(header(&head, &CONTENT_TYPE), "application/wasm");
    assert!(head.body.is_empty());
}

#[tokio::test]
async fn a_file_the_browser_holds_is_not_sent_again() {
    let dir = tempfile::tempdir().unwrap();
    fixture(dir.path());
    let relay = relay_with(WebApp::from_dir(dir.path()).unwrap());
    let first = get(&relay, "/pkg/trellis_web_bg.wasm").await;
    let etag = header(&first, &ETAG).to_owned();
    assert_eq!(etag.len(), 66, "a quoted SHA-256: {etag}");

    let again = |tag: String| {
        Request::get("/pkg/trellis_web_bg.wasm")
            .header(IF_NONE_MATCH, tag)
            .body(Body::empty())
            .unwrap()
    };
    let unchanged = relay.call(again(etag.clone())).await;
    assert_eq!(unchanged.status, StatusCode::NOT_MODIFIED);
    assert!(unchanged.body.is_empty());
    assert_eq!(header(&unchanged, &ETAG), etag);
    assert_locked_down(&unchanged);

    let other = relay.call(again(format!("\"{}\"", "0".repeat(64)))).await;
    assert_eq!(other.status, StatusCode::OK);
    assert_eq!(other.body, Bytes::from_static(MODULE));
}

#[tokio::test]
async fn files_go_out_compressed_when_the_browser_accepts_it() {
    let dir = tempfile::tempdir().unwrap();
    fixture(dir.path());
    // A module of a realistic kind: large and repetitive.
    let module: Vec<u8> = MODULE.iter().copied().cycle().take(200_000).collect();
    std::fs::write(dir.path().join("pkg/trellis_web_bg.wasm"), &module).unwrap();
    let relay = relay_with(WebApp::from_dir(dir.path()).unwrap());
    let request = |encoding: &'static str| {
        Request::get("/pkg/trellis_web_bg.wasm")
            .header(axum::http::header::ACCEPT_ENCODING, encoding)
            .body(Body::empty())
            .unwrap()
    };

    let gzipped = relay.call(request("gzip")).await;
    assert_eq!(gzipped.status, StatusCode::OK);
    assert_eq!(
        header(&gzipped, &axum::http::header::CONTENT_ENCODING),
        "gzip"
    );
    assert_eq!(header(&gzipped, &CONTENT_TYPE), "application/wasm");
    assert_locked_down(&gzipped);
    assert!(
        gzipped.body.len() < module.len() / 10,
        "{} bytes",
        gzipped.body.len()
    );
    let mut unzipped = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(&gzipped.body[..]),
        &mut unzipped,
    )
    .unwrap();
    assert_eq!(unzipped, module, "the same bytes once decompressed");

    let brotli = relay.call(request("br;q=1.0, gzip;q=0.5")).await;
    assert_eq!(header(&brotli, &axum::http::header::CONTENT_ENCODING), "br");
    assert!(brotli.body.len() < module.len() / 10);

    let plain = get(&relay, "/pkg/trellis_web_bg.wasm").await;
    assert!(plain
        .headers
        .get(axum::http::header::CONTENT_ENCODING)
        .is_none());
    assert_eq!(plain.body, Bytes::from(module));
}

#[tokio::test]
async fn unknown_paths_are_json_404s_and_the_api_is_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    fixture(dir.path());
    let relay = relay_with(WebApp::from_dir(dir.path()).unwrap());
    for uri in [
        "/nothing.js",
        "/pkg/",
        "/pkg/other.wasm",
        "/contacts",
        "/v1/nothing",
    ] {
        get(&relay, uri)
            .await
            .error(StatusCode::NOT_FOUND, codes::NOT_FOUND);
    }
    relay
        .send(Method::POST, "/", None, None)
        .await
        .error(StatusCode::METHOD_NOT_ALLOWED, codes::BAD_REQUEST);

    // The API answers as before, without the app's headers.
    let health = get(&relay, "/healthz").await;
    assert_eq!(
        health.json::<serde_json::Value>(StatusCode::OK),
        serde_json::json!({"status": "ok"})
    );
    assert!(health.headers.get(CONTENT_SECURITY_POLICY).is_none());
    let owner = relay.signup().await;
    let pull = relay.pull(&owner, 0).await;
    assert_eq!(pull.head, 0);
}

#[tokio::test]
async fn the_build_hash_is_what_sha256sum_prints_for_the_files() {
    let dir = tempfile::tempdir().unwrap();
    fixture(dir.path());
    let web = WebApp::from_dir(dir.path()).unwrap();
    let relay = relay_with(WebApp::from_dir(dir.path()).unwrap());

    // The command docs/WEB.md gives, run on the same directory.
    let listed = std::process::Command::new("sh")
        .arg("-c")
        .arg("find . -type f -printf '%P\\n' | LC_ALL=C sort | xargs sha256sum | sha256sum")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(listed.status.success());
    let by_hand = String::from_utf8(listed.stdout).unwrap();
    let by_hand = by_hand.split_whitespace().next().unwrap();
    assert_eq!(web.hash(), Some(by_hand));

    let build: serde_json::Value = get(&relay, "/v1/app").await.json(StatusCode::OK);
    assert_eq!(build["hash"], by_hand);
    let paths: Vec<_> = build["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(paths, ["app.js", "index.html", "pkg/trellis_web_bg.wasm"]);
    assert_eq!(build["files"][2]["bytes"], MODULE.len());

    // One byte more anywhere is another build.
    std::fs::write(dir.path().join("app.js"), format!("{SCRIPT}\n")).unwrap();
    let changed = WebApp::from_dir(dir.path()).unwrap();
    assert_ne!(changed.hash(), web.hash());
}

#[tokio::test]
async fn files_the_relay_cannot_serve_plainly_are_left_out() {
    let file = |path: &str| (path.to_owned(), Bytes::from_static(b"x"));
    let web = WebApp::from_files([
        file("index.html"),
        file(".hidden"),
        file("pkg/.cache"),
        file("v1/workspaces"),
        file("healthz"),
        file("metrics"),
        file("a b.js"),
        file("{ws}.js"),
        file("pkg/trellis_web.js"),
    ]);
    assert_eq!(web.len(), 2);
    let relay = relay_with(web);
    assert_eq!(
        get(&relay, "/pkg/trellis_web.js").await.status,
        StatusCode::OK
    );
    get(&relay, "/.hidden")
        .await
        .error(StatusCode::NOT_FOUND, codes::NOT_FOUND);
    // The relay's own endpoints keep answering.
    let health = get(&relay, "/healthz").await;
    assert_eq!(health.status, StatusCode::OK);
    assert!(health.body.starts_with(b"{"));
}

#[tokio::test]
async fn without_a_build_the_root_says_how_to_make_one() {
    let relay = relay_with(WebApp::not_built());
    let page = get(&relay, "/").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(header(&page, &CONTENT_TYPE), "text/html; charset=utf-8");
    assert_eq!(header(&page, &CACHE_CONTROL), "no-store");
    assert_locked_down(&page);
    let text = String::from_utf8(page.body.to_vec()).unwrap();
    assert!(text.contains("not built"), "{text}");
    assert!(text.contains("scripts/run.sh"), "{text}");
    assert!(!text.contains("<script"), "{text}");

    get(&relay, "/index.html")
        .await
        .error(StatusCode::NOT_FOUND, codes::NOT_FOUND);
    let build: serde_json::Value = get(&relay, "/v1/app").await.json(StatusCode::OK);
    assert_eq!(build, serde_json::json!({"hash": null, "files": []}));

    // A relay state without any app (the API alone) answers the same build.
    let bare = Relay::start();
    let build: serde_json::Value = get(&bare, "/v1/app").await.json(StatusCode::OK);
    assert_eq!(build, serde_json::json!({"hash": null, "files": []}));
    assert!(WebApp::not_built().is_empty());
}
